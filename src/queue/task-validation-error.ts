/**
 * The error thrown (and dead-lettered) when a queue payload is not a valid `SyncTask`.
 *
 * @module
 */
import type { z } from 'zod';
import {
  CanvasValidationError,
  issuesFromZod,
  type ValidationIssue,
} from '../errors/validation-error.js';
import { scrubSecretText } from './secret-scrub.js';

/**
 * One problem found in a task payload.
 * @category Pipeline
 */
export type TaskIssue = ValidationIssue;

/** Options of the {@link CanvasTaskValidationError} constructor. */
export interface CanvasTaskValidationErrorOptions {
  /** The problems found; at least one is expected. */
  issues: readonly TaskIssue[];
}

const MAX_MESSAGE_ISSUES = 5;

/**
 * A queue payload is not a valid `SyncTask`: thrown by `parseTask`, `createTask` and by
 * `QueueAdapter.enqueue`, and recorded (as `issues`) on the dead letter of a malformed delivery.
 *
 * The issues name paths and expectations only; the offending values are never quoted, so the
 * error is safe to log even when the payload held student data.
 * @category Errors
 */
export class CanvasTaskValidationError extends CanvasValidationError {
  override readonly name = 'CanvasTaskValidationError';
  override readonly code = 'TASK_VALIDATION';

  constructor(options: CanvasTaskValidationErrorOptions) {
    super('TASK_VALIDATION', options.issues, (issues) => {
      const shown = issues
        .slice(0, MAX_MESSAGE_ISSUES)
        .map((issue) => `${issue.path}: ${issue.message}`);
      if (issues.length > MAX_MESSAGE_ISSUES) {
        shown.push(`and ${issues.length - MAX_MESSAGE_ISSUES} more`);
      }
      return `Invalid sync task: ${shown.join('; ')}`;
    });
  }

  /**
   * Builds the error from a zod validation error, keeping each issue's path and message (zod's
   * messages state expectations and received types, never received values).
   *
   * @param error - The `ZodError` of a failed `safeParse`.
   * @internal
   */
  static fromZod(error: z.ZodError): CanvasTaskValidationError {
    return new CanvasTaskValidationError({
      issues: issuesFromZod(error, { key: shorten, message: issueMessage }),
    });
  }
}

const MAX_KEY_LENGTH = 40;

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    // Key names are structure, not values, but are still scrubbed and shortened: a payload is
    // untrusted.
    const keys = issue.keys.slice(0, 5).map((key) => JSON.stringify(shorten(key)));
    const more = issue.keys.length > 5 ? `, and ${issue.keys.length - 5} more` : '';
    return `Unrecognized key${issue.keys.length === 1 ? '' : 's'}: ${keys.join(', ')}${more}`;
  }
  if (issue.code === 'invalid_key') {
    return issue.issues.map((inner) => inner.message).join('; ') || issue.message;
  }
  return issue.message;
}

/** A key name as an issue may show it: token-shaped parts scrubbed first, then shortened. */
function shorten(name: string): string {
  const key = scrubSecretText(name);
  return key.length <= MAX_KEY_LENGTH ? key : `${key.slice(0, MAX_KEY_LENGTH)}…`;
}
