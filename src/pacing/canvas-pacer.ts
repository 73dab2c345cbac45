import PQueue from 'p-queue';
import { malformedRateLimitHeaders } from '../http/rate-limit-headers.js';
import { AbortFanout } from './abort-fanout.js';
import { BucketGate, type GateClock, type GateLease, systemClock } from './bucket-gate.js';
import { type BucketEstimate, BucketModel } from './bucket-model.js';
import type { FleetBudget, FleetPacingOptions, FleetSlot, FleetSnapshot } from './fleet-budget.js';
import { LoopLag } from './loop-lag.js';
import { malformedHeaderAnomaly, type PacingAnomaly } from './pacing-anomaly.js';
import { type TransitEstimate, TransitEstimator } from './transit-estimator.js';

/**
 * Pacing settings; every field has a default matching Instructure-hosted Canvas.
 * @category Client
 */
export interface PacingOptions extends FleetPacingOptions {
  /** First guess of the bucket's high-water mark, learned from headers. @defaultValue 700 */
  highWaterMark?: number;
  /** Up-front cost each request in flight holds. @defaultValue 50 */
  upFrontCost?: number;
  /** Leak rate of the bucket, units per second. @defaultValue 10 */
  outflowPerSecond?: number;
  /** Units of headroom kept free beyond what the next request needs. @defaultValue 5 */
  safetyMargin?: number;
  /** Most requests in flight at once, whatever the bucket allows. @defaultValue 64. Minimum: 1 */
  maxConcurrent?: number;
  /**
   * How long a response's testimony counts in the headroom estimate, in ms; at least ten times the
   * event loop's lag while it runs late (on the system clock). @defaultValue 250
   */
  windowMs?: number;
  /**
   * Longest a request waits for the bucket to leak, in ms. A longer computed wait means the
   * model went wrong: the request waits this long instead, the client reports a `wait-capped`
   * anomaly, and then one request goes as a probe (once none is in flight) whose response
   * teaches the model afresh. Hosted Canvas never needs more than about 16 s.
   * @defaultValue 60000. Minimum: 1000; maximum: 2147483647 (Node's timer limit)
   */
  maxWaitMs?: number;
  /**
   * Largest `|X-Rate-Limit-Remaining|` believed, in cost units; also the ceiling of the learned
   * high-water mark. A reading beyond it (or not finite) is ignored and reported as an
   * `implausible-header` anomaly. Hosted Canvas reports −100 to 700.
   * @defaultValue 10000. Must be positive and at least `highWaterMark`
   */
  maxPlausibleRemaining?: number;
  /**
   * Largest `X-Request-Cost` believed, in cost units (a cost below 0, above this or not finite
   * is ignored and reported). Canvas's costs are typically 0.01 to a few units.
   * @defaultValue 10000. Must be positive
   */
  maxPlausibleCost?: number;
  /**
   * Learn how long requests travel to and from Canvas (from the rate-limit headers and the
   * client's own timeline, no extra request), and keep about as many requests inside Canvas as
   * the bucket allows rather than as many in the air. Off, every request in flight counts as
   * held by Canvas, as next door. Engages only when the round trip is clearly measured and is at
   * least 25 ms, 5 % of the response times and three times the event loop's lag; see README, "A distant
   * Canvas".
   * @defaultValue true
   */
  estimateTransit?: boolean;
}

/** {@link PacingOptions} with every default filled in (the fleet's options stay optional). */
export type ResolvedPacingOptions = Required<Omit<PacingOptions, keyof FleetPacingOptions>> &
  FleetPacingOptions;

/** The defaults of {@link PacingOptions}. */
export const defaultPacingOptions: ResolvedPacingOptions = Object.freeze({
  highWaterMark: 700,
  upFrontCost: 50,
  outflowPerSecond: 10,
  safetyMargin: 5,
  maxConcurrent: 64,
  windowMs: 250,
  maxWaitMs: 60_000,
  maxPlausibleRemaining: 10_000,
  maxPlausibleCost: 10_000,
  estimateTransit: true,
});

/** What a {@link CanvasPacer} calls out to; every field optional. */
export interface PacerHooks {
  /** Time and timers. @defaultValue {@link systemClock} */
  readonly clock?: GateClock | undefined;
  /**
   * Listens to abort signals for the pacer; give the client's own so that a signal shared by
   * the client and the pacer gets one listener. @defaultValue a new one
   */
  readonly aborts?: AbortFanout | undefined;
  /**
   * Called with every {@link PacingAnomaly}: a rate-limit header ignored as implausible, or a
   * wait cut to `maxWaitMs`. Called synchronously once the pacer's state is consistent; keep it
   * small (an exception it throws reaches the code that fed the pacer the response).
   */
  readonly onAnomaly?: ((anomaly: PacingAnomaly) => void) | undefined;
  /**
   * The budget the processes using the same token share (`pacing.redis`): a request holds one
   * of its slots, taken before the local gate, until its response's headers arrive.
   * @defaultValue none: this process paces alone
   */
  readonly fleet?: FleetBudget | undefined;
}

/** Queued jobs rejected per turn of the event loop when the pacer closes. */
const CLOSE_BATCH = 1_000;

/** Jobs started beyond the in-flight limit, so that one always waits at the gate, ready. */
const PREFETCH = 4;

/** What the pacer is doing now. */
export interface PacerSnapshot {
  /** Requests in flight (admitted, response not yet arrived). */
  readonly inFlight: number;
  /** Most requests in flight at once. */
  readonly maxInFlight: number;
  /** Requests waiting for their turn. */
  readonly queued: number;
  /** The bucket as the model sees it. */
  readonly bucket: BucketEstimate;
  /** The round trip outside Canvas, as learned so far. */
  readonly transit: TransitEstimate;
  /** How late the event loop runs, in ms; `undefined` on an injected clock. */
  readonly loopLagMs: number | undefined;
  /** The shared budget, when the client has one (`pacing.redis`). */
  readonly fleet?: FleetSnapshot;
}

/** How to run one job. */
export interface PacerJobOptions {
  /** Higher goes first, in the queue and at the gate; retries after a throttle use 1. @defaultValue 0 */
  readonly priority?: number;
  /**
   * Abandon the job when any of them aborts: while it waits it leaves the queue at once; once
   * started, the signal the task gets aborts. Shared signals (one for every job) cost one
   * listener in all, through the pacer's {@link AbortFanout}.
   */
  readonly signals?: readonly (AbortSignal | undefined)[];
}

/**
 * Paces one access token's requests. A p-queue keeps the queue, the
 * priorities and the overall concurrency cap; a {@link BucketGate} driven by a
 * {@link BucketModel} decides the exact moment each request may go, from what
 * Canvas's headers say about the bucket. A few jobs beyond the in-flight
 * limit are always started and waiting at the gate, so one goes the moment a
 * response frees its slot.
 */
export class CanvasPacer {
  readonly #queue: PQueue;
  readonly #gate: BucketGate;
  readonly #model: BucketModel;
  readonly #transit: TransitEstimator;
  readonly #lag: LoopLag | undefined;
  readonly #clock: GateClock;
  readonly #onAnomaly: ((anomaly: PacingAnomaly) => void) | undefined;
  readonly #aborts: AbortFanout;
  readonly #fleet: FleetBudget | undefined;
  readonly #maxPlausibleRemaining: number;
  /** Jobs in the queue not yet started, by the function that rejects them. */
  readonly #queued = new Set<(reason: unknown) => void>();
  /** Jobs abandoned while queued (their signal aborted), still in p-queue as no-ops. */
  #abandoned = 0;
  #closedReason: unknown;

  constructor(options: ResolvedPacingOptions, hooks: PacerHooks = {}) {
    const clock = hooks.clock ?? systemClock;
    this.#clock = clock;
    this.#onAnomaly = hooks.onAnomaly;
    this.#aborts = hooks.aborts ?? new AbortFanout();
    this.#fleet = hooks.fleet;
    this.#maxPlausibleRemaining = options.maxPlausibleRemaining;
    // The event loop's lag is real time: measured only on the system clock.
    this.#lag = hooks.clock === undefined ? new LoopLag() : undefined;
    const lag = this.#lag;
    const lagMs = lag === undefined ? {} : { lagMs: () => lag.ms() };
    this.#model = new BucketModel({
      ...lagMs,
      highWaterMark: options.highWaterMark,
      upFrontCost: options.upFrontCost,
      outflowPerSecond: options.outflowPerSecond,
      safetyMargin: options.safetyMargin,
      windowMs: options.windowMs,
      maxHighWaterMark: options.maxPlausibleRemaining,
    });
    this.#transit = new TransitEstimator({
      upFrontCost: options.upFrontCost,
      outflowPerSecond: options.outflowPerSecond,
    });
    this.#gate = new BucketGate(this.#model, {
      ...(options.estimateTransit ? { transit: this.#transit } : {}),
      ...lagMs,
      maxInFlight: options.maxConcurrent,
      clock,
      maxWaitMs: options.maxWaitMs,
      plausible: {
        maxRemaining: options.maxPlausibleRemaining,
        maxCost: options.maxPlausibleCost,
      },
      onAnomaly: hooks.onAnomaly,
      // While the fleet's budget is shared, it paces (from every process's responses, with the
      // fleet's requests in flight); this process's model only learns, for when Redis goes.
      paced: () => this.#fleet === undefined || this.#fleet.mode !== 'shared',
    });
    this.#queue = new PQueue({ concurrency: options.maxConcurrent + PREFETCH });
  }

  /**
   * Runs `task` when the bucket has room. The task must call
   * `lease.settle(remaining, throttled)` as soon as the response headers
   * arrive; the lease is settled anyway when the task ends. `signal` aborts when one of the
   * job's `signals` does.
   *
   * A queued job holds no `AbortSignal` listener of its own (only an entry in the fanout's set
   * of each shared signal), and one that leaves the queue early (a signal aborts, or the pacer
   * closes) is rejected at once and left in p-queue as a no-op: p-queue's own removal of an
   * aborted job is a linear search and splice, quadratic when 100,000 jobs share a signal.
   */
  run<T>(
    task: (lease: GateLease, signal: AbortSignal) => Promise<T>,
    options: PacerJobOptions = {},
  ): Promise<T> {
    const signals = options.signals ?? [];
    const priority = options.priority ?? 0;
    if (this.#closedReason !== undefined) return Promise.reject(this.#closedReason);
    const aborted = signals.find((signal) => signal?.aborted);
    if (aborted !== undefined) return Promise.reject(aborted.reason);
    return new Promise<T>((resolve, reject) => {
      let queued = true;
      const unsubscribers: (() => void)[] = [];
      const leave = (reason: unknown): void => {
        if (!queued) return;
        queued = false;
        this.#queued.delete(leave);
        for (const unsubscribe of unsubscribers) unsubscribe();
        this.#abandoned++;
        reject(reason);
      };
      this.#queued.add(leave);
      for (const signal of signals) {
        if (signal !== undefined) {
          unsubscribers.push(this.#aborts.subscribe(signal, () => leave(signal.reason)));
        }
      }
      this.#queue
        .add(
          async () => {
            if (queued && this.#closedReason !== undefined) leave(this.#closedReason);
            if (!queued) {
              this.#abandoned--;
              return;
            }
            queued = false;
            this.#queued.delete(leave);
            for (const unsubscribe of unsubscribers) unsubscribe();
            // Only started jobs (a bounded number) get a signal of their own.
            const { signal, unlink } = this.#aborts.link(signals);
            let slot: FleetSlot | undefined;
            try {
              // The fleet's slot first: held while this process's own gate waits, so that the
              // gate's count of requests in flight is of requests on their way to Canvas.
              slot = await this.#fleet?.acquire(priority, signal);
              const lease = this.#shared(await this.#gate.acquire(signal, priority), slot);
              try {
                resolve(await task(lease, signal));
              } finally {
                lease.settle(undefined, false);
              }
            } finally {
              slot?.release();
              unlink();
            }
          },
          { priority },
        )
        .catch(reject);
    });
  }

  /** The gate's lease, also freeing the fleet's slot (with the response's reading) on settle. */
  #shared(lease: GateLease, slot: FleetSlot | undefined): GateLease {
    if (slot === undefined) return lease;
    return {
      waitedMs: lease.waitedMs,
      byLeak: lease.byLeak,
      settle: (remaining, throttled, cost) => {
        lease.settle(remaining, throttled, cost);
        const plausible =
          remaining !== undefined &&
          Number.isFinite(remaining) &&
          Math.abs(remaining) <= this.#maxPlausibleRemaining;
        slot.release(
          plausible
            ? { remaining, throttled, highWaterMark: this.#model.highWaterMark }
            : undefined,
        );
      },
    };
  }

  /**
   * Reports, as `implausible-header` anomalies, the rate-limit headers of a response that are
   * present but not numbers (garbage text, `NaN`, `1e400`): `parseRateLimitHeaders` already
   * turned those into `undefined`, so the model never saw them. The text is cut to 40
   * printable characters. Does nothing without an `onAnomaly` hook.
   */
  reportMalformedHeaders(headers: Headers): void {
    const onAnomaly = this.#onAnomaly;
    if (onAnomaly === undefined) return;
    for (const { header, text } of malformedRateLimitHeaders(headers)) {
      onAnomaly(malformedHeaderAnomaly(header, text));
    }
  }

  /** A snapshot for stats. */
  snapshot(): PacerSnapshot {
    return {
      inFlight: this.#gate.inFlight,
      maxInFlight: this.#gate.maxInFlight,
      queued: this.#queue.size - this.#abandoned + this.#gate.waiting,
      bucket: this.#model.estimate(this.#clock.now()),
      transit: this.#transit.estimate,
      loopLagMs: this.#lag?.ms(),
      ...(this.#fleet === undefined ? {} : { fleet: this.#fleet.snapshot() }),
    };
  }

  /**
   * Rejects every queued job and every later one with `reason`, {@link CLOSE_BATCH} per turn
   * of the event loop, so that a long queue does not stall it; jobs already started go on.
   * Resolves once the queue is empty.
   */
  async closeQueue(reason: unknown): Promise<void> {
    this.#closedReason ??= reason;
    for (let batch = 0; this.#queued.size > 0; batch++) {
      if (batch > 0) await new Promise((resolve) => setImmediate(resolve));
      let left = CLOSE_BATCH;
      for (const leave of this.#queued) {
        if (left-- === 0) break;
        leave(this.#closedReason);
      }
    }
    this.#queue.clear();
    this.#abandoned = 0;
  }

  /**
   * Rejects everything queued or waiting at the gate, and every later job, with `reason`, and
   * resolves when running jobs have ended.
   */
  async close(reason: unknown): Promise<void> {
    this.#closedReason ??= reason;
    this.#gate.close(this.#closedReason);
    await this.closeQueue(this.#closedReason);
    await this.#queue.onIdle();
    this.#lag?.close();
    await this.#fleet?.close();
  }
}
