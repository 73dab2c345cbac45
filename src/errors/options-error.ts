import type { z } from 'zod';
import { CanvasSyncError, type CanvasSyncErrorJSON } from './base.js';
import { formatPath } from './format.js';

/** One problem found in options. */
export interface OptionsIssue {
  /** Where, as a dotted path (`retry.maxAttempts`, `headers[0]`); `(root)` for the whole. */
  path: string;
  /** What is wrong. */
  message: string;
}

/** Options of the {@link CanvasOptionsError} constructor. */
export interface CanvasOptionsErrorOptions {
  /** What was being validated, for the message. @defaultValue 'options' */
  what?: string | undefined;
  /** The problems found; at least one is expected. */
  issues: readonly OptionsIssue[];
}

/**
 * Options passed to a canvas-sync constructor or method are invalid. The message lists the
 * issues: `Invalid client options: baseUrl: Invalid URL; retry.maxAttempts: Too small: …`.
 */
export class CanvasOptionsError extends CanvasSyncError {
  override readonly name = 'CanvasOptionsError';
  override readonly code = 'INVALID_OPTIONS';
  /** The problems found. */
  readonly issues: readonly OptionsIssue[];

  constructor(options: CanvasOptionsErrorOptions) {
    const issues = options.issues.map((issue) => ({ path: issue.path, message: issue.message }));
    const list = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    super({ code: 'INVALID_OPTIONS', message: `Invalid ${options.what ?? 'options'}: ${list}` });
    this.issues = issues;
  }

  /**
   * Builds the error from a zod validation error.
   *
   * @param error - The `ZodError` of a failed `safeParse`.
   * @param what - What was validated, e.g. `'client options'`.
   *
   * @example
   * ```ts
   * const parsed = schema.safeParse(input);
   * if (!parsed.success) throw CanvasOptionsError.fromZod(parsed.error, 'client options');
   * ```
   * @internal
   */
  static fromZod(error: z.ZodError, what: string): CanvasOptionsError {
    return new CanvasOptionsError({
      what,
      issues: error.issues.map((issue) => ({
        path: formatPath(issue.path),
        message: issue.message,
      })),
    });
  }

  override toJSON(): CanvasSyncErrorJSON {
    return { ...super.toJSON(), issues: this.issues.map((issue) => ({ ...issue })) };
  }
}
