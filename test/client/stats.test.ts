import { describe, expect, it } from 'vitest';
import {
  createClient,
  eventsOf,
  onFakeClock,
  recordEvents,
  rejectionOf,
  startSim,
} from '../support/client.js';
import { nth } from '../support/http.js';

const SELF = '/api/v1/users/self';

describe('CanvasSyncClient stats', () => {
  it('starts at zero, with the default high-water mark guess', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    expect(client.stats()).toEqual({
      requests: 0,
      responses: 0,
      throttled: 0,
      retries: 0,
      failures: 0,
      inFlight: 0,
      maxInFlight: 0,
      queued: 0,
      remaining: undefined,
      headroom: undefined,
      highWaterMark: 700,
      transit: { delayMs: 0, highMs: 0, confident: false, observations: 0 },
      // Measured on the system clock (the client's default).
      loopLagMs: expect.any(Number),
    });
    // Measured without the round-trip estimate too (it decides how long readings count).
    const plain = createClient(sim, { pacing: { estimateTransit: false } });
    expect(plain.stats().loopLagMs).toEqual(expect.any(Number));
    await plain.close();
    // Not on an injected clock, which is not real time.
    const { client: faked } = await onFakeClock();
    expect(faked.stats().loopLagMs).toBeUndefined();
  });

  it('keeps its counters consistent with the events and the simulator', async () => {
    // On a fake clock: backoff and the wait after the throttle take no real time.
    const { sim, client } = await onFakeClock(
      { forbidden: [{ path: /\/sections$/ }] },
      { retry: { maxAttempts: 3 } },
    );
    const events = recordEvents(client);
    const courseId = nth(sim.data.courses).id;

    // 5 successes.
    await Promise.all(Array.from({ length: 5 }, () => client.get(SELF)));
    // 1 permanent failure (404) and 1 permission failure (401).
    await rejectionOf(client.get('/api/v1/courses/999999'));
    await rejectionOf(client.get(`/api/v1/courses/${courseId}/sections`));
    // 5xx three times: 3 attempts, 2 retries, 1 failure.
    sim.setFaults({ serverErrorRate: 1 });
    await rejectionOf(client.get(SELF));
    // One throttle, then success.
    sim.setFaults({});
    client.once('request', () => sim.setBucketLevel(700));
    await client.get(SELF);

    const stats = client.stats();
    expect(stats).toMatchObject({
      requests: 5 + 2 + 3 + 2,
      responses: 5 + 2 + 3 + 2,
      throttled: 1,
      retries: 2 + 1,
      failures: 3,
      inFlight: 0,
      queued: 0,
    });
    expect(stats.requests).toBe(sim.stats().requests);
    expect(stats.throttled).toBe(sim.stats().throttled);
    expect(stats.requests).toBe(eventsOf(events, 'request').length);
    expect(stats.responses).toBe(eventsOf(events, 'response').length);
    expect(stats.throttled).toBe(eventsOf(events, 'throttled').length);
    expect(stats.retries).toBe(eventsOf(events, 'retry').length);
    expect(stats.remaining).toBe(eventsOf(events, 'response').at(-1)?.remaining);
    expect(stats.headroom).toBeGreaterThan(0);
    expect(stats.headroom).toBeLessThanOrEqual(stats.highWaterMark);
  });

  it('counts attempts without responses when the network fails', async () => {
    const sim = await startSim({ faults: { resetRate: 1 } });
    const client = createClient(sim, { retry: { maxAttempts: 2 } });
    await rejectionOf(client.get(SELF));
    sim.setFaults({});
    await client.get(SELF);
    expect(client.stats()).toMatchObject({
      requests: 3,
      responses: 1,
      retries: 1,
      failures: 1,
      inFlight: 0,
    });
  });

  it('does not count a request aborted while queued as sent', async () => {
    const sim = await startSim({ latencyMs: 10 });
    const client = createClient(sim, { pacing: { maxConcurrent: 1 } });
    const first = client.get(SELF);
    const controller = new AbortController();
    const second = rejectionOf(client.get(SELF, { signal: controller.signal }));
    controller.abort();
    await first;
    await second;
    expect(client.stats()).toMatchObject({ requests: 1, responses: 1 });
    expect(sim.stats().requests).toBe(1);
  });
});
