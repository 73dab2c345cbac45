/**
 * The parameters of Canvas's per-token leaky bucket
 * (`app/middleware/request_throttle.rb` in canvas-lms).
 * @category Testing
 */
export interface BucketSettings {
  /** Requests are rejected while the bucket holds at least this much. Hosted Canvas: 700. */
  readonly highWaterMark: number;
  /** The bucket never holds more than this. Canvas default: 800. */
  readonly maximum: number;
  /** Units leaked per second. Canvas default: 10. */
  readonly outflowPerSecond: number;
  /** Charged when a request starts, credited back when it ends. Canvas default: 50. */
  readonly upFrontCost: number;
}

/**
 * One token's bucket, with Canvas's arithmetic: on every update, first leak
 * `outflow × elapsed` (never below 0), then add, then clamp to `[0, maximum]`.
 * Pure apart from its own state: the caller passes the time.
 * @category Testing
 */
export class LeakyBucket {
  #count = 0;
  #lastTouchedMs: number;

  /**
   * @param settings - The bucket's parameters (kept as {@link LeakyBucket.settings}).
   * @param nowMs - When the bucket starts, empty, in ms of the caller's clock.
   */
  constructor(
    /** The parameters this bucket applies, as given to the constructor. */
    readonly settings: BucketSettings,
    nowMs: number,
  ) {
    this.#lastTouchedMs = nowMs;
  }

  /** Leaks up to `nowMs`, adds `amount` (may be negative) and clamps; returns the new level. */
  increment(amount: number, nowMs: number): number {
    this.#count = this.#clamp(this.#leaked(nowMs) + amount);
    this.#lastTouchedMs = Math.max(this.#lastTouchedMs, nowMs);
    return this.#count;
  }

  /** The level at `nowMs`, leak included, without changing the stored state. */
  level(nowMs: number): number {
    return this.#leaked(nowMs);
  }

  /** `highWaterMark - level`: what `X-Rate-Limit-Remaining` reports. Can be negative. */
  remaining(nowMs: number): number {
    return this.settings.highWaterMark - this.level(nowMs);
  }

  /** Sets the level outright (to simulate another process using the same token). */
  fill(level: number, nowMs: number): void {
    this.#count = this.#clamp(level);
    this.#lastTouchedMs = nowMs;
  }

  #leaked(nowMs: number): number {
    const elapsedSeconds = Math.max(0, nowMs - this.#lastTouchedMs) / 1000;
    return Math.max(0, this.#count - this.settings.outflowPerSecond * elapsedSeconds);
  }

  #clamp(value: number): number {
    return Math.min(this.settings.maximum, Math.max(0, value));
  }
}
