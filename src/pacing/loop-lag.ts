import { monitorEventLoopDelay } from 'node:perf_hooks';

/** How often Node's monitor samples the event loop, in ms. */
const RESOLUTION_MS = 5;
/** Each window of samples lasts this long; the lag is the worse of the current and the last. */
const WINDOW_MS = 1_000;
/** The percentile of the delays taken as the lag. */
const PERCENTILE = 99;
/** The percentile is recomputed at most this often, in ms. */
const REFRESH_MS = 50;

/**
 * Where a {@link LoopLag} reads the event loop's delays: the shape of Node's `IntervalHistogram`
 * (delays in ns), which tests replace.
 */
export interface LoopDelayHistogram {
  enable(): void;
  disable(): void;
  reset(): void;
  /** The delay at the given percentile, in ns. */
  percentile(percentile: number): number;
  /** Samples taken since the last reset. */
  readonly count: number;
}

/**
 * How late this process's event loop runs: the 99th percentile of the delays Node's
 * `monitorEventLoopDelay` measured over the last one to two seconds, beyond its own sampling
 * interval. A response read that late makes the requests admitted while it waited count as held,
 * so the pacer keeps its readings longer (ten times the lag) and counts on a round trip only when
 * it is well beyond the lag. Enabled when made; `close()` stops the monitor.
 */
export class LoopLag {
  readonly #histogram: LoopDelayHistogram;
  readonly #now: () => number;
  #windowStart: number;
  #previousMs = 0;
  #currentMs = 0;
  #refreshedAt = Number.NEGATIVE_INFINITY;

  /**
   * @param now - Monotonic time in ms; by default `performance.now()`.
   * @param histogram - Where the delays come from, enabled here and disabled by `close()`; by
   *   default Node's `monitorEventLoopDelay` at a 5 ms resolution.
   */
  constructor(
    now: () => number = () => performance.now(),
    histogram: LoopDelayHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS }),
  ) {
    this.#now = now;
    this.#histogram = histogram;
    this.#histogram.enable();
    this.#windowStart = now();
  }

  /** The lag now, in ms (0 when the loop keeps time). */
  ms(): number {
    const now = this.#now();
    if (now - this.#refreshedAt >= REFRESH_MS) {
      this.#refreshedAt = now;
      const histogram = this.#histogram;
      const p = histogram.count > 0 ? histogram.percentile(PERCENTILE) / 1e6 : 0;
      this.#currentMs = Math.max(0, p - RESOLUTION_MS);
      if (now - this.#windowStart >= WINDOW_MS) {
        this.#previousMs = this.#currentMs;
        this.#windowStart = now;
        histogram.reset();
      }
    }
    return Math.max(this.#previousMs, this.#currentMs);
  }

  /** Stops measuring. */
  close(): void {
    this.#histogram.disable();
  }
}
