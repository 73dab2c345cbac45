import { describe, expect, it } from 'vitest';
import {
  BucketGate,
  type BucketGateOptions,
  type GateLease,
} from '../../src/pacing/bucket-gate.js';
import { BucketModel, type BucketModelSettings } from '../../src/pacing/bucket-model.js';
import type { PacingAnomaly } from '../../src/pacing/pacing-anomaly.js';
import { type FakeClock, fakeClock } from '../support/fake-clock.js';

/** Node's largest timer delay; anything above fires after 1 ms with a TimeoutOverflowWarning. */
const MAX_TIMER_MS = 2_147_483_647;
/** The default cap on one wait at the gate. */
const MAX_WAIT_MS = 60_000;

/** A model with hosted Canvas's settings and a gate on a fake clock; `take(n)` asks for n slots. */
function setup(
  options: { model?: Partial<BucketModelSettings>; gate?: Partial<BucketGateOptions> } = {},
) {
  const clock = fakeClock();
  const model = new BucketModel({
    highWaterMark: 700,
    upFrontCost: 50,
    outflowPerSecond: 10,
    safetyMargin: 5,
    windowMs: 250,
    ...options.model,
  });
  const gate = new BucketGate(model, { maxInFlight: 64, clock, ...options.gate });
  const admitted: GateLease[] = [];
  const take = (count = 1) => {
    for (let i = 0; i < count; i++) {
      gate
        .acquire()
        .then((lease) => admitted.push(lease))
        .catch(() => undefined);
    }
  };
  return { clock, model, gate, admitted, take };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Every timer the gate asked for was finite, at least 1 ms and at most the cap. */
function expectSaneTimers(clock: FakeClock): void {
  for (const ms of clock.requested) {
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(1);
    expect(ms).toBeLessThanOrEqual(MAX_WAIT_MS);
    expect(ms).toBeLessThanOrEqual(MAX_TIMER_MS);
  }
}

describe('BucketGate with implausible X-Rate-Limit-Remaining', () => {
  it('ignores −1e6: the next request is not held for hours (at most maxWaitMs)', async () => {
    const { clock, gate, admitted, take } = setup();
    take(2);
    await flush();
    admitted[0]?.settle(-1_000_000, true);
    await flush();
    expectSaneTimers(clock);
    clock.advance(MAX_WAIT_MS);
    await flush();
    expect(admitted).toHaveLength(2);
    expect(gate.inFlight).toBe(1);
  });

  it('ignores 1e300: the high-water mark stays put and no burst is let through', async () => {
    const { gate, model, admitted, take } = setup();
    take(60);
    await flush();
    admitted[0]?.settle(699.9, false);
    await flush();
    expect(gate.inFlight).toBe(13);
    admitted[1]?.settle(1e300, false);
    await flush();
    expect(model.highWaterMark).toBe(700);
    expect(model.estimate(0).maxRemainingSeen).toBe(699.9);
    // 12 still in flight and at most one more: nothing beyond what hwm 700 allows.
    expect(gate.inFlight).toBeLessThanOrEqual(14);
    expect(gate.maxInFlight).toBeLessThanOrEqual(14);
  });

  it('ignores a remaining above the plausible ceiling (20,000) when learning the mark', async () => {
    const { model, admitted, take } = setup();
    take();
    await flush();
    admitted[0]?.settle(20_000, false);
    expect(model.highWaterMark).toBe(700);
    expect(model.estimate(0).lastRemaining).toBeUndefined();
  });

  it('ignores −1e300: no timer overflow, no spin', async () => {
    const { clock, gate, admitted, take } = setup();
    take(3);
    await flush();
    admitted[0]?.settle(-1e300, true);
    await flush();
    expectSaneTimers(clock);
    clock.advance(3_600_000);
    await flush();
    expectSaneTimers(clock);
    expect(clock.requested.length).toBeLessThan(100);
    expect(gate.inFlight).toBeGreaterThan(0);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'ignores a remaining of %d: the model is not fed',
    async (value) => {
      const { clock, gate, model, admitted, take } = setup();
      take(3);
      await flush();
      admitted[0]?.settle(value, true);
      await flush();
      expect(model.estimate(0)).toMatchObject({ headroom: undefined, highWaterMark: 700 });
      expect(model.estimate(0).lastRemaining).toBeUndefined();
      expectSaneTimers(clock);
      // No reading: the gate probes again, one at a time.
      expect(gate.inFlight).toBe(1);
    },
  );

  it.each([Number.NaN, Number.POSITIVE_INFINITY, -1, 1e300])(
    'ignores an X-Request-Cost of %d but keeps the remaining',
    async (cost) => {
      const { clock, gate, model, admitted, take } = setup();
      take(20);
      await flush();
      admitted[0]?.settle(699.9, false);
      await flush();
      admitted[1]?.settle(650, false, cost);
      await flush();
      const headroom = model.headroom(clock.now());
      expect(Number.isFinite(headroom)).toBe(true);
      expect(headroom).toBeGreaterThan(600);
      expect(gate.inFlight).toBeGreaterThanOrEqual(12);
      expectSaneTimers(clock);
    },
  );
});

describe('BucketGate with plausible but extreme readings', () => {
  it('keeps every wait finite and bounded when Canvas says −100 again and again', async () => {
    const { clock, gate, admitted, take } = setup();
    take(50);
    await flush();
    for (let round = 0; round < 30; round++) {
      const lease = admitted[admitted.length - 1];
      lease?.settle(-100, true);
      await flush();
      if (gate.inFlight === 0) {
        expect(clock.pending()).toHaveLength(1);
        clock.advance(clock.pending()[0] ?? 0);
        await flush();
      }
      expect(gate.inFlight).toBe(1);
    }
    expectSaneTimers(clock);
    // −100 with nothing in flight needs 155 units: 15.5 s at 10/s. At most two timers per
    // request (its own wait, and the next one's once it is in flight), none shorter than 1 s.
    expect(clock.requested.every((ms) => ms >= 1_000)).toBe(true);
    expect(clock.requested.length).toBeLessThanOrEqual(2 * 30 + 2);
  });

  it('caps a wait the model computes beyond maxWaitMs, then lets one probe go', async () => {
    const { clock, gate, admitted, take } = setup();
    take(3);
    await flush();
    // Plausible (|remaining| ≤ 10,000) but 10,055 units short: 1,005.5 s of leak.
    admitted[0]?.settle(-10_000, true);
    await flush();
    expect(clock.pending()).toEqual([MAX_WAIT_MS]);
    clock.advance(MAX_WAIT_MS - 1);
    await flush();
    expect(gate.inFlight).toBe(0);
    clock.advance(1);
    await flush();
    // One probe, not a burst: its response teaches the model afresh.
    expect(gate.inFlight).toBe(1);
    expect(admitted).toHaveLength(2);
    expect(admitted[1]?.waitedMs).toBe(MAX_WAIT_MS);
    admitted[1]?.settle(699.9, false);
    await flush();
    expect(gate.inFlight).toBe(1);
    expect(admitted).toHaveLength(3);
  });
});

describe('BucketGate anomalies', () => {
  function reporting(options: { maxWaitMs?: number; highWaterMark?: number } = {}) {
    const anomalies: PacingAnomaly[] = [];
    const context = setup({
      model: { highWaterMark: options.highWaterMark ?? 700, maxHighWaterMark: 10_000 },
      gate: {
        ...(options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs }),
        onAnomaly: (anomaly) => anomalies.push(anomaly),
      },
    });
    return { ...context, anomalies };
  }

  it('reports an ignored reading with the header name and the number only', async () => {
    const { anomalies, admitted, take } = reporting();
    take();
    await flush();
    admitted[0]?.settle(-1_000_000, true, 1e300);
    expect(anomalies).toEqual([
      { kind: 'implausible-header', header: 'x-rate-limit-remaining', value: -1_000_000 },
      { kind: 'implausible-header', header: 'x-request-cost', value: 1e300 },
    ]);
  });

  it('reports nothing for what Canvas really sends, −100 included', async () => {
    const { anomalies, admitted, take } = reporting();
    take();
    await flush();
    admitted[0]?.settle(-100, true);
    expect(anomalies).toEqual([]);
  });

  it('reports a capped wait once, and later arrivals do not push the probe back', async () => {
    const { clock, gate, anomalies, admitted, take } = reporting();
    take(2);
    await flush();
    admitted[0]?.settle(-10_000, true);
    await flush();
    expect(anomalies).toEqual([{ kind: 'wait-capped', computedMs: 1_005_500, cappedMs: 60_000 }]);
    // More requests arrive while the capped wait runs: each pumps the gate.
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      take();
      await flush();
    }
    expect(anomalies).toHaveLength(1);
    expect(clock.pending()).toEqual([10_000]);
    clock.advance(10_000);
    await flush();
    expect(gate.inFlight).toBe(1);
    expect(admitted).toHaveLength(2);
  });

  it('honours maxWaitMs', async () => {
    const { clock, anomalies, admitted, take } = reporting({ maxWaitMs: 5_000 });
    take(2);
    await flush();
    admitted[0]?.settle(-100, true); // 15.5 s of leak
    await flush();
    expect(clock.pending()).toEqual([5_000]);
    expect(anomalies).toEqual([{ kind: 'wait-capped', computedMs: 15_500, cappedMs: 5_000 }]);
  });

  it('never waits for ever: a wait only a response could end, with none in flight, is capped', async () => {
    // A first guess too low for one request (50 < 50 + 5) and a throttle: the leak can
    // never make room and nothing is in flight to bring news.
    const { clock, gate, anomalies, admitted, take } = reporting({ highWaterMark: 50 });
    take(2);
    await flush();
    admitted[0]?.settle(0, true);
    await flush();
    expect(clock.pending()).toEqual([60_000]);
    expect(anomalies).toEqual([
      { kind: 'wait-capped', computedMs: Number.POSITIVE_INFINITY, cappedMs: 60_000 },
    ]);
    clock.advance(60_000);
    await flush();
    expect(gate.inFlight).toBe(1);
  });

  it('stays sound when the hook throws', async () => {
    const { clock, gate } = setup({
      gate: {
        onAnomaly: () => {
          throw new Error('listener bug');
        },
      },
    });
    const first = await gate.acquire();
    const second = gate.acquire();
    expect(() => first.settle(-10_000, true)).toThrow('listener bug');
    // The slot was freed and the capped timer set before the hook ran.
    expect(gate.inFlight).toBe(0);
    expect(clock.pending()).toEqual([60_000]);
    clock.advance(60_000);
    await expect(second).resolves.toMatchObject({ waitedMs: 60_000 });
  });
});
