/**
 * The best throughput any client could reach against the simulator's bucket,
 * computed from its parameters (see `/work/shared/canvas-api-facts.md` §1).
 *
 * Two bounds, for a run of `N` requests of cost `c` and latency `λ` that
 * starts with the bucket at level `L0`:
 *
 * - in flight: a request is admitted only while `level + upFront < hwm`, so on
 *   an empty bucket at most `kMax = ceil(hwm / upFront) − 1` requests can be in
 *   flight (13 for 700 / 50), and the rate is at most `kMax / λ`;
 * - outflow: besides what leaks, the bucket can absorb at most
 *   `hwm − upFront − L0` units before the last admission, so the run takes at
 *   least `(N·c − (hwm − upFront − L0)) / outflow` seconds.
 *
 * `T* = max` of the two times. When the bucket starts partly full, the
 * concurrency allowed early on is lower than `kMax` and grows as the level
 * leaks, which neither bound captures; `T*` then comes from
 * {@link idealClientSeconds}, a deterministic discrete-time run of a clairvoyant
 * client against the same arithmetic.
 */

/** What the limit depends on: the bucket, the request model and the run. */
export interface LimitParams {
  readonly highWaterMark: number;
  readonly maximum: number;
  readonly upFrontCost: number;
  readonly outflowPerSecond: number;
  /** Cost charged per request when it ends. */
  readonly cost: number;
  /** Mean time the simulator takes to answer, in ms. */
  readonly meanLatencyMs: number;
  /** Bucket level when the run starts. */
  readonly startLevel: number;
  /** Requests in the run. */
  readonly requests: number;
}

/** The limit of one run, with the pieces it was computed from. */
export interface Limit {
  /** Most requests in flight on an empty bucket. */
  readonly kMax: number;
  /** Lower bound on the run's time from the in-flight limit, in s. */
  readonly inFlightSeconds: number;
  /** Lower bound on the run's time from the outflow, in s (0 when the bucket absorbs it all). */
  readonly outflowSeconds: number;
  /** Time of the clairvoyant client of {@link idealClientSeconds}, in s. */
  readonly simulatedSeconds: number;
  /** `T*`: the bounds' maximum, or the simulation when the bucket starts non-empty. */
  readonly seconds: number;
  /** `N / T*`, in requests per second. */
  readonly rate: number;
}

/** Most requests that can be in flight at once on an empty bucket. */
export function maxInFlight(highWaterMark: number, upFrontCost: number): number {
  return Math.ceil(highWaterMark / upFrontCost) - 1;
}

/**
 * How long a clairvoyant client takes to complete `requests` requests, by a
 * discrete-time simulation (step `stepMs`) of the simulator's own bucket
 * arithmetic. At every step:
 *
 * 1. the level leaks `outflow × step` (never below 0);
 * 2. requests whose latency has elapsed end: `cost − upFront` is added;
 * 3. the client starts as many requests as are admitted, i.e. while
 *    `level + upFront < hwm` (equivalently: at most
 *    `floor((hwm − level − ε) / upFront)` in flight over the level of the ended
 *    requests' costs), each adding `upFront` and taking `meanLatency`.
 *
 * Starting every request as soon as it is admitted is the best any client can
 * do: an earlier start never delays a later one. Note that the up-front
 * charges of requests in flight leak too, so once the ended requests' costs
 * have leaked away a 14th request fits (as in Canvas's Lua script); the
 * simulation counts that, the `kMax / λ` bound does not.
 */
export function idealClientSeconds(params: LimitParams, stepMs = 1): number {
  const { highWaterMark, maximum, upFrontCost, outflowPerSecond, cost, requests } = params;
  const latencySteps = Math.max(1, Math.round(params.meanLatencyMs / stepMs));
  const leakPerStep = (outflowPerSecond * stepMs) / 1000;
  const clamp = (level: number): number => Math.min(maximum, Math.max(0, level));
  const endsAt: number[] = []; // step at which each started request ends, in start order
  let level = params.startLevel;
  let started = 0;
  let ended = 0;
  let step = 0;
  while (ended < requests) {
    level = Math.max(0, level - leakPerStep);
    while (ended < started && (endsAt[ended] ?? Number.POSITIVE_INFINITY) <= step) {
      level = clamp(level + cost - upFrontCost);
      ended++;
    }
    while (started < requests && clamp(level + upFrontCost) < highWaterMark) {
      level = clamp(level + upFrontCost);
      endsAt.push(step + latencySteps);
      started++;
    }
    if (ended < requests) step++;
  }
  return (step * stepMs) / 1000;
}

/** The theoretical limit of a run (see the module comment). */
export function theoreticalLimit(params: LimitParams): Limit {
  const { highWaterMark, upFrontCost, outflowPerSecond, cost, startLevel, requests } = params;
  const kMax = maxInFlight(highWaterMark, upFrontCost);
  const inFlightSeconds = (requests * params.meanLatencyMs) / 1000 / kMax;
  const absorbable = highWaterMark - upFrontCost - startLevel;
  const outflowSeconds = Math.max(0, (requests * cost - absorbable) / outflowPerSecond);
  const simulatedSeconds = idealClientSeconds(params);
  const seconds = startLevel > 0 ? simulatedSeconds : Math.max(inFlightSeconds, outflowSeconds);
  return {
    kMax,
    inFlightSeconds,
    outflowSeconds,
    simulatedSeconds,
    seconds,
    rate: requests / seconds,
  };
}

const fixed = (value: number, digits: number): string => value.toFixed(digits);

/** How a run's limit was computed, with its numbers: one line per bound, then `T*`. */
export function describeLimit(params: LimitParams, limit: Limit): string[] {
  const { highWaterMark: hwm, upFrontCost: up, outflowPerSecond: out, cost, startLevel } = params;
  const latency = params.meanLatencyMs;
  const n = params.requests;
  const simulated = `ideal-client simulation: ${fixed(limit.simulatedSeconds, 2)} s`;
  const total =
    startLevel > 0
      ? `T* = ${simulated} (the bucket starts at ${startLevel}, so concurrency ramps up as it leaks)`
      : `T* = max = ${fixed(limit.seconds, 2)} s   (${simulated})`;
  return [
    `in flight: kMax = ceil(${hwm}/${up}) − 1 = ${limit.kMax}; ${limit.kMax} / ${latency} ms = ` +
      `${fixed((limit.kMax * 1000) / latency, 1)} req/s → ${fixed(limit.inFlightSeconds, 2)} s`,
    `outflow:   (N·c − (hwm − upFront − L0)) / outflow = (${n}·${cost} − (${hwm} − ${up} − ${startLevel})) / ${out} = ` +
      `${fixed((n * cost - (hwm - up - startLevel)) / out, 2)} → ${fixed(limit.outflowSeconds, 2)} s`,
    `${total} → limit ${fixed(limit.rate, 1)} req/s`,
  ];
}
