import type { z } from 'zod';
import { CanvasValidationError, issuesFromZod, type ValidationIssue } from './validation-error.js';

/**
 * One problem found in options.
 * @category Errors
 */
export type OptionsIssue = ValidationIssue;

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
 * @category Errors
 */
export class CanvasOptionsError extends CanvasValidationError {
  override readonly name = 'CanvasOptionsError';
  override readonly code = 'INVALID_OPTIONS';

  constructor(options: CanvasOptionsErrorOptions) {
    super(
      'INVALID_OPTIONS',
      options.issues,
      (issues) =>
        `Invalid ${options.what ?? 'options'}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    );
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
    return new CanvasOptionsError({ what, issues: issuesFromZod(error) });
  }
}

/**
 * Validates options with a zod `schema`: the one options-validation path of the library.
 *
 * @param what - What is validated, for the message (`'SyncWorker options'`).
 * @returns The parsed options.
 * @throws CanvasOptionsError naming every invalid field (paths and expectations, never values).
 * @internal
 */
export function parseOptions<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw CanvasOptionsError.fromZod(parsed.error, what);
}
