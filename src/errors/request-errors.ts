import { CanvasSyncError, type CanvasSyncErrorCode } from './base.js';
import { type SanitizedError, sanitizeCause } from './cause.js';
import { afterAttempts, isRecord, originOf, plural, requestSuffix, truncate } from './format.js';
import { redactUrl } from './redact-url.js';
import { scrubSecretText } from './secret-patterns.js';

/** The request an error is about. */
export interface RequestErrorContext {
  /** HTTP method (upper-cased by the error). */
  method: string;
  /** The request URL; any `access_token` is removed by the error. */
  url: string | URL;
  /** Attempts made, the failing one and throttled ones included. */
  attempts: number;
  /** Canvas's `X-Request-Context-Id` of the last response, if any. */
  requestContextId?: string | undefined;
}

/**
 * Base class of the errors about one request that was sent: {@link CanvasHttpError} (and its
 * subclasses), {@link CanvasNetworkError}, {@link CanvasTimeoutError} and
 * {@link CanvasResponseError}. Catch it to log which request failed, and after how many attempts.
 * @category Errors
 */
export abstract class CanvasRequestError extends CanvasSyncError {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The request URL, without `access_token`. */
  readonly url: string;
  /** Attempts made, the failing one included. */
  readonly attempts: number;

  /**
   * @param describe - The message, given `"<METHOD> <redacted url>"`.
   */
  protected constructor(
    code: CanvasSyncErrorCode,
    request: Omit<RequestErrorContext, 'requestContextId'>,
    describe: (request: string) => string,
    cause?: unknown,
  ) {
    const method = request.method.toUpperCase();
    const url = redactUrl(request.url);
    super({ code, message: describe(`${method} ${url}`), cause });
    this.method = method;
    this.url = url;
    this.attempts = request.attempts;
  }
}

/**
 * The safe part of a Canvas JSON error body.
 * @category Errors
 */
export interface CanvasErrorBody {
  /** The `errors[].message` strings: at most 5, each at most 300 characters. */
  errors: string[];
}

/** Options of the {@link CanvasHttpError} constructor. */
export interface CanvasHttpErrorOptions extends RequestErrorContext {
  /** HTTP status of the response. */
  status: number;
  /**
   * The response body, as text or parsed JSON. Only the `errors[].message` strings of a Canvas
   * error body are kept (see {@link extractCanvasErrorMessages}); the body itself, which can hold
   * student data, is dropped.
   */
  body?: unknown;
}

/**
 * A response with an error status (4xx/5xx) that was not retried or ran out of retries.
 * @category Errors
 */
export class CanvasHttpError extends CanvasRequestError {
  override readonly name: 'CanvasHttpError' | 'CanvasRateLimitError' | 'CanvasAuthError' =
    'CanvasHttpError';
  override readonly code: 'HTTP_ERROR' | 'RATE_LIMITED' | 'AUTH_ERROR' = 'HTTP_ERROR';
  /** HTTP status of the last response. */
  readonly status: number;
  /** Canvas's `X-Request-Context-Id` of the last response, for support tickets. */
  readonly requestContextId: string | undefined;
  /** The `errors[].message` strings of a Canvas error body, if it had any. */
  readonly body: CanvasErrorBody | undefined;

  constructor(options: CanvasHttpErrorOptions) {
    super(
      'HTTP_ERROR',
      options,
      (request) =>
        `${request} failed with ${options.status}${afterAttempts(options.attempts)}${requestSuffix(options.requestContextId)}`,
    );
    this.status = options.status;
    this.requestContextId = options.requestContextId;
    this.body = extractCanvasErrorMessages(options.body);
  }
}

/** Options of the {@link CanvasRateLimitError} constructor. */
export interface CanvasRateLimitErrorOptions extends CanvasHttpErrorOptions {
  /** `X-Rate-Limit-Remaining` of the last throttled response, in cost units. */
  remaining?: number | undefined;
  /** The last `Retry-After`, in milliseconds, if one was sent. */
  retryAfterMs?: number | undefined;
  /** Throttled responses that were retried before giving up. */
  throttleRetries: number;
}

/**
 * Canvas kept throttling a request (429, or 403 "Rate Limit Exceeded") until
 * `maxThrottleRetries` was used up. A token that is always throttled may be blocked.
 * @category Errors
 */
export class CanvasRateLimitError extends CanvasHttpError {
  override readonly name = 'CanvasRateLimitError';
  override readonly code = 'RATE_LIMITED';
  /** `X-Rate-Limit-Remaining` of the last throttled response, in cost units (may be negative). */
  readonly remaining: number | undefined;
  /** The last `Retry-After`, in milliseconds, if one was sent. */
  readonly retryAfterMs: number | undefined;
  /** Throttled responses that were retried before giving up. */
  readonly throttleRetries: number;

  constructor(options: CanvasRateLimitErrorOptions) {
    super(options);
    this.remaining = options.remaining;
    this.retryAfterMs = options.retryAfterMs;
    this.throttleRetries = options.throttleRetries;
    const remaining = options.remaining === undefined ? '' : `, ${options.remaining} remaining`;
    this.message = `${this.method} ${this.url} was throttled with ${this.status} after ${plural(options.throttleRetries, 'throttle retry', 'throttle retries')}${remaining}${requestSuffix(this.requestContextId)}`;
  }
}

/**
 * Why Canvas rejected an access token, from its 401 message.
 * @category Errors
 */
export type CanvasAuthErrorReason = 'invalid' | 'expired' | 'revoked' | 'unknown';

/** Options of the {@link CanvasAuthError} constructor. */
export interface CanvasAuthErrorOptions extends CanvasHttpErrorOptions {
  /** Why the token was rejected; by default read from the body's messages. */
  reason?: CanvasAuthErrorReason | undefined;
}

/**
 * Canvas rejected the access token: a 401 with a `WWW-Authenticate` header. Not retried; an
 * `expired` token (developer-key tokens live one hour) must be refreshed. A 401 without
 * `WWW-Authenticate` is a permission problem and is a plain {@link CanvasHttpError}.
 * @category Errors
 */
export class CanvasAuthError extends CanvasHttpError {
  override readonly name = 'CanvasAuthError';
  override readonly code = 'AUTH_ERROR';
  /**
   * `invalid`, `expired` or `revoked` from Canvas's "Invalid access token." / "Expired access
   * token." / "Revoked access token."; `unknown` otherwise.
   */
  readonly reason: CanvasAuthErrorReason;

  constructor(options: CanvasAuthErrorOptions) {
    super(options);
    this.reason = options.reason ?? authReason(this.body);
    const why = this.reason === 'unknown' ? 'was rejected' : `is ${this.reason}`;
    this.message = `${this.method} ${this.url} failed with ${this.status}: the access token ${why}${requestSuffix(this.requestContextId)}`;
  }
}

/** Options of the {@link CanvasNetworkError} constructor. */
export interface CanvasNetworkErrorOptions extends Omit<RequestErrorContext, 'requestContextId'> {
  /** The underlying error (e.g. undici's `TypeError: fetch failed`). */
  cause: unknown;
}

/**
 * The request failed below HTTP (connection refused or reset, DNS, TLS) on its last attempt.
 *
 * `cause` is a sanitized copy of the underlying error: a plain `Error` with only the original's
 * `name`, `message` (followed by the messages of up to 3 nested causes, token-redacted) and
 * `code` (e.g. `ECONNRESET`, taken from a nested cause if the original has none). Nothing that
 * references a request or its headers is kept.
 * @category Errors
 */
export class CanvasNetworkError extends CanvasRequestError {
  override readonly name = 'CanvasNetworkError';
  override readonly code = 'NETWORK_ERROR';
  /** Its JSON includes the sanitized cause. */
  protected static override readonly causeInJSON = true;
  /** The sanitized underlying error (name, message, code only). */
  declare readonly cause: SanitizedError;

  constructor(options: CanvasNetworkErrorOptions) {
    const cause = sanitizeCause(options.cause);
    const code = cause.code === undefined ? '' : ` (${cause.code})`;
    super(
      'NETWORK_ERROR',
      options,
      (request) =>
        `${request} failed with a network error${code}${afterAttempts(options.attempts)}`,
      cause,
    );
  }
}

/** Options of the {@link CanvasTimeoutError} constructor. */
export interface CanvasTimeoutErrorOptions extends Omit<RequestErrorContext, 'requestContextId'> {
  /** The per-attempt timeout that expired, in milliseconds. */
  timeoutMs: number;
}

/**
 * The last attempt of a request took longer than the per-attempt timeout.
 * @category Errors
 */
export class CanvasTimeoutError extends CanvasRequestError {
  override readonly name = 'CanvasTimeoutError';
  override readonly code = 'TIMEOUT';
  /** The per-attempt timeout that expired, in milliseconds. */
  readonly timeoutMs: number;

  constructor(options: CanvasTimeoutErrorOptions) {
    super(
      'TIMEOUT',
      options,
      (request) =>
        `${request} timed out (${options.timeoutMs} ms per attempt)${afterAttempts(options.attempts)}`,
    );
    this.timeoutMs = options.timeoutMs;
  }
}

/** Options of the {@link CanvasResponseError} constructor. */
export interface CanvasResponseErrorOptions extends RequestErrorContext {
  /** HTTP status of the response (2xx). */
  status: number;
  /**
   * What is wrong with the body, e.g. `'expected a JSON array of records'`. Must not quote the
   * body.
   * @defaultValue 'not valid JSON'
   */
  detail?: string | undefined;
}

/**
 * A successful (2xx) response whose body is not valid JSON (truncated, an HTML error page from
 * a proxy …) or not of the expected shape. The parser's error is deliberately not attached: its
 * message quotes the body.
 * @category Errors
 */
export class CanvasResponseError extends CanvasRequestError {
  override readonly name = 'CanvasResponseError';
  override readonly code = 'INVALID_RESPONSE';
  /** HTTP status of the response. */
  readonly status: number;
  /** Canvas's `X-Request-Context-Id` of the response, for support tickets. */
  readonly requestContextId: string | undefined;
  /** What is wrong with the body. */
  readonly detail: string;

  constructor(options: CanvasResponseErrorOptions) {
    const detail = options.detail ?? 'not valid JSON';
    super(
      'INVALID_RESPONSE',
      options,
      (request) =>
        `${request} returned ${options.status} with an invalid body (${detail})${afterAttempts(options.attempts)}${requestSuffix(options.requestContextId)}`,
    );
    this.detail = detail;
    this.status = options.status;
    this.requestContextId = options.requestContextId;
  }
}

/**
 * Why a redirect was not followed.
 * @category Errors
 */
export type CanvasRedirectErrorReason =
  | 'foreign-origin'
  | 'too-many-redirects'
  | 'invalid-location';

/** Options of the {@link CanvasRedirectError} constructor. */
export interface CanvasRedirectErrorOptions extends Omit<RequestErrorContext, 'requestContextId'> {
  /** Why the redirect was refused. */
  reason: CanvasRedirectErrorReason;
  /** HTTP status of the redirect (301, 302, 303, 307 or 308). */
  status: number;
  /** Where it pointed; only its origin is kept. */
  location?: string | URL | undefined;
  /** The most redirects followed for one attempt. */
  maxRedirects: number;
}

/**
 * Canvas answered with a redirect the client does not follow: to another origin (which must
 * never receive the token, a request body or be mistaken for Canvas), more than `maxRedirects`
 * in a row, or without a usable `Location`. Same-origin redirects are followed. Not retried.
 * @category Errors
 */
export class CanvasRedirectError extends CanvasRequestError {
  override readonly name = 'CanvasRedirectError';
  override readonly code = 'REDIRECT_REFUSED';
  /** Why the redirect was refused. */
  readonly reason: CanvasRedirectErrorReason;
  /** HTTP status of the refused redirect. */
  readonly status: number;
  /** The origin the redirect pointed to (never its path or query), if it had a valid one. */
  readonly targetOrigin: string | undefined;

  constructor(options: CanvasRedirectErrorOptions) {
    const targetOrigin = originOf(options.location);
    const why = {
      'foreign-origin': `to another origin (${targetOrigin ?? 'unknown'}), which never gets the token`,
      'too-many-redirects': `beyond ${plural(options.maxRedirects, 'redirect', 'redirects')} in a row`,
      'invalid-location': 'without a valid Location',
    }[options.reason];
    super(
      'REDIRECT_REFUSED',
      options,
      (request) => `${request} was redirected (${options.status}) ${why}: not followed`,
    );
    this.reason = options.reason;
    this.status = options.status;
    this.targetOrigin = targetOrigin;
  }
}

/** Options of the {@link CanvasBodyTooLargeError} constructor. */
export interface CanvasBodyTooLargeErrorOptions
  extends Omit<RequestErrorContext, 'requestContextId'> {
  /** HTTP status of the response. */
  status: number;
  /** The limit that was crossed, in bytes (`maxResponseBytes`). */
  limitBytes: number;
}

/**
 * A response body was larger than `maxResponseBytes`: reading stopped the moment the limit was
 * crossed (or at once, from `Content-Length`) and the connection was dropped. A page of 100
 * Canvas records is far below the default; a body this large is a broken or hostile server.
 * Not retried.
 * @category Errors
 */
export class CanvasBodyTooLargeError extends CanvasRequestError {
  override readonly name = 'CanvasBodyTooLargeError';
  override readonly code = 'BODY_TOO_LARGE';
  /** HTTP status of the response. */
  readonly status: number;
  /** The limit that was crossed, in bytes. */
  readonly limitBytes: number;

  constructor(options: CanvasBodyTooLargeErrorOptions) {
    super(
      'BODY_TOO_LARGE',
      options,
      (request) =>
        `${request} returned ${options.status} with a body larger than ${options.limitBytes} bytes: not read`,
    );
    this.status = options.status;
    this.limitBytes = options.limitBytes;
  }
}

const MAX_BODY_MESSAGES = 5;

const MAX_BODY_MESSAGE_LENGTH = 300;

/**
 * Reduces a response body to the safe part of a Canvas error body: the `message` strings of
 * `errors` (an array of `{ message }`, or an object of such arrays as in validation errors), at
 * most 5, each truncated to 300 characters. Everything else, including any other text of the
 * body, is dropped: bodies can hold student data.
 *
 * @param body - The body as text (parsed as JSON) or as parsed JSON.
 * @returns `{ errors }`, or `undefined` when there is no such message. Never throws.
 *
 * @example
 * ```ts
 * extractCanvasErrorMessages('{"errors":[{"message":"The specified resource does not exist."}]}');
 * // { errors: ['The specified resource does not exist.'] }
 * ```
 */
export function extractCanvasErrorMessages(body: unknown): CanvasErrorBody | undefined {
  let json = body;
  if (typeof body === 'string') {
    try {
      json = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (!isRecord(json)) return undefined;
  const errors = json.errors;
  const entries = Array.isArray(errors)
    ? errors
    : isRecord(errors)
      ? Object.values(errors).flatMap((value) => (Array.isArray(value) ? value : []))
      : [];
  const messages: string[] = [];
  for (const entry of entries) {
    if (messages.length >= MAX_BODY_MESSAGES) break;
    if (isRecord(entry) && typeof entry.message === 'string') {
      messages.push(truncate(scrubSecretText(entry.message), MAX_BODY_MESSAGE_LENGTH));
    }
  }
  return messages.length === 0 ? undefined : { errors: messages };
}

function authReason(body: CanvasErrorBody | undefined): CanvasAuthErrorReason {
  for (const message of body?.errors ?? []) {
    if (/invalid access token/i.test(message)) return 'invalid';
    if (/expired access token/i.test(message)) return 'expired';
    if (/revoked access token/i.test(message)) return 'revoked';
  }
  return 'unknown';
}
