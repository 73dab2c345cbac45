/**
 * What the pacer refuses to believe, and how it says so. Pure: values in, values out.
 *
 * Canvas reports `X-Rate-Limit-Remaining = hwm − level` with the level between 0 and the
 * bucket's maximum (hosted: hwm 700, maximum 800, so remaining lies in [−100, 700]) and
 * `X-Request-Cost` as a few units at most. A reading far outside that is a broken proxy, a bug
 * or an attack; fed to the bucket model it would stall every later request for hours
 * (remaining −1e6), overflow Node's timers (−1e300) or switch pacing off for good (1e300 learned
 * as the high-water mark). Such readings are dropped and reported instead.
 *
 * @module
 */
import type { RateLimitHeaderName } from '../http/rate-limit-headers.js';

export type { RateLimitHeaderName };

/**
 * Something the pacer saw and did not act on as told. Carries only the header's name and its
 * value (raw text truncated to 40 characters, printable ASCII only), never
 * a URL, a token or a body.
 * @category Client
 */
export type PacingAnomaly =
  | {
      /** A rate-limit header outside the plausible range, not finite, or not a number: ignored. */
      readonly kind: 'implausible-header';
      /** Which header. */
      readonly header: RateLimitHeaderName;
      /** The value as parsed (may be `NaN` or `±Infinity`), or the raw text when it was not a number. */
      readonly value: number | string;
    }
  | {
      /**
       * The bucket model asked for a wait longer than `maxWaitMs` (or for no end at all): the gate
       * waited `maxWaitMs` instead, then let one request go as a probe once none was in flight.
       */
      readonly kind: 'wait-capped';
      /** The wait the model computed, in ms; `Infinity` when only a response could have ended it. */
      readonly computedMs: number;
      /** The wait used instead, in ms (`maxWaitMs`). */
      readonly cappedMs: number;
    };

/** Most characters of a header's raw text an anomaly carries. */
export const MAX_ANOMALY_TEXT = 40;

/** The range of readings the pacer believes. */
export interface PlausibleBounds {
  /** Largest `|X-Rate-Limit-Remaining|` believed, in cost units; also the ceiling of the high-water mark. */
  readonly maxRemaining: number;
  /** Largest `X-Request-Cost` believed, in cost units (the smallest is 0). */
  readonly maxCost: number;
}

/** A response's readings after {@link screenReading}: what may reach the model, and what did not. */
export interface ScreenedReading {
  /** The remaining to feed to the model, or `undefined` (absent or implausible). */
  readonly remaining: number | undefined;
  /** The cost to feed to the model, or `undefined` (absent or implausible). */
  readonly cost: number | undefined;
  /** One `implausible-header` anomaly per value dropped. */
  readonly anomalies: readonly PacingAnomaly[];
}

/**
 * Keeps the readings that are finite and within `bounds` (`|remaining| ≤ maxRemaining`,
 * `0 ≤ cost ≤ maxCost`) and turns the others into anomalies. `undefined` (header absent) is
 * neither kept nor reported.
 *
 * @example
 * ```ts
 * screenReading(-1e6, 0.1, { maxRemaining: 10_000, maxCost: 10_000 });
 * // { remaining: undefined, cost: 0.1,
 * //   anomalies: [{ kind: 'implausible-header', header: 'x-rate-limit-remaining', value: -1e6 }] }
 * ```
 */
export function screenReading(
  remaining: number | undefined,
  cost: number | undefined,
  bounds: PlausibleBounds,
): ScreenedReading {
  const anomalies: PacingAnomaly[] = [];
  const keep = (
    header: RateLimitHeaderName,
    value: number | undefined,
    min: number,
    max: number,
  ): number | undefined => {
    if (value === undefined) return undefined;
    // NaN fails both comparisons, ±Infinity the bounds (which are finite).
    if (value >= min && value <= max && Number.isFinite(value)) return value;
    anomalies.push({ kind: 'implausible-header', header, value });
    return undefined;
  };
  return {
    remaining: keep('x-rate-limit-remaining', remaining, -bounds.maxRemaining, bounds.maxRemaining),
    cost: keep('x-request-cost', cost, 0, bounds.maxCost),
    anomalies,
  };
}

/**
 * The anomaly for a header whose text is not a number: the text cut to
 * {@link MAX_ANOMALY_TEXT} characters, anything but printable ASCII replaced by `?`, so that a
 * hostile server cannot inject text into logs.
 */
export function malformedHeaderAnomaly(header: RateLimitHeaderName, text: string): PacingAnomaly {
  const cut = text.slice(0, MAX_ANOMALY_TEXT).replace(/[^\x20-\x7e]/g, '?');
  return { kind: 'implausible-header', header, value: cut };
}
