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
import { causeToJSON, sanitizeCause } from './cause.js';
import { scrubSecretText } from './secret-patterns.js';

/**
 * The machine-readable kind of a {@link CanvasSyncError}, one per situation:
 *
 * - `HTTP_ERROR`, `RATE_LIMITED`, `AUTH_ERROR`: an error status (`CanvasHttpError`,
 *   `CanvasRateLimitError`, `CanvasAuthError`);
 * - `NETWORK_ERROR`, `TIMEOUT`, `INVALID_RESPONSE`, `REDIRECT_REFUSED`, `BODY_TOO_LARGE`: a
 *   request that failed otherwise (`CanvasNetworkError`, `CanvasTimeoutError`,
 *   `CanvasResponseError`, `CanvasRedirectError`, `CanvasBodyTooLargeError`);
 * - `ABORTED`, `CLIENT_CLOSED`, `PAGINATION_ERROR`, `TOKEN_REFRESH_FAILED`: the client
 *   (`CanvasAbortError`, `CanvasClientClosedError`, `CanvasPaginationError`, `CanvasTokenError`);
 * - `INVALID_OPTIONS`: options of a constructor or method (`CanvasOptionsError`);
 * - `TASK_VALIDATION`: a queue payload that is not a valid task (`CanvasTaskValidationError`);
 * - `SANITIZE_FAILED`: a value the sanitizer cannot sanitize (`CanvasSanitizeError`);
 * - `SINK_CLOSED`: a sink written after `close()` (`CanvasSinkError`);
 * - `SINK_CORRUPT`: a sink file holding a line that is not a change line, found when it is opened
 *   (`CanvasSinkError`, with the file and line number);
 * - `SINK_SCHEMA`: a sink database whose schema version this canvas-sync does not know (newer,
 *   or unreadable), found when it is opened (`CanvasSinkError`, with the file and versions);
 * - `UNSUPPORTED`: an optional method of the queue adapter (`deadLetters`,
 *   `replayDeadLetters`) is missing (`CanvasUnsupportedError` of `canvas-sync/queue`).
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
  | 'SINK_CORRUPT'
  | 'SINK_SCHEMA'
  | 'UNSUPPORTED'
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
  /** The class name, as {@link CanvasSyncError.name}. */
  name: string;
  /** The machine-readable kind of error, as {@link CanvasSyncError.code}. */
  code: CanvasSyncErrorCode;
  /** The (redacted) message, as `Error.message`. */
  message: string;
  /** The data fields of the error's class (`status`, `url`, `issues`, …), as plain data. */
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

  /**
   * Whether {@link CanvasSyncError.toJSON} includes the sanitized `cause` (its name, message and
   * code only). Off by default; `CanvasNetworkError` turns it on.
   */
  protected static readonly causeInJSON: boolean = false;

  /**
   * The error as safe, JSON-serializable data: `name`, `code`, `message`, then the data fields
   * of its class in declaration order: every own enumerable data property, `undefined`-valued
   * ones included (a field that may be absent is declared with `declare … ?:` and only set when
   * known). Never `stack`; `cause` only where the class sets `causeInJSON`.
   *
   * Field values are copied as plain data: strings, numbers, booleans, `null`, `undefined`, and
   * arrays and plain objects of these (nested at most 4 levels). Anything else (a class instance,
   * a `Map`, a function …) is left out, as are getters and `#private` fields; so a subclass
   * holds non-data state in `#private` fields, not in TypeScript `private` ones.
   */
  toJSON(): CanvasSyncErrorJSON {
    const json: CanvasSyncErrorJSON = {
      name: this.name,
      code: this.code,
      message: this.message,
      ...plainFields(this, 0, NOT_DATA_FIELDS),
    };
    const { causeInJSON } = this.constructor as typeof CanvasSyncError;
    if (causeInJSON && this.cause !== undefined) json.cause = causeToJSON(this.cause);
    return json;
  }
}

/** Own properties that are not data fields of a subclass: written first, or never. */
const NOT_DATA_FIELDS: ReadonlySet<string> = new Set(['name', 'code', 'message', 'stack', 'cause']);

/** How deep a field's value is copied (the deepest today, `body.errors[0]`, is 2). */
const MAX_FIELD_DEPTH = 4;

/** What {@link plainData} returns for a value that is not plain data. */
const NOT_DATA: unique symbol = Symbol('not data');

/** The own enumerable data properties of `source` (getters skipped), copied as plain data. */
function plainFields(
  source: object,
  depth: number,
  skip?: ReadonlySet<string>,
): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const [key, property] of Object.entries(Object.getOwnPropertyDescriptors(source))) {
    if (!property.enumerable || !('value' in property) || skip?.has(key)) continue;
    const data = plainData(property.value, depth);
    if (data !== NOT_DATA) entries.push([key, data]);
  }
  // fromEntries defines the keys, so even a `__proto__` key stays a plain key.
  return Object.fromEntries(entries);
}

/** A copy of `value` if it is plain data (see {@link CanvasSyncError.toJSON}), else `NOT_DATA`. */
function plainData(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return value;
  if (type !== 'object' || depth >= MAX_FIELD_DEPTH) return NOT_DATA;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (let index = 0; index < value.length; index++) {
      const item = plainData(value[index], depth + 1);
      copy.push(item === NOT_DATA ? null : item);
    }
    return copy;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return NOT_DATA;
  return plainFields(value as object, depth + 1);
}
