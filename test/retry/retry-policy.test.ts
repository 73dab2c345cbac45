import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyStatus,
  decideRetry,
  defaultRetryOptions,
  IDEMPOTENT_METHODS,
  isThrottleResponse,
  parseRetryAfter,
  type RetryInput,
  type RetryOptions,
  retryOptionsSchema,
} from '../../src/retry/retry-policy.js';

const RATE_LIMIT_BODY = '403 Forbidden (Rate Limit Exceeded)\n';

describe('isThrottleResponse and classifyStatus', () => {
  it.each([
    [200, '', 'success'],
    [201, '', 'success'],
    [204, '', 'success'],
    [304, '', 'success'],
    [429, '', 'throttled'],
    [429, 'Too Many Requests', 'throttled'],
    [403, RATE_LIMIT_BODY, 'throttled'],
    [403, 'rate limit exceeded', 'throttled'],
    [403, '{"errors":[{"message":"user not authorized to perform that action"}]}', 'permanent'],
    [403, '', 'permanent'],
    [500, '{"errors":[{"message":"An error occurred."}]}', 'retryable'],
    [502, '', 'retryable'],
    [503, '', 'retryable'],
    [504, '', 'retryable'],
    [408, '', 'retryable'],
    [501, '', 'permanent'],
    [400, '', 'permanent'],
    [401, '', 'permanent'],
    [404, '', 'permanent'],
    [409, '', 'permanent'],
    [422, '', 'permanent'],
    [400, RATE_LIMIT_BODY, 'permanent'],
    [100, '', 'permanent'],
  ] as const)('%i %j is %s', (status, body, outcome) => {
    expect(classifyStatus(status, body)).toBe(outcome);
    expect(isThrottleResponse(status, body)).toBe(outcome === 'throttled');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2025, 9, 6, 12, 0, 0);

  it('parses delta-seconds, integer and decimal', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 7 ', now)).toBe(7000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('0.0001', now)).toBe(1);
  });

  it('parses an IMF-fixdate relative to the injected now', () => {
    expect(parseRetryAfter('Mon, 06 Oct 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 06 Oct 2025 12:00:30 GMT', now + 10_000)).toBe(20_000);
  });

  it('parses the obsolete RFC 850 and asctime forms', () => {
    expect(parseRetryAfter('Monday, 06-Oct-25 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Mon Oct  6 12:00:05 2025', now)).toBe(5000);
  });

  it('returns 0 for a date in the past', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(0);
    expect(parseRetryAfter('Mon, 06 Oct 2025 11:59:59 GMT', now)).toBe(0);
  });

  it.each([
    null,
    undefined,
    '',
    'soon',
    '-5',
    '-0.5',
    '1e3',
    '12abc',
    'NaN',
    'Infinity',
    '2025-10-06T12:00:30Z',
    'Mon, 31 Feb 2025 12:00:30 GMT',
    'Mon, 06 Foo 2025 12:00:30 GMT',
    'Mon, 06 Oct 2025 25:00:30 GMT',
    'Mon, 06 Oct 2025 12:00:30 PST',
    '1'.repeat(400),
  ])('returns undefined for %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  const options = { baseDelayMs: 500, maxDelayMs: 30_000 };

  it('is 0 when random() is 0', () => {
    for (let failures = 1; failures <= 10; failures++) {
      expect(backoffDelay(failures, options, () => 0)).toBe(0);
    }
  });

  it('stays just under the ceiling when random() is close to 1', () => {
    expect(backoffDelay(1, options, () => 0.999)).toBe(499);
    expect(backoffDelay(2, options, () => 0.999)).toBe(999);
    expect(backoffDelay(1, options, () => 0.999_999_999)).toBe(499);
  });

  it('doubles its ceiling with each failure', () => {
    const ceilings = [1, 2, 3, 4, 5, 6].map((failures) =>
      backoffDelay(failures, options, () => 0.5),
    );
    expect(ceilings).toEqual([250, 500, 1000, 2000, 4000, 8000]);
  });

  it('is capped at maxDelayMs', () => {
    expect(backoffDelay(7, options, () => 0.5)).toBe(15_000); // 32_000 capped to 30_000
    expect(backoffDelay(50, options, () => 0.999)).toBe(29_970);
    expect(backoffDelay(10_000, options, () => 0.5)).toBe(15_000);
  });

  it('clamps out-of-range inputs', () => {
    expect(backoffDelay(0, options, () => 0.5)).toBe(250);
    expect(backoffDelay(1, options, () => 1)).toBe(499);
    expect(backoffDelay(1, options, () => -1)).toBe(0);
    expect(backoffDelay(1, options, () => Number.NaN)).toBe(0);
    expect(backoffDelay(3, { baseDelayMs: 0, maxDelayMs: 30_000 }, () => 0.5)).toBe(0);
    expect(backoffDelay(3, { baseDelayMs: 500, maxDelayMs: 0 }, () => 0.5)).toBe(0);
  });
});

describe('decideRetry', () => {
  const options: RetryOptions = { ...defaultRetryOptions };
  const input = (overrides: Partial<RetryInput>): RetryInput => ({
    method: 'GET',
    outcome: 'retryable',
    failures: 1,
    throttles: 0,
    retryAfterMs: undefined,
    options,
    random: () => 0.5,
    ...overrides,
  });

  it('never retries a permanent failure', () => {
    expect(decideRetry(input({ outcome: 'permanent' }))).toEqual({
      retry: false,
      reason: 'permanent',
    });
  });

  describe('throttled', () => {
    it('retries without consuming an attempt and without delay of its own', () => {
      expect(decideRetry(input({ outcome: 'throttled', throttles: 1, failures: 0 }))).toEqual({
        retry: true,
        delayMs: 0,
        countsAsFailure: false,
      });
    });

    it('retries any method, even with attempts used up', () => {
      expect(
        decideRetry(input({ outcome: 'throttled', method: 'post', throttles: 3, failures: 5 })),
      ).toEqual({ retry: true, delayMs: 0, countsAsFailure: false });
    });

    it('honours Retry-After, capped', () => {
      expect(
        decideRetry(input({ outcome: 'throttled', throttles: 1, retryAfterMs: 2000 })),
      ).toEqual({ retry: true, delayMs: 2000, countsAsFailure: false });
      expect(
        decideRetry(input({ outcome: 'throttled', throttles: 1, retryAfterMs: 3_600_000 })),
      ).toEqual({ retry: true, delayMs: 60_000, countsAsFailure: false });
    });

    it('retries while throttles <= maxThrottleRetries, then gives up', () => {
      expect(decideRetry(input({ outcome: 'throttled', throttles: 20 })).retry).toBe(true);
      expect(decideRetry(input({ outcome: 'throttled', throttles: 21 }))).toEqual({
        retry: false,
        reason: 'throttle-retries-exhausted',
      });
      const none = { ...options, maxThrottleRetries: 0 };
      expect(decideRetry(input({ outcome: 'throttled', throttles: 1, options: none }))).toEqual({
        retry: false,
        reason: 'throttle-retries-exhausted',
      });
    });
  });

  describe('retryable', () => {
    it('retries idempotent methods with backoff, consuming an attempt', () => {
      for (const method of ['GET', 'get', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']) {
        expect(decideRetry(input({ method, failures: 3 }))).toEqual({
          retry: true,
          delayMs: 1000,
          countsAsFailure: true,
        });
      }
    });

    it('uses a capped Retry-After instead of backoff when given', () => {
      expect(decideRetry(input({ retryAfterMs: 5000 }))).toEqual({
        retry: true,
        delayMs: 5000,
        countsAsFailure: true,
      });
      expect(decideRetry(input({ retryAfterMs: 999_999 }))).toEqual({
        retry: true,
        delayMs: 60_000,
        countsAsFailure: true,
      });
    });

    it('does not retry POST or PATCH unless allowed', () => {
      for (const method of ['POST', 'PATCH', 'post']) {
        expect(decideRetry(input({ method }))).toEqual({ retry: false, reason: 'not-idempotent' });
        expect(
          decideRetry(input({ method, options: { ...options, retryNonIdempotent: true } })),
        ).toEqual({ retry: true, delayMs: 250, countsAsFailure: true });
      }
    });

    it('retries while failures < maxAttempts', () => {
      expect(decideRetry(input({ failures: 4 })).retry).toBe(true);
      expect(decideRetry(input({ failures: 5 }))).toEqual({
        retry: false,
        reason: 'attempts-exhausted',
      });
      const single = { ...options, maxAttempts: 1 };
      expect(decideRetry(input({ failures: 1, options: single }))).toEqual({
        retry: false,
        reason: 'attempts-exhausted',
      });
    });
  });
});

describe('defaults and schema', () => {
  it('has the documented defaults, frozen', () => {
    expect(defaultRetryOptions).toEqual({
      maxAttempts: 5,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      maxRetryAfterMs: 60_000,
      retryNonIdempotent: false,
      maxThrottleRetries: 20,
    });
    expect(Object.isFrozen(defaultRetryOptions)).toBe(true);
    expect(retryOptionsSchema.parse(defaultRetryOptions)).toEqual(defaultRetryOptions);
  });

  it('lists the idempotent methods', () => {
    expect([...IDEMPOTENT_METHODS].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PUT']);
  });

  it('accepts partial options and rejects bad ones', () => {
    expect(retryOptionsSchema.parse({})).toEqual({});
    expect(retryOptionsSchema.parse({ maxAttempts: 1, maxThrottleRetries: 0 })).toEqual({
      maxAttempts: 1,
      maxThrottleRetries: 0,
    });
    for (const bad of [
      { maxAttempts: 0 },
      { maxAttempts: 1.5 },
      { baseDelayMs: -1 },
      { maxDelayMs: Number.POSITIVE_INFINITY },
      { retryNonIdempotent: 'yes' },
      { maxAttemps: 3 },
    ]) {
      expect(retryOptionsSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
