/**
 * The one classification of a failed request, shared by the client's retries, the worker's task
 * retries and the producers' planning retries, so that a status means the same thing at every
 * level: a 409 or a 501 is permanent everywhere, a 503 transient everywhere.
 *
 * @module
 */
import {
  CanvasHttpError,
  CanvasNetworkError,
  CanvasRateLimitError,
  CanvasResponseError,
  CanvasSyncError,
  CanvasTimeoutError,
  CanvasTokenError,
} from '../errors/index.js';
import { classifyStatus } from './retry-policy.js';

/**
 * What a failure means for trying again:
 * - `throttled`: Canvas's rate limiter said no (a `CanvasRateLimitError`): try again later,
 *   without counting it against the work;
 * - `retryable`: a transient failure: a 408, 500, 502, 503 or 504, a network error, a timeout, a
 *   body that is not JSON, a token provider that failed: try again with backoff;
 * - `permanent`: the same request fails the same way again: any other HTTP status (401, 403,
 *   404, 409, 410, 422, 501 …), a pagination refusal, invalid options, a refused redirect, an
 *   oversized body, a refused token refresh, a response the sanitizer refuses, an invalid task,
 *   a corrupt sink;
 * - `stopped`: the work was cut short, not failed: an abort, a closed client or sink;
 * - `unexpected`: not an error of canvas-sync (a sink's I/O error, a bug in a callback).
 */
export type FailureClass = 'throttled' | 'retryable' | 'permanent' | 'stopped' | 'unexpected';

/** Codes of errors that end work without a fault of the request itself. */
const STOPPED_CODES: ReadonlySet<string> = new Set(['ABORTED', 'CLIENT_CLOSED', 'SINK_CLOSED']);

/**
 * Classifies what a request, a page walk or a task threw (pure). HTTP statuses are classified by
 * {@link classifyStatus}, the client's own rule.
 *
 * @example
 * ```ts
 * classifyFailure(new CanvasHttpError({ status: 503, method: 'GET', url })); // 'retryable'
 * classifyFailure(new CanvasHttpError({ status: 409, method: 'GET', url })); // 'permanent'
 * ```
 */
export function classifyFailure(error: unknown): FailureClass {
  if (!(error instanceof CanvasSyncError)) return 'unexpected';
  if (error instanceof CanvasRateLimitError) return 'throttled';
  if (STOPPED_CODES.has(error.code)) return 'stopped';
  if (error instanceof CanvasHttpError) {
    return classifyStatus(error.status, '') === 'retryable' ? 'retryable' : 'permanent';
  }
  if (
    error instanceof CanvasNetworkError ||
    error instanceof CanvasTimeoutError ||
    error instanceof CanvasResponseError ||
    (error instanceof CanvasTokenError && error.reason === 'provider-failed')
  ) {
    return 'retryable';
  }
  return 'permanent';
}
