/**
 * How far away Canvas is, learned from what the client already has: the
 * `X-Rate-Limit-Remaining` of every response and its own timeline of sends and
 * receipts. Pure: the caller passes the times.
 *
 * A request holds one of Canvas's up-front charges only while Canvas works on
 * it, not while it travels there or its answer travels back. Call `D` the
 * round trip outside Canvas: both ways on the network plus the client's own
 * time between admitting a request and sending it, and between the answer's
 * arrival and reading it. A response left Canvas `dDown` before it was read,
 * and one of the client's other requests was inside Canvas at that moment if
 * it was sent at least `D` before the response was read (it had arrived) and
 * its own answer had not come yet (it had not left). So for each candidate `D`
 * the timeline says how many of the client's charges the response's
 * `remaining` included, `c(D)`, and `remaining + upFront × c(D)` is the
 * bucket's own level. That level only changes slowly between two responses
 * (each response's cost is added, the leak takes a little), while a wrong `D`
 * makes it jump by whole charges whenever `c(D)` miscounts. The estimate is the
 * `D` whose levels jump least over the last few hundred responses; it is
 * trusted only when it explains the headers clearly better than `D = 0` (every
 * request in flight held a charge, which is what the client assumed before).
 * The levels never need the high-water mark: only their differences count.
 *
 * With `D` known, a request in flight whose answer is due within the next `D`
 * ms has probably left Canvas already, or will have by the time a request sent
 * now arrives: {@link TransitEstimator.departures} gives how many of the
 * requests in flight that is, from the distribution of the client's own
 * response times, as a cautious count (mean less two standard deviations), so
 * that a pacer can keep about as many requests inside Canvas as the bucket
 * holds rather than as many in the air.
 */

/** What a {@link TransitEstimator} needs to know of the bucket. */
export interface TransitEstimatorSettings {
  /** Up-front cost each request holds inside Canvas. Canvas: 50. */
  readonly upFrontCost: number;
  /** Leak rate in units per second. Canvas: 10. */
  readonly outflowPerSecond: number;
  /**
   * Largest round trip considered, in ms; longer ones are taken as this (which only
   * underestimates what travels). @defaultValue 400
   */
  readonly maxDelayMs?: number;
}

/** One response, set against the client's timeline. */
export interface TransitObservation {
  /** When the response was read, in ms. */
  readonly nowMs: number;
  /** How long ago its request was admitted (its response time), in ms. */
  readonly ageMs: number;
  /**
   * How long ago each of the client's other requests still in flight was admitted, in ms. Read
   * during `observe` only, never kept (the gate passes an array it reuses).
   */
  readonly othersAgesMs: readonly number[];
  /** Its `X-Rate-Limit-Remaining`. */
  readonly remaining: number;
  /** Its `X-Request-Cost` (0 when absent). */
  readonly cost: number;
  /** Whether it was a throttle (its time says nothing of how long Canvas works). */
  readonly throttled: boolean;
}

/**
 * What the client believes of the round trip outside Canvas.
 * @category Client
 */
export interface TransitEstimate {
  /**
   * Round trip outside Canvas the pacer counts on, in ms: the lower end of the
   * candidates that explain the headers best, or 0 while the estimate is
   * uncertain (then the pacer behaves as if Canvas were next door).
   */
  readonly delayMs: number;
  /** Upper end of the candidates that explain the headers best, in ms (0 while uncertain). */
  readonly highMs: number;
  /** Whether the estimate is trusted. */
  readonly confident: boolean;
  /** Responses observed. */
  readonly observations: number;
}

/** How a cautious count of departures is taken: the mean less this many standard deviations. */
const DEPARTURE_SIGMAS = 2;
/** Response times kept for the departure estimate. */
const RESPONSE_TIMES = 256;
/** A request in flight is believed gone only if at least this many response times were longer than its age. */
const MIN_TAIL = 8;
/** Each observation's weight decays by this factor per later observation (memory: ~256 responses). */
const DECAY = 1 - 1 / 256;
/** Observations before any estimate is trusted. */
const MIN_OBSERVATIONS = 32;
/** How many more (decayed) mismatches `D = 0` must have than the best candidate. */
const MIN_EVIDENCE = 8;
/**
 * A round trip shorter than this is not counted on, in ms: on loopback or a LAN a client short of
 * CPU shows a few ms of its own lag, too variable to count on, and the gain would be small.
 */
const MIN_DELAY_MS = 25;
/** Nor one shorter than this share of the median response time. */
const MIN_DELAY_SHARE = 0.05;
/** The round trip believed is at most the response time this share of responses beat. */
const FASTEST_SHARE = 0.02;
/** How much of a reading's surprise a candidate's tracked level takes in. */
const LEVEL_GAIN = 0.1;
/** A reading this many charges below the tracked headroom replaces it. */
const SURPRISE_CHARGES = 5;
/** Largest surprise one reading adds to a candidate's score, in charges squared. */
const MAX_MISS = 16;
/**
 * Trust in departures lost per throttle (four in a row: none, the pacer then counts every
 * request in flight as held). A throttle now and then is what counting on departures costs (the
 * cautious count is wrong about 2 % of the times it is at the margin); halving the trust for each
 * cost regime E about 4 % of the limit for about as many throttles (9-21 against 8-33 in five
 * runs each).
 */
const TRUST_LOST = 1 / 4;
/** Trust in departures regained per response answered without a throttle. */
const TRUST_STEP = 1 / 100;
/** Responses further apart than this say nothing of each other (the leak's clamp at 0 may have acted). */
const MAX_PAIR_GAP_MS = 1_000;

/** Estimates the round trip outside Canvas; see the module comment. */
export class TransitEstimator {
  readonly #upFront: number;
  readonly #outflow: number;
  readonly #candidates: number;
  /** Decayed count of level jumps for each candidate `D` (index = ms). */
  readonly #scores: Float64Array;
  /** The level each candidate's reading of the headers tracks. */
  readonly #levels: Float64Array;
  readonly #counts: Int32Array;
  #previousMs: number | undefined;
  /** How far departures are counted on, in [0, 1]: a quarter lost per throttle, regained slowly. */
  #trust = 0.5;
  #observations = 0;
  /** Response times in arrival order (a ring) and sorted. */
  readonly #times: number[] = [];
  readonly #sortedTimes: number[] = [];
  #nextTime = 0;
  #estimate: TransitEstimate = { delayMs: 0, highMs: 0, confident: false, observations: 0 };

  constructor(settings: TransitEstimatorSettings) {
    this.#upFront = settings.upFrontCost;
    this.#outflow = settings.outflowPerSecond;
    this.#candidates = Math.max(1, Math.floor(settings.maxDelayMs ?? 400)) + 1;
    this.#scores = new Float64Array(this.#candidates);
    this.#levels = new Float64Array(this.#candidates).fill(Number.NaN);
    this.#counts = new Int32Array(this.#candidates);
  }

  /** The current estimate. */
  get estimate(): TransitEstimate {
    return this.#estimate;
  }

  /**
   * The headroom the latest readings imply at the middle of the best candidates for the round
   * trip (`remaining` plus the
   * charges of the requests that had reached Canvas), smoothed over the last few responses:
   * where a request's own transit varies, a single reading miscounts the requests sent about a
   * round trip earlier by a charge or two either way, and the smoothed value does not.
   * `undefined` while the estimate is uncertain.
   */
  get headroom(): number | undefined {
    if (!this.#estimate.confident) return undefined;
    const { delayMs, highMs } = this.#estimate;
    const tracked = this.#levels[Math.round((delayMs + highMs) / 2)] ?? Number.NaN;
    return Number.isNaN(tracked) ? undefined : -tracked;
  }

  /** Takes in one response; a `remaining` or time that is not finite is ignored. */
  observe(observation: TransitObservation): void {
    const { nowMs, ageMs, remaining, throttled } = observation;
    if (!Number.isFinite(remaining) || !Number.isFinite(nowMs) || this.#upFront <= 0) return;
    if (throttled) this.#trust = Math.max(0, this.#trust - TRUST_LOST);
    else {
      this.#trust = Math.min(1, this.#trust + TRUST_STEP);
      if (Number.isFinite(ageMs) && ageMs >= 0) this.#addTime(ageMs);
    }
    const counts = this.#countsOf(observation.othersAgesMs);
    const previousMs = this.#previousMs;
    this.#previousMs = nowMs;
    if (previousMs !== undefined && nowMs - previousMs > MAX_PAIR_GAP_MS) {
      // Too long since the last response: the leak's clamp at 0 may have acted; start afresh.
      this.#levels.fill(Number.NaN);
    }
    const cost = Number.isFinite(observation.cost) ? Math.max(0, observation.cost) : 0;
    const leaked =
      previousMs === undefined ? 0 : (this.#outflow * Math.max(0, nowMs - previousMs)) / 1000;
    for (let d = 0; d < this.#candidates; d++) {
      // The bucket's own level if D = d (up to the high-water mark, which never matters here).
      const level = -remaining - this.#upFront * (counts[d] ?? 0);
      const tracked = this.#levels[d] ?? Number.NaN;
      const predicted = Number.isNaN(tracked) ? level : tracked + cost - leaked;
      const miss = (level - predicted) / this.#upFront;
      this.#scores[d] = (this.#scores[d] ?? 0) * DECAY + Math.min(miss * miss, MAX_MISS);
      // A reading far below the tracked headroom is believed at once (another client of the
      // token may have started); small surprises are noise and only nudge it.
      const gain = level - predicted > SURPRISE_CHARGES * this.#upFront ? 1 : LEVEL_GAIN;
      this.#levels[d] = predicted + gain * (level - predicted);
    }
    this.#observations++;
    this.#estimate = this.#decide();
  }

  /**
   * How many of the requests in flight (given by their ages, in ms) have left Canvas or will
   * have within `withinMs` (the delay a request sent now takes to get there), as a cautious count:
   * for each, the share of past response times between its age and its age plus the round trip,
   * among those longer than its age; summed, less two standard deviations. 0 while the estimate
   * is uncertain, and for a request older than all but a few past response times (a slow one is
   * not believed gone).
   */
  departures(agesMs: Iterable<number>): number {
    const delay = this.#estimate.delayMs;
    if (delay <= 0) return 0;
    const sorted = this.#sortedTimes;
    let mean = 0;
    let variance = 0;
    for (const age of agesMs) {
      const longer = sorted.length - upperBound(sorted, age);
      if (longer < MIN_TAIL) continue;
      const due = upperBound(sorted, age + delay) - upperBound(sorted, age);
      const p = due / longer;
      mean += p;
      variance += p * (1 - p);
    }
    return this.#trust * Math.max(0, mean - DEPARTURE_SIGMAS * Math.sqrt(variance));
  }

  /** `c(D)` for every candidate: how many of the ages are at least `D`. */
  #countsOf(ages: readonly number[]): Int32Array {
    const counts = this.#counts;
    counts.fill(0);
    const last = this.#candidates - 1;
    for (const age of ages) {
      if (!(age >= 0)) continue;
      const index = Math.min(last, Math.floor(age));
      counts[index] = (counts[index] ?? 0) + 1;
    }
    for (let d = last - 1; d >= 0; d--) counts[d] = (counts[d] ?? 0) + (counts[d + 1] ?? 0);
    return counts;
  }

  #addTime(ms: number): void {
    const sorted = this.#sortedTimes;
    if (this.#times.length === RESPONSE_TIMES) {
      const old = this.#times[this.#nextTime] ?? 0;
      sorted.splice(Math.max(0, upperBound(sorted, old) - 1), 1);
      this.#times[this.#nextTime] = ms;
    } else {
      this.#times.push(ms);
    }
    this.#nextTime = (this.#nextTime + 1) % RESPONSE_TIMES;
    sorted.splice(upperBound(sorted, ms), 0, ms);
  }

  /**
   * The candidates within a tolerance of the fewest jumps; their lower end is the estimate
   * when it beats `D = 0` by enough.
   */
  #decide(): TransitEstimate {
    const observations = this.#observations;
    const scores = this.#scores;
    let best = Number.POSITIVE_INFINITY;
    for (const score of scores) best = Math.min(best, score);
    const atZero = scores[0] ?? 0;
    const evidence = atZero - best;
    if (observations < MIN_OBSERVATIONS || evidence < MIN_EVIDENCE) {
      return { delayMs: 0, highMs: 0, confident: false, observations };
    }
    const tolerance = 1 + 0.1 * evidence;
    let low = -1;
    let high = -1;
    for (let d = 0; d < this.#candidates; d++) {
      if ((scores[d] ?? 0) > best + tolerance) continue;
      if (low < 0) low = d;
      high = d;
    }
    // A round trip that is small beside the response times is not worth its error: the pacer
    // would gain at most its share of the time, and a 1 ms error there costs a whole charge.
    const times = this.#sortedTimes;
    const median = times[times.length >> 1] ?? 0;
    if (low < Math.max(MIN_DELAY_MS, MIN_DELAY_SHARE * median)) {
      return { delayMs: 0, highMs: 0, confident: false, observations };
    }
    // No request comes back faster than its round trip: a candidate beyond the fastest response
    // times is an artefact (of throttles counted as held, say), and believing it would feed itself.
    // Whole ms: the estimate indexes the candidates (`headroom` reads the level tracked for it).
    const fastest = Math.floor(times[Math.floor(times.length * FASTEST_SHARE)] ?? 0);
    return {
      delayMs: Math.min(low, fastest),
      highMs: Math.min(high, fastest),
      confident: true,
      observations,
    };
  }
}

/** Index of the first element of `sorted` greater than `value`. */
function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
