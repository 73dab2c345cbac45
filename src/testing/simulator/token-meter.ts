/**
 * One observation of a token's bucket, taken whenever it changes.
 * @category Testing
 */
export interface LevelSample {
  /** Milliseconds since the simulator started (by its clock). */
  readonly timeMs: number;
  /** Bucket level (`count`) after the change. */
  readonly level: number;
  /** Requests of this token being served at that moment. */
  readonly inFlight: number;
}

/**
 * What the simulator saw of one access token.
 * @category Testing
 */
export interface TokenStats {
  /** Every request that carried this token. */
  readonly requests: number;
  /** Requests that passed the throttle (whatever their status). */
  readonly served: number;
  /** Requests rejected by the throttle. */
  readonly throttled: number;
  /** Served requests answered 401 because the token is invalid, expired or revoked. */
  readonly unauthorized: number;
  /** Requests being served now. */
  readonly inFlight: number;
  /** Most requests of this token served at the same time. */
  readonly maxInFlight: number;
  /** Bucket level now, leak included. */
  readonly level: number;
  /** `highWaterMark - level`, what the next response would report before its own charge. */
  readonly remaining: number;
  /** Highest level the bucket reached. */
  readonly peakLevel: number;
  /** Level samples, oldest first (bounded by `maxSamples`). */
  readonly samples: readonly LevelSample[];
}

/** Counters and a bounded level series for one token. */
export class TokenMeter {
  requests = 0;
  served = 0;
  throttled = 0;
  unauthorized = 0;
  inFlight = 0;
  maxInFlight = 0;
  peakLevel = 0;
  readonly #samples: LevelSample[] = [];
  #next = 0;

  constructor(private readonly maxSamples: number) {}

  /** Marks a request as started being served. */
  enter(): void {
    this.served++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
  }

  /** Marks a served request as finished. */
  leave(): void {
    this.inFlight--;
  }

  /** Records the level after a change (ring buffer once full). */
  sample(timeMs: number, level: number): void {
    this.peakLevel = Math.max(this.peakLevel, level);
    const sample = { timeMs, level, inFlight: this.inFlight };
    if (this.#samples.length < this.maxSamples) {
      this.#samples.push(sample);
    } else {
      this.#samples[this.#next] = sample;
      this.#next = (this.#next + 1) % this.maxSamples;
    }
  }

  /** Samples in time order. */
  samples(): LevelSample[] {
    return [...this.#samples.slice(this.#next), ...this.#samples.slice(0, this.#next)];
  }

  /** Clears counters and samples (not the in-flight count, which tracks live requests). */
  reset(): void {
    this.requests = 0;
    this.served = 0;
    this.throttled = 0;
    this.unauthorized = 0;
    this.maxInFlight = this.inFlight;
    this.peakLevel = 0;
    this.#samples.length = 0;
    this.#next = 0;
  }
}
