import { describe, expect, it } from 'vitest';
import {
  CanvasAbortError,
  CanvasAuthError,
  CanvasBodyTooLargeError,
  CanvasClientClosedError,
  CanvasHttpError,
  CanvasNetworkError,
  CanvasOptionsError,
  CanvasPaginationError,
  CanvasRateLimitError,
  CanvasRedirectError,
  CanvasResponseError,
  CanvasSanitizeError,
  CanvasTimeoutError,
  CanvasTokenError,
} from '../../src/index.js';
import { classifyFailure } from '../../src/retry/failure-class.js';
import { classifyStatus } from '../../src/retry/retry-policy.js';

const request = { method: 'GET', url: 'https://canvas.example.edu/api/v1/courses', attempts: 1 };
const http = (status: number) => new CanvasHttpError({ ...request, status });

describe('classifyFailure: one classification for client, worker and producers', () => {
  it.each([408, 500, 502, 503, 504])('a %i is retryable', (status) => {
    expect(classifyFailure(http(status))).toBe('retryable');
  });

  it.each([400, 401, 403, 404, 405, 409, 410, 422, 501, 505])('a %i is permanent', (status) => {
    expect(classifyFailure(http(status))).toBe('permanent');
  });

  it('agrees with the client on every status from 400 to 599', () => {
    for (let status = 400; status < 600; status++) {
      if (status === 429) continue; // a throttle reaches the others as CanvasRateLimitError
      const client = classifyStatus(status, '');
      expect(classifyFailure(http(status)), String(status)).toBe(client);
    }
  });

  it('classifies throttles, transient and permanent errors of every family', () => {
    const cases: [unknown, string][] = [
      [new CanvasRateLimitError({ ...request, status: 429, throttleRetries: 20 }), 'throttled'],
      [new CanvasAuthError({ ...request, status: 401 }), 'permanent'],
      [new CanvasNetworkError({ ...request, cause: new Error('ECONNRESET') }), 'retryable'],
      [new CanvasTimeoutError({ ...request, timeoutMs: 1000 }), 'retryable'],
      [new CanvasResponseError({ ...request, status: 200 }), 'retryable'],
      [new CanvasTokenError({ reason: 'provider-failed' }), 'retryable'],
      [new CanvasTokenError({ reason: 'oauth-error', status: 400 }), 'permanent'],
      [
        new CanvasPaginationError({
          reason: 'foreign-origin',
          url: request.url,
          nextUrl: 'https://x.example/',
        }),
        'permanent',
      ],
      [
        new CanvasOptionsError({ what: 'options', issues: [{ path: 'x', message: 'bad' }] }),
        'permanent',
      ],
      [
        new CanvasRedirectError({
          ...request,
          reason: 'foreign-origin',
          status: 302,
          maxRedirects: 5,
        }),
        'permanent',
      ],
      [new CanvasBodyTooLargeError({ ...request, status: 200, limitBytes: 10 }), 'permanent'],
      [new CanvasSanitizeError({ reason: 'too-deep', maxDepth: 64 }), 'permanent'],
      [new CanvasAbortError(), 'stopped'],
      [new CanvasClientClosedError(), 'stopped'],
      [new Error('disk full'), 'unexpected'],
      ['a string', 'unexpected'],
    ];
    for (const [error, expected] of cases) {
      expect(classifyFailure(error), String((error as Error).name ?? error)).toBe(expected);
    }
  });
});
