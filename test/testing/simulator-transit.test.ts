import { afterEach, describe, expect, it } from 'vitest';
import {
  type CanvasSimulator,
  type CanvasSimulatorOptions,
  startCanvasSimulator,
} from '../../src/testing/index.js';
import { type FakeClock, fakeClock } from '../support/fake-clock.js';
import { call, until } from '../support/http.js';

const SELF = '/api/v1/users/self';
const LATENCY_MS = 10;
const started: CanvasSimulator[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});

async function start(options: CanvasSimulatorOptions): Promise<CanvasSimulator> {
  const sim = await startCanvasSimulator(options);
  started.push(sim);
  return sim;
}

/** One request's way: to Canvas, in Canvas, back, as the simulator's timers asked for them. */
interface Trip {
  readonly inboundMs: number;
  readonly latencyMs: number;
  readonly outboundMs: number;
  readonly status: number;
}

/** Fires the simulator's timers one at a time, as they are set, until `done()`. */
async function drain(time: FakeClock, done: () => boolean): Promise<void> {
  while (!done()) {
    await until(() => done() || time.pending().length > 0);
    time.next();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Sends `count` requests one after the other on a simulator driven by `time`, letting each
 * timer it sets fire in turn, and returns the delays each request asked for.
 */
async function trips(sim: CanvasSimulator, time: FakeClock, count: number): Promise<Trip[]> {
  const result: Trip[] = [];
  for (let i = 0; i < count; i++) {
    const from = time.requested.length;
    let answered = false;
    const pending = call(sim, SELF).finally(() => {
      answered = true;
    });
    await drain(time, () => answered);
    const { status } = await pending;
    const [inboundMs, latencyMs, outboundMs, ...rest] = time.requested.slice(from);
    expect(rest).toEqual([]);
    if (inboundMs === undefined || latencyMs === undefined || outboundMs === undefined) {
      throw new Error(`expected three delays, got ${time.requested.slice(from).join(', ')}`);
    }
    result.push({ inboundMs, latencyMs, outboundMs, status });
  }
  return result;
}

async function tripsFor(seed: number, count: number): Promise<Trip[]> {
  const time = fakeClock();
  const sim = await start({
    clock: time,
    seed,
    latencyMs: LATENCY_MS,
    cost: 0,
    transitMs: { meanMs: 25, jitterMs: 5 },
  });
  return trips(sim, time, count);
}

describe('simulator transit jitter (transitMs: { meanMs, jitterMs })', () => {
  it('draws each direction of each request in [meanMs − jitterMs, meanMs + jitterMs]', async () => {
    const result = await tripsFor(1, 20);
    expect(result.every((trip) => trip.status === 200 && trip.latencyMs === LATENCY_MS)).toBe(true);
    const delays = result.flatMap((trip) => [trip.inboundMs, trip.outboundMs]);
    for (const ms of delays) {
      expect(ms).toBeGreaterThanOrEqual(20);
      expect(ms).toBeLessThanOrEqual(30);
    }
    // Varies between requests and between directions, and spreads over the range.
    expect(new Set(result.map((trip) => trip.inboundMs)).size).toBeGreaterThan(10);
    expect(new Set(result.map((trip) => trip.outboundMs)).size).toBeGreaterThan(10);
    expect(result.some((trip) => trip.inboundMs !== trip.outboundMs)).toBe(true);
    expect(Math.min(...delays)).toBeLessThan(23);
    expect(Math.max(...delays)).toBeGreaterThan(27);
  });

  it('charges a request only once its drawn inbound delay has passed', async () => {
    const time = fakeClock();
    const sim = await start({
      clock: time,
      latencyMs: LATENCY_MS,
      cost: 0,
      transitMs: { meanMs: 40, jitterMs: 10 },
    });
    let status: number | undefined;
    const pending = call(sim, SELF).then((res) => {
      status = res.status;
    });
    await until(() => time.pending().length === 1);
    const [inboundMs = 0] = time.pendingDelays();
    expect(inboundMs).toBeGreaterThanOrEqual(30);
    expect(inboundMs).toBeLessThanOrEqual(50);
    await time.advanceSettled(inboundMs - 1);
    expect(sim.stats()).toMatchObject({ requests: 0, level: 0 });
    await time.advanceSettled(1);
    await until(() => sim.stats().inFlight === 1);
    expect(sim.stats()).toMatchObject({ requests: 1, level: 50 });
    await drain(time, () => status !== undefined);
    await pending;
    expect(status).toBe(200);
  });

  it('meets the same delays for the same seed, and others for another seed', async () => {
    const first = await tripsFor(7, 8);
    const again = await tripsFor(7, 8);
    const other = await tripsFor(8, 8);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('delays exactly meanMs each way when jitterMs is 0', async () => {
    const time = fakeClock();
    const sim = await start({
      clock: time,
      latencyMs: LATENCY_MS,
      cost: 0,
      transitMs: { meanMs: 12, jitterMs: 0 },
    });
    const result = await trips(sim, time, 3);
    expect(result.flatMap((trip) => [trip.inboundMs, trip.outboundMs])).toEqual(Array(6).fill(12));
  });

  it.each([
    [
      { meanMs: 5, jitterMs: 6 },
      /transitMs\.jitterMs: jitterMs \(6\) must not exceed meanMs \(5\)/,
    ],
    [{ meanMs: 5, jitterMs: -1 }, /transitMs\.jitterMs: Too small/],
    [{ meanMs: -5, jitterMs: 0 }, /transitMs\.meanMs: Too small/],
    [{ meanMs: Number.POSITIVE_INFINITY, jitterMs: 1 }, /transitMs: expected a finite number/],
    [{ meanMs: 5 }, /transitMs: expected a finite number of ms >= 0, or \{ meanMs, jitterMs \}/],
    [{ meanMs: 5, jitterMs: 1, spreadMs: 2 }, /transitMs: Unrecognized key: "spreadMs"/],
    [Number.NaN, /transitMs/],
  ])('rejects transitMs %o with a TypeError naming the field', async (transitMs, message) => {
    const options = { transitMs } as unknown as CanvasSimulatorOptions;
    const attempt = startCanvasSimulator(options);
    await expect(attempt).rejects.toThrow(TypeError);
    await expect(attempt).rejects.toThrow(message);
  });
});
