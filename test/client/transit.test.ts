import { describe, expect, it } from 'vitest';
import { CanvasOptionsError, type CanvasSyncClient } from '../../src/index.js';
import type { CanvasSimulator, TransitJitter } from '../../src/testing/index.js';
import { seeded } from '../pacing/support/transit-timeline.js';
import {
  autoAdvance,
  constructionError,
  createClient,
  startSim,
  type TestClientOptions,
} from '../support/client.js';
import { type FakeClock, fakeClock } from '../support/fake-clock.js';

const SELF = '/api/v1/users/self';
const INITIAL = { delayMs: 0, highMs: 0, confident: false, observations: 0 };

interface Far {
  readonly sim: CanvasSimulator;
  readonly client: CanvasSyncClient;
  readonly clock: FakeClock;
  /** Fake time and requests in flight at every request the client sent. */
  readonly sends: { readonly at: number; readonly inFlight: number }[];
}

/**
 * A simulator `transitMs` away and one client of it on one fake clock, run as a discrete-event
 * simulation. `onFakeClock` moves time only when the simulator serves every request the client
 * has in flight; here a request is also parked while it travels (a timer of the simulator's), so
 * time moves when each request in flight waits on exactly one of the simulator's timers.
 * Canvas works 40–120 ms on a request (seeded).
 */
async function farAway(
  transitMs: number | TransitJitter,
  clientOptions: TestClientOptions = {},
): Promise<Far> {
  const clock = fakeClock();
  const parked = new Set<unknown>();
  const simClock = {
    now: clock.now,
    epochNow: clock.epochNow,
    setTimeout(callback: () => void, ms: number): unknown {
      const handle = clock.setTimeout(() => {
        parked.delete(handle);
        callback();
      }, ms);
      parked.add(handle);
      return handle;
    },
    clearTimeout(handle: unknown): void {
      parked.delete(handle);
      clock.clearTimeout(handle);
    },
  };
  const random = seeded(11);
  const sim = await startSim({
    seed: 3,
    clock: simClock,
    transitMs,
    latencyMs: () => 40 + 80 * random(),
  });
  const client = createClient(sim, { ...clientOptions, clock });
  const sends: { at: number; inFlight: number }[] = [];
  client.on('request', () => sends.push({ at: clock.now(), inFlight: client.stats().inFlight }));
  autoAdvance(clock, () => client.stats().inFlight === parked.size);
  return { sim, client, clock, sends };
}

async function burst(client: CanvasSyncClient, count: number): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: count }, () => client.get<{ id: number }>(SELF)),
  );
  expect(results.every((body) => body.id === 1)).toBe(true);
}

describe('CanvasSyncClient across a network (simulator transitMs, fake clock)', () => {
  it.each([
    ['25 ms each way', 25, 0],
    ['25 ± 5 ms each way', { meanMs: 25, jitterMs: 5 }, 5],
  ] as const)(
    'learns a round trip near twice the transit: %s',
    async (_name, transitMs, jitter) => {
      const { sim, client } = await farAway(transitMs);
      await burst(client, 300);
      const { transit, responses } = client.stats();
      expect(transit.confident).toBe(true);
      // Every answer, throttles included.
      expect(transit.observations).toBe(responses);
      // The candidates that explain the headers best span 2 × 25 ms, within the round trips that
      // occur (2 × (25 ± jitter)) and a few ms; the pacer counts on their lower end.
      expect(transit.delayMs).toBeGreaterThanOrEqual(2 * (25 - jitter) - 4);
      expect(transit.delayMs).toBeLessThanOrEqual(50);
      expect(transit.highMs).toBeGreaterThanOrEqual(50);
      expect(transit.highMs).toBeLessThanOrEqual(2 * (25 + jitter) + 4);
      expect(sim.stats().requests).toBe(responses);
    },
  );

  it('keeps more requests in the air than the bucket holds charges, with few throttles', async () => {
    const on = await farAway({ meanMs: 25, jitterMs: 5 });
    const off = await farAway({ meanMs: 25, jitterMs: 5 }, { pacing: { estimateTransit: false } });
    await burst(on.client, 300);
    await burst(off.client, 300);
    // Off, every request in the air holds a charge: never a 15th (as next door).
    expect(off.client.stats().maxInFlight).toBeLessThanOrEqual(14);
    // On, more are in the air, while Canvas itself still holds no more than 14 at once.
    expect(on.client.stats().maxInFlight).toBeGreaterThan(off.client.stats().maxInFlight);
    expect(on.sim.stats().maxInFlight).toBeLessThanOrEqual(14);
    // The same work in less (fake) time.
    expect(on.clock.now()).toBeLessThan(off.clock.now());
    expect(on.sim.stats().throttled).toBeLessThanOrEqual(300 * 0.02);
  });

  it('with estimateTransit: false stays unconfident, and paces as next door', async () => {
    const { sim, client } = await farAway(
      { meanMs: 25, jitterMs: 5 },
      { pacing: { estimateTransit: false } },
    );
    client.on('response', () => expect(client.stats().transit).toEqual(INITIAL));
    await burst(client, 300);
    expect(client.stats().transit).toEqual(INITIAL);
    expect(client.stats().maxInFlight).toBeLessThanOrEqual(14);
    expect(sim.stats().maxInFlight).toBeLessThanOrEqual(14);
    expect(sim.stats().throttled).toBe(0);
  });

  it('changes no in-flight decision where Canvas is next door (transit 0): on and off alike', async () => {
    const on = await farAway(0);
    const off = await farAway(0, { pacing: { estimateTransit: false } });
    await burst(on.client, 200);
    await burst(off.client, 200);
    expect(on.client.stats().transit).toMatchObject({ confident: false, observations: 200 });
    expect(off.client.stats().transit).toEqual(INITIAL);
    expect(on.sends).toHaveLength(200);
    expect(on.sends).toEqual(off.sends);
    expect(on.client.stats().maxInFlight).toBe(off.client.stats().maxInFlight);
  });
});

describe('pacing.estimateTransit option', () => {
  it.each(['yes', 1, null, {}])('rejects %o with a CanvasOptionsError naming it', (value) => {
    const error = constructionError('T0ken-transit-1', {
      pacing: { estimateTransit: value } as unknown as NonNullable<TestClientOptions['pacing']>,
    });
    expect(error).toBeInstanceOf(CanvasOptionsError);
    const options = error as CanvasOptionsError;
    expect(options.code).toBe('INVALID_OPTIONS');
    expect(options.issues.map((issue) => issue.path)).toEqual(['pacing.estimateTransit']);
    expect(options.message).toContain('pacing.estimateTransit');
  });

  it('accepts true and false', async () => {
    for (const estimateTransit of [true, false]) {
      const client = createClient('https://canvas.example.edu', { pacing: { estimateTransit } });
      expect(client.stats().transit).toEqual(INITIAL);
    }
  });
});
