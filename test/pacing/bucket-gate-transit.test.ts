import { describe, expect, it } from 'vitest';
import { BucketGate, type GateLease } from '../../src/pacing/bucket-gate.js';
import { BucketModel } from '../../src/pacing/bucket-model.js';
import { TransitEstimator } from '../../src/pacing/transit-estimator.js';
import { type FakeClock, fakeClock } from '../support/fake-clock.js';
import { type TimelineObservation, transitTimeline } from './support/transit-timeline.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

function model(): BucketModel {
  return new BucketModel({
    highWaterMark: 700,
    upFrontCost: 50,
    outflowPerSecond: 10,
    safetyMargin: 20,
    windowMs: 250,
  });
}

interface Side {
  readonly gate: BucketGate;
  readonly model: BucketModel;
  readonly transit: TransitEstimator | undefined;
  /** Leases of the timeline's requests, by index, while in flight. */
  readonly leases: Map<number, GateLease>;
  /** Leases handed out to later `acquire()` calls. */
  readonly extra: GateLease[];
  /** Whether the model paces (false while the timeline is replayed). */
  paced: boolean;
}

function side(
  clock: FakeClock,
  options: { transit?: boolean; lagMs?: number; maxInFlight?: number } = {},
): Side {
  const bucket = model();
  const transit = options.transit
    ? new TransitEstimator({ upFrontCost: 50, outflowPerSecond: 10 })
    : undefined;
  const lag = options.lagMs;
  const state: Side = {
    gate: undefined as unknown as BucketGate,
    model: bucket,
    transit,
    leases: new Map(),
    extra: [],
    paced: false,
  };
  const gate = new BucketGate(bucket, {
    maxInFlight: options.maxInFlight ?? 64,
    clock,
    paced: () => state.paced,
    ...(transit === undefined ? {} : { transit }),
    ...(lag === undefined ? {} : { lagMs: () => lag }),
  });
  return Object.assign(state, { gate });
}

/**
 * Replays the first `reads` answers of `timeline` through every side's gate on `clock`: each
 * request is admitted when the timeline sent it (the gates do not pace meanwhile: only the model
 * and the estimator learn), and settled with its reading when the timeline read it. Returns
 * with the requests sent but not yet read still in flight.
 */
async function replay(
  clock: FakeClock,
  sides: readonly Side[],
  timeline: readonly TimelineObservation[],
  reads: number,
): Promise<void> {
  type Step = { at: number; read: boolean; index: number };
  const steps: Step[] = [];
  const lastRead = timeline[reads - 1]?.nowMs ?? 0;
  timeline.forEach((observation, index) => {
    const sentAt = observation.nowMs - observation.ageMs;
    if (sentAt <= lastRead) steps.push({ at: sentAt, read: false, index });
    if (index < reads) steps.push({ at: observation.nowMs, read: true, index });
  });
  // The timeline reads an answer, then sends the next request at the same moment.
  steps.sort((a, b) => a.at - b.at || Number(b.read) - Number(a.read));
  for (const step of steps) {
    clock.advance(Math.max(0, step.at - clock.now()));
    const observation = timeline[step.index] as TimelineObservation;
    for (const each of sides) {
      if (step.read) {
        const lease = each.leases.get(step.index);
        each.leases.delete(step.index);
        lease?.settle(observation.remaining, observation.throttled, observation.cost);
      } else {
        each.leases.set(step.index, await each.gate.acquire());
      }
    }
  }
}

/** Turns pacing on and asks for `count` more requests; returns how many went at once. */
async function demand(each: Side, count: number): Promise<number> {
  each.paced = true;
  const before = each.gate.inFlight;
  for (let i = 0; i < count; i++) {
    void each.gate.acquire().then((lease) => each.extra.push(lease));
  }
  await flush();
  return each.gate.inFlight - before;
}

/** A client 25 ± 5 ms each way from Canvas, 40–120 ms in Canvas, 10 requests outstanding. */
const FAR = transitTimeline({
  requests: 600,
  inFlight: 10,
  serviceMs: { min: 40, max: 120 },
  transitMs: { mean: 25, jitter: 5 },
  seed: 1,
});

/** The ages of a side's timeline requests in flight at `now`. */
function agesOf(each: Side, now: number): number[] {
  return [...each.leases.keys()].map((index) => {
    const observation = FAR[index] as TimelineObservation;
    return now - (observation.nowMs - observation.ageMs);
  });
}

describe('BucketGate with a TransitEstimator', () => {
  it('admits more than without one for the same readings, once the estimator is confident', async () => {
    let ahead = 0;
    let short = 0;
    const stops = Array.from({ length: 14 }, (_, i) => 380 + 3 * i);
    for (const reads of stops) {
      const clock = fakeClock();
      const far = side(clock, { transit: true });
      const near = side(clock);
      await replay(clock, [far, near], FAR, reads);
      const estimate = far.transit?.estimate;
      expect(estimate?.confident).toBe(true);
      expect(estimate?.delayMs).toBeGreaterThan(40);
      const now = clock.now();
      const inFlight = near.gate.inFlight;
      expect(far.gate.inFlight).toBe(inFlight);
      expect(inFlight).toBe(10);

      // Without a `transit` option, exactly today's count: as many as the model's headroom
      // covers, every request in flight holding a charge.
      const today = near.model.allowedInFlight(now) - inFlight;
      expect(today).toBeGreaterThan(0);
      expect(await demand(near, 20)).toBe(today);

      // With one, the requests probably on their way back no longer hold a charge.
      const departed = far.transit?.departures(agesOf(far, now)) ?? 0;
      const more = (await demand(far, 20)) - today;
      if (departed >= 1) {
        expect(more).toBeGreaterThanOrEqual(Math.floor(departed));
        expect(more).toBeLessThanOrEqual(Math.ceil(departed));
        ahead++;
      } else {
        // Less than one whole departure is not counted on: the next request would bet on a
        // departure that does not come about one time in fifty.
        expect(more).toBe(0);
        if (departed > 0) short++;
      }
    }
    // Both cases occur along the timeline.
    expect(ahead).toBeGreaterThanOrEqual(stops.length / 2);
    expect(short).toBeGreaterThan(0);
  });

  it('admits exactly as without one while the estimator is unconfident', async () => {
    const clock = fakeClock();
    const far = side(clock, { transit: true });
    const near = side(clock);
    await replay(clock, [far, near], FAR, 20);
    expect(far.transit?.estimate.confident).toBe(false);
    const now = clock.now();
    const today = near.model.allowedInFlight(now) - near.gate.inFlight;
    expect(await demand(near, 20)).toBe(today);
    expect(await demand(far, 20)).toBe(today);
    // And no departure tick: each gate has one timer, for the time the leak needs.
    const leak = near.model.msUntilRoom(near.gate.inFlight, now);
    expect(far.model.msUntilRoom(far.gate.inFlight, now)).toBe(leak);
    expect(leak).toBeGreaterThan(100);
    expect(clock.pendingDelays()).toEqual([leak, leak]);
  });

  it('lets a waiter in as requests in flight near their end, on the departure tick (no settle)', async () => {
    const clock = fakeClock();
    const far = side(clock, { transit: true });
    const near = side(clock);
    await replay(clock, [far, near], FAR, 400);
    const delayMs = far.transit?.estimate.delayMs ?? 0;
    expect(delayMs).toBeGreaterThan(40);
    const start = clock.now();
    await demand(near, 20);
    await demand(far, 20);
    const startFar = far.gate.inFlight;
    const startNear = near.gate.inFlight;
    const holding = startFar - (far.transit?.departures(agesOf(far, start)) ?? 0);
    expect(far.gate.waiting).toBeGreaterThan(0);
    expect(near.gate.waiting).toBeGreaterThan(0);
    // The far gate looks again every eighth of the round trip; the near one waits for a
    // response (no timer: the leak alone cannot make room for a 15th charge).
    const tick = Math.round(delayMs / 8);
    expect(clock.pendingDelays()).toEqual([tick]);

    // Time passes; no request is settled.
    let elapsed = 0;
    while (far.gate.inFlight === startFar && elapsed < delayMs) {
      clock.next();
      await flush();
      elapsed = clock.now() - start;
    }
    expect(far.gate.inFlight).toBeGreaterThan(startFar);
    expect(elapsed).toBeGreaterThan(0);
    expect(elapsed % tick).toBe(0);
    const admitted = far.extra.at(-1);
    expect(admitted?.byLeak).toBe(true);
    expect(admitted?.waitedMs).toBe(elapsed);
    // Not the leak: at the start's count it would have needed longer (or a response).
    const leakOnly = far.model.msUntilRoom(holding, start);
    if (leakOnly !== undefined) expect(leakOnly).toBeGreaterThan(elapsed);
    expect(near.gate.inFlight).toBe(startNear);
  });
});

describe('BucketGate lagMs', () => {
  /** Admits 6 requests, 100 ms later 6 more, and 10 ms after that settles one of the first. */
  async function scene(lagMs: number) {
    const clock = fakeClock();
    const each = side(clock, { lagMs });
    each.paced = true;
    const probe = await each.gate.acquire();
    probe.settle(699.9, false, 0.02);
    const first: GateLease[] = [];
    for (let i = 0; i < 6; i++) first.push(await each.gate.acquire());
    clock.advance(100);
    for (let i = 0; i < 6; i++) await each.gate.acquire();
    clock.advance(10);
    expect(each.gate.inFlight).toBe(12);
    // 150 left: the 11 others had reached Canvas (700 = 150 + 11 × 50)
    first[0]?.settle(150, false, 0.02);
    return { clock, each, admitted: await demand(each, 20) };
  }

  it('leaves a reading next door as it is: every request in flight counts, however late the loop', async () => {
    const prompt = await scene(0);
    const late = await scene(30);
    // All 11 others counted either way: headroom 700, 13 allowed, 11 held: 2 more.
    for (const { each, clock, admitted } of [prompt, late]) {
      expect(each.model.headroom(clock.now())).toBeCloseTo(700, 0);
      expect(admitted).toBe(2);
    }
  });

  it('counts on the round trip only when it is at least three times the lag', async () => {
    for (const reads of [400, 450, 500]) {
      const clock = fakeClock();
      const near = side(clock);
      const prompt = side(clock, { transit: true, lagMs: 10 });
      const late = side(clock, { transit: true, lagMs: 20 });
      await replay(clock, [near, prompt, late], FAR, reads);
      const now = clock.now();
      const delay = prompt.transit?.estimate.delayMs ?? 0;
      // The same estimate on both sides (the lag does not change what is learned): over 30 ms,
      // under 60.
      expect(late.transit?.estimate).toEqual(prompt.transit?.estimate);
      expect(delay).toBeGreaterThan(30);
      expect(delay).toBeLessThan(60);
      // Lag 20 ms: the gate reads and admits exactly as one without an estimate.
      expect(late.model.headroom(now)).toBe(near.model.headroom(now));
      const today = await demand(near, 20);
      expect(await demand(late, 20)).toBe(today);
      // Lag 10 ms: it counts on the round trip, and admits at least as many.
      expect(await demand(prompt, 20)).toBeGreaterThanOrEqual(today);
    }
  });

  it('changes nothing with lag 0 beside a gate without the option', async () => {
    const clock = fakeClock();
    const plain = side(clock);
    const zero = side(clock, { lagMs: 0 });
    await replay(clock, [plain, zero], FAR, 300);
    const now = clock.now();
    expect(zero.model.headroom(now)).toBe(plain.model.headroom(now));
    expect(await demand(zero, 20)).toBe(await demand(plain, 20));
  });
});
