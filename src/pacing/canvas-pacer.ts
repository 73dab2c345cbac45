import PQueue from 'p-queue';
import { BucketGate, type GateClock, type GateLease, systemClock } from './bucket-gate.js';
import { type BucketEstimate, BucketModel } from './bucket-model.js';

/** Pacing settings; every field has a default matching Instructure-hosted Canvas. */
export interface PacingOptions {
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
  /** How long a response's testimony counts in the headroom estimate, in ms. @defaultValue 250 */
  observationWindowMs?: number;
}

/** {@link PacingOptions} with every default filled in. */
export type ResolvedPacingOptions = Required<PacingOptions>;

/** The defaults of {@link PacingOptions}. */
export const defaultPacingOptions: ResolvedPacingOptions = Object.freeze({
  highWaterMark: 700,
  upFrontCost: 50,
  outflowPerSecond: 10,
  safetyMargin: 5,
  maxConcurrent: 64,
  observationWindowMs: 250,
});

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
}

/** How to run one job. */
export interface PacerJobOptions {
  /** Higher goes first, in the queue and at the gate; retries after a throttle use 1. @defaultValue 0 */
  readonly priority?: number;
  /** Abandons the job while it waits: it leaves the queue at once. */
  readonly signal?: AbortSignal | undefined;
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
  readonly #clock: GateClock;

  constructor(options: ResolvedPacingOptions, clock: GateClock = systemClock) {
    this.#clock = clock;
    this.#model = new BucketModel({
      highWaterMark: options.highWaterMark,
      upFrontCost: options.upFrontCost,
      outflowPerSecond: options.outflowPerSecond,
      safetyMargin: options.safetyMargin,
      windowMs: options.observationWindowMs,
    });
    this.#gate = new BucketGate(this.#model, { maxInFlight: options.maxConcurrent, clock });
    this.#queue = new PQueue({ concurrency: options.maxConcurrent + PREFETCH });
  }

  /**
   * Runs `task` when the bucket has room. The task must call
   * `lease.settle(remaining, throttled)` as soon as the response headers
   * arrive; the lease is settled anyway when the task ends.
   */
  run<T>(task: (lease: GateLease) => Promise<T>, options: PacerJobOptions = {}): Promise<T> {
    const { signal } = options;
    return this.#queue.add(
      async () => {
        const lease = await this.#gate.acquire(signal, options.priority ?? 0);
        try {
          return await task(lease);
        } finally {
          lease.settle(undefined, false);
        }
      },
      { priority: options.priority ?? 0, ...(signal === undefined ? {} : { signal }) },
    );
  }

  /** A snapshot for stats. */
  snapshot(): PacerSnapshot {
    return {
      inFlight: this.#gate.inFlight,
      maxInFlight: this.#gate.maxInFlight,
      queued: this.#queue.size + this.#gate.waiting,
      bucket: this.#model.estimate(this.#clock.now()),
    };
  }

  /**
   * Rejects everything waiting at the gate with `reason` and resolves when
   * running jobs have ended. Queued jobs leave through their own signals.
   */
  async close(reason: unknown): Promise<void> {
    this.#gate.close(reason);
    await this.#queue.onIdle();
  }
}
