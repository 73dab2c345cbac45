/**
 * What the client believes about its token's bucket, learned from the
 * `X-Rate-Limit-Remaining` header of every response. Pure: the caller passes
 * the time.
 *
 * Canvas's bucket holds one number, `count`; a request adds the up-front cost
 * when it starts and swaps it for its real cost when it ends, and the whole
 * count leaks at `outflow` units per second (never below 0). A response
 * reports `remaining = hwm − count`. The client knows how many of its own
 * requests were still in flight when a response arrived, so each response
 * yields the *headroom* `H = remaining + upFront × others`: the room there
 * would be if none of them held anything. A new request may start when
 * `upFront × (inFlight + 1) + safetyMargin ≤ H`.
 *
 * Between responses `H` grows with the leak, for as long as the count is
 * above 0. The up-front charges of requests in flight leak too, which is why
 * a long run at 13 in flight eventually has room for a 14th; the model
 * believes in at most one such extra slot.
 *
 * Two refinements keep the estimate safe:
 * - The headroom is the minimum over the observations of the last
 *   `windowMs`, each grown by the leak since it was taken and reduced by the
 *   costs later responses reported (`X-Request-Cost`). A single
 *   observation that overstates it (a request counted as in flight that had
 *   not reached Canvas yet) is outvoted by its neighbours. A smoothed reading
 *   (`BucketObservation.headroom`, already weighing the earlier ones) replaces
 *   the smoothed readings before it instead of joining their minimum.
 * - The high-water mark is learned as the largest `remaining` ever seen (no
 *   `remaining` can exceed it), never above `maxHighWaterMark`, and lowered
 *   again when a throttle shows that a guess let the headroom grow too far.
 *
 * The model trusts what it is given: screen readings first (see
 * `screenReading`). It ignores only what no arithmetic survives: a `remaining`
 * or `cost` that is not finite.
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
  /**
   * Highest high-water mark the model will learn from headers, in cost units.
   * @defaultValue `Infinity` (the client passes `pacing.maxPlausibleRemaining`, 10,000)
   */
  readonly maxHighWaterMark?: number;
  /**
   * How late the event loop runs now, in ms: readings are kept for at least
   * `LAG_WINDOWS` (10) times that, however short `windowMs` is.
   * @defaultValue none (readings count for `windowMs`)
   */
  readonly lagMs?: (() => number) | undefined;
}

/**
 * Readings count for at least this many times the event loop's lag. A response read late makes
 * the requests admitted while it waited count as held, so its reading overstates the headroom; a
 * loop that runs late makes nearly every reading do so. The lowest recent reading is then the one
 * taken when the loop happened to keep time, and it must not be forgotten before the next such
 * reading comes (measured on the main job's pipeline with two busy loops, lag 45-86 ms: every
 * reading for 250 ms at a time overstated it, by up to seven charges; with the readings kept 1 s,
 * no throttle in four runs against two in three of four).
 */
const LAG_WINDOWS = 10;

/** One response's testimony about the bucket. */
export interface BucketObservation {
  /** `X-Rate-Limit-Remaining` of the response. */
  readonly remaining: number;
  /** Requests of this client still in flight when it arrived, itself excluded. */
  readonly othersInFlight: number;
  /** Whether the response was a throttle. */
  readonly throttled: boolean;
  /** `X-Request-Cost` of the response. @defaultValue 0 (absent, as on throttles) */
  readonly cost?: number;
  /** When it arrived, in ms. */
  readonly nowMs: number;
  /**
   * The headroom the reading implies, when the caller knows it better than
   * `remaining + upFront × othersInFlight` (the transit estimate's smoothed reading, for a
   * distant Canvas). Such a reading already weighs the earlier ones: it replaces the earlier
   * readings given this way rather than joining their minimum over `windowMs`.
   * @defaultValue `remaining + upFront × othersInFlight`
   */
  readonly headroom?: number;
}

interface Sample {
  readonly headroom: number;
  /** The client's other requests in flight when it was taken. */
  readonly others: number;
  /** Sum of the costs reported up to and including this observation. */
  readonly costs: number;
  readonly atMs: number;
  /** Whether it is a smoothed reading (`BucketObservation.headroom`). */
  readonly smoothed: boolean;
}

/**
 * A snapshot of the model, for stats and events.
 * @category Client
 */
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
  #costs = 0;

  constructor(settings: BucketModelSettings) {
    this.#settings = settings;
    this.#highWaterMark = settings.highWaterMark;
  }

  /** Current estimate of the high-water mark. */
  get highWaterMark(): number {
    return this.#highWaterMark;
  }

  /**
   * Takes in one response's headers. A `remaining` that is not finite is ignored
   * (the observation is dropped), and so is a `cost` that is not finite.
   */
  observe(observation: BucketObservation): void {
    const { remaining, othersInFlight, throttled, nowMs } = observation;
    if (!Number.isFinite(remaining) || !Number.isFinite(nowMs)) return;
    const cost = observation.cost ?? 0;
    if (Number.isFinite(cost)) this.#costs += Math.max(0, cost);
    const { upFrontCost } = this.#settings;
    const ceiling = this.#settings.maxHighWaterMark ?? Number.POSITIVE_INFINITY;
    const predicted = this.headroom(nowMs);
    const headroom = Number.isFinite(observation.headroom)
      ? (observation.headroom as number)
      : remaining + upFrontCost * Math.max(0, othersInFlight);
    this.#lastRemaining = remaining;
    this.#maxRemaining = Math.max(this.#maxRemaining ?? remaining, remaining);
    // Learned upward, but never above the ceiling: one absurd reading must not switch pacing off.
    const learned = Math.min(this.#maxRemaining, ceiling);
    if (learned > this.#highWaterMark) this.#highWaterMark = learned;
    if (throttled && predicted !== undefined && predicted > headroom) {
      // The model let a request through that Canvas refused: if the guess of the
      // high-water mark let the headroom grow too far, bring it down by the error.
      const lowered = this.#highWaterMark - (predicted - headroom);
      // Never so low that not even one request could go: the gate would wait for ever.
      const floor = upFrontCost + this.#settings.safetyMargin + 1;
      this.#highWaterMark = Math.max(learned, lowered, floor);
    }
    const smoothed = Number.isFinite(observation.headroom);
    // A smoothed reading already weighs the earlier ones: it supersedes them (the minimum of
    // many smoothed readings would only be their noise's low end, a charge or more too low).
    const windowMs = this.#windowMs();
    this.#samples = this.#samples.filter(
      (sample) => !(smoothed && sample.smoothed) && nowMs - sample.atMs <= windowMs,
    );
    const others = Math.max(0, othersInFlight);
    this.#samples.push({
      headroom: Math.min(headroom, this.#ceiling(others)),
      others,
      costs: this.#costs,
      atMs: nowMs,
      smoothed,
    });
  }

  /** Estimated headroom at `nowMs` (see the module comment); `undefined` before any observation. */
  headroom(nowMs: number): number | undefined {
    let lowest: number | undefined;
    for (const sample of this.#current(nowMs)) {
      // Grown by the leak since, less the costs charged since (reported by later responses).
      const grown =
        sample.headroom +
        (this.#settings.outflowPerSecond * Math.max(0, nowMs - sample.atMs)) / 1000 -
        (this.#costs - sample.costs);
      const capped = Math.min(grown, this.#ceiling(sample.others));
      lowest = lowest === undefined ? capped : Math.min(lowest, capped);
    }
    return lowest;
  }

  /**
   * The largest headroom the model will believe with `others` requests in
   * flight. Their up-front charges leak too, so the true bound is
   * `hwm + upFront × others` (all of them leaked); the model trusts at most one
   * such charge, since a request counted as in flight may not have reached
   * Canvas yet, and overstating the headroom by several charges would let a
   * burst through.
   */
  #ceiling(others: number): number {
    return this.#highWaterMark + this.#settings.upFrontCost * Math.min(others, 1);
  }

  /** Samples that still count: those of the window, and always the newest. */
  #current(nowMs: number): Sample[] {
    const newest = this.#samples[this.#samples.length - 1];
    const windowMs = this.#windowMs();
    return this.#samples.filter((sample) => sample === newest || nowMs - sample.atMs <= windowMs);
  }

  /** How long a reading counts: `windowMs`, or longer while the event loop runs late. */
  #windowMs(): number {
    const lag = this.#settings.lagMs?.() ?? 0;
    return Math.max(this.#settings.windowMs, Number.isFinite(lag) ? LAG_WINDOWS * lag : 0);
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
    const reachable = Math.min(
      ...this.#current(nowMs).map((sample) => this.#ceiling(sample.others)),
    );
    if (needed > reachable) return undefined;
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
