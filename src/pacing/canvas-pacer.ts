import Bottleneck from 'bottleneck';
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
  /** Units of headroom kept free beyond what the next request needs. @defaultValue 20 */
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
  safetyMargin: 20,
  maxConcurrent: 64,
  observationWindowMs: 250,
});

/** Jobs Bottleneck starts beyond the in-flight limit, so that one waits at the gate, ready. */
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
  /** 0 (first) to 9 (last). Retries after a throttle go first. @defaultValue 5 */
  readonly priority?: number;
  /** Abandons the job while it waits. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Paces one access token's requests. Bottleneck keeps the queue, the
 * priorities and the overall concurrency cap; a {@link BucketGate} driven by a
 * {@link BucketModel} decides the exact moment each request may go, from what
 * Canvas's headers say about the bucket.
 *
 * Bottleneck's local store yields a timer tick on every operation (about 1 ms
 * each, three per job), so admitting at the gate rather than through
 * Bottleneck's own reservoir keeps that delay off the critical path: a few
 * jobs are always started and waiting at the gate, and one goes the moment
 * a response frees its slot.
 */
export class CanvasPacer {
  readonly #limiter: Bottleneck;
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
    this.#limiter = new Bottleneck({ maxConcurrent: options.maxConcurrent + PREFETCH });
  }

  /**
   * Runs `task` when the bucket has room. The task must call
   * `lease.settle(remaining, throttled)` as soon as the response headers
   * arrive; the lease is settled anyway when the task ends.
   */
  run<T>(task: (lease: GateLease) => Promise<T>, options: PacerJobOptions = {}): Promise<T> {
    const { signal } = options;
    const job = async (): Promise<T> => {
      const lease = await this.#gate.acquire(signal);
      try {
        return await task(lease);
      } finally {
        lease.settle(undefined, false);
      }
    };
    const scheduled = this.#limiter.schedule({ priority: options.priority ?? 5 }, job);
    if (signal === undefined) return scheduled;
    // A job still queued in Bottleneck cannot be removed, but its caller need not wait:
    // it settles at once, and the job returns immediately when its turn comes.
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      scheduled.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** A snapshot for stats. */
  snapshot(): PacerSnapshot {
    const counts = this.#limiter.counts();
    return {
      inFlight: this.#gate.inFlight,
      maxInFlight: this.#gate.maxInFlight,
      queued: (counts.QUEUED ?? 0) + (counts.RECEIVED ?? 0) + this.#gate.waiting,
      bucket: this.#model.estimate(this.#clock.now()),
    };
  }

  /** Rejects everything waiting with `reason` and resolves when running jobs have ended. */
  async close(reason: unknown): Promise<void> {
    this.#gate.close(reason);
    await this.#limiter.stop({ dropWaitingJobs: true, dropErrorMessage: String(reason) });
  }
}
