/**
 * What the client believes about its token's bucket, learned from the
 * `X-Rate-Limit-Remaining` header of every response. Pure: the caller passes
 * the time.
 *
 * Canvas's bucket holds `count = R + upFront × K`, where `K` requests are in
 * flight (each holding the up-front cost) and `R` is the real cost not yet
 * leaked. A response reports `remaining = hwm − count`. The client knows how
 * many of its own requests were in flight when the response arrived, so each
 * response yields the *headroom* `hwm − R = remaining + upFront × others`,
 * which only grows by leaking at `outflow` units per second. A new request
 * can start when `upFront × (inFlight + 1) + safetyMargin ≤ headroom`.
 *
 * Two refinements keep the estimate safe:
 * - The headroom is the minimum over the observations of the last
 *   `windowMs`, each grown by the leak since it was taken. A single
 *   observation that overstates it (a request counted as in flight that had
 *   not reached Canvas yet) is outvoted by its neighbours.
 * - Leak growth is capped by the high-water mark, learned as the largest
 *   `remaining` ever seen (it can only be larger than any `remaining`), and
 *   lowered again when a throttle shows the guess was too high.
 */
export interface BucketModelSettings {
  /** First guess of the high-water mark; learned upward from headers. Hosted Canvas: 700. */
  readonly highWaterMark: number;
  /** Up-front cost each request in flight holds. Canvas: 50. */
  readonly upFrontCost: number;
  /** Leak rate in units per second. Canvas: 10. */
  readonly outflowPerSecond: number;
  /** Units kept free beyond what the next request needs. */
  readonly safetyMargin: number;
  /** How long an observation keeps a say in the headroom, in ms. */
  readonly windowMs: number;
}

/** One response's testimony about the bucket. */
export interface BucketObservation {
  /** `X-Rate-Limit-Remaining` of the response. */
  readonly remaining: number;
  /** Requests of this client still in flight when it arrived, itself excluded. */
  readonly othersInFlight: number;
  /** Whether the response was a throttle. */
  readonly throttled: boolean;
  /** When it arrived, in ms. */
  readonly nowMs: number;
}

interface Sample {
  readonly headroom: number;
  readonly atMs: number;
}

/** A snapshot of the model, for stats and events. */
export interface BucketEstimate {
  /** Estimated headroom (`hwm − R`) now; `undefined` before the first response. */
  readonly headroom: number | undefined;
  /** Current estimate of the high-water mark. */
  readonly highWaterMark: number;
  /** Largest `X-Rate-Limit-Remaining` seen. */
  readonly maxRemainingSeen: number | undefined;
  /** Last `X-Rate-Limit-Remaining` seen. */
  readonly lastRemaining: number | undefined;
}

/** Estimates a Canvas token's bucket from response headers; see the module comment. */
export class BucketModel {
  readonly #settings: BucketModelSettings;
  #highWaterMark: number;
  #maxRemaining: number | undefined;
  #lastRemaining: number | undefined;
  #samples: Sample[] = [];

  constructor(settings: BucketModelSettings) {
    this.#settings = settings;
    this.#highWaterMark = settings.highWaterMark;
  }

  /** Current estimate of the high-water mark. */
  get highWaterMark(): number {
    return this.#highWaterMark;
  }

  /** Takes in one response's headers. */
  observe(observation: BucketObservation): void {
    const { remaining, othersInFlight, throttled, nowMs } = observation;
    const { upFrontCost } = this.#settings;
    const predicted = this.headroom(nowMs);
    const headroom = remaining + upFrontCost * Math.max(0, othersInFlight);
    this.#lastRemaining = remaining;
    this.#maxRemaining = Math.max(this.#maxRemaining ?? remaining, remaining);
    if (this.#maxRemaining > this.#highWaterMark) this.#highWaterMark = this.#maxRemaining;
    if (throttled && predicted !== undefined && predicted > headroom) {
      // The model let a request through that Canvas refused: if the guess of the
      // high-water mark let the headroom grow too far, bring it down by the error.
      const lowered = this.#highWaterMark - (predicted - headroom);
      this.#highWaterMark = Math.max(this.#maxRemaining, lowered, upFrontCost);
    }
    this.#samples = this.#samples.filter(
      (sample) => nowMs - sample.atMs <= this.#settings.windowMs,
    );
    this.#samples.push({ headroom: Math.min(headroom, this.#highWaterMark), atMs: nowMs });
  }

  /** Estimated headroom (`hwm − R`) at `nowMs`; `undefined` before any observation. */
  headroom(nowMs: number): number | undefined {
    if (this.#samples.length === 0) return undefined;
    const { outflowPerSecond, windowMs } = this.#settings;
    const newest = this.#samples[this.#samples.length - 1];
    let lowest = Number.POSITIVE_INFINITY;
    for (const sample of this.#samples) {
      // Samples older than the window stop counting, but the newest always counts.
      if (sample !== newest && nowMs - sample.atMs > windowMs) continue;
      const grown = sample.headroom + (outflowPerSecond * Math.max(0, nowMs - sample.atMs)) / 1000;
      lowest = Math.min(lowest, grown);
    }
    return Math.min(this.#highWaterMark, lowest);
  }

  /**
   * How many requests may be in flight at `nowMs`: 1 before the first response
   * (a probe, in case another process already filled the bucket), then as many
   * as the headroom covers after the safety margin.
   */
  allowedInFlight(nowMs: number): number {
    const headroom = this.headroom(nowMs);
    if (headroom === undefined) return 1;
    const { upFrontCost, safetyMargin } = this.#settings;
    if (upFrontCost <= 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, Math.floor((headroom - safetyMargin) / upFrontCost));
  }

  /**
   * Milliseconds until one more request than `inFlight` may start, counting on
   * the leak alone: 0 when it may start now, `undefined` when the leak cannot
   * make enough room (a request in flight must end first).
   */
  msUntilRoom(inFlight: number, nowMs: number): number | undefined {
    const headroom = this.headroom(nowMs);
    if (headroom === undefined) return inFlight < 1 ? 0 : undefined;
    const { upFrontCost, safetyMargin, outflowPerSecond } = this.#settings;
    const needed = upFrontCost * (inFlight + 1) + safetyMargin;
    if (needed <= headroom) return 0;
    if (needed > this.#highWaterMark) return undefined;
    return Math.ceil(((needed - headroom) / outflowPerSecond) * 1000);
  }

  /** A snapshot for stats. */
  estimate(nowMs: number): BucketEstimate {
    return {
      headroom: this.headroom(nowMs),
      highWaterMark: this.#highWaterMark,
      maxRemainingSeen: this.#maxRemaining,
      lastRemaining: this.#lastRemaining,
    };
  }
}
