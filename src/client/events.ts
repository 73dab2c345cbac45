import { EventEmitter } from 'node:events';
import type { FleetEvent } from '../pacing/fleet-budget.js';
import type { PacingAnomaly } from '../pacing/pacing-anomaly.js';

/**
 * Emitted when an attempt is sent.
 * @category Client
 */
export interface RequestEvent {
  /** HTTP method, upper case. */
  readonly method: string;
  /**
   * The request's absolute URL (query included) without its `access_token` parameter or user
   * info; any other occurrence of the token reads `[REDACTED]`. The URL asked for, not where a
   * redirect led.
   */
  readonly url: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/**
 * Emitted when an attempt's response arrives (whatever its status).
 * @category Client
 */
export interface ResponseEvent {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The request's URL, as in {@link RequestEvent.url}. */
  readonly url: string;
  /** HTTP status of the final response, after any same-origin redirects. */
  readonly status: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** From sending to the final response's headers (redirects included), in ms; body not counted. */
  readonly durationMs: number;
  /** `X-Rate-Limit-Remaining`, when sent. */
  readonly remaining: number | undefined;
  /** `X-Request-Cost`, when sent. */
  readonly cost: number | undefined;
  /** `X-Request-Context-Id`, for support tickets. */
  readonly requestContextId: string | undefined;
}

/**
 * Emitted when Canvas throttled an attempt (429, or 403 `Rate Limit Exceeded`).
 * @category Client
 */
export interface ThrottledEvent {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The request's URL, as in {@link RequestEvent.url}. */
  readonly url: string;
  /** 429, or 403 with a `Rate Limit Exceeded` body. */
  readonly status: number;
  /**
   * `X-Rate-Limit-Remaining` of the throttled response, in cost units, when sent; it can still be
   * positive.
   */
  readonly remaining: number | undefined;
  /** `Retry-After` in ms, when Canvas (or a proxy) sent one. */
  readonly retryAfterMs: number | undefined;
  /** Throttled responses for this request so far. */
  readonly throttles: number;
}

/**
 * Emitted before a request is tried again.
 * @category Client
 */
export interface RetryEvent {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The request's URL, as in {@link RequestEvent.url}. */
  readonly url: string;
  /** The attempt that failed. */
  readonly attempt: number;
  /** Delay before the next attempt, in ms (a throttled request also waits for the bucket). */
  readonly delayMs: number;
  /** Why: `'throttled'`, or the failed attempt's error code / HTTP status. */
  readonly reason: string;
  /** Whether this retry uses up one of `retry.maxAttempts`. Throttles do not. */
  readonly countsAsFailure: boolean;
}

/**
 * Emitted when a request had to wait before it could be sent.
 * @category Client
 */
export interface PacedEvent {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The request's URL, as in {@link RequestEvent.url}. */
  readonly url: string;
  /**
   * Time spent waiting at the pacer's gate, in ms. Time queued behind other requests before
   * reaching the gate is not counted.
   */
  readonly waitMs: number;
  /** `'leak'`: waited for the bucket to leak; `'in-flight'`: for a request to end. */
  readonly reason: 'leak' | 'in-flight';
  /** Requests in flight when it was let through. */
  readonly inFlight: number;
  /**
   * Estimated headroom of the bucket when it was let through, in cost units; `undefined` before
   * the first response.
   */
  readonly headroom: number | undefined;
}

/**
 * Emitted when Canvas said the access token expired and the token provider gave a new one; the
 * request is then sent again (once per request at most).
 * @category Client
 */
export interface TokenRefreshedEvent {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The request's URL, as in {@link RequestEvent.url}. */
  readonly url: string;
  /** The attempt that was answered 401 "Expired access token.". */
  readonly attempt: number;
}

/**
 * Every event of {@link CanvasSyncClient}, by name.
 * @category Client
 */
export interface CanvasSyncEvents {
  /** An attempt is sent (after any wait for the bucket). */
  request: [RequestEvent];
  /** An attempt was answered, whatever its status (throttles included), and its body read. */
  response: [ResponseEvent];
  /** Canvas throttled an attempt; a `retry` follows unless the request gives up. */
  throttled: [ThrottledEvent];
  /** A failed or throttled request will be sent again after `delayMs`. */
  retry: [RetryEvent];
  /** A request waited at the pacer's gate before it was sent. */
  paced: [PacedEvent];
  /**
   * The access token had expired and the token provider gave a new one; the request is sent again.
   */
  'token-refreshed': [TokenRefreshedEvent];
  /** The pacer ignored an implausible rate-limit header, or capped a wait. */
  'pacing-anomaly': [PacingAnomaly];
  /**
   * The budget shared through Redis (`pacing.redis`): joined, fell back to pacing alone while
   * Redis is unreachable, rejoined, resized from a response, or an error of the shared limiter.
   */
  fleet: [FleetEvent];
}

/** A typed `EventEmitter`. Listeners' errors are not caught: keep them small. */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #emitter = new EventEmitter();

  /** Adds a listener. */
  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Adds a listener called once. */
  once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Removes a listener. */
  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Emits an event. */
  protected emit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    this.#emitter.emit(event, ...args);
  }
}
