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
import type { z } from 'zod';
import { originAndPath, redactUrl } from './http/urls.js';
import { scrubSecretText } from './secret-patterns.js';

/** The machine-readable kind of a {@link CanvasSyncError}. */
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

/** What `toJSON()` of a {@link CanvasSyncError} returns: name, code, message and data fields. */
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

  override toJSON(): CanvasSyncErrorJSON {
    return { ...super.toJSON(), method: this.method, url: this.url, attempts: this.attempts };
  }
}

/** The safe part of a Canvas JSON error body. */
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

/** A response with an error status (4xx/5xx) that was not retried or ran out of retries. */
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

  override toJSON(): CanvasSyncErrorJSON {
    return {
      ...super.toJSON(),
      status: this.status,
      requestContextId: this.requestContextId,
      body: this.body === undefined ? undefined : { errors: [...this.body.errors] },
    };
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

  override toJSON(): CanvasSyncErrorJSON {
    return {
      ...super.toJSON(),
      remaining: this.remaining,
      retryAfterMs: this.retryAfterMs,
      throttleRetries: this.throttleRetries,
    };
  }
}

/** Why Canvas rejected an access token, from its 401 message. */
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

  override toJSON(): CanvasSyncErrorJSON {
    return { ...super.toJSON(), reason: this.reason };
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
 */
export class CanvasNetworkError extends CanvasRequestError {
  override readonly name = 'CanvasNetworkError';
  override readonly code = 'NETWORK_ERROR';
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

  override toJSON(): CanvasSyncErrorJSON {
    const cause: Record<string, unknown> = { name: this.cause.name, message: this.cause.message };
    if (this.cause.code !== undefined) cause.code = this.cause.code;
    return { ...super.toJSON(), cause };
  }
}

/** Options of the {@link CanvasTimeoutError} constructor. */
export interface CanvasTimeoutErrorOptions extends Omit<RequestErrorContext, 'requestContextId'> {
  /** The per-attempt timeout that expired, in milliseconds. */
  timeoutMs: number;
}

/** The last attempt of a request took longer than the per-attempt timeout. */
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

  override toJSON(): CanvasSyncErrorJSON {
    return { ...super.toJSON(), timeoutMs: this.timeoutMs };
  }
}

/** Why a redirect was not followed. */
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

  override toJSON(): CanvasSyncErrorJSON {
    return {
      ...super.toJSON(),
      reason: this.reason,
      status: this.status,
      targetOrigin: this.targetOrigin,
    };
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

  override toJSON(): CanvasSyncErrorJSON {
    return { ...super.toJSON(), status: this.status, limitBytes: this.limitBytes };
  }
}

/** Why a token could not be had from a token provider. */
export type CanvasTokenErrorReason = 'provider-failed' | 'invalid-token' | 'oauth-error';

/** Options of the {@link CanvasTokenError} constructor. */
export interface CanvasTokenErrorOptions {
  /** What went wrong. */
  reason: CanvasTokenErrorReason;
  /** HTTP status of the token endpoint's answer, for `oauth-error`. */
  status?: number | undefined;
  /** The OAuth2 `error` code of the answer (`invalid_grant`, `invalid_client`, …), if any. */
  oauthError?: string | undefined;
  /** The provider's error; replaced by a sanitized copy. */
  cause?: unknown;
}

/**
 * A token provider (the `token` option given as a function, e.g. {@link refreshTokenProvider})
 * failed, returned something that is not a token, or the OAuth2 token endpoint refused the
 * refresh. Neither the token, the refresh token nor the client secret is ever part of it.
 */
export class CanvasTokenError extends CanvasSyncError {
  override readonly name = 'CanvasTokenError';
  override readonly code = 'TOKEN_REFRESH_FAILED';
  /** What went wrong. */
  readonly reason: CanvasTokenErrorReason;
  /** HTTP status of the token endpoint's answer, for `oauth-error`. */
  readonly status: number | undefined;
  /** The OAuth2 `error` code (letters and underscores only), if the endpoint sent one. */
  readonly oauthError: string | undefined;

  constructor(options: CanvasTokenErrorOptions) {
    const oauthError =
      options.oauthError !== undefined && /^[a-z_]{1,64}$/.test(options.oauthError)
        ? options.oauthError
        : undefined;
    const why = {
      'provider-failed': 'the token provider failed',
      'invalid-token':
        'the token provider returned no usable token (a non-empty string without spaces)',
      'oauth-error': `the token endpoint answered ${options.status ?? '?'}${oauthError === undefined ? '' : ` (${oauthError})`}`,
    }[options.reason];
    super({
      code: 'TOKEN_REFRESH_FAILED',
      message: `Could not get an access token: ${why}`,
      cause: options.cause,
    });
    this.reason = options.reason;
    this.status = options.status;
    this.oauthError = oauthError;
  }

  override toJSON(): CanvasSyncErrorJSON {
    const json: CanvasSyncErrorJSON = { ...super.toJSON(), reason: this.reason };
    if (this.status !== undefined) json.status = this.status;
    if (this.oauthError !== undefined) json.oauthError = this.oauthError;
    return json;
  }
}

/** Options of the {@link CanvasAbortError} constructor. */
export interface CanvasAbortErrorOptions {
  /** HTTP method, if known. */
  method?: string | undefined;
  /** The request URL, if known; any `access_token` is removed. */
  url?: string | URL | undefined;
}

/** The caller aborted the request (its `AbortSignal` fired). */
export class CanvasAbortError extends CanvasSyncError {
  override readonly name = 'CanvasAbortError';
  override readonly code = 'ABORTED';
  /** HTTP method, upper case, if known. */
  readonly method: string | undefined;
  /** The request URL, without `access_token`, if known. */
  readonly url: string | undefined;

  constructor(options: CanvasAbortErrorOptions = {}) {
    const method = options.method?.toUpperCase();
    const url = options.url === undefined ? undefined : redactUrl(options.url);
    const what = [method, url].filter((part) => part !== undefined).join(' ');
    super({ code: 'ABORTED', message: `${what === '' ? 'Request' : what} was aborted` });
    this.method = method;
    this.url = url;
  }

  override toJSON(): CanvasSyncErrorJSON {
    return { ...super.toJSON(), method: this.method, url: this.url };
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

  override toJSON(): CanvasSyncErrorJSON {
    return {
      ...super.toJSON(),
      status: this.status,
      requestContextId: this.requestContextId,
      detail: this.detail,
    };
  }
}

/**
 * Why pagination stopped: `foreign-origin` (a `next` link points to another origin, which must
 * never receive the token), `loop` (a `next` link already followed; an invalid bookmark
 * silently restarts a collection at its first page) or `invalid-link` (a `next` link that is not
 * a URL: stopping quietly would truncate the data).
 */
export type CanvasPaginationErrorReason = 'foreign-origin' | 'loop' | 'invalid-link';

/** Options of the {@link CanvasPaginationError} constructor. */
export interface CanvasPaginationErrorOptions {
  /** Why pagination stopped. */
  reason: CanvasPaginationErrorReason;
  /** The page whose `Link` header held the offending `next` link. */
  url: string | URL;
  /** The offending `next` link. */
  nextUrl: string | URL;
}

/** Pagination was stopped because a `next` link could not be followed safely. */
export class CanvasPaginationError extends CanvasSyncError {
  override readonly name = 'CanvasPaginationError';
  override readonly code = 'PAGINATION_ERROR';
  /** Why pagination stopped. */
  readonly reason: CanvasPaginationErrorReason;
  /** The page that pointed to {@link CanvasPaginationError.nextUrl}, without `access_token`. */
  readonly url: string;
  /**
   * The offending `next` link: for `foreign-origin` only its origin and path (no query), for
   * `loop` the URL without `access_token`.
   */
  readonly nextUrl: string;

  constructor(options: CanvasPaginationErrorOptions) {
    const url = redactUrl(options.url);
    const nextUrl =
      options.reason === 'foreign-origin'
        ? originAndPath(redactUrl(options.nextUrl))
        : redactUrl(options.nextUrl);
    const why = {
      'foreign-origin': `its next link points to another origin (${nextUrl}), which never gets the token`,
      loop: `its next link ${nextUrl} was already followed`,
      'invalid-link': 'its next link is not a valid URL',
    }[options.reason];
    super({ code: 'PAGINATION_ERROR', message: `Pagination stopped at ${url}: ${why}` });
    this.reason = options.reason;
    this.url = url;
    this.nextUrl = nextUrl;
  }

  override toJSON(): CanvasSyncErrorJSON {
    return { ...super.toJSON(), reason: this.reason, url: this.url, nextUrl: this.nextUrl };
  }
}

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

/** Options of the {@link CanvasClientClosedError} constructor. */
export interface CanvasClientClosedErrorOptions {
  /** What was refused, e.g. `'GET /api/v1/courses'`; any `access_token` is redacted. */
  operation?: string | undefined;
}

/** The client was closed; it accepts no new requests. */
export class CanvasClientClosedError extends CanvasSyncError {
  override readonly name = 'CanvasClientClosedError';
  override readonly code = 'CLIENT_CLOSED';

  constructor(options: CanvasClientClosedErrorOptions = {}) {
    const refused = options.operation === undefined ? '' : ` (refused: ${options.operation})`;
    super({
      code: 'CLIENT_CLOSED',
      message: `The client is closed and accepts no new requests${refused}`,
    });
  }
}

/**
 * The sanitized stand-in for an underlying error: a plain `Error` with the original's name and
 * message, and its `code` if it had one.
 */
export interface SanitizedError extends Error {
  code?: string | number;
}

const MAX_BODY_MESSAGES = 5;
const MAX_BODY_MESSAGE_LENGTH = 300;
const MAX_CAUSE_TEXT = 500;
const MAX_CAUSE_DEPTH = 3;

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

/** Replaces any value by a plain `Error` with only a (redacted) name, message and code. */
function sanitizeCause(cause: unknown): SanitizedError {
  const top = describe(cause);
  let message = top.message;
  let code = top.code;
  let next = top.cause;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && next !== undefined && next !== null; depth++) {
    const nested = describe(next);
    message += `; caused by ${nested.name}: ${nested.message}`;
    code ??= nested.code;
    next = nested.cause;
  }
  const sanitized: SanitizedError = new Error(truncate(scrubSecretText(message), MAX_CAUSE_TEXT));
  if (top.name !== 'Error') {
    Object.defineProperty(sanitized, 'name', {
      value: top.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (code !== undefined) sanitized.code = code;
  return sanitized;
}

interface Described {
  name: string;
  message: string;
  code: string | number | undefined;
  cause: unknown;
}

function describe(value: unknown): Described {
  try {
    if (isRecord(value)) {
      const record = value;
      const name = typeof record.name === 'string' && record.name !== '' ? record.name : 'Error';
      const message =
        typeof record.message === 'string' ? record.message : `Non-error ${typeof value} thrown`;
      const code =
        typeof record.code === 'string' || typeof record.code === 'number'
          ? record.code
          : undefined;
      return {
        name: truncate(scrubSecretText(name), 100),
        message: truncate(scrubSecretText(message), MAX_CAUSE_TEXT),
        code: typeof code === 'string' ? truncate(scrubSecretText(code), 100) : code,
        cause: record.cause,
      };
    }
    const text = typeof value === 'string' ? value : `Non-error ${typeof value} thrown`;
    return {
      name: 'Error',
      message: truncate(scrubSecretText(text), MAX_CAUSE_TEXT),
      code: undefined,
      cause: undefined,
    };
  } catch {
    return { name: 'Error', message: 'Unreadable error', code: undefined, cause: undefined };
  }
}

function originOf(location: string | URL | undefined): string | undefined {
  if (location === undefined) return undefined;
  try {
    const origin = new URL(location).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let result = '';
  for (const segment of path) {
    if (typeof segment === 'number') result += `[${segment}]`;
    else result += result === '' ? String(segment) : `.${String(segment)}`;
  }
  return result;
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max);
  // Do not leave half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function afterAttempts(attempts: number): string {
  return ` after ${plural(attempts, 'attempt', 'attempts')}`;
}

function requestSuffix(requestContextId: string | undefined): string {
  return requestContextId === undefined ? '' : ` (request ${requestContextId})`;
}
