import { describe, expect, it } from 'vitest';
import {
  CanvasClientClosedError,
  CanvasHttpError,
  CanvasNetworkError,
  CanvasPaginationError,
  CanvasRateLimitError,
  createTask,
} from '../../src/index.js';
import type { SyncTask } from '../../src/queue/task.js';
import { defaultTaskRetryPolicy, resultOfFailure } from '../../src/worker/outcome.js';

const request = {
  method: 'GET',
  url: 'https://canvas.example.edu/api/v1/courses/1/users',
  attempts: 1,
};
const http = (status: number) => new CanvasHttpError({ ...request, status });
const policy = { ...defaultTaskRetryPolicy, baseDelayMs: 1_000, maxDelayMs: 8_000 };

function taskAfter(failures: number): SyncTask {
  const task = createTask({ kind: 'course.users', path: '/api/v1/courses/1/users' });
  return { ...task, retries: { ...task.retries, failures } };
}

describe("resultOfFailure: the client's classification and backoff", () => {
  it.each([409, 501, 405])(
    'dead-letters a %i at once, as the client and producers do',
    (status) => {
      expect(resultOfFailure(taskAfter(0), http(status), policy, () => 0.5)).toEqual({
        type: 'dead-letter',
        reason: `http-${status}`,
        code: 'HTTP_ERROR',
        detail: { error: 'CanvasHttpError', status, requestContextId: undefined },
      });
    },
  );

  it.each([408, 500, 503])('retries a %i with the jittered exponential backoff', (status) => {
    expect(resultOfFailure(taskAfter(0), http(status), policy, () => 0.5)).toEqual({
      type: 'retry',
      delayMs: 500, // half of the first ceiling, baseDelayMs
      countsAsFailure: true,
    });
    // The third failure's ceiling is 4 × baseDelayMs; the draw is scaled into it.
    const third = resultOfFailure(
      taskAfter(2),
      http(status),
      { ...policy, maxAttempts: 5 },
      () => 0.25,
    );
    expect(third).toEqual({ type: 'retry', delayMs: 1_000, countsAsFailure: true });
  });

  it('caps the backoff at maxDelayMs and draws below it', () => {
    const draws = [0, 0.5, 0.999_999].map((r) =>
      resultOfFailure(
        taskAfter(8),
        new CanvasNetworkError({ ...request, cause: new Error('reset') }),
        { ...policy, maxAttempts: 20 },
        () => r,
      ),
    );
    expect(draws.map((d) => (d.type === 'retry' ? d.delayMs : -1))).toEqual([0, 4_000, 7_999]);
  });

  it('dead-letters with max-attempts once the deliveries are used up', () => {
    expect(resultOfFailure(taskAfter(2), http(503), policy, () => 0.5)).toMatchObject({
      type: 'dead-letter',
      reason: 'max-attempts',
      code: 'HTTP_ERROR',
      detail: { status: 503, failures: 3 },
    });
  });

  it('retries a throttle after throttleDelayMs or a longer Retry-After, without counting it', () => {
    const throttle = (retryAfterMs: number | undefined) =>
      new CanvasRateLimitError({ ...request, status: 429, throttleRetries: 20, retryAfterMs });
    expect(resultOfFailure(taskAfter(2), throttle(undefined), policy)).toEqual({
      type: 'retry',
      delayMs: policy.throttleDelayMs,
      countsAsFailure: false,
    });
    expect(resultOfFailure(taskAfter(0), throttle(60_000), policy)).toMatchObject({
      delayMs: 60_000,
    });
  });

  it('names every permanent reason in kebab case', () => {
    const pagination = new CanvasPaginationError({
      reason: 'foreign-origin',
      url: request.url,
      nextUrl: 'https://elsewhere.example/',
    });
    expect(resultOfFailure(taskAfter(0), pagination, policy)).toMatchObject({
      type: 'dead-letter',
      reason: 'pagination-error',
      code: 'PAGINATION_ERROR',
      detail: { paginationReason: 'foreign-origin' },
    });
  });

  it('retries a task cut short by a closed client instead of dead-lettering it at once', () => {
    expect(resultOfFailure(taskAfter(0), new CanvasClientClosedError(), policy, () => 0)).toEqual({
      type: 'retry',
      delayMs: 0,
      countsAsFailure: true,
    });
  });

  it('retries an unexpected error, then dead-letters it keeping only its name', () => {
    const error = new RangeError('disk full at /var/data/student-42.jsonl');
    expect(resultOfFailure(taskAfter(0), error, policy, () => 0.5)).toMatchObject({
      type: 'retry',
    });
    expect(resultOfFailure(taskAfter(2), error, policy)).toEqual({
      type: 'dead-letter',
      reason: 'unexpected-error',
      detail: { error: 'RangeError', failures: 3 },
    });
  });
});
