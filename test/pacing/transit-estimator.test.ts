import { describe, expect, it } from 'vitest';
import { TransitEstimator, type TransitObservation } from '../../src/pacing/transit-estimator.js';
import {
  type TimelineObservation,
  type TimelineSpec,
  transitTimeline,
} from './support/transit-timeline.js';

const UP_FRONT = 50;

function estimator(): TransitEstimator {
  return new TransitEstimator({ upFrontCost: UP_FRONT, outflowPerSecond: 10 });
}

/** A client 25 ms each way from Canvas, which works 40–120 ms on a request; 10 in flight. */
const FAR: TimelineSpec = {
  requests: 600,
  inFlight: 10,
  serviceMs: { min: 40, max: 120 },
  transitMs: { mean: 25, jitter: 0 },
};
const FAR_JITTER: TimelineSpec = { ...FAR, transitMs: { mean: 25, jitter: 5 } };
/** Slow, costly requests 15 ± 3 ms each way. */
const SLOW: TimelineSpec = {
  ...FAR,
  serviceMs: { min: 150, max: 450 },
  transitMs: { mean: 15, jitter: 3 },
};
/** 20 in flight: Canvas throttles often, especially at first. */
const CROWDED: TimelineSpec = { ...FAR_JITTER, inFlight: 20 };

/** Feeds every observation, calling `each` after each one. */
function run(
  observations: readonly TimelineObservation[],
  each?: (estimate: TransitEstimator, observation: TimelineObservation, index: number) => void,
  target = estimator(),
): TransitEstimator {
  observations.forEach((observation, index) => {
    target.observe(observation);
    each?.(target, observation, index);
  });
  return target;
}

/** The response times the estimator keeps (the last 256 answered without a throttle), sorted. */
function keptTimes(observations: readonly TransitObservation[]): number[] {
  return observations
    .filter((observation) => !observation.throttled)
    .slice(-256)
    .map((observation) => observation.ageMs)
    .sort((a, b) => a - b);
}

describe('TransitEstimator: the round trip outside Canvas', () => {
  it.each([
    ['25 ms each way, no jitter', FAR, 50],
    ['25 ± 5 ms each way', FAR_JITTER, 50],
    ['15 ± 3 ms each way, 150–450 ms in Canvas', SLOW, 30],
    ['25 ± 5 ms each way, 20 in flight (throttled)', CROWDED, 50],
  ] as const)('recovers it within a few ms: %s', (_name, spec, roundTrip) => {
    for (const seed of [1, 2, 3]) {
      const observations = transitTimeline({ ...spec, seed });
      const { estimate } = run(observations);
      expect(estimate.confident).toBe(true);
      expect(estimate.observations).toBe(observations.length);
      // The lower end is what the pacer counts on: a little short of the truth, never far.
      expect(estimate.delayMs).toBeLessThanOrEqual(roundTrip);
      expect(estimate.delayMs).toBeGreaterThanOrEqual(roundTrip - 8);
      // The candidates that explain the headers best span the truth.
      expect(estimate.highMs).toBeGreaterThanOrEqual(roundTrip);
      expect(estimate.highMs).toBeLessThanOrEqual(roundTrip + 8);
    }
  });

  it('keeps it through the run once learned (after the first 100 responses)', () => {
    const observations = transitTimeline({ ...FAR_JITTER, seed: 4 });
    run(observations, (target, _observation, index) => {
      if (index < 100) return;
      expect(target.estimate.confident).toBe(true);
      expect(Math.abs(target.estimate.delayMs - 50)).toBeLessThanOrEqual(10);
    });
  });

  it.each([
    ['transit 0', { mean: 0, jitter: 0 }],
    ['transit ~0.5 ms round trip', { mean: 0.25, jitter: 0.1 }],
  ] as const)('stays unconfident on a loopback-like timeline (%s)', (_name, transitMs) => {
    for (const seed of [1, 2, 3]) {
      run(transitTimeline({ ...FAR, transitMs, seed }), (target) => {
        expect(target.estimate).toMatchObject({ delayMs: 0, highMs: 0, confident: false });
        expect(target.headroom).toBeUndefined();
      });
    }
  });

  it('stays unconfident before 32 observations, however clear the evidence', () => {
    const observations = transitTimeline(FAR);
    const target = run(observations.slice(0, 31));
    expect(target.estimate).toEqual({ delayMs: 0, highMs: 0, confident: false, observations: 31 });
    run(observations.slice(31, 32), undefined, target);
    // The timeline is clear enough that the 32nd observation is the first one trusted.
    expect(target.estimate.confident).toBe(true);
    expect(target.estimate.delayMs).toBeGreaterThan(40);
  });

  it('ignores a non-finite remaining or time', () => {
    const observations = transitTimeline({ ...FAR_JITTER, requests: 200 });
    const target = run(observations);
    const before = target.estimate;
    const headroom = target.headroom;
    const last = observations.at(-1) as TimelineObservation;
    const bad: TransitObservation[] = [
      { ...last, remaining: Number.NaN },
      { ...last, remaining: Number.POSITIVE_INFINITY },
      { ...last, remaining: Number.NEGATIVE_INFINITY },
      { ...last, nowMs: Number.NaN },
      { ...last, nowMs: Number.POSITIVE_INFINITY },
    ];
    for (const observation of bad) target.observe(observation);
    expect(target.estimate).toBe(before);
    expect(target.estimate.observations).toBe(observations.length);
    expect(target.headroom).toBe(headroom);
    // Nor does a throttle with a non-finite reading cost trust.
    const ages = [60, 80, 100, 120, 140, 160];
    const departures = target.departures(ages);
    target.observe({ ...last, remaining: Number.NaN, throttled: true });
    expect(target.departures(ages)).toBe(departures);
  });

  it('starts the levels afresh after a gap of more than 1 s, without crashing', () => {
    const observations = transitTimeline({ ...FAR_JITTER, requests: 300 });
    const target = run(observations);
    expect(target.estimate.confident).toBe(true);
    const last = observations.at(-1) as TimelineObservation;
    // 5 s later (50 units leaked): a lone request reads 690.
    const after = {
      nowMs: last.nowMs + 5_000,
      ageMs: 100,
      othersAgesMs: [],
      remaining: 690,
      cost: 0.02,
      throttled: false,
    };
    expect(() => target.observe(after)).not.toThrow();
    expect(target.estimate.confident).toBe(true);
    // Taken as it is, not as the old level grown by 5 s of leak and nudged by a tenth.
    expect(target.headroom).toBe(690);
    // Readings right after are tracked from there again (1 unit leaked in 100 ms, 0.02
    // charged), and one 2 units short only nudges it.
    target.observe({ ...after, nowMs: after.nowMs + 100, remaining: 690.98 });
    expect(target.headroom).toBeCloseTo(690.98, 9);
    target.observe({ ...after, nowMs: after.nowMs + 200, remaining: 689.96 });
    expect(target.headroom).toBeCloseTo(691.96 - 0.1 * 2, 9);
  });
});

describe('TransitEstimator.departures', () => {
  const observations = transitTimeline({ ...FAR_JITTER, seed: 2 });
  const learned = run(observations);
  const times = keptTimes(observations);
  const at = (share: number): number => times[Math.floor(times.length * share)] ?? 0;

  it('is 0 while the estimate is unconfident', () => {
    expect(estimator().departures([10, 50, 100, 150, 200])).toBe(0);
    const loopback = run(transitTimeline({ ...FAR, transitMs: { mean: 0, jitter: 0 } }));
    const late = keptTimes(observations).slice(-20, -10);
    expect(loopback.departures(late)).toBe(0);
    const early = run(observations.slice(0, 20));
    expect(early.departures(late)).toBe(0);
  });

  it('is never more than the number of ages, nor negative', () => {
    expect(learned.estimate.confident).toBe(true);
    expect(learned.departures([])).toBe(0);
    for (let n = 1; n <= 20; n++) {
      for (const share of [0, 0.3, 0.6, 0.8, 0.9, 0.95]) {
        const ages = Array.from({ length: n }, (_, i) => at(share) + i);
        const count = learned.departures(ages);
        expect(count).toBeGreaterThanOrEqual(0);
        expect(count).toBeLessThanOrEqual(n);
      }
    }
  });

  it('grows for ages near the end of the response-time distribution', () => {
    const ten = (age: number): number[] => Array(10).fill(age);
    // Young requests have most of their time in Canvas still ahead: none believed gone.
    expect(learned.departures(ten(20))).toBe(0);
    expect(learned.departures(ten(40))).toBe(0);
    // From the fastest response time on, the older the requests the more are due.
    const counts = [0, 0.1, 0.2, 0.3, 0.4, 0.5].map((share) => learned.departures(ten(at(share))));
    for (let i = 1; i < counts.length; i++) {
      expect(counts[i]).toBeGreaterThan(counts[i - 1] ?? 0);
    }
    // Within a round trip of the slowest ones (still with 8 longer ones seen): all of them.
    for (const share of [0.8, 0.9]) expect(learned.departures(ten(at(share)))).toBeCloseTo(10, 9);
  });

  it('is 0 for a request older than all but a few past response times (a slow one is not gone)', () => {
    // Fewer than 8 response times were longer than this age.
    const old = times[times.length - 6] ?? 0;
    expect(learned.departures(Array(10).fill(old))).toBe(0);
    expect(learned.departures(Array(10).fill((times.at(-1) ?? 0) + 1_000))).toBe(0);
    // One slow request among many due ones adds nothing.
    const due = Array(10).fill(at(0.9));
    expect(learned.departures([...due, old])).toBe(learned.departures(due));
  });

  it('counts a quarter less per throttle, nothing after four, and regains trust over later responses', () => {
    const spec = { ...FAR_JITTER, requests: 800, seed: 3 };
    const all = transitTimeline(spec);
    const target = run(all.slice(0, 600));
    const ages = Array(10).fill(at(0.85));
    const full = target.departures(ages);
    expect(full).toBeGreaterThan(2);
    const { delayMs } = target.estimate;
    // The next answer was a throttle (its reading as it was).
    const throttle = { ...(all[600] as TimelineObservation), cost: 0, throttled: true };
    target.observe(throttle);
    expect(target.estimate.delayMs).toBe(delayMs);
    expect(target.departures(ages)).toBeCloseTo(full * 0.75, 9);
    target.observe({ ...throttle, nowMs: throttle.nowMs + 1 });
    expect(target.departures(ages)).toBeCloseTo(full * 0.5, 9);
    target.observe({ ...throttle, nowMs: throttle.nowMs + 2 });
    target.observe({ ...throttle, nowMs: throttle.nowMs + 3 });
    // Four in a row: every request in flight counts as held, as without the estimate.
    expect(target.departures(ages)).toBe(0);
    target.observe({ ...throttle, nowMs: throttle.nowMs + 4 });
    expect(target.departures(ages)).toBe(0);
    // 1/100 of full trust back per answer: after 50 normal answers half, after 100 all of it.
    run(all.slice(601, 651), undefined, target);
    const half = target.departures(ages);
    expect(half / full).toBeGreaterThan(0.4);
    expect(half / full).toBeLessThan(0.6);
    run(all.slice(651, 701), undefined, target);
    const regained = target.departures(ages);
    expect(regained / full).toBeGreaterThan(0.85);
    expect(regained / full).toBeLessThan(1.15);
  });
});

describe('TransitEstimator: bounds and headroom', () => {
  it.each([
    ['far', FAR_JITTER],
    ['slow', SLOW],
    ['crowded (throttles from the start)', CROWDED],
  ] as const)(
    'never counts on a round trip beyond the fastest fiftieth of response times: %s',
    (_name, spec) => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const observations = transitTimeline({ ...spec, seed });
        run(observations, (target, _observation, index) => {
          const { delayMs, highMs } = target.estimate;
          const times = keptTimes(observations.slice(0, index + 1));
          const fastest = times[Math.floor(times.length * 0.02)] ?? 0;
          expect(delayMs).toBeLessThanOrEqual(fastest);
          expect(highMs).toBeLessThanOrEqual(fastest);
          expect(delayMs).toBeLessThanOrEqual(highMs);
        });
      }
    },
  );

  it.each([
    ['far', FAR_JITTER],
    ['slow', SLOW],
    ['crowded (throttles from the start)', CROWDED],
  ] as const)('gives a headroom exactly while confident: %s', (_name, spec) => {
    for (const seed of [1, 2, 3, 4, 5]) {
      run(transitTimeline({ ...spec, seed }), (target) => {
        if (target.estimate.confident) expect(target.headroom).toEqual(expect.any(Number));
        else expect(target.headroom).toBeUndefined();
      });
    }
  });

  it.each([
    ['far, no jitter', FAR],
    ['far', FAR_JITTER],
    ['slow', SLOW],
    ['crowded', CROWDED],
    [
      'far, another client of the token adding 5 units/s',
      { ...FAR_JITTER, foreignUnitsPerSecond: 5 },
    ],
  ] as const)(
    'reads a headroom within a charge of the true one once confident: %s',
    (_name, spec) => {
      for (const seed of [1, 2, 3]) {
        const observations = transitTimeline({ ...spec, seed });
        const errors: number[] = [];
        // From the 100th answer to the last in-flight ones (the run's tail drains).
        run(observations.slice(0, -spec.inFlight), (target, observation, index) => {
          if (index < 100) return;
          const headroom = target.headroom;
          expect(headroom).toEqual(expect.any(Number));
          errors.push((headroom ?? 0) - observation.trueHeadroom);
        });
        const mean = errors.reduce((sum, error) => sum + error, 0) / errors.length;
        const sorted = errors.map(Math.abs).sort((a, b) => a - b);
        // No systematic miscount of a whole charge, and a single charge only rarely.
        expect(Math.abs(mean)).toBeLessThan(UP_FRONT);
        expect(sorted[Math.floor(sorted.length * 0.9)]).toBeLessThan(1.5 * UP_FRONT);
        expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(UP_FRONT);
      }
    },
  );
});
