import type { z } from 'zod';
import { CanvasSyncError, type CanvasSyncErrorCode } from './base.js';

/** One problem found in options or in a task. */
export interface ValidationIssue {
  /** Where, as a dotted path (`retry.maxAttempts`, `headers[0]`); `(root)` for the whole. */
  path: string;
  /** What is wrong. Never quotes the offending value. */
  message: string;
}

/**
 * Base class of the errors about invalid input: {@link CanvasOptionsError} (options of a
 * constructor or method) and `CanvasTaskValidationError` (a queue payload). Both list their
 * problems as {@link ValidationIssue}s that name paths and expectations, never values.
 */
export abstract class CanvasValidationError extends CanvasSyncError {
  /** The problems found. */
  readonly issues: readonly ValidationIssue[];

  protected constructor(
    code: CanvasSyncErrorCode,
    issues: readonly ValidationIssue[],
    describe: (issues: readonly ValidationIssue[]) => string,
  ) {
    const copies = issues.map((issue) => ({ path: issue.path, message: issue.message }));
    super({ code, message: describe(copies) });
    this.issues = copies;
  }
}

/**
 * How {@link issuesFromZod} writes an issue.
 * @internal
 */
export interface IssueFormat {
  /** A key of the path as it may be shown (shortened, scrubbed). @defaultValue the key */
  readonly key?: (key: string) => string;
  /** The message of an issue. @defaultValue zod's message */
  readonly message?: (issue: z.core.$ZodIssue) => string;
}

/**
 * The issues of a zod validation error, each with its path (`a.b[0].c`, `(root)`) and its
 * message (zod's messages state expectations and received types, never received values).
 * @internal
 */
export function issuesFromZod(error: z.ZodError, format: IssueFormat = {}): ValidationIssue[] {
  const key = format.key ?? ((name: string) => name);
  return error.issues.map((issue) => ({
    path: formatPath(issue.path, key),
    message: format.message?.(issue) ?? issue.message,
  }));
}

function formatPath(path: readonly PropertyKey[], key: (name: string) => string): string {
  if (path.length === 0) return '(root)';
  let result = '';
  for (const segment of path) {
    if (typeof segment === 'number') result += `[${segment}]`;
    else result += result === '' ? key(String(segment)) : `.${key(String(segment))}`;
  }
  return result;
}
