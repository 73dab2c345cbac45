import { z } from 'zod';
import type { InstitutionOptions } from './data.js';

/**
 * The endpoints the simulator serves, by name (used to tune cost and latency per endpoint).
 * @category Testing
 */
export const endpointNames = [
  'users.self',
  'users.show',
  'accounts.show',
  'accounts.terms',
  'accounts.courses',
  'courses.show',
  'courses.users',
  'courses.enrollments',
  'courses.sections',
  'courses.assignments',
  'courses.assignment',
  'courses.students.submissions',
  'assignments.submissions',
  'submissions.update',
  'discussion_topics.index',
  'discussion_topics.entries',
  'users.page_views',
  'analytics.student_summaries',
] as const;

/**
 * Name of one simulated endpoint, e.g. `'courses.enrollments'`.
 * @category Testing
 */
export type EndpointName = (typeof endpointNames)[number];

/**
 * What a cost or latency model sees of a request.
 * @category Testing
 */
export interface SimulatedRequest {
  /** HTTP method, upper case. */
  readonly method: string;
  /** Path without the query string, e.g. `/api/v1/courses/101/enrollments`. */
  readonly path: string;
  /** The matched endpoint, or `undefined` for an unknown route (a 404). */
  readonly endpoint: EndpointName | undefined;
  /** Query parameters, `access_token` removed. */
  readonly searchParams: URLSearchParams;
  /** Number of records in the response body (0 for errors, 1 for a single object). */
  readonly items: number;
  /** A seeded random number in `[0, 1)`, so jittered models stay reproducible. */
  readonly random: () => number;
}

/**
 * A constant, or a function of the request.
 * @category Testing
 */
export type RequestModel = number | ((request: SimulatedRequest) => number);

const nonNegative = z.number().finite().nonnegative();
const rate = z.number().min(0).max(1);
const model = z.union([nonNegative, z.function()]);
const transit = z.union(
  [nonNegative, z.strictObject({ meanMs: nonNegative, jitterMs: nonNegative })],
  { error: 'expected a finite number of ms >= 0, or { meanMs, jitterMs } of such numbers' },
);

/**
 * A one-way network delay that varies: each direction of each request draws its own delay,
 * uniform in `[meanMs − jitterMs, meanMs + jitterMs]`, from the simulator's seeded transit
 * stream (so a given seed and request sequence always meets the same delays).
 * @category Testing
 */
export interface TransitJitter {
  /** Mean one-way delay, in ms. Minimum: 0. */
  readonly meanMs: number;
  /** Largest departure from `meanMs` either way, in ms. Minimum: 0; at most `meanMs`. */
  readonly jitterMs: number;
}

const endpointSettingsSchema = z.strictObject({
  cost: model.optional(),
  latencyMs: model.optional(),
  upFrontCost: nonNegative.optional(),
});

/** Validates {@link SimulatorFaults}; unknown keys are rejected. @internal */
export const faultsSchema = z.strictObject({
  /** Share of requests answered 500, 502 or 503 (JSON error body, cost charged). */
  serverErrorRate: rate.optional(),
  /** Which statuses a server error uses, picked at random. @defaultValue [500, 502, 503] */
  serverErrorStatuses: z
    .array(z.union([z.literal(500), z.literal(502), z.literal(503)]))
    .min(1)
    .optional(),
  /** Share of requests whose connection is reset after the headers and part of the body. */
  resetRate: rate.optional(),
  /** Share of requests delayed by `slowMs` on top of their latency. */
  slowRate: rate.optional(),
  /** Extra delay of a slow response, in ms. @defaultValue 30000 */
  slowMs: nonNegative.optional(),
  /** Share of 200 responses whose JSON body is cut short. */
  malformedJsonRate: rate.optional(),
  /** Share of throttled responses that carry a `Retry-After` header. */
  retryAfterRate: rate.optional(),
  /** How `Retry-After` is written. @defaultValue 'seconds' */
  retryAfterFormat: z.enum(['seconds', 'http-date']).optional(),
  /** The `Retry-After` value in seconds. @defaultValue 1 */
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  /**
   * Share of requests for page 2 or later of a numbered collection before which a
   * record is inserted at (duplicates) or deleted from (skips) the head of the collection.
   */
  mutationRate: rate.optional(),
  /** Share of paginated responses whose `next` link points at `foreignOrigin`. */
  foreignNextRate: rate.optional(),
  /** Share of bookmark pages whose `next` link carries an invalid bookmark (Canvas restarts at page 1). */
  invalidBookmarkRate: rate.optional(),
  /** Origin used by `foreignNextRate`. @defaultValue 'https://attacker.example' */
  foreignOrigin: z.url().optional(),
  /** Only requests whose path matches this expression get faults. @defaultValue every path */
  pathPattern: z.instanceof(RegExp).optional(),
});

/**
 * Faults the simulator injects, each at a rate in `[0, 1]` drawn from the seeded
 * fault stream, so a given seed and request sequence always meets the same faults.
 * @category Testing
 */
export interface SimulatorFaults {
  /** Share of requests answered 500, 502 or 503 (Canvas error JSON, cost charged). */
  serverErrorRate?: number | undefined;
  /** Which statuses a server error uses, picked at random. @defaultValue [500, 502, 503] */
  serverErrorStatuses?: (500 | 502 | 503)[] | undefined;
  /** Share of requests whose connection is reset after the headers and part of the body. */
  resetRate?: number | undefined;
  /** Share of requests delayed by `slowMs` on top of their latency. */
  slowRate?: number | undefined;
  /** Extra delay of a slow response, in ms. @defaultValue 30000 */
  slowMs?: number | undefined;
  /** Share of 200 responses whose JSON body is cut short. */
  malformedJsonRate?: number | undefined;
  /** Share of throttled responses that carry a `Retry-After` header. */
  retryAfterRate?: number | undefined;
  /** How `Retry-After` is written. @defaultValue 'seconds' */
  retryAfterFormat?: 'seconds' | 'http-date' | undefined;
  /** The `Retry-After` value in seconds. @defaultValue 1 */
  retryAfterSeconds?: number | undefined;
  /**
   * Share of requests for page 2 or later of a numbered collection before which a
   * record is inserted at (duplicates) or deleted from (skips) the head of the collection.
   */
  mutationRate?: number | undefined;
  /** Share of paginated responses whose `next` link points at `foreignOrigin`. */
  foreignNextRate?: number | undefined;
  /**
   * Share of bookmark pages whose `next` link carries an invalid bookmark: following
   * it silently restarts at the first page, as Canvas does.
   */
  invalidBookmarkRate?: number | undefined;
  /** Origin used by `foreignNextRate`. @defaultValue 'https://attacker.example' */
  foreignOrigin?: string | undefined;
  /** Only requests whose path matches this expression get faults. @defaultValue every path */
  pathPattern?: RegExp | undefined;
}

// The schema and the documented interface must describe the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const faultsShapeMatches: Same<z.output<typeof faultsSchema>, SimulatorFaults> = true;
void faultsShapeMatches;

/**
 * A permission rule: matching requests get a 401 without `WWW-Authenticate`.
 * @category Testing
 */
export interface ForbiddenRule {
  /** Path (without query) the rule applies to: exact string or expression. */
  readonly path: string | RegExp;
  /** Tokens the rule applies to. @defaultValue every token */
  readonly tokens?: readonly string[];
}

const forbiddenRuleSchema = z.strictObject({
  path: z.union([z.string().min(1), z.instanceof(RegExp)]),
  tokens: z.array(z.string().min(1)).optional(),
});

const institutionSchema = z
  .strictObject({
    seed: z.number().int().optional(),
    accountId: z.number().int().positive().optional(),
    terms: z.number().int().min(1).optional(),
    courses: z.number().int().nonnegative().optional(),
    sectionsPerCourse: z.number().int().min(1).optional(),
    students: z.number().int().nonnegative().optional(),
    studentsPerCourse: z.number().int().nonnegative().optional(),
    teachers: z.number().int().min(1).optional(),
    assignmentsPerCourse: z.number().int().nonnegative().optional(),
    topicsPerCourse: z.number().int().nonnegative().optional(),
    entriesPerTopic: z.number().int().nonnegative().optional(),
    pageViewsPerUser: z.number().int().nonnegative().optional(),
    commentsPerSubmission: z.number().int().nonnegative().optional(),
    pageViewDays: z.number().int().min(1).optional(),
    pageViewsUntil: z.number().int().nonnegative().optional(),
  })
  .optional();

/**
 * A developer key (OAuth2 client) the simulator knows.
 * @category Testing
 */
export interface OAuthClientOptions {
  /** The client id (a developer key id, e.g. `'10000000000001'`). */
  readonly clientId: string;
  /** The client secret. */
  readonly clientSecret: string;
  /** Refresh tokens granted to this client; each gets its own access token when refreshed. */
  readonly refreshTokens: readonly string[];
}

const oauthClientSchema = z.strictObject({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshTokens: z.array(z.string().min(1)).min(1),
});

/** Reports client ids and refresh tokens given twice (each names one grant). */
function checkOAuthClients(
  clients: readonly z.output<typeof oauthClientSchema>[],
  ctx: z.core.$RefinementCtx,
): void {
  const ids = new Set<string>();
  const refreshTokens = new Set<string>();
  for (const [index, client] of clients.entries()) {
    if (ids.has(client.clientId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['oauthClients', index, 'clientId'],
        message: 'clientId is given twice',
      });
    }
    ids.add(client.clientId);
    for (const token of client.refreshTokens) {
      if (refreshTokens.has(token)) {
        ctx.addIssue({
          code: 'custom',
          path: ['oauthClients', index, 'refreshTokens'],
          message: 'a refresh token belongs to one client and is given once',
        });
      }
      refreshTokens.add(token);
    }
  }
}

/** Validates {@link CanvasSimulatorOptions}; exported for tests of the validation itself. @internal */
export const simulatorOptionsSchema = z
  .strictObject({
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    seed: z.number().int().optional(),
    tokens: z.array(z.string().min(1)).min(1).optional(),
    allowlistedTokens: z.array(z.string().min(1)).optional(),
    blockedTokens: z.array(z.string().min(1)).optional(),
    expiredTokens: z.array(z.string().min(1)).optional(),
    revokedTokens: z.array(z.string().min(1)).optional(),
    oauthClients: z.array(oauthClientSchema).optional(),
    accessTokenTtlMs: z.number().finite().min(1).optional(),
    refreshReuseMs: nonNegative.optional(),
    highWaterMark: z.number().finite().positive().optional(),
    maximum: z.number().finite().positive().optional(),
    outflowPerSecond: z.number().finite().positive().optional(),
    upFrontCost: nonNegative.optional(),
    throttleStatus: z.union([z.literal(429), z.literal(403)]).optional(),
    cost: model.optional(),
    latencyMs: model.optional(),
    transitMs: transit.optional(),
    endpoints: z.partialRecord(z.enum(endpointNames), endpointSettingsSchema).optional(),
    perPageDefault: z.number().int().min(1).optional(),
    perPageMax: z.number().int().min(1).optional(),
    institution: institutionSchema,
    faults: faultsSchema.optional(),
    forbidden: z.array(forbiddenRuleSchema).optional(),
    clock: z
      .union([
        z.function(),
        z.looseObject({
          now: z.function(),
          epochNow: z.function(),
          setTimeout: z.function(),
          clearTimeout: z.function(),
        }),
      ])
      .optional(),
    maxSamples: z.number().int().min(1).optional(),
  })
  .superRefine((options, ctx) => {
    const hwm = options.highWaterMark ?? 700;
    const maximum = options.maximum ?? 800;
    if (hwm > maximum) {
      ctx.addIssue({
        code: 'custom',
        path: ['highWaterMark'],
        message: `highWaterMark (${hwm}) must not exceed maximum (${maximum})`,
      });
    }
    const transitMs = options.transitMs;
    if (typeof transitMs === 'object' && transitMs.jitterMs > transitMs.meanMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['transitMs', 'jitterMs'],
        message: `jitterMs (${transitMs.jitterMs}) must not exceed meanMs (${transitMs.meanMs})`,
      });
    }
    checkOAuthClients(options.oauthClients ?? [], ctx);
    if ((options.perPageDefault ?? 10) > (options.perPageMax ?? 100)) {
      ctx.addIssue({
        code: 'custom',
        path: ['perPageDefault'],
        message: 'perPageDefault must not exceed perPageMax',
      });
    }
  });

/** Formats zod issues as one readable line each, `path: message`. @internal */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Size and seed of the generated institution; every field has a default.
 * @category Testing
 */
export interface SimulatedInstitutionOptions extends InstitutionOptions {
  /** Seed of the data. @defaultValue the simulator's `seed` */
  seed?: number;
  /**
   * Length of the span of time each user's page views are spread over, in days, ending at
   * `pageViewsUntil`: one view per user in each slot of `pageViewDays` days / `pageViewsPerUser`,
   * the slots counted from the epoch. Minimum: 1. @defaultValue 365
   */
  pageViewDays?: number;
  /**
   * End of the span of page views (exclusive), epoch ms: every generated page view is dated in
   * the `pageViewDays` days before it. Give it (e.g. `Date.parse('2026-11-08T00:00:00Z')`) when
   * a test needs the same page views on every run. A view's id and content depend on its slot,
   * not on this: a simulator started a day later lists the same views for the days both cover,
   * and the new day's. Minimum: 0.
   * @defaultValue the time the simulator starts (`Date.now()`, or the `clock`'s `epochNow()`), so
   * the last days hold page views
   */
  pageViewsUntil?: number;
}

/**
 * Cost, latency and up-front cost of one endpoint, overriding the simulator-wide ones.
 * @category Testing
 */
export interface EndpointSettings {
  /** Cost charged when a request ends (Canvas: CPU + database seconds). */
  cost?: RequestModel;
  /** Time the simulator takes to answer, in ms. */
  latencyMs?: RequestModel;
  /** Up-front cost for this endpoint (Canvas allows it per path). */
  upFrontCost?: number;
}

/**
 * Options of {@link startCanvasSimulator}. Everything is optional; the defaults
 * are those of Instructure-hosted Canvas. Invalid options are rejected with a
 * `TypeError` naming every offending field.
 * @category Testing
 */
export interface CanvasSimulatorOptions {
  /** Interface to listen on. Loopback only is the intent. @defaultValue '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** Seed of the generated data and of every random choice (faults, jitter). @defaultValue 1 */
  seed?: number;
  /** Valid access tokens (throttled normally). @defaultValue ['canvas-sync-test-token'] */
  tokens?: string[];
  /** Valid tokens that are never throttled: remaining is always the high-water mark. */
  allowlistedTokens?: string[];
  /** Tokens that are always throttled, with remaining `0.0`. */
  blockedTokens?: string[];
  /** Tokens answered 401 `Expired access token.` (after passing the throttle). */
  expiredTokens?: string[];
  /** Tokens answered 401 `Revoked access token.` (after passing the throttle). */
  revokedTokens?: string[];
  /**
   * OAuth2 clients (developer keys) whose refresh tokens `POST /login/oauth2/token` accepts.
   * Each refresh gives an access token that is valid for `accessTokenTtlMs` by the simulator's
   * `clock`, with its own bucket; a later refresh replaces it (the old one is then invalid).
   * Client ids must be distinct, and a refresh token belongs to one client. @defaultValue none
   */
  oauthClients?: OAuthClientOptions[];
  /**
   * Lifetime of an access token issued by the token endpoint, in ms of the simulator's `clock`
   * (Canvas: one hour). `expires_in` reports it in whole seconds, rounded up. Minimum: 1.
   * @defaultValue 3_600_000
   */
  accessTokenTtlMs?: number;
  /**
   * A refresh within this many ms of the previous regeneration of the same refresh token's
   * access token answers with that same token (if still valid), as Canvas does to absorb
   * bursts of refreshes (its `oauth_refresh_token_spam_interval`, 5 s). 0 regenerates on every
   * refresh. Minimum: 0. @defaultValue 5000
   */
  refreshReuseMs?: number;
  /** Bucket high-water mark. @defaultValue 700. Must not exceed `maximum`. */
  highWaterMark?: number;
  /** Bucket maximum. @defaultValue 800 */
  maximum?: number;
  /** Leak rate in units per second. @defaultValue 10. Must be positive. */
  outflowPerSecond?: number;
  /** Charge held by each request in flight. @defaultValue 50 */
  upFrontCost?: number;
  /** Status of a throttled response: 429 (hosted Canvas) or 403 (self-hosted). @defaultValue 429 */
  throttleStatus?: 429 | 403;
  /** Cost of a request. @defaultValue `0.02 + 0.002 × items` */
  cost?: RequestModel;
  /** Latency of a request in ms. @defaultValue 0 */
  latencyMs?: RequestModel;
  /**
   * One-way network delay in ms: a request reaches the bucket this long after it arrives, and
   * every answer leaves this long after it is ready, as over a network to a distant Canvas
   * (`latencyMs` is the time Canvas spends on a request, with its up-front cost held). A number
   * is the same delay every time; a {@link TransitJitter} `{ meanMs, jitterMs }` draws each
   * direction of each request (throttled ones too) uniformly in
   * `[meanMs − jitterMs, meanMs + jitterMs]` from the seeded transit stream, which is apart from
   * the stream `latencyMs` and `cost` models read, so adding jitter leaves their draws as they
   * were. Minimum: 0; `jitterMs` at most `meanMs`.
   * @defaultValue 0
   */
  transitMs?: number | TransitJitter;
  /** Per-endpoint overrides of cost, latency and up-front cost. */
  endpoints?: Partial<Record<EndpointName, EndpointSettings>>;
  /** `per_page` when none is asked for. @defaultValue 10 */
  perPageDefault?: number;
  /** Largest `per_page`; larger values are clamped. @defaultValue 100 */
  perPageMax?: number;
  /** Size of the generated institution. */
  institution?: SimulatedInstitutionOptions;
  /** Faults injected from the start; change them later with `setFaults`. */
  faults?: SimulatorFaults;
  /** Paths answered 401 without `WWW-Authenticate` (permission denied). */
  forbidden?: ForbiddenRule[];
  /**
   * The simulator's time, for tests that control it. A function giving milliseconds (a fake
   * clock's `now`) moves the buckets' leak and token expiry only; waits stay on Node's timers and
   * dates on `Date.now()`. A clock object, of the same shape as the client's `clock` option (one
   * fake clock can drive a client and its simulator), moves everything: `now()` the buckets and
   * token expiry, `epochNow()` the `Retry-After` HTTP dates and the default
   * `institution.pageViewsUntil`, and `setTimeout`/`clearTimeout` the waits (`latencyMs`,
   * `transitMs` both ways, the `slowMs` fault): a request is answered only once the test lets
   * that much of the clock's time pass. `close()` clears the waits still pending.
   * @defaultValue the system clock: `performance.now()`, `Date.now()` and Node's timers
   */
  clock?:
    | (() => number)
    | {
        /** Monotonic time in ms from an arbitrary origin, as `performance.now()`. */
        now(): number;
        /** Wall-clock time in ms since the Unix epoch, as `Date.now()`. */
        epochNow(): number;
        /** Calls `callback` once, `ms` milliseconds of this clock from now; returns a handle. */
        setTimeout(callback: () => void, ms: number): unknown;
        /** Cancels a timer `setTimeout` returned, unless it has fired. */
        clearTimeout(handle: unknown): void;
      };
  /** Most level samples kept per token (oldest dropped first). @defaultValue 10000 */
  maxSamples?: number;
}
