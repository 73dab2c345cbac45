/**
 * Pure retry decisions: classify a response, parse `Retry-After`, compute backoff and decide
 * whether and when to try again. No clock reads, no randomness of its own: `nowMs` and `random`
 * are passed in.
 *
 * @module
 */
import { z } from 'zod';

/**
 * How requests are retried. All durations in milliseconds.
 * @category Client
 */
export interface RetryOptions {
  /**
   * Total attempts for real failures (5xx, network errors, timeouts, invalid JSON), the first
   * attempt included. Throttled responses do not count. `1` disables retries.
   * Minimum: 1.
   * @defaultValue 5
   */
  maxAttempts: number;
  /**
   * Base of the exponential backoff: the ceiling of the n-th retry's delay is
   * `baseDelayMs * 2 ** (n - 1)`, capped at {@link RetryOptions.maxDelayMs}.
   * Minimum: 0.
   * @defaultValue 500
   */
  baseDelayMs: number;
  /**
   * Cap of the exponential backoff.
   * Minimum: 0.
   * @defaultValue 30_000
   */
  maxDelayMs: number;
  /**
   * Cap applied to a `Retry-After` header (a proxy could ask for hours).
   * Minimum: 0.
   * @defaultValue 60_000
   */
  maxRetryAfterMs: number;
  /**
   * Whether non-idempotent requests (POST, PATCH) are retried after 5xx responses, network
   * errors and timeouts, which may have reached Canvas and taken effect. Throttled requests are
   * always retried: Canvas rejects them before running them.
   * @defaultValue false
   */
  retryNonIdempotent: boolean;
  /**
   * Throttled responses (429, or 403 "Rate Limit Exceeded") retried for one request before
   * giving up with `CanvasRateLimitError`. Bounded because a blocked token is throttled forever.
   * Minimum: 0.
   * @defaultValue 20
   */
  maxThrottleRetries: number;
}

/**
 * The longest delay Node's timers keep, in ms (2^31 − 1, about 24.8 days): a longer one
 * overflows and fires after 1 ms. Every duration option is bounded by it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The defaults of {@link RetryOptions}. Frozen. */
export const defaultRetryOptions: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  retryNonIdempotent: false,
  maxThrottleRetries: 20,
});

/**
 * Schema of user-supplied retry options: every field optional, unknown keys rejected, durations
 * and counts non-negative integers, durations at most {@link MAX_TIMER_MS}, `maxAttempts` at least 1. Merge the result over
 * {@link defaultRetryOptions}.
 * @internal
 */
export const retryOptionsSchema = z.strictObject({
  maxAttempts: z.number().int().min(1).optional(),
  baseDelayMs: z.number().int().min(0).max(MAX_TIMER_MS).optional(),
  maxDelayMs: z.number().int().min(0).max(MAX_TIMER_MS).optional(),
  maxRetryAfterMs: z.number().int().min(0).max(MAX_TIMER_MS).optional(),
  retryNonIdempotent: z.boolean().optional(),
  maxThrottleRetries: z.number().int().min(0).optional(),
});

/** HTTP methods that may be repeated without changing the result (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'PUT',
  'DELETE',
  'OPTIONS',
]);

/**
 * What a response or failure means for retrying:
 * - `success`: done (2xx, 3xx);
 * - `throttled`: Canvas's rate limiter rejected the request before running it; retry after the
 *   bucket leaks, without using up an attempt;
 * - `retryable`: a transient failure (5xx gateway/server errors, 408, network errors, timeouts,
 *   invalid JSON); retry with backoff;
 * - `permanent`: retrying will not help (401, other 403, 404, 422, …).
 */
export type ResponseClass = 'success' | 'throttled' | 'retryable' | 'permanent';

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 500, 502, 503, 504]);

/**
 * Whether a response is Canvas's rate limiter saying no: any 429, or a 403 whose body contains
 * `Rate Limit Exceeded` (any case). Any other 403 is a real permission error.
 *
 * @param status - HTTP status.
 * @param bodyText - The response body as text (`''` if not read).
 */
export function isThrottleResponse(status: number, bodyText: string): boolean {
  if (status === 429) return true;
  return status === 403 && /rate limit exceeded/i.test(bodyText);
}

/**
 * Classifies a response: 2xx/3xx `success`; throttling (see {@link isThrottleResponse})
 * `throttled`; 408, 500, 502, 503, 504 `retryable`; everything else `permanent`.
 *
 * @example
 * ```ts
 * classifyStatus(403, '403 Forbidden (Rate Limit Exceeded)\n'); // 'throttled'
 * classifyStatus(403, '{"errors":[{"message":"forbidden"}]}'); // 'permanent'
 * ```
 */
export function classifyStatus(status: number, bodyText: string): ResponseClass {
  if (status >= 200 && status < 400) return 'success';
  if (isThrottleResponse(status, bodyText)) return 'throttled';
  if (RETRYABLE_STATUSES.has(status)) return 'retryable';
  return 'permanent';
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ([a-z]{3}) (\\d{4}) ${TIME} gmt$`, 'i');
/** Obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC_850 = new RegExp(`^${DAY}, (\\d{2})-([a-z]{3})-(\\d{2}) ${TIME} gmt$`, 'i');
/** Obsolete asctime: `Sun Nov  6 08:49:37 1994`. */
const ASCTIME = new RegExp(`^${DAY} ([a-z]{3}) +(\\d{1,2}) ${TIME} (\\d{4})$`, 'i');

/**
 * Parses a `Retry-After` header into a delay from `nowMs`.
 *
 * @param value - The header value: delta-seconds (`120`, also decimal `1.5`), or an HTTP-date in
 *   any of the three formats of RFC 9110 (IMF-fixdate, RFC 850, asctime; all UTC).
 * @param nowMs - The current time, in epoch milliseconds.
 * @returns The delay in whole milliseconds (rounded up), `0` for a date in the past, `undefined`
 *   for an absent, negative or unparseable value. Not capped: see
 *   {@link RetryOptions.maxRetryAfterMs}.
 *
 * @example
 * ```ts
 * parseRetryAfter('2', 0);                                   // 2000
 * parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4_000);   // 6000
 * parseRetryAfter('soon', 0);                                // undefined
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    const ms = Math.ceil(Number(text) * 1000);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const dateMs = parseHttpDate(text);
  if (dateMs === undefined) return undefined;
  return Math.max(0, Math.ceil(dateMs - nowMs));
}

/** Parses an HTTP-date (RFC 9110 §5.6.7) into epoch milliseconds. */
function parseHttpDate(text: string): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) {
    const [, day, month, year, h, m, s] = match;
    return utc(year, month, day, h, m, s);
  }
  match = RFC_850.exec(text);
  if (match !== null) {
    const [, day, month, yy, h, m, s] = match;
    const twoDigit = Number(yy);
    return utc(String(twoDigit < 70 ? 2000 + twoDigit : 1900 + twoDigit), month, day, h, m, s);
  }
  match = ASCTIME.exec(text);
  if (match !== null) {
    const [, month, day, h, m, s, year] = match;
    return utc(year, month, day, h, m, s);
  }
  return undefined;
}

function utc(
  yearText: string | undefined,
  monthText: string | undefined,
  dayText: string | undefined,
  hourText: string | undefined,
  minuteText: string | undefined,
  secondText: string | undefined,
): number | undefined {
  const month = MONTHS.indexOf((monthText ?? '').toLowerCase());
  const [year, day, hour, minute, second] = [
    yearText,
    dayText,
    hourText,
    minuteText,
    secondText,
  ].map(Number);
  if (
    month === -1 ||
    year === undefined ||
    day === undefined ||
    hour === undefined ||
    minute === undefined ||
    second === undefined ||
    hour > 23 ||
    minute > 59 ||
    second > 60
  ) {
    return undefined;
  }
  const ms = Date.UTC(year, month, day, hour, minute, second);
  const date = new Date(ms);
  // Reject dates that roll over (31 Feb).
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month) return undefined;
  return ms;
}

/**
 * The delay before the n-th retry after a real failure: exponential backoff with full jitter,
 * `floor(random() * min(maxDelayMs, baseDelayMs * 2 ** (failures - 1)))`.
 *
 * @param failures - Real failures so far, the last one included; values below 1 count as 1.
 * @param options - `baseDelayMs` and `maxDelayMs` (see {@link RetryOptions}).
 * @param random - A source of numbers in `[0, 1)`, e.g. `Math.random`; out-of-range values are
 *   clamped.
 * @returns The delay in whole milliseconds, in `[0, min(maxDelayMs, baseDelayMs * 2 ** (failures - 1)))`
 *   (or exactly 0 when that ceiling is 0).
 *
 * @example
 * ```ts
 * backoffDelay(3, { baseDelayMs: 500, maxDelayMs: 30_000 }, () => 0.5); // 1000 (half of 2000)
 * ```
 */
export function backoffDelay(
  failures: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const exponent = Math.min(Math.max(Math.floor(failures), 1) - 1, 1000);
  const ceiling = Math.max(0, Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent));
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
  return Math.floor(unit * ceiling);
}

/** Everything {@link decideRetry} needs to know about a failed attempt. */
export interface RetryInput {
  /** HTTP method of the request (any case). */
  method: string;
  /** How the attempt ended. */
  outcome: Exclude<ResponseClass, 'success'>;
  /** Real failures (retryable outcomes) so far, this one included. */
  failures: number;
  /** Throttled responses so far, this one included. */
  throttles: number;
  /** The parsed `Retry-After`, in milliseconds, if the response had one. */
  retryAfterMs: number | undefined;
  /** The retry options in effect. */
  options: RetryOptions;
  /** A source of numbers in `[0, 1)` for the backoff jitter. */
  random: () => number;
}

/**
 * Whether to try again, and when.
 * - `retry: false` with why: a permanent failure, a non-idempotent method after a retryable
 *   failure, `maxAttempts` used up, or `maxThrottleRetries` used up.
 * - `retry: true` with the delay in milliseconds and whether the retry uses up an attempt
 *   (throttled retries do not).
 */
export type RetryDecision =
  | {
      retry: false;
      reason: 'permanent' | 'not-idempotent' | 'attempts-exhausted' | 'throttle-retries-exhausted';
    }
  | { retry: true; delayMs: number; countsAsFailure: boolean };

/**
 * Decides whether a failed attempt is retried, and after how long.
 *
 * - `permanent`: never retried.
 * - `throttled`: retried (any method: Canvas rejected it before running it) while
 *   `throttles <= maxThrottleRetries`, without using up an attempt; the delay is the
 *   `Retry-After` capped at `maxRetryAfterMs`, else 0 (the pacer holds the request until the
 *   bucket has leaked enough).
 * - `retryable`: retried only for idempotent methods (see {@link IDEMPOTENT_METHODS}) unless
 *   `retryNonIdempotent`, while `failures < maxAttempts`; the delay is the capped `Retry-After`
 *   if given (a 503 may send one), else {@link backoffDelay}.
 *
 * @example
 * ```ts
 * decideRetry({ method: 'GET', outcome: 'retryable', failures: 1, throttles: 0,
 *   retryAfterMs: undefined, options: { ...defaultRetryOptions }, random: () => 0.5 });
 * // { retry: true, delayMs: 250, countsAsFailure: true }
 * ```
 */
export function decideRetry(input: RetryInput): RetryDecision {
  const { options } = input;
  const cappedRetryAfter =
    input.retryAfterMs === undefined
      ? undefined
      : Math.min(Math.max(input.retryAfterMs, 0), options.maxRetryAfterMs);

  switch (input.outcome) {
    case 'permanent':
      return { retry: false, reason: 'permanent' };
    case 'throttled':
      if (input.throttles > options.maxThrottleRetries) {
        return { retry: false, reason: 'throttle-retries-exhausted' };
      }
      return { retry: true, delayMs: cappedRetryAfter ?? 0, countsAsFailure: false };
    case 'retryable':
      if (!options.retryNonIdempotent && !IDEMPOTENT_METHODS.has(input.method.toUpperCase())) {
        return { retry: false, reason: 'not-idempotent' };
      }
      if (input.failures >= options.maxAttempts) {
        return { retry: false, reason: 'attempts-exhausted' };
      }
      return {
        retry: true,
        delayMs: cappedRetryAfter ?? backoffDelay(input.failures, options, input.random),
        countsAsFailure: true,
      };
  }
}
