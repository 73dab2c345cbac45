import type { BucketModel } from './bucket-model.js';

/** Timers and clock the gate uses; injected so tests control time. */
export interface GateClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The system clock (`performance.now()` and Node timers). */
export const systemClock: GateClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A request's permission to be in flight; report what its response said, then release. */
export interface GateLease {
  /** How long the request waited at the gate, in ms. */
  readonly waitedMs: number;
  /** Whether the wait ended because the bucket leaked enough (rather than a request ending). */
  readonly byLeak: boolean;
  /**
   * Feeds the response's `X-Rate-Limit-Remaining` to the model and frees the
   * slot: the request no longer holds Canvas's up-front cost once its response
   * has arrived. Idempotent; `remaining` and `cost` may be `undefined` when
   * the headers were missing.
   */
  settle(remaining: number | undefined, throttled: boolean, cost?: number): void;
}

interface Waiter {
  readonly since: number;
  readonly priority: number;
  readonly admit: (lease: GateLease) => void;
  readonly reject: (reason: unknown) => void;
}

/**
 * Admits requests one by one as the {@link BucketModel} allows: as many in
 * flight as the estimated headroom covers, the rest waiting in order. When the
 * headroom runs out it sets one timer for exactly the time the leak needs to
 * make room, never a fixed sleep or a poll.
 */
export class BucketGate {
  readonly #model: BucketModel;
  readonly #clock: GateClock;
  readonly #maxInFlight: number;
  readonly #waiters: Waiter[] = [];
  #inFlight = 0;
  #maxSeen = 0;
  #timer: unknown;
  #closedReason: unknown;

  constructor(model: BucketModel, options: { maxInFlight: number; clock?: GateClock }) {
    this.#model = model;
    this.#maxInFlight = options.maxInFlight;
    this.#clock = options.clock ?? systemClock;
  }

  /** Requests admitted whose response has not arrived. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Most requests in flight at once. */
  get maxInFlight(): number {
    return this.#maxSeen;
  }

  /** Requests waiting for room. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Waits for room; rejects with the signal's reason if it aborts first.
   * Waiters of a higher `priority` go before those of a lower one (in order of
   * arrival within one priority).
   */
  acquire(signal?: AbortSignal, priority = 0): Promise<GateLease> {
    if (this.#closedReason !== undefined) return Promise.reject(this.#closedReason);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.#clock.now();
    if (this.#waiters.length === 0 && this.#hasRoom(now)) {
      // Room now and nobody ahead: no wait at all.
      return new Promise<GateLease>((resolve) => {
        this.#admit({ since: now, priority, admit: resolve, reject: () => undefined }, now, false);
      });
    }
    return new Promise<GateLease>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason);
        this.#pump();
      };
      const waiter: Waiter = {
        since: now,
        priority,
        admit: (lease) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(lease);
        },
        reject: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const before = this.#waiters.findIndex((other) => other.priority < priority);
      if (before < 0) this.#waiters.push(waiter);
      else this.#waiters.splice(before, 0, waiter);
      this.#pump();
    });
  }

  /** Rejects every waiter and every later `acquire` with `reason`. */
  close(reason: unknown): void {
    this.#closedReason = reason;
    this.#cancelTimer();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(reason);
  }

  #pump(byLeak = false): void {
    const now = this.#clock.now();
    while (this.#waiters.length > 0 && this.#hasRoom(now)) {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) this.#admit(waiter, now, byLeak);
    }
    this.#cancelTimer();
    if (this.#waiters.length === 0 || this.#inFlight >= this.#maxInFlight) return;
    const wait = this.#model.msUntilRoom(this.#inFlight, now);
    if (wait === undefined) return; // a response must arrive first; settle() pumps again
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#pump(true);
      },
      Math.max(1, wait),
    );
  }

  #hasRoom(now: number): boolean {
    return this.#inFlight < this.#maxInFlight && this.#inFlight < this.#model.allowedInFlight(now);
  }

  #admit(waiter: Waiter, now: number, byLeak: boolean): void {
    this.#inFlight++;
    this.#maxSeen = Math.max(this.#maxSeen, this.#inFlight);
    let settled = false;
    waiter.admit({
      waitedMs: now - waiter.since,
      byLeak,
      settle: (remaining, throttled, cost) => {
        if (settled) return;
        settled = true;
        if (remaining !== undefined) {
          this.#model.observe({
            remaining,
            othersInFlight: this.#inFlight - 1,
            throttled,
            cost: cost ?? 0,
            nowMs: this.#clock.now(),
          });
        }
        this.#inFlight--;
        this.#pump();
      },
    });
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
