import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { CanvasClientClosedError, CanvasOptionsError, CanvasSyncError } from '../errors/index.js';
import { SecretRedactor } from '../errors/secret-redactor.js';
import { type CanvasPage, followPages } from '../http/paginator.js';
import type { CanvasResponse } from '../http/response.js';
import { Transport } from '../http/transport.js';
import { resolveRequestUrl, type SearchParamsInput, withAccessToken } from '../http/urls.js';
import { AbortFanout } from '../pacing/abort-fanout.js';
import { CanvasPacer } from '../pacing/canvas-pacer.js';
import { type FleetSnapshot, lazyFleetBudget } from '../pacing/fleet-budget.js';
import type { TransitEstimate } from '../pacing/transit-estimator.js';
import { checkPaginateOptions, checkRequestOptions } from './call-options.js';
import {
  type CanvasSyncClientOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
  systemClientClock,
} from './client-options.js';
import { type CanvasSyncEvents, TypedEmitter } from './events.js';
import { type RunnerContext, type RunnerCounters, runRequest } from './request-runner.js';
import { type TokenProvider, TokenSource } from './token-source.js';

const USER_AGENT = 'canvas-sync/0.1.0';

/** The client's shutdown signal: every waiting request listens to it. */
function closingController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/**
 * Options of one request.
 * @category Client
 */
export interface RequestOptions {
  /** Query parameters; arrays become repeated keys (`{ 'include[]': ['user'] }`). */
  searchParams?: SearchParamsInput;
  /** Body, sent as JSON. */
  json?: unknown;
  /** Extra headers (not `Authorization`). */
  headers?: Record<string, string>;
  /** Cancels the request, queued or in flight, and its pending retries. */
  signal?: AbortSignal;
  /**
   * When requests wait for the bucket, higher priorities are sent first (an integer; negative
   * is allowed). Producers use it so that planning keeps ahead of bulk fetching.
   * @defaultValue 0
   */
  priority?: number;
}

/**
 * Options of `pages` and `paginate`.
 * @category Client
 */
export interface PaginateOptions {
  /** Query parameters of the first page. */
  searchParams?: SearchParamsInput;
  /** `per_page` (unless `searchParams` has one). @defaultValue the client's `perPage` (100) */
  perPage?: number;
  /** Cancels the walk. */
  signal?: AbortSignal;
  /** Priority of every page's request, see {@link RequestOptions.priority}. @defaultValue 0 */
  priority?: number;
  /**
   * Picks the records out of a page body, for endpoints that wrap them
   * (`/accounts/:id/terms` answers `{ enrollment_terms: [...] }`). @defaultValue the body, which must be an array
   */
  itemsOf?: (body: unknown) => unknown[] | undefined;
}

/**
 * A snapshot of what the client has done and believes.
 * @category Client
 */
export interface ClientStats {
  /** Attempts sent. */
  readonly requests: number;
  /** Responses received (any status). */
  readonly responses: number;
  /** Throttled responses (429, or 403 `Rate Limit Exceeded`). */
  readonly throttled: number;
  /** Attempts repeated after a throttle or a transient failure. */
  readonly retries: number;
  /** Requests that ended in an error once sent (aborted and cancelled ones are not counted). */
  readonly failures: number;
  /** Requests in flight now. */
  readonly inFlight: number;
  /** Most requests in flight at once. */
  readonly maxInFlight: number;
  /** Requests waiting for their turn. */
  readonly queued: number;
  /** Last `X-Rate-Limit-Remaining` seen. */
  readonly remaining: number | undefined;
  /** Estimated headroom of the bucket (`hwm` minus unleaked cost). */
  readonly headroom: number | undefined;
  /** Current estimate of the bucket's high-water mark. */
  readonly highWaterMark: number;
  /** The round trip outside Canvas the pacer has learned (see README, "A distant Canvas"). */
  readonly transit: TransitEstimate;
  /**
   * How late the event loop runs, in ms, as the pacer measures it (the 99th percentile of
   * `monitorEventLoopDelay` over the last one to two seconds, less its 5 ms resolution): the
   * headroom's readings count for at least ten times this, and the round trip is counted on only
   * when it is at least three times this. `undefined` with an injected `clock`, which is not real
   * time.
   */
  readonly loopLagMs: number | undefined;
  /** The budget shared through Redis, when `pacing.redis` is given. */
  readonly fleet?: FleetSnapshot;
}

/** Extra time a fleet's slot may be held beyond the request timeout before Redis frees it. */
const FLEET_HOLD_MARGIN_MS = 5_000;
/** Longest a request waits for a first connection to the fleet's Redis before pacing alone. */
const FLEET_JOIN_TIMEOUT_MS = 3_000;

/**
 * A Canvas REST API client that paces itself by Canvas's own rate-limit
 * headers: as many requests in flight as the token's bucket allows, none that
 * it would refuse. Retries throttles (without using up attempts) and transient
 * failures, follows `Link` pagination as a stream, and fails with typed errors
 * that never carry the token.
 *
 * @example
 * ```ts
 * const canvas = new CanvasSyncClient({ baseUrl: 'https://school.instructure.com', token });
 * for await (const enrollment of canvas.paginate('/api/v1/courses/42/enrollments')) {
 *   console.log(enrollment);
 * }
 * await canvas.close();
 * ```
 * @category Client
 */
export class CanvasSyncClient extends TypedEmitter<CanvasSyncEvents> {
  readonly #options: ResolvedClientOptions;
  readonly #context: RunnerContext;
  readonly #pacer: CanvasPacer;
  readonly #closing = closingController();
  readonly #counters: RunnerCounters = {
    requests: 0,
    responses: 0,
    throttled: 0,
    retries: 0,
    failures: 0,
  };
  readonly #redactor = new SecretRedactor();
  #closed: Promise<void> | undefined;
  #stopListening: () => void = () => undefined;

  /** @throws CanvasOptionsError when an option is invalid (the token's value is never quoted). */
  constructor(options: CanvasSyncClientOptions) {
    super();
    const { resolved, token } = resolveClientOptions(options);
    this.#options = resolved;
    const aborts = new AbortFanout();
    this.#pacer = new CanvasPacer(resolved.pacing, {
      // The system clock is left to the pacer, which then also measures the event loop's lag
      // (real time only); an injected clock is a test's, without lag.
      ...(resolved.clock === systemClientClock ? {} : { clock: resolved.clock }),
      aborts,
      onAnomaly: (anomaly) => this.emit('pacing-anomaly', anomaly),
      fleet: this.#fleetBudget(resolved, token),
    });
    const accept = resolved.stringIds ? 'application/json+canvas-string-ids' : 'application/json';
    const baseHeaders = { 'User-Agent': USER_AGENT, Accept: accept, ...resolved.headers };
    const redactor = this.#redactor;
    this.#context = {
      options: resolved,
      transport: new Transport(resolved.fetch),
      pacer: this.#pacer,
      counters: this.#counters,
      closing: this.#closing.signal,
      aborts,
      emit: (event, ...args) =>
        this.emit(event, ...(args.map((arg) => redactor.redactEvent(arg)) as typeof args)),
      tokens: new TokenSource(token, redactor),
      prepare:
        resolved.authMode === 'query'
          ? (url, current) => ({ url: withAccessToken(url, current), headers: baseHeaders })
          : (url, current) => ({
              url,
              headers: { ...baseHeaders, Authorization: `Bearer ${current}` },
            }),
    };
    const { signal } = resolved;
    if (signal?.aborted) void this.close();
    else if (signal !== undefined) {
      const onAbort = (): void => void this.close();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#stopListening = () => signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Sends one request and returns the whole response.
   *
   * @param method - HTTP method.
   * @param path - `/api/v1/...` relative to `baseUrl`, or an absolute URL on its origin.
   * @throws CanvasHttpError, CanvasAuthError, CanvasRateLimitError, CanvasNetworkError,
   *   CanvasTimeoutError, CanvasResponseError, CanvasAbortError, CanvasClientClosedError
   */
  request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<CanvasResponse<T>> {
    // Not an async function: a queued request then holds no suspended frame of its own here
    // (100,000 queued requests are 100,000 of them).
    let url: URL;
    try {
      if (this.#closing.signal.aborted) throw new CanvasClientClosedError();
      checkRequestOptions(options);
      url = this.#resolve(path, options.searchParams);
    } catch (error) {
      return Promise.reject(this.#redactor.redactError(error));
    }
    return runRequest<T>(this.#context, {
      method,
      url,
      json: options.json,
      headers: options.headers,
      signal: options.signal,
      priority: options.priority,
    }).catch((error: unknown) => {
      throw this.#redactor.redactError(error);
    });
  }

  /**
   * `text` with every occurrence of the client's token (and of every token its provider has
   * returned) replaced by `[REDACTED]`, raw, percent-encoded or JSON-escaped. The client does this
   * to its errors and events; use it for anything else that may quote a request, such as
   * dead letters or your own log lines.
   */
  redact(text: string): string {
    return this.#redactor.redact(text);
  }

  /** `GET`s `path` and returns the parsed body. */
  get<T = unknown>(path: string, options: Omit<RequestOptions, 'json'> = {}): Promise<T> {
    return this.request<T>('GET', path, options).then((response) => response.data);
  }

  /**
   * Walks a collection page by page, following `rel="next"`, asking for
   * `per_page=100` unless told otherwise.
   *
   * @throws CanvasPaginationError when a `next` link leaves the origin or repeats.
   */
  async *pages<T = unknown>(
    path: string,
    options: PaginateOptions = {},
  ): AsyncGenerator<CanvasPage<T>> {
    checkPaginateOptions(options);
    const first = this.#resolve(path, options.searchParams);
    if (!first.searchParams.has('per_page')) {
      first.searchParams.set('per_page', String(options.perPage ?? this.#options.perPage));
    }
    const pageOptions: RequestOptions = {};
    if (options.signal !== undefined) pageOptions.signal = options.signal;
    if (options.priority !== undefined) pageOptions.priority = options.priority;
    const fetchPage = (url: URL) => this.request<unknown>('GET', url.toString(), pageOptions);
    const itemsOf = options.itemsOf as ((body: unknown) => T[] | undefined) | undefined;
    try {
      yield* followPages<T>(fetchPage, first, itemsOf);
    } catch (error) {
      throw this.#redactor.redactError(error);
    }
  }

  /** Walks a collection record by record, across pages (see {@link CanvasSyncClient.pages}). */
  async *paginate<T = unknown>(path: string, options: PaginateOptions = {}): AsyncGenerator<T> {
    for await (const page of this.pages<T>(path, options)) yield* page.items;
  }

  /** The budget shared through Redis, or `undefined` without `pacing.redis`. */
  #fleetBudget(
    resolved: ResolvedClientOptions,
    token: string | TokenProvider,
  ): ReturnType<typeof lazyFleetBudget> | undefined {
    const { redis, localShare, idleResetMs, upFrontCost, safetyMargin } = resolved.pacing;
    if (redis === undefined) return undefined;
    let id = resolved.pacing.id;
    if (id === undefined) {
      if (typeof token !== 'string') {
        throw new CanvasOptionsError({
          what: 'CanvasSyncClient options',
          issues: [
            {
              path: 'pacing.id',
              message: 'required with pacing.redis and a token provider (its tokens change)',
            },
          ],
        });
      }
      // The same in every process, and nothing of the token: a digest of a high-entropy secret.
      const digest = createHash('sha256').update(`${resolved.baseUrl.origin}\n${token}`);
      id = `canvas-sync:${digest.digest('hex')}`;
    }
    const fleetId = id;
    return lazyFleetBudget(async () => {
      const { RedisFleetBudget } = await import('../pacing/cluster/redis-fleet-budget.js');
      return new RedisFleetBudget({
        redis: redis as ConstructorParameters<typeof RedisFleetBudget>[0]['redis'],
        id: fleetId,
        upFrontCost,
        safetyMargin,
        holdLimitMs: resolved.timeoutMs + FLEET_HOLD_MARGIN_MS,
        idleResetMs: idleResetMs ?? 120_000,
        localShare: localShare ?? 3,
        joinTimeoutMs: FLEET_JOIN_TIMEOUT_MS,
        onEvent: (event) => this.emit('fleet', event),
      });
    });
  }

  /** Counters and the pacer's view of the bucket. */
  stats(): ClientStats {
    const snapshot = this.#pacer.snapshot();
    return {
      ...this.#counters,
      inFlight: snapshot.inFlight,
      maxInFlight: snapshot.maxInFlight,
      queued: snapshot.queued,
      remaining: snapshot.bucket.lastRemaining,
      headroom: snapshot.bucket.headroom,
      highWaterMark: snapshot.bucket.highWaterMark,
      transit: snapshot.transit,
      loopLagMs: snapshot.loopLagMs,
      ...(snapshot.fleet === undefined ? {} : { fleet: snapshot.fleet }),
    };
  }

  /**
   * Stops the client: queued requests and pending retries fail with
   * {@link CanvasClientClosedError}, requests in flight are cancelled. Resolves
   * once everything has ended. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const reason = new CanvasClientClosedError();
      this.#stopListening();
      // Queued requests first, a thousand per turn of the event loop (100,000 rejected at once
      // would stall it), then those in flight and waiting to retry, through the signal.
      await this.#pacer.closeQueue(reason);
      this.#closing.abort(reason);
      await this.#pacer.close(reason);
    })();
    return this.#closed;
  }

  #resolve(path: string, searchParams: SearchParamsInput | undefined): URL {
    try {
      return resolveRequestUrl(this.#options.baseUrl, path, searchParams);
    } catch (error) {
      if (error instanceof CanvasSyncError) throw error;
      throw new TypeError(error instanceof Error ? error.message : String(error));
    }
  }
}
