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

/**
 * How the worker retries a task whose fetch failed after the client's own retries.
 * @category Pipeline
 */
export interface TaskRetryPolicy {
  /** Deliveries that may fail before the task is dead-lettered. @defaultValue 3. Minimum: 1 */
  readonly maxAttempts: number;
  /** Delay before the first retry, in ms; doubles with each failure. @defaultValue 5000 */
  readonly baseDelayMs: number;
  /** Longest delay between retries, in ms. @defaultValue 300000 */
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

/** HTTP statuses after which trying again cannot help: the token, a permission, the path. */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 410, 422]);

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
 * Decides the fate of a task whose fetch failed (pure). Throttles are retried
 * without counting against the task; permanent HTTP errors (401 token, 403
 * permission, 404 …), pagination refusals, invalid options, refused redirects, oversized bodies,
 * refused token refreshes and responses the sanitizer refuses (`SANITIZE_FAILED`, reason
 * `'sanitize-failed'`) are dead-lettered at once; transient failures are retried with exponential
 * backoff until `maxAttempts` deliveries have failed (`'max-attempts'`), and so are errors that
 * are not canvas-sync's, such as a sink's I/O error (`'unexpected-error'`).
 */
export function outcomeOfFailure(
  task: SyncTask,
  error: unknown,
  policy: TaskRetryPolicy,
): HandlerResult {
  if (!(error instanceof CanvasSyncError)) {
    // A sink's I/O error (a full disk), a sanitizer's bug: retried like a transient failure, in
    // case it passes, then dead-lettered as unexpected. Only the error's name is kept.
    const name = error instanceof Error ? error.name : typeof error;
    return failureRetry(task, policy, 'unexpected-error', undefined, { error: name });
  }
  const detail = detailOf(error);
  if (error instanceof CanvasRateLimitError) {
    return {
      type: 'retry',
      delayMs: Math.max(policy.throttleDelayMs, error.retryAfterMs ?? 0),
      countsAsFailure: false,
    };
  }
  if (error.code === 'SANITIZE_FAILED') {
    // The sanitizer refused the response (too deeply nested to sanitize, say): the same
    // response is refused again on every attempt, so it is poison, not a transient failure.
    return { type: 'dead-letter', reason: 'sanitize-failed', code: error.code, detail };
  }
  const permanent =
    (error instanceof CanvasHttpError && PERMANENT_STATUSES.has(error.status)) ||
    error.code === 'PAGINATION_ERROR' ||
    error.code === 'INVALID_OPTIONS' ||
    // The same redirect, the same oversized body, the same refused refresh: poison.
    error.code === 'REDIRECT_REFUSED' ||
    error.code === 'BODY_TOO_LARGE' ||
    (error instanceof CanvasTokenError && error.reason !== 'provider-failed');
  if (permanent) {
    const reason =
      error instanceof CanvasHttpError ? `http-${error.status}` : error.code.toLowerCase();
    return { type: 'dead-letter', reason, code: error.code, detail };
  }
  return failureRetry(task, policy, 'max-attempts', error.code, detail);
}

/** Retry with backoff, or dead-letter with `reason` once `maxAttempts` deliveries have failed. */
function failureRetry(
  task: SyncTask,
  policy: TaskRetryPolicy,
  reason: string,
  code: string | undefined,
  detail: Record<string, string | number | undefined>,
): HandlerResult {
  const failures = task.attempts.failures + 1;
  if (failures >= policy.maxAttempts) {
    const letter = { type: 'dead-letter', reason, detail: { ...detail, failures } } as const;
    return code === undefined ? letter : { ...letter, code };
  }
  const delayMs = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1));
  return { type: 'retry', delayMs, countsAsFailure: true };
}
