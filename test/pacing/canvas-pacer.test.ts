import { describe, expect, it } from 'vitest';
import { CanvasPacer, defaultPacingOptions } from '../../src/pacing/canvas-pacer.js';
import type { PacingAnomaly } from '../../src/pacing/pacing-anomaly.js';
import { fakeClock } from '../support/fake-clock.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

function pacer(options: Partial<typeof defaultPacingOptions> = {}) {
  const clock = fakeClock();
  const anomalies: PacingAnomaly[] = [];
  const instance = new CanvasPacer(
    { ...defaultPacingOptions, ...options },
    { clock, onAnomaly: (anomaly) => anomalies.push(anomaly) },
  );
  return { clock, anomalies, pacer: instance };
}

describe('CanvasPacer against implausible headers', () => {
  it('has the documented defaults', () => {
    expect(defaultPacingOptions).toMatchObject({
      maxWaitMs: 60_000,
      maxPlausibleRemaining: 10_000,
      maxPlausibleCost: 10_000,
    });
  });

  it('runs the next job at once after a response saying −1e6, and reports it', async () => {
    const { pacer: p, anomalies } = pacer();
    await p.run(async (lease) => lease.settle(-1_000_000, true, 0.1));
    let started = false;
    await p.run(async (lease) => {
      started = true;
      expect(lease.waitedMs).toBe(0);
    });
    expect(started).toBe(true);
    expect(anomalies).toEqual([
      { kind: 'implausible-header', header: 'x-rate-limit-remaining', value: -1_000_000 },
    ]);
    expect(p.snapshot().bucket).toMatchObject({ headroom: undefined, highWaterMark: 700 });
  });

  it('takes its bounds from the options', async () => {
    const { pacer: p, anomalies } = pacer({ maxPlausibleRemaining: 1_000, maxPlausibleCost: 5 });
    await p.run(async (lease) => lease.settle(1_500, false, 6));
    expect(p.snapshot().bucket.highWaterMark).toBe(700);
    expect(
      anomalies.map((anomaly) => anomaly.kind === 'implausible-header' && anomaly.header),
    ).toEqual(['x-rate-limit-remaining', 'x-request-cost']);
    await p.run(async (lease) => lease.settle(1_000, false, 5));
    expect(p.snapshot().bucket.highWaterMark).toBe(1_000);
    expect(anomalies).toHaveLength(2);
  });

  it('caps a long wait at maxWaitMs', async () => {
    const { pacer: p, clock, anomalies } = pacer({ maxWaitMs: 2_000 });
    await p.run(async (lease) => lease.settle(-100, true));
    const next = p.run(async (lease) => lease.waitedMs);
    await flush();
    expect(clock.pending()).toEqual([2_000]);
    clock.advance(2_000);
    await expect(next).resolves.toBe(2_000);
    expect(anomalies).toEqual([{ kind: 'wait-capped', computedMs: 15_500, cappedMs: 2_000 }]);
  });

  it('reports malformed header text, cut short, and only with a hook', () => {
    const { pacer: p, anomalies } = pacer();
    p.reportMalformedHeaders(
      new Headers({ 'X-Rate-Limit-Remaining': 'x'.repeat(500), 'X-Request-Cost': '1e400' }),
    );
    expect(anomalies).toEqual([
      { kind: 'implausible-header', header: 'x-rate-limit-remaining', value: 'x'.repeat(40) },
      { kind: 'implausible-header', header: 'x-request-cost', value: '1e400' },
    ]);
    const silent = new CanvasPacer(defaultPacingOptions, { clock: fakeClock() });
    expect(() =>
      silent.reportMalformedHeaders(new Headers({ 'X-Request-Cost': 'NaN' })),
    ).not.toThrow();
  });
});
