import { z } from 'zod';
import { CanvasOptionsError } from '../errors/index.js';
import type { FetchLike } from '../http/transport.js';
import { isLoopbackHost } from '../http/urls.js';
import { systemClock } from '../pacing/bucket-gate.js';
import {
  defaultPacingOptions,
  type PacingOptions,
  type ResolvedPacingOptions,
} from '../pacing/canvas-pacer.js';
import type { RedisClientLike } from '../pacing/fleet-budget.js';
import {
  defaultRetryOptions,
  MAX_TIMER_MS,
  type RetryOptions,
  retryOptionsSchema,
} from '../retry/retry-policy.js';

import type { TokenProvider } from './token-source.js';

export type { FetchLike };

/**
 * Anything that turns a parsed response body into what may leave the client,
 * such as `FerpaSanitizer`. Must be pure and must not mutate its input.
 * @category Client
 */
export interface ResponseSanitizer {
  /**
   * Returns what may leave the client in place of `value` (a parsed JSON body: a page of
   * records or one record). May throw to refuse it; the request then fails with that error.
   */
  sanitize(value: unknown): unknown;
}

/**
 * The time and timers of a {@link CanvasSyncClient}, injected (option `clock`) so that tests
 * control time. It reads time two ways because they answer different questions: `now()` is
 * monotonic, for the pacer's waits and its model of the bucket's leak, where only differences
 * count and a wall clock that steps (NTP) must not skew them; `epochNow()` is the wall clock,
 * for a `Retry-After` given as an HTTP date (an instant in UTC). A fake clock may derive both
 * from one counter.
 * @category Client
 */
export interface ClientClock {
  /** Monotonic time in ms from an arbitrary origin, as `performance.now()`. */
  now(): number;
  /** Wall-clock time in ms since the Unix epoch, as `Date.now()`. */
  epochNow(): number;
  /** Calls `callback` once, `ms` milliseconds of this clock from now; returns a handle. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer `setTimeout` returned, unless it has fired. */
  clearTimeout(handle: unknown): void;
}

/** `performance.now()`, `Date.now()` and Node's timers. */
export const systemClientClock: ClientClock = { ...systemClock, epochNow: () => Date.now() };

/**
 * Options of {@link CanvasSyncClient}. Only `baseUrl` and `token` are required.
 * @category Client
 */
export interface CanvasSyncClientOptions {
  /**
   * Root of the Canvas instance, e.g. `https://school.instructure.com`. Must be
   * `https://`, except for loopback hosts (`localhost`, `127.0.0.1`, `::1`).
   */
  baseUrl: string | URL;
  /**
   * The access token, or a function that returns one (see {@link TokenProvider}): called before
   * the first request and again when Canvas answers 401 "Expired access token.", e.g.
   * {@link refreshTokenProvider}. Every token is redacted by value from errors and events, and
   * only ever sent to `baseUrl`'s origin.
   */
  token: string | TokenProvider;
  /**
   * How the token is sent: `'header'` (`Authorization: Bearer`, recommended) or
   * `'query'` (`access_token` parameter, re-added to every `next` link, which
   * Canvas strips). @defaultValue 'header'
   */
  authMode?: 'header' | 'query';
  /** Pacing against the token's rate-limit bucket. */
  pacing?: PacingOptions;
  /** Retries of throttled and failed requests. */
  retry?: Partial<RetryOptions>;
  /**
   * Time allowed for one attempt (headers, body and redirects), in ms.
   * @defaultValue 30000. Range: 1..2147483647 (2^31 − 1, the longest timer Node keeps)
   */
  timeoutMs?: number;
  /**
   * Redirects to the Canvas origin followed in a row before the attempt fails with
   * `CanvasRedirectError`. A redirect to another origin is never followed. @defaultValue 5. Range: 0..20
   */
  maxRedirects?: number;
  /**
   * Largest response body read, in bytes: a body beyond it fails with `CanvasBodyTooLargeError`
   * the moment the limit is crossed. A page of 100 Canvas records is well under 1 MiB.
   * @defaultValue 33554432 (32 MiB). Range: 1024..1073741824 (1 GiB)
   */
  maxResponseBytes?: number;
  /** `per_page` asked for by `pages` and `paginate` unless given. @defaultValue 100. Range: 1..100 */
  perPage?: number;
  /**
   * Ask Canvas for ids as strings (`Accept: application/json+canvas-string-ids`),
   * safe beyond 2^53. @defaultValue false
   */
  stringIds?: boolean;
  /** Aborting it cancels every request of the client and closes it. */
  signal?: AbortSignal;
  /** A custom `fetch`, e.g. for tests or a proxy agent. @defaultValue globalThis.fetch */
  fetch?: FetchLike;
  /** Extra headers sent with every request (not `Authorization`). */
  headers?: Record<string, string>;
  /** Random source for backoff jitter, in `[0, 1)`. @defaultValue Math.random */
  random?: () => number;
  /**
   * Time and timers, for tests that control time (see {@link ClientClock}): the pacer waits for
   * the bucket's leak on its `now()` and `setTimeout`, retry backoff and `Retry-After` waits use
   * its `setTimeout`, and a `Retry-After` HTTP date is compared with its `epochNow()`. An
   * attempt's `timeoutMs` always runs on Node's timers: it bounds real network I/O.
   * @defaultValue the system clock: `performance.now()`, `Date.now()` and Node's timers
   */
  clock?: ClientClock;
  /**
   * Applied to every parsed body before `get`, `request`, `pages` or `paginate`
   * return it, e.g. a `FerpaSanitizer`; `false` to return bodies as Canvas sent
   * them. @defaultValue false
   */
  sanitizer?: ResponseSanitizer | false;
}

/** Options with every default filled in (the token kept apart). */
export interface ResolvedClientOptions {
  readonly baseUrl: URL;
  readonly authMode: 'header' | 'query';
  readonly pacing: ResolvedPacingOptions;
  readonly retry: RetryOptions;
  readonly timeoutMs: number;
  readonly maxRedirects: number;
  readonly maxResponseBytes: number;
  readonly perPage: number;
  readonly stringIds: boolean;
  readonly signal: AbortSignal | undefined;
  readonly fetch: FetchLike;
  readonly headers: Readonly<Record<string, string>>;
  readonly random: () => number;
  readonly clock: ClientClock;
  readonly sanitizer: ResponseSanitizer | undefined;
}

const positive = z.number().finite().positive();
const nonNegative = z.number().finite().nonnegative();

const pacingSchema = z
  .strictObject({
    highWaterMark: positive.optional(),
    upFrontCost: nonNegative.optional(),
    outflowPerSecond: positive.optional(),
    safetyMargin: nonNegative.optional(),
    maxConcurrent: z.number().int().min(1).max(1_000).optional(),
    windowMs: nonNegative.optional(),
    maxWaitMs: z.number().int().min(1_000).max(MAX_TIMER_MS).optional(),
    maxPlausibleRemaining: positive.optional(),
    maxPlausibleCost: positive.optional(),
    estimateTransit: z.boolean().optional(),
    redis: z
      .union([
        z
          .string()
          .refine(
            (value) => /^rediss?:\/\/[^\s]+$/.test(value),
            'must be a redis:// or rediss:// URL',
          ),
        z.custom<RedisClientLike>(
          (value) =>
            typeof value === 'object' &&
            value !== null &&
            typeof (value as { duplicate?: unknown }).duplicate === 'function',
          'must be a Redis URL or an ioredis client',
        ),
      ])
      .optional(),
    id: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]{1,200}$/, 'letters, digits, :, _, . and -, at most 200')
      .optional(),
    localShare: z.number().int().min(1).max(1_000).optional(),
    idleResetMs: z.number().int().min(1_000).max(MAX_TIMER_MS).optional(),
  })
  .superRefine((pacing, ctx) => {
    const highWaterMark = pacing.highWaterMark ?? defaultPacingOptions.highWaterMark;
    const upFrontCost = pacing.upFrontCost ?? defaultPacingOptions.upFrontCost;
    const safetyMargin = pacing.safetyMargin ?? defaultPacingOptions.safetyMargin;
    if (highWaterMark > 0 && highWaterMark <= upFrontCost + safetyMargin) {
      ctx.addIssue({
        code: 'custom',
        path: ['highWaterMark'],
        message: `must exceed upFrontCost + safetyMargin (${upFrontCost + safetyMargin}), or no request could ever go`,
      });
    }
    const maxPlausibleRemaining =
      pacing.maxPlausibleRemaining ?? defaultPacingOptions.maxPlausibleRemaining;
    if (highWaterMark > maxPlausibleRemaining) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxPlausibleRemaining'],
        message: `must be at least highWaterMark (${highWaterMark}), or every idle response would be ignored`,
      });
    }
  });

const baseUrlSchema = z.union([z.string(), z.instanceof(URL)]).transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
    return z.NEVER;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    ctx.addIssue({ code: 'custom', message: 'must use https://' });
    return z.NEVER;
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    ctx.addIssue({
      code: 'custom',
      message: `must use https:// (http:// is allowed for loopback hosts only, got ${url.hostname})`,
    });
    return z.NEVER;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    ctx.addIssue({ code: 'custom', message: 'must not carry credentials, a query or a fragment' });
    return z.NEVER;
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
});

const clockMethods = ['now', 'epochNow', 'setTimeout', 'clearTimeout'] as const;

const clientOptionsSchema = z.strictObject({
  baseUrl: baseUrlSchema,
  token: z.union(
    [
      z
        .string()
        .trim()
        .min(1, { error: 'must not be empty' })
        .refine((token) => !/\s/.test(token), { error: 'must not contain whitespace' }),
      z.function(),
    ],
    { error: 'must be a string or a function returning a Promise of one' },
  ),
  authMode: z.enum(['header', 'query']).optional(),
  pacing: pacingSchema.optional(),
  retry: retryOptionsSchema.optional(),
  timeoutMs: z.number().int().positive().max(MAX_TIMER_MS).optional(),
  maxRedirects: z.number().int().min(0).max(20).optional(),
  maxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 ** 3)
    .optional(),
  perPage: z.number().int().min(1).max(100).optional(),
  stringIds: z.boolean().optional(),
  signal: z.instanceof(AbortSignal).optional(),
  fetch: z.function().optional(),
  headers: z
    .record(z.string(), z.string())
    .refine(
      (headers) => !Object.keys(headers).some((name) => name.toLowerCase() === 'authorization'),
      {
        error: 'must not set Authorization (pass the token as `token`)',
      },
    )
    .optional(),
  random: z.function().optional(),
  clock: z
    .custom<ClientClock>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        clockMethods.every(
          (method) => typeof (value as Record<string, unknown>)[method] === 'function',
        ),
      { error: 'must be an object with now, epochNow, setTimeout and clearTimeout methods' },
    )
    .optional(),
  sanitizer: z
    .union([
      z.literal(false),
      z.custom<ResponseSanitizer>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as { sanitize?: unknown }).sanitize === 'function',
        { error: 'must be false or an object with a sanitize(value) method' },
      ),
    ])
    .optional(),
});

/**
 * Validates a Canvas base URL as the client does (`https://`, `http://` on loopback only, no
 * credentials, query or fragment; trailing slashes dropped).
 *
 * @throws CanvasOptionsError naming `baseUrl`.
 */
export function parseBaseUrl(value: string | URL, what: string): URL {
  const parsed = z.strictObject({ baseUrl: baseUrlSchema }).safeParse({ baseUrl: value });
  if (!parsed.success) throw CanvasOptionsError.fromZod(parsed.error, what);
  return parsed.data.baseUrl;
}

/** `defaults` overridden by the fields of `given` that are not `undefined`. */
function withDefaults<T extends object>(
  defaults: T,
  given: { [K in keyof T]?: T[K] | undefined } = {},
): T {
  const out = { ...defaults };
  for (const key of Object.keys(given) as (keyof T)[]) {
    const value = given[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Validates client options at construction.
 *
 * @throws CanvasOptionsError naming every invalid field; the token's value is never part of it.
 */
export function resolveClientOptions(options: CanvasSyncClientOptions): {
  resolved: ResolvedClientOptions;
  token: string | TokenProvider;
} {
  const parsed = clientOptionsSchema.safeParse(options);
  if (!parsed.success) throw CanvasOptionsError.fromZod(parsed.error, 'CanvasSyncClient options');
  const value = parsed.data;
  return {
    token: typeof options.token === 'function' ? options.token : (value.token as string),
    resolved: {
      baseUrl: value.baseUrl,
      authMode: value.authMode ?? 'header',
      pacing: withDefaults(defaultPacingOptions, value.pacing),
      retry: withDefaults(defaultRetryOptions, value.retry),
      timeoutMs: value.timeoutMs ?? 30_000,
      maxRedirects: value.maxRedirects ?? 5,
      maxResponseBytes: value.maxResponseBytes ?? 32 * 1024 * 1024,
      perPage: value.perPage ?? 100,
      stringIds: value.stringIds ?? false,
      signal: value.signal,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      headers: { ...value.headers },
      random: options.random ?? Math.random,
      clock: options.clock ?? systemClientClock,
      sanitizer: options.sanitizer === false ? undefined : options.sanitizer,
    },
  };
}
