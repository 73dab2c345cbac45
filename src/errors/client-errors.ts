import { CanvasSyncError } from './base.js';
import { originAndPath, redactUrl } from './redact-url.js';

/**
 * Why a token could not be had from a token provider.
 * @category Errors
 */
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
 * @category Errors
 */
export class CanvasTokenError extends CanvasSyncError {
  override readonly name = 'CanvasTokenError';
  override readonly code = 'TOKEN_REFRESH_FAILED';
  /** What went wrong. */
  readonly reason: CanvasTokenErrorReason;
  /** HTTP status of the token endpoint's answer, for `oauth-error`; absent otherwise. */
  declare readonly status?: number;
  /** The OAuth2 `error` code (letters and underscores only), if the endpoint sent one. */
  declare readonly oauthError?: string;

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
    if (options.status !== undefined) this.status = options.status;
    if (oauthError !== undefined) this.oauthError = oauthError;
  }
}

/** Options of the {@link CanvasAbortError} constructor. */
export interface CanvasAbortErrorOptions {
  /** HTTP method, if known. */
  method?: string | undefined;
  /** The request URL, if known; any `access_token` is removed. */
  url?: string | URL | undefined;
}

/**
 * The caller aborted the request (its `AbortSignal` fired).
 * @category Errors
 */
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
}

/**
 * Why pagination stopped: `foreign-origin` (a `next` link points to another origin, which must
 * never receive the token), `loop` (a `next` link already followed; an invalid bookmark
 * silently restarts a collection at its first page) or `invalid-link` (a `next` link that is not
 * a URL: stopping quietly would truncate the data).
 * @category Errors
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

/**
 * Pagination was stopped because a `next` link could not be followed safely.
 * @category Errors
 */
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
}

/** Options of the {@link CanvasClientClosedError} constructor. */
export interface CanvasClientClosedErrorOptions {
  /** What was refused, e.g. `'GET /api/v1/courses'`; any `access_token` is redacted. */
  operation?: string | undefined;
}

/**
 * The client was closed; it accepts no new requests.
 * @category Errors
 */
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
