import { EventEmitter } from 'node:events';
import type { PacingAnomaly } from '../pacing/pacing-anomaly.js';

/**
 * Emitted when an attempt is sent.
 * @category Client
 */
export interface RequestEvent {
  readonly method: string;
  /** The URL, `access_token` removed. */
  readonly url: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/**
 * Emitted when an attempt's response arrives (whatever its status).
 * @category Client
 */
export interface ResponseEvent {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly attempt: number;
  /** From sending to the response headers, in ms. */
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
  readonly method: string;
  readonly url: string;
  readonly status: number;
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
  readonly method: string;
  readonly url: string;
  /** The attempt that failed. */
  readonly attempt: number;
  /** Delay before the next attempt, in ms (a throttled request also waits for the bucket). */
  readonly delayMs: number;
  /** Why: `'throttled'`, or the failed attempt's error code / HTTP status. */
  readonly reason: string;
  /** Whether this retry uses up one of `retry.maxAttempts`. Throttles do not. */
  readonly consumesAttempt: boolean;
}

/**
 * Emitted when a request had to wait before it could be sent.
 * @category Client
 */
export interface PacedEvent {
  readonly method: string;
  readonly url: string;
  /** Time spent waiting, in ms. */
  readonly waitMs: number;
  /** `'leak'`: waited for the bucket to leak; `'in-flight'`: for a request to end. */
  readonly reason: 'leak' | 'in-flight';
  /** Requests in flight when it was let through. */
  readonly inFlight: number;
  /** Estimated headroom of the bucket when it was let through. */
  readonly headroom: number | undefined;
}

/**
 * Emitted when Canvas said the access token expired and the token provider gave a new one; the
 * request is then sent again (once per request at most).
 * @category Client
 */
export interface TokenRefreshedEvent {
  readonly method: string;
  readonly url: string;
  /** The attempt that was answered 401 "Expired access token.". */
  readonly attempt: number;
}

/**
 * Every event of {@link CanvasSyncClient}, by name.
 * @category Client
 */
export interface CanvasSyncEvents {
  request: [RequestEvent];
  response: [ResponseEvent];
  throttled: [ThrottledEvent];
  retry: [RetryEvent];
  paced: [PacedEvent];
  'token-refreshed': [TokenRefreshedEvent];
  'pacing-anomaly': [PacingAnomaly];
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
