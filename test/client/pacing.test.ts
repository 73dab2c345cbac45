import { describe, expect, it } from 'vitest';
import type { CanvasSyncClient } from '../../src/index.js';
import {
  createClient,
  eventsOf,
  onFakeClock,
  recordEvents,
  startSim,
  startStubServer,
} from '../support/client.js';

const SELF = '/api/v1/users/self';

/** `count` concurrent GETs of `/users/self`; resolves when all have succeeded. */
async function burst(client: CanvasSyncClient, count: number): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: count }, () => client.get<{ id: number }>(SELF)),
  );
  expect(results.every((body) => body.id === 1)).toBe(true);
}

describe('CanvasSyncClient pacing', () => {
  it('runs a burst of 300 GETs without a single throttle, 10 to 14 in flight', async () => {
    // Real time: the pacer's quality under real event-loop lag is what counts here.
    const sim = await startSim({ latencyMs: 20 });
    const client = createClient(sim);
    const events = recordEvents(client);
    let queuedSeen = 0;
    client.on('request', () => {
      queuedSeen = Math.max(queuedSeen, client.stats().queued);
    });
    await burst(client, 300);

    expect(sim.stats().throttled).toBe(0);
    expect(sim.stats().requests).toBe(300);
    // 13 × 50 = 650 fits under 700; a 14th fits once the in-flight charges have leaked a little
    // (the model trusts one such leaked charge), never a 15th.
    expect(sim.stats().maxInFlight).toBeLessThanOrEqual(14);
    const stats = client.stats();
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(10);
    expect(stats.maxInFlight).toBeLessThanOrEqual(14);
    expect(stats).toMatchObject({
      requests: 300,
      responses: 300,
      throttled: 0,
      retries: 0,
      failures: 0,
      inFlight: 0,
      queued: 0,
    });
    expect(queuedSeen).toBeGreaterThan(0);
    expect(eventsOf(events, 'request')).toHaveLength(300);
    expect(eventsOf(events, 'response')).toHaveLength(300);
    const paced = eventsOf(events, 'paced');
    expect(paced.some((event) => event.reason === 'in-flight')).toBe(true);
    for (const event of paced) {
      expect(event.inFlight).toBeLessThanOrEqual(14);
      expect(event.method).toBe('GET');
      expect(event.url).toBe(`${sim.url}${SELF}`);
    }
  });

  it('sends the first request alone, as a probe of the bucket', async () => {
    const { sim, client } = await onFakeClock({ latencyMs: 20 });
    await burst(client, 5);
    // The simulator samples the level at every change: the probe's up-front charge, then its
    // settlement, before any other request is charged.
    const [charged, settled] = sim.stats().samples;
    expect(charged?.level).toBeCloseTo(50, 0);
    expect(settled?.level).toBeLessThan(1);
    expect(sim.stats().maxInFlight).toBeGreaterThan(1);
  });

  it('emits no paced event for a request that was sent at once', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const events = recordEvents(client);
    await client.get(SELF);
    await client.get(SELF);
    expect(events.map((event) => event.name)).toEqual([
      'request',
      'response',
      'request',
      'response',
    ]);
  });

  it('holds a request until the bucket has leaked enough (paced by leak)', async () => {
    const { sim, client, clock } = await onFakeClock(
      { outflowPerSecond: 100, cost: 0 },
      { pacing: { outflowPerSecond: 100, safetyMargin: 20 } },
    );
    const events = recordEvents(client, clock);
    await client.get(SELF); // learns the bucket is empty
    sim.setBucketLevel(640); // another process used the token
    const first = await client.request('GET', SELF);
    // 640 + 50 < 700: served, with 60 left: less than 50 + the 20 margin.
    expect(first.rateLimit.remaining).toBeLessThan(70);
    const second = await client.request('GET', SELF);
    const leak = eventsOf(events, 'paced').filter((event) => event.reason === 'leak');
    expect(leak).toHaveLength(1);
    // Long enough: Canvas itself had the 50 + 20 units free when the request arrived.
    expect(second.rateLimit.remaining).toBeGreaterThanOrEqual(70);
    expect(sim.stats().throttled).toBe(0);
    // No longer than the leak needed (at 100 units/s): the pacer asked for exactly that wait,
    // and time moved by nothing else.
    const needed = Math.ceil(((70 - (first.rateLimit.remaining ?? 0)) / 100) * 1000);
    expect(leak[0]?.waitMs).toBe(needed);
    expect(clock.requested).toEqual([needed]);
    expect(clock.now()).toBe(needed);
  });

  it('gets through a bucket another process filled (690) with at most one throttle', async () => {
    // Leak 100 units/s on both sides so that draining 690 units takes seconds (of the shared
    // fake clock), not minutes.
    const { sim, client, clock } = await onFakeClock(
      { latencyMs: 10, outflowPerSecond: 100 },
      { pacing: { outflowPerSecond: 100 } },
    );
    const events = recordEvents(client, clock);
    sim.setBucketLevel(690);
    await burst(client, 60);
    // The probe is throttled with 10 left; its retry (first in line) waits exactly until the
    // leak frees its 50 and the margin of 5: 45 units at 100 units/s.
    expect(eventsOf(events, 'throttled')[0]?.remaining).toBeCloseTo(10, 6);
    expect(eventsOf(events, 'paced')[0]).toMatchObject({ reason: 'leak', waitMs: 450 });
    // As the bucket drained, the pacer let more requests go at once.
    expect(client.stats().maxInFlight).toBeGreaterThan(1);
    expect(sim.stats().throttled).toBeLessThanOrEqual(1);
    expect(client.stats().throttled).toBe(sim.stats().throttled);
    expect(client.stats().failures).toBe(0);
    expect(sim.stats().requests).toBe(60 + sim.stats().throttled);
  });

  it('learns a high-water mark above its guess and uses it', async () => {
    const { sim, client } = await onFakeClock({
      latencyMs: 20,
      highWaterMark: 1000,
      maximum: 1100,
    });
    await burst(client, 300);
    expect(sim.stats().throttled).toBe(0);
    expect(client.stats().maxInFlight).toBeGreaterThanOrEqual(15);
    expect(sim.stats().maxInFlight).toBeLessThanOrEqual(20);
    expect(client.stats().highWaterMark).toBeGreaterThan(999);
    expect(client.stats().highWaterMark).toBeLessThanOrEqual(1000);
  });

  it('lowers a high-water-mark guess that is too high after a throttle', async () => {
    // Canvas's source default is 600; the client guesses 700 (hosted Canvas). The guess only
    // matters once the bucket has been idle long enough for the model to believe it is fuller
    // than 600: leak 50 units/s on both sides and idle 2.4 s (of the shared fake clock) between
    // bursts. (On real time, each ms the event loop was late reading the throttled response was
    // a ms of leak the model could not see; the fake clock never moves in between.)
    const { sim, client, clock } = await onFakeClock(
      { latencyMs: 20, highWaterMark: 600, outflowPerSecond: 50 },
      { pacing: { outflowPerSecond: 50 } },
    );
    await burst(client, 60);
    clock.advance(2_400);
    await burst(client, 60);
    clock.advance(2_400);
    await burst(client, 60);
    expect(client.stats().failures).toBe(0);
    expect(sim.stats().throttled).toBeLessThanOrEqual(3);
    expect(client.stats().throttled).toBe(sim.stats().throttled);
    expect(client.stats().highWaterMark).toBeLessThanOrEqual(600.5);
    expect(client.stats().highWaterMark).toBeGreaterThanOrEqual(550);
  });

  it('respects pacing.maxConcurrent', async () => {
    const { sim, client } = await onFakeClock({ latencyMs: 10 }, { pacing: { maxConcurrent: 3 } });
    await burst(client, 40);
    expect(sim.stats().maxInFlight).toBeLessThanOrEqual(3);
    expect(client.stats().maxInFlight).toBe(3);
    expect(sim.stats().throttled).toBe(0);
  });

  it('shares a token between two clients without failing a request', async () => {
    const {
      sim,
      clients: [a, b],
    } = await onFakeClock({ latencyMs: 20 }, {}, 2);
    if (a === undefined || b === undefined) throw new Error('two clients expected');
    await Promise.all([burst(a, 150), burst(b, 150)]);
    expect(a.stats().failures + b.stats().failures).toBe(0);
    // Each pacer sees the other's load only through the headers, and both probes find an empty
    // bucket, so some throttles are expected (9 to 16 seen per 300 requests), but no runaway.
    expect(sim.stats().maxInFlight).toBeLessThanOrEqual(14);
    expect(sim.stats().throttled).toBeLessThanOrEqual(30);
    expect(a.stats().throttled + b.stats().throttled).toBe(sim.stats().throttled);
  });

  it('sends a higher-priority request ahead of those already waiting', async () => {
    const { client } = await onFakeClock({ latencyMs: 20 }, { pacing: { maxConcurrent: 2 } });
    const order: string[] = [];
    let secondSent: () => void = () => undefined;
    const probed = new Promise<void>((resolve) => {
      secondSent = resolve;
    });
    client.on('request', (event) => {
      if (event.attempt === 1) order.push(new URL(event.url).pathname);
      if (order.length === 2) secondSent();
    });
    const low = Array.from({ length: 30 }, () => client.get(SELF));
    // The probe has come back and the pacer has let the next low ones go.
    await probed;
    const high = client.get('/api/v1/accounts/1', { priority: 5 });
    const paged = client.pages('/api/v1/accounts/1/courses', { priority: 5 }).next();
    await Promise.all([...low, high, paged]);
    expect(order).toHaveLength(32);
    // Two or three low ones were in flight and a few more taken by the pacer; the rest waited.
    expect(order.indexOf('/api/v1/accounts/1')).toBeLessThan(10);
    expect(order.indexOf('/api/v1/accounts/1/courses')).toBeLessThan(10);
  });

  it('rejects a priority that is not an integer', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    await expect(client.get(SELF, { priority: 1.5 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(client.pages(SELF, { priority: Number.NaN }).next()).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    expect(sim.stats().requests).toBe(0);
  });
});

describe('CanvasSyncClient pacing with implausible rate-limit headers', () => {
  /** A local server whose first response carries `first` as X-Rate-Limit-Remaining, then 700.0. */
  async function serverSaying(first: string) {
    let served = 0;
    return startStubServer((_request, res) => {
      served++;
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'X-Rate-Limit-Remaining': served === 1 ? first : '700.0',
        'X-Request-Cost': '0.01',
      });
      res.end('{"id":1}');
    });
  }

  it.each(['-1000000.0', '-1.0e+300', '1.0e+300'])(
    'ignores X-Rate-Limit-Remaining %s: the model is untouched and the next request is not held',
    async (first) => {
      const stub = await serverSaying(first);
      const client = createClient(stub.url);
      const events = recordEvents(client);
      await client.get(SELF);
      // The reading never reached the model: no headroom learned, the mark unchanged.
      expect(client.stats()).toMatchObject({ headroom: undefined, highWaterMark: 700 });
      await client.get(SELF);
      // The second request went at once (a paced event would mean it waited at the gate).
      expect(eventsOf(events, 'paced')).toEqual([]);
      await burst(client, 40);
      expect(client.stats().maxInFlight).toBeLessThanOrEqual(14);
      expect(client.stats().highWaterMark).toBe(700);
    },
  );
});
