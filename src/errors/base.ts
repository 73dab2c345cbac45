/**
 * The one error hierarchy used by every layer of canvas-sync.
 *
 * Errors carry data, not prose, and are safe to log, serialize and dead-letter: URLs are redacted
 * (never an `access_token`), no headers are kept, response bodies are reduced to the
 * `errors[].message` strings of a Canvas error body, and underlying causes are replaced by plain
 * `Error`s holding only a name, a message and a code.
 *
 * @module
 */
import { sanitizeCause } from './cause.js';
import { scrubSecretText } from './secret-patterns.js';

/**
 * The machine-readable kind of a {@link CanvasSyncError}.
 * @category Errors
 */
export type CanvasSyncErrorCode =
  | 'HTTP_ERROR'
  | 'RATE_LIMITED'
  | 'AUTH_ERROR'
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'INVALID_RESPONSE'
  | 'PAGINATION_ERROR'
  | 'INVALID_OPTIONS'
  | 'CLIENT_CLOSED'
  | 'SINK_CLOSED'
  | 'TASK_VALIDATION'
  | 'SANITIZE_FAILED'
  | 'REDIRECT_REFUSED'
  | 'BODY_TOO_LARGE'
  | 'TOKEN_REFRESH_FAILED';

/**
 * What `toJSON()` of a {@link CanvasSyncError} returns: name, code, message and data fields.
 * @category Errors
 */
export interface CanvasSyncErrorJSON {
  name: string;
  code: CanvasSyncErrorCode;
  message: string;
  [field: string]: unknown;
}

/** Options of the {@link CanvasSyncError} constructor. */
export interface CanvasSyncErrorOptions {
  /** The error's code. */
  code: CanvasSyncErrorCode;
  /** A short message; `access_token=` values and Bearer tokens in it are redacted. */
  message: string;
  /** The underlying error; replaced by a sanitized copy (see {@link CanvasNetworkError}). */
  cause?: unknown;
}

/**
 * Base class of every error canvas-sync throws. Catch this to handle all of them; switch on
 * {@link CanvasSyncError.code} (or use `instanceof` with a subclass) to tell them apart.
 * @category Errors
 */
export class CanvasSyncError extends Error {
  /** The class name; a string literal in every subclass (`'CanvasHttpError'`, …). */
  override readonly name: string = 'CanvasSyncError';
  /** The machine-readable kind of error. */
  readonly code: CanvasSyncErrorCode;

  constructor(options: CanvasSyncErrorOptions) {
    super(
      scrubSecretText(options.message),
      options.cause === undefined ? undefined : { cause: sanitizeCause(options.cause) },
    );
    this.code = options.code;
  }

  /** The error as safe, JSON-serializable data: name, code, message and data fields. */
  toJSON(): CanvasSyncErrorJSON {
    return { name: this.name, code: this.code, message: this.message };
  }
}
