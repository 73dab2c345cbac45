import {
  CanvasBodyTooLargeError,
  CanvasHttpError,
  CanvasPaginationError,
  CanvasRateLimitError,
  CanvasRedirectError,
  CanvasSyncError,
  CanvasTokenError,
} from '../errors/index.js';
import { CanvasSanitizeError } from '../privacy/sanitize-error.js';
import type { HandlerResult } from '../queue/adapter.js';
import type { SyncTask } from '../queue/task.js';
import { classifyFailure } from '../retry/failure-class.js';
import { backoffDelay } from '../retry/retry-policy.js';

/**
 * How the worker retries a task whose fetch failed after the client's own retries.
 * @category Pipeline
 */
export interface TaskRetryPolicy {
  /** Deliveries that may fail before the task is dead-lettered. @defaultValue 3. Minimum: 1 */
  readonly maxAttempts: number;
  /**
   * Ceiling of the delay before the first retry, in ms; it doubles with each failure, and each
   * delay is drawn uniformly below its ceiling (full jitter, the client's own backoff), so that
   * tasks failed together do not come back together. @defaultValue 5000
   */
  readonly baseDelayMs: number;
  /** Cap of that ceiling, in ms. @defaultValue 300000 */
  readonly maxDelayMs: number;
  /** Wait after a throttle that outlasted the client's own retries, in ms. @defaultValue 10000 */
  readonly throttleDelayMs: number;
}

/** The defaults of {@link TaskRetryPolicy}. */
export const defaultTaskRetryPolicy: TaskRetryPolicy = Object.freeze({
  maxAttempts: 3,
  baseDelayMs: 5_000,
  maxDelayMs: 300_000,
  throttleDelayMs: 10_000,
});

/** Safe facts about an error for a dead letter: never a body, never the token. */
function detailOf(error: CanvasSyncError): Record<string, string | number | undefined> {
  const detail: Record<string, string | number | undefined> = { error: error.name };
  if (error instanceof CanvasHttpError) {
    detail.status = error.status;
    detail.requestContextId = error.requestContextId;
  }
  if (error instanceof CanvasPaginationError) detail.paginationReason = error.reason;
  if (error instanceof CanvasSanitizeError) detail.sanitizeReason = error.reason;
  if (error instanceof CanvasRedirectError) {
    detail.redirectReason = error.reason;
    detail.status = error.status;
    detail.targetOrigin = error.targetOrigin;
  }
  if (error instanceof CanvasBodyTooLargeError) detail.limitBytes = error.limitBytes;
  if (error instanceof CanvasTokenError) {
    detail.tokenReason = error.reason;
    detail.status = error.status;
    detail.oauthError = error.oauthError;
  }
  return detail;
}

/**
 * The dead-letter reason of a permanent failure: `http-<status>` for an HTTP error, otherwise
 * the error's code in kebab case (`pagination-error`, `redirect-refused`, `sanitize-failed` …).
 */
function permanentReason(error: CanvasSyncError): string {
  if (error instanceof CanvasHttpError) return `http-${error.status}`;
  return error.code.toLowerCase().replaceAll('_', '-');
}

/**
 * Decides the fate of a task whose fetch failed (pure but for `random`), by the library's one
 * classification ({@link classifyFailure}), so a status means what it means to the client:
 * - throttles are retried after `throttleDelayMs` (or a longer `Retry-After`) without counting
 *   against the task;
 * - permanent failures (401 token, 403 permission, 404, 409, 422, 501 …, pagination refusals,
 *   invalid options, refused redirects, oversized bodies, refused token refreshes, responses the
 *   sanitizer refuses) are dead-lettered at once, with reason `http-<status>` or the error's
 *   code in kebab case (`sanitize-failed`, `redirect-refused` …);
 * - transient failures (408, 5xx but 501, network, timeout, invalid JSON), and work cut short
 *   (an abort, a closed client or sink: the task is not lost), are retried with the library's
 *   one backoff ({@link backoffDelay}: exponential, full jitter) until `maxAttempts` deliveries
 *   have failed (`'max-attempts'`);
 * - errors that are not canvas-sync's, such as a sink's I/O error, are retried the same way,
 *   then dead-lettered as `'unexpected-error'`, keeping only the error's name.
 */
export function resultOfFailure(
  task: SyncTask,
  error: unknown,
  policy: TaskRetryPolicy,
  random: () => number = Math.random,
): HandlerResult {
  const failure = classifyFailure(error);
  if (!(error instanceof CanvasSyncError)) {
    // A sink's I/O error (a full disk), a sanitizer's bug: retried like a transient failure, in
    // case it passes, then dead-lettered as unexpected. Only the error's name is kept.
    const name = error instanceof Error ? error.name : typeof error;
    return failureRetry(task, policy, random, 'unexpected-error', undefined, { error: name });
  }
  const detail = detailOf(error);
  switch (failure) {
    case 'throttled':
      return {
        type: 'retry',
        delayMs: Math.max(
          policy.throttleDelayMs,
          error instanceof CanvasRateLimitError ? (error.retryAfterMs ?? 0) : 0,
        ),
        countsAsFailure: false,
      };
    case 'permanent':
      // The same status, the same redirect, the same oversized body, the same refused
      // response on every attempt: poison, not a transient failure.
      return { type: 'dead-letter', reason: permanentReason(error), code: error.code, detail };
    default:
      return failureRetry(task, policy, random, 'max-attempts', error.code, detail);
  }
}

/** Retry with backoff, or dead-letter with `reason` once `maxAttempts` deliveries have failed. */
function failureRetry(
  task: SyncTask,
  policy: TaskRetryPolicy,
  random: () => number,
  reason: string,
  code: string | undefined,
  detail: Record<string, string | number | undefined>,
): HandlerResult {
  const failures = task.retries.failures + 1;
  if (failures >= policy.maxAttempts) {
    const letter = { type: 'dead-letter', reason, detail: { ...detail, failures } } as const;
    return code === undefined ? letter : { ...letter, code };
  }
  return { type: 'retry', delayMs: backoffDelay(failures, policy, random), countsAsFailure: true };
}
