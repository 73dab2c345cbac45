import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { delay } from '../../retry/delay.js';
import { type BucketSettings, LeakyBucket } from './bucket.js';
import type { CanvasSimulator } from './canvas-simulator.js';
import { FaultInjector, parseFaults } from './faults.js';
import { CollectionMutations } from './mutations.js';
import { OAuthProvider, TOKEN_PATH, tokenParams } from './oauth.js';
import {
  type CanvasSimulatorOptions,
  type EndpointName,
  type ForbiddenRule,
  formatIssues,
  type RequestModel,
  type SimulatedRequest,
  simulatorOptionsSchema,
} from './options.js';
import { type PageOutcome, paginate } from './paging-response.js';
import { createPrng, hashSeed } from './prng.js';
import { readBody } from './request-body.js';
import {
  errorResponse,
  jsonResponse,
  type SimulatedResponse,
  send,
  sendThenReset,
  stringifyIds,
  throttledResponse,
  truncateJson,
} from './responses.js';
import { type MatchedRoute, matchRoute } from './routes.js';
import { formatRubyFloat } from './ruby-float.js';
import { TokenMeter, type TokenStats } from './token-meter.js';
import { AuthCounter, TokenRegistry } from './token-registry.js';
import { createWorld } from './world.js';

const DEFAULT_TOKEN = 'canvas-sync-test-token';

function defaultCost(request: SimulatedRequest): number {
  return 0.02 + 0.002 * request.items;
}

function evaluate(model: RequestModel, request: SimulatedRequest): number {
  const value = typeof model === 'number' ? model : model(request);
  if (!Number.isFinite(value) || value < 0) {
    throw new TypeError(`A cost or latency model returned ${String(value)} for ${request.path}`);
  }
  return value;
}

/** The timers of a clock object given as the `clock` option. */
type SimulatorTimers = Pick<
  Exclude<CanvasSimulatorOptions['clock'], (() => number) | undefined>,
  'setTimeout' | 'clearTimeout'
>;

/**
 * Waits `ms`, or less when the simulator shuts down (never rejects), on the injected clock's
 * timers when there is one: the library's one delay helper.
 */
function pause(
  ms: number,
  signal: AbortSignal,
  timers: SimulatorTimers | undefined,
): Promise<void> {
  return delay(ms, signal, timers).catch(() => undefined);
}

function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match?.[1] !== undefined) return match[1];
  }
  return url.searchParams.get('access_token') ?? undefined;
}

function isForbidden(rules: readonly ForbiddenRule[], path: string, token: string): boolean {
  return rules.some(
    (rule) =>
      (typeof rule.path === 'string' ? rule.path === path : rule.path.test(path)) &&
      (rule.tokens === undefined || rule.tokens.includes(token)),
  );
}

/**
 * Starts a Canvas LMS simulator: a real HTTP server (127.0.0.1, a free port by
 * default) that throttles each access token with Canvas's cost-based leaky
 * bucket, paginates like Canvas, serves a deterministic generated institution
 * and injects faults on demand.
 *
 * @example
 * ```ts
 * import { startCanvasSimulator } from 'canvas-sync/testing';
 *
 * const sim = await startCanvasSimulator({ latencyMs: 20 });
 * const res = await fetch(`${sim.url}/api/v1/courses/101/enrollments`, {
 *   headers: { Authorization: `Bearer ${sim.token}` },
 * });
 * res.headers.get('x-rate-limit-remaining'); // e.g. '699.97'
 * sim.stats().throttled; // 0
 * await sim.close();
 * ```
 *
 * @throws TypeError when an option is invalid (every offending field is named).
 * @category Testing
 */
export async function startCanvasSimulator(
  options: CanvasSimulatorOptions = {},
): Promise<CanvasSimulator> {
  const parsed = simulatorOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new TypeError(`Invalid simulator options: ${formatIssues(parsed.error.issues)}`);
  }
  const seed = options.seed ?? 1;
  const given = options.clock;
  const clock: () => number =
    given === undefined
      ? () => performance.now()
      : typeof given === 'function'
        ? given
        : () => given.now();
  const epochNow = typeof given === 'object' ? () => given.epochNow() : () => Date.now();
  const timers = typeof given === 'object' ? given : undefined;
  const startMs = clock();
  const settings: BucketSettings = {
    highWaterMark: options.highWaterMark ?? 700,
    maximum: options.maximum ?? 800,
    outflowPerSecond: options.outflowPerSecond ?? 10,
    upFrontCost: options.upFrontCost ?? 50,
  };
  const tokens = options.tokens ?? [DEFAULT_TOKEN];
  const registry = new TokenRegistry(
    {
      tokens,
      allowlisted: options.allowlistedTokens ?? [],
      blocked: options.blockedTokens ?? [],
      expired: options.expiredTokens ?? [],
      revoked: options.revokedTokens ?? [],
    },
    clock,
  );
  const authCounter = new AuthCounter();
  const oauth = new OAuthProvider(
    options.oauthClients ?? [],
    {
      accessTokenTtlMs: options.accessTokenTtlMs ?? 3_600_000,
      refreshReuseMs: options.refreshReuseMs ?? 5_000,
    },
    registry,
    authCounter,
    clock,
    createPrng(hashSeed(seed, 'oauth')),
  );
  const throttleStatus = options.throttleStatus ?? 429;
  const perPageDefault = options.perPageDefault ?? 10;
  const perPageMax = options.perPageMax ?? 100;
  const maxSamples = options.maxSamples ?? 10_000;
  // Page views end when the simulator starts, so that "the last N days" holds some.
  const world = createWorld(
    { seed, pageViewDays: 365, pageViewsUntil: epochNow(), ...options.institution },
    seed,
    epochNow,
  );
  const data = world.data;
  const faultStream = createPrng(hashSeed(seed, 'faults'));
  const faults = new FaultInjector(parseFaults(options.faults), () => faultStream.float());
  const jitterStream = createPrng(hashSeed(seed, 'jitter'));
  const jitter = (): number => jitterStream.float();
  const transitStream = createPrng(hashSeed(seed, 'transit'));
  const transit = options.transitMs ?? 0;
  /** The one-way network delay of one direction of one request, in ms. */
  const transitMs: () => number =
    typeof transit === 'number'
      ? () => transit
      : () => transit.meanMs + transit.jitterMs * (2 * transitStream.float() - 1);
  const mutations = new CollectionMutations();
  let forbidden: readonly ForbiddenRule[] = options.forbidden ?? [];
  const buckets = new Map<string, LeakyBucket>();
  const meters = new Map<string, TokenMeter>();
  const shutdown = new AbortController();
  // Every delayed response listens for shutdown; there may be many at once.
  setMaxListeners(0, shutdown.signal);
  /** Waits on the injected clock's timers, or Node's; cut short by `close()`. */
  const wait = (ms: number): Promise<void> => pause(ms, shutdown.signal, timers);

  const bucketOf = (token: string): LeakyBucket => {
    let bucket = buckets.get(token);
    if (bucket === undefined) {
      bucket = new LeakyBucket(settings, clock());
      buckets.set(token, bucket);
    }
    return bucket;
  };
  const meterOf = (token: string): TokenMeter => {
    let meter = meters.get(token);
    if (meter === undefined) {
      meter = new TokenMeter(maxSamples);
      meters.set(token, meter);
    }
    return meter;
  };
  const endpointSetting = <K extends 'cost' | 'latencyMs' | 'upFrontCost'>(
    endpoint: EndpointName | undefined,
    key: K,
  ) => (endpoint === undefined ? undefined : options.endpoints?.[endpoint]?.[key]);

  let baseUrl = '';

  /** Runs the route and builds the answer of a request that passed the throttle. */
  const answer = async (
    req: IncomingMessage,
    url: URL,
    token: string,
    route: MatchedRoute | undefined,
  ): Promise<{ response: SimulatedResponse; items: number; reset: boolean }> => {
    const path = url.pathname;
    const faulty = faults.appliesTo(path);
    const state = registry.state(token);
    if (state !== 'valid') {
      authCounter.count(`${state}Token`);
      meterOf(token).unauthorized++;
      return { response: authError(AUTH_MESSAGES[state]), items: 0, reset: false };
    }
    if (isForbidden(forbidden, path, token)) {
      const response = errorResponse(401, 'user not authorized to perform that action', {
        status: 'unauthorized',
      });
      return { response, items: 0, reset: false };
    }
    const body = route === undefined ? undefined : await readBody(req);
    const result = route?.run(world, url.searchParams, body) ?? { kind: 'not_found' as const };
    if (result.kind === 'not_found') {
      return {
        response: errorResponse(404, 'The specified resource does not exist.'),
        items: 0,
        reset: false,
      };
    }
    if (result.kind === 'bad_request') {
      const response =
        result.body === undefined
          ? errorResponse(400, result.message)
          : jsonResponse(400, result.body);
      return { response, items: 0, reset: false };
    }
    const serverError = faulty ? faults.serverError() : undefined;
    if (serverError !== undefined) {
      const response = errorResponse(
        serverError,
        'An error occurred.',
        {},
        {
          error_code: 'internal_server_error',
        },
      );
      return { response, items: 0, reset: false };
    }
    let outcome: PageOutcome;
    if (result.kind === 'object') {
      outcome = { body: result.body, items: 1, link: undefined };
    } else {
      outcome = paginate(result, {
        url,
        baseUrl,
        perPageDefault,
        perPageMax,
        mutations,
        faults: faulty ? faults : undefined,
      });
    }
    const stringIds = (req.headers.accept ?? '').includes('application/json+canvas-string-ids');
    const response = jsonResponse(200, stringIds ? stringifyIds(outcome.body) : outcome.body);
    if (outcome.link !== undefined) response.headers.Link = outcome.link;
    if (faulty && faults.malformedJson()) response.body = truncateJson(response.body);
    const reset = faulty && faults.reset();
    return { response, items: outcome.items, reset };
  };

  /** Sends an answer, after the network delay back to the client. */
  const reply = (res: ServerResponse, response: SimulatedResponse, reset = false): void => {
    const deliver = (): void => (reset ? sendThenReset(res, response) : send(res, response));
    const back = transitMs();
    if (back <= 0) deliver();
    else void wait(back).then(deliver);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // The request travels to Canvas before anything happens to it.
    await wait(transitMs());
    const url = new URL(req.url ?? '/', baseUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'POST' && url.pathname === TOKEN_PATH) {
      // Not an API call: no access token, no bucket.
      const params = tokenParams(url.searchParams, await readBody(req));
      reply(res, oauth.token(params, req.headers.authorization));
      return;
    }
    const token = tokenOf(req, url);
    url.searchParams.delete('access_token');
    if (token === undefined) {
      authCounter.count('unauthenticated');
      reply(res, authError('user authorization required', { status: 'unauthenticated' }));
      return;
    }
    const route = matchRoute(method, url.pathname);
    const endpoint = route?.endpoint;
    const meter = meterOf(token);
    meter.requests++;
    const contextId = randomUUID();
    const upFront = endpointSetting(endpoint, 'upFrontCost') ?? settings.upFrontCost;
    const exempt = registry.isAllowlisted(token);
    const blocked = registry.isBlocked(token);
    const bucket = bucketOf(token);

    // 1. Charge the up-front cost; the full check includes this request's own charge.
    let level = 0;
    if (!exempt && !blocked) {
      level = bucket.increment(upFront, clock());
      meter.sample(clock() - startMs, level);
    }
    if (blocked || (!exempt && level >= settings.highWaterMark)) {
      // 2. Throttled: credit the up-front back, charge nothing, report the real remaining.
      let remaining = 0;
      if (!blocked) {
        const after = bucket.increment(-upFront, clock());
        meter.sample(clock() - startMs, after);
        remaining = settings.highWaterMark - after;
      }
      meter.throttled++;
      const response = throttledResponse(throttleStatus);
      response.headers['X-Request-Context-Id'] = contextId;
      response.headers['X-Rate-Limit-Remaining'] = formatRubyFloat(remaining);
      const retryAfter = faults.appliesTo(url.pathname) ? faults.retryAfter(epochNow()) : undefined;
      if (retryAfter !== undefined) response.headers['Retry-After'] = retryAfter;
      reply(res, response);
      return;
    }

    // 3. Served: run, wait the modelled latency, then charge the real cost.
    meter.enter();
    let cost = 0;
    let outcome: Awaited<ReturnType<typeof answer>>;
    try {
      outcome = await answer(req, url, token, route);
      const request: SimulatedRequest = {
        method,
        path: url.pathname,
        endpoint,
        searchParams: url.searchParams,
        items: outcome.items,
        random: jitter,
      };
      cost = evaluate(endpointSetting(endpoint, 'cost') ?? options.cost ?? defaultCost, request);
      const latency = evaluate(
        endpointSetting(endpoint, 'latencyMs') ?? options.latencyMs ?? 0,
        request,
      );
      const slow = faults.appliesTo(url.pathname) ? faults.slowMs() : 0;
      await wait(latency + slow);
    } catch (error) {
      outcome = {
        response: errorResponse(
          500,
          'An error occurred.',
          {},
          {
            error_code: 'internal_server_error',
            simulator_error: error instanceof Error ? error.message : String(error),
          },
        ),
        items: 0,
        reset: false,
      };
    } finally {
      meter.leave();
    }
    // 4. Always, even on error: credit the up-front and charge the real cost.
    let remaining = settings.highWaterMark;
    if (!exempt) {
      const after = bucket.increment(cost - upFront, clock());
      meter.sample(clock() - startMs, after);
      remaining = settings.highWaterMark - after;
    }
    const { response, reset } = outcome;
    response.headers['X-Request-Context-Id'] = contextId;
    response.headers['X-Rate-Limit-Remaining'] = formatRubyFloat(remaining);
    response.headers['X-Request-Cost'] = formatRubyFloat(cost);
    reply(res, response, reset);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        send(res, errorResponse(500, error instanceof Error ? error.message : String(error)));
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;

  const statsOf = (token: string): TokenStats => {
    const meter = meterOf(token);
    const now = clock();
    const level = registry.isAllowlisted(token) ? 0 : bucketOf(token).level(now);
    return {
      requests: meter.requests,
      served: meter.served,
      unauthorized: meter.unauthorized,
      throttled: meter.throttled,
      inFlight: meter.inFlight,
      maxInFlight: meter.maxInFlight,
      level,
      remaining: registry.isBlocked(token) ? 0 : settings.highWaterMark - level,
      peakLevel: meter.peakLevel,
      samples: meter.samples(),
    };
  };

  const firstToken = tokens[0] ?? DEFAULT_TOKEN;
  let closed: Promise<void> | undefined;
  return {
    url: baseUrl,
    token: firstToken,
    tokens: [...tokens],
    data,
    bucket: settings,
    change: (changeOptions) => world.change(changeOptions),
    stats: (token = firstToken) => statsOf(token),
    faultCounts: () => faults.counts(),
    setFaults: (next) => faults.set(next),
    expireToken: (token) => registry.expire(token),
    revokeToken: (token) => {
      registry.revoke(token);
      oauth.revokeAccessToken(token);
    },
    authCounts: () => authCounter.snapshot(),
    setForbidden: (rules) => {
      forbidden = [...rules];
    },
    setBucketLevel: (level, token = firstToken) => {
      if (!Number.isFinite(level) || level < 0) {
        throw new TypeError(`Bucket level must be a finite number >= 0, got ${String(level)}`);
      }
      const now = clock();
      bucketOf(token).fill(level, now);
      meterOf(token).sample(now - startMs, bucketOf(token).level(now));
    },
    resetStats: () => {
      for (const meter of meters.values()) meter.reset();
      faults.resetCounts();
      authCounter.reset();
      mutations.clear();
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** The 401 message for each reason a token is refused. */
const AUTH_MESSAGES = {
  invalid: 'Invalid access token.',
  expired: 'Expired access token.',
  revoked: 'Revoked access token.',
} as const;

/** A 401 that asks for (other) credentials: `WWW-Authenticate: Bearer realm="canvas-lms"`. */
function authError(message: string, extra: Record<string, unknown> = {}): SimulatedResponse {
  const response = errorResponse(401, message, extra);
  response.headers['WWW-Authenticate'] = 'Bearer realm="canvas-lms"';
  return response;
}
