import { systemTimers, type Timers } from '../retry/delay.js';
import type { BucketModel } from './bucket-model.js';
import { type PacingAnomaly, type PlausibleBounds, screenReading } from './pacing-anomaly.js';
import type { TransitEstimator } from './transit-estimator.js';

/** Timers and clock the gate uses; injected so tests control time. */
export interface GateClock extends Timers {
  /**
   * Monotonic time in ms from an arbitrary origin, as `performance.now()`: only differences
   * count (waits, the bucket's leak), so a wall clock that steps (NTP) never skews them.
   */
  now(): number;
}

/** The system clock (`performance.now()` and Node timers). */
export const systemClock: GateClock = {
  now: () => performance.now(),
  ...systemTimers,
};

/** A request's permission to be in flight; report what its response said, then release. */
export interface GateLease {
  /** How long the request waited at the gate, in ms. */
  readonly waitedMs: number;
  /**
   * Whether the wait ended because the bucket leaked enough, or because the wait
   * was capped at `maxWaitMs` (rather than a request ending).
   */
  readonly byLeak: boolean;
  /**
   * Feeds the response's `X-Rate-Limit-Remaining` to the model and frees the
   * slot: the request no longer holds Canvas's up-front cost once its response
   * has arrived. Idempotent; `remaining` and `cost` may be `undefined` when
   * the headers were missing. A value that is not finite or outside the
   * gate's plausible bounds is not fed to the model but reported as an
   * `implausible-header` anomaly.
   */
  settle(remaining: number | undefined, throttled: boolean, cost?: number): void;
}

interface Waiter {
  readonly since: number;
  readonly priority: number;
  readonly admit: (lease: GateLease) => void;
  readonly reject: (reason: unknown) => void;
}

/** How a {@link BucketGate} behaves. */
export interface BucketGateOptions {
  /** Most requests in flight at once, whatever the bucket allows. Minimum: 1. */
  readonly maxInFlight: number;
  /** Time and timers. @defaultValue {@link systemClock} */
  readonly clock?: GateClock;
  /**
   * Longest wait for the leak, in ms: a longer computed wait (or one without end)
   * is cut to this, reported as a `wait-capped` anomaly, and followed by one
   * request sent as a probe once none is in flight.
   * @defaultValue 60000. Minimum: 1; at most 2,147,483,647 (Node's timer limit)
   */
  readonly maxWaitMs?: number;
  /**
   * Readings believed; others are ignored and reported.
   * @defaultValue `{ maxRemaining: 10000, maxCost: 10000 }`
   */
  readonly plausible?: PlausibleBounds;
  /** Called with every anomaly, after the gate's state is consistent again. */
  readonly onAnomaly?: ((anomaly: PacingAnomaly) => void) | undefined;
  /**
   * Whether the model decides (true) or only `maxInFlight` does (false: a budget shared with
   * other processes paces the requests, and the model only learns). @defaultValue always true
   */
  readonly paced?: (() => boolean) | undefined;
  /**
   * Learns how long requests travel outside Canvas, so that the gate counts a request whose
   * answer is probably on its way back as no longer holding a charge, and a response's reading
   * only with the requests that had reached Canvas when it left. @defaultValue none: every
   * request in flight holds a charge (Canvas next door)
   */
  readonly transit?: TransitEstimator | undefined;
  /**
   * How late the event loop runs now, in ms (a recent high percentile): the round trip is
   * counted on only when it is at least three times that, since a client that runs late sees its
   * own lateness as a round trip (measured on loopback with the CPU starved: 25-36 ms "learned"
   * while the lag was 10-60 ms). Next door, a reading counts every request in flight however late
   * the loop runs: leaving out the requests admitted within the lag held the main job's pipeline
   * benchmark to 0.66 of its ideal rate instead of 0.90. @defaultValue none (0)
   */
  readonly lagMs?: (() => number) | undefined;
}

/** The round trip is counted on only when it is at least this many times the event loop's lag. */
const LAG_FACTOR = 3;

/** Node's largest timer delay: anything longer fires after 1 ms (`TimeoutOverflowWarning`). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Admits requests one by one as the {@link BucketModel} allows: as many in
 * flight as the estimated headroom covers, the rest waiting in order. When the
 * headroom runs out it sets one timer for exactly the time the leak needs to
 * make room, never a fixed sleep or a poll, and never longer than `maxWaitMs`:
 * when that time is up and nothing is in flight, one request goes as a probe,
 * so the gate never waits for ever on a model that went wrong.
 */
export class BucketGate {
  readonly #model: BucketModel;
  readonly #clock: GateClock;
  readonly #maxInFlight: number;
  readonly #maxWaitMs: number;
  readonly #plausible: PlausibleBounds;
  readonly #onAnomaly: ((anomaly: PacingAnomaly) => void) | undefined;
  readonly #paced: () => boolean;
  readonly #transit: TransitEstimator | undefined;
  readonly #lagMs: (() => number) | undefined;
  /** When each request in flight was admitted, oldest first. */
  readonly #admittedAt: number[] = [];
  /** Scratch for `#agesAt`: filled on every admission check, never kept. */
  readonly #ages: number[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #anomalies: PacingAnomaly[] = [];
  #inFlight = 0;
  #maxSeen = 0;
  #timer: unknown;
  /** When a capped wait ends (a probe may go); `undefined` while no wait is capped. */
  #probeAt: number | undefined;
  #closedReason: unknown;

  constructor(model: BucketModel, options: BucketGateOptions) {
    this.#model = model;
    this.#maxInFlight = options.maxInFlight;
    this.#clock = options.clock ?? systemClock;
    this.#maxWaitMs = Math.min(Math.max(1, options.maxWaitMs ?? 60_000), MAX_TIMER_MS);
    this.#plausible = options.plausible ?? { maxRemaining: 10_000, maxCost: 10_000 };
    this.#onAnomaly = options.onAnomaly;
    this.#paced = options.paced ?? (() => true);
    this.#transit = options.transit;
    this.#lagMs = options.lagMs;
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
    this.#schedule(byLeak);
    this.#flushAnomalies();
  }

  #schedule(byLeak: boolean): void {
    const now = this.#clock.now();
    while (this.#waiters.length > 0 && this.#hasRoom(now)) {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) this.#admit(waiter, now, byLeak);
    }
    this.#cancelTimer();
    if (this.#waiters.length === 0 || this.#inFlight >= this.#maxInFlight || !this.#paced()) {
      this.#probeAt = undefined;
      return;
    }
    if (this.#probeAt !== undefined && now >= this.#probeAt && this.#inFlight === 0) {
      // A capped wait is over and nothing is in flight: one request goes as a probe, and its
      // response teaches the model afresh (its settle() pumps again).
      this.#probeAt = undefined;
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) this.#admit(waiter, now, true);
      return;
    }
    let wait = this.#model.msUntilRoom(this.#holding(now), now);
    // Requests in flight are leaving Canvas as time passes: look again a little later.
    const tick = this.#departureTick();
    if (tick !== undefined && this.#inFlight > 0) wait = Math.min(wait ?? tick, tick);
    // A response must arrive first; settle() pumps again.
    if (wait === undefined && this.#inFlight > 0) {
      this.#probeAt = undefined;
      return;
    }
    let delay: number;
    if (wait !== undefined && Number.isFinite(wait) && wait <= this.#maxWaitMs) {
      this.#probeAt = undefined;
      delay = wait;
    } else {
      // Longer than the cap, not a number, or without end while nothing is in flight (no
      // response would ever come to end it). Once per capped wait: later pumps keep its end.
      if (this.#probeAt === undefined || now >= this.#probeAt) {
        this.#probeAt = now + this.#maxWaitMs;
        this.#report({
          kind: 'wait-capped',
          computedMs: wait ?? Number.POSITIVE_INFINITY,
          cappedMs: this.#maxWaitMs,
        });
      }
      delay = this.#probeAt - now;
    }
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#pump(true);
      },
      Math.max(1, delay),
    );
  }

  #report(anomaly: PacingAnomaly): void {
    if (this.#onAnomaly !== undefined) this.#anomalies.push(anomaly);
  }

  /** Hands queued anomalies to the hook; called last, so a throwing hook leaves the gate sound. */
  #flushAnomalies(): void {
    let anomaly = this.#anomalies.shift();
    while (anomaly !== undefined) {
      this.#onAnomaly?.(anomaly);
      anomaly = this.#anomalies.shift();
    }
  }

  #hasRoom(now: number): boolean {
    if (this.#inFlight >= this.#maxInFlight) return false;
    return !this.#paced() || this.#holding(now) < this.#model.allowedInFlight(now);
  }

  /**
   * How many requests in flight will hold a charge when a request sent now reaches Canvas: all
   * of them, less those whose answers are probably on their way back or due by then, once that
   * is at least one.
   */
  #holding(now: number): number {
    const transit = this.#transit;
    if (transit === undefined || this.#inFlight === 0 || this.#transitDelay() <= 0) {
      return this.#inFlight;
    }
    // Less than one whole departure is not counted on. The cautious count (mean less two standard
    // deviations) is above 0 as soon as a few requests each have a fair chance of being gone, when
    // the chance that none is can still be 2 %: the next request would bet on it. Far from Canvas
    // with slow requests (regime F: 150-450 ms in Canvas, 15 ms each way) that bet was throttled
    // once or twice in 5 runs of 6 for nothing measurable; not counting it, 0 throttled in 6
    // runs, at the same rate (94.3-94.5 % of the bound). Where many requests travel (D, E), the
    // count is often above 1, and their rates stayed within their noise.
    const departures = transit.departures(this.#agesAt(now));
    return this.#inFlight - (departures >= 1 ? departures : 0);
  }

  /** The ages of the requests in flight at `now`, in a scratch array reused by every call. */
  #agesAt(now: number): readonly number[] {
    const ages = this.#ages;
    ages.length = this.#admittedAt.length;
    for (let i = 0; i < ages.length; i++) ages[i] = now - (this.#admittedAt[i] ?? now);
    return ages;
  }

  /**
   * The round trip the gate counts on: the estimate's, unless it is uncertain or not clearly
   * longer than the event loop's own lag (a round trip that is mostly the client running late,
   * as on a loaded machine next to Canvas, is too variable to count on): then 0.
   */
  #transitDelay(): number {
    const lag = this.#lag();
    const delay = this.#transit?.estimate.delayMs ?? 0;
    return delay >= LAG_FACTOR * lag ? delay : 0;
  }

  #lag(): number {
    return Math.max(0, this.#lagMs?.() ?? 0);
  }

  /** How soon to look again at departures while requests wait; `undefined` when none are counted. */
  #departureTick(): number | undefined {
    const delay = this.#transitDelay();
    return delay > 0 ? Math.max(1, Math.round(delay / 8)) : undefined;
  }

  #admit(waiter: Waiter, now: number, byLeak: boolean): void {
    this.#inFlight++;
    this.#maxSeen = Math.max(this.#maxSeen, this.#inFlight);
    this.#admittedAt.push(now);
    let settled = false;
    waiter.admit({
      waitedMs: now - waiter.since,
      byLeak,
      settle: (remaining, throttled, cost) => {
        if (settled) return;
        settled = true;
        const readAt = this.#clock.now();
        const index = this.#admittedAt.indexOf(now);
        if (index >= 0) this.#admittedAt.splice(index, 1);
        const reading = screenReading(remaining, cost, this.#plausible);
        for (const anomaly of reading.anomalies) this.#report(anomaly);
        if (reading.remaining !== undefined) {
          const held = this.#heldBy(reading.remaining, reading.cost ?? 0, throttled, {
            readAt,
            admittedAt: now,
          });
          this.#model.observe({
            remaining: reading.remaining,
            othersInFlight: held.others,
            ...(held.headroom === undefined ? {} : { headroom: held.headroom }),
            throttled,
            cost: reading.cost ?? 0,
            nowMs: readAt,
          });
        }
        this.#inFlight--;
        this.#pump();
      },
    });
  }

  /**
   * How many of the other requests in flight Canvas was holding when a response left it: all of
   * them next door; far away, only those admitted at least the round trip before it was read.
   * Feeds the transit estimate on the way.
   */
  #heldBy(
    remaining: number,
    cost: number,
    throttled: boolean,
    times: { readonly readAt: number; readonly admittedAt: number },
  ): { readonly others: number; readonly headroom?: number } {
    const transit = this.#transit;
    if (transit === undefined) return { others: this.#admittedAt.length };
    const ages = this.#agesAt(times.readAt);
    transit.observe({
      nowMs: times.readAt,
      ageMs: times.readAt - times.admittedAt,
      othersAgesMs: ages,
      remaining,
      cost,
      throttled,
    });
    const delay = this.#transitDelay();
    let others = 0;
    for (const age of ages) if (age >= delay) others++;
    const headroom = delay > 0 ? transit.headroom : undefined;
    return headroom === undefined ? { others } : { others, headroom };
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
