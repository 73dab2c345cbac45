import { describe, expect, it } from 'vitest';
import {
  CanvasAbortError,
  CanvasClientClosedError,
  type CanvasSyncClient,
} from '../../src/index.js';
import type { CanvasSimulator } from '../../src/testing/index.js';
import { createClient, rejectionOf, startSim } from '../support/client.js';
import { type FakeClock, fakeClock } from '../support/fake-clock.js';
import { until } from '../support/http.js';

const SELF = '/api/v1/users/self';

/**
 * A simulator (cost 30 per request) and a client of it on one fake clock that only the test
 * moves, with the client believing (rightly) that the bucket is nearly full: another process
 * left it at 645 and the client's own request takes it to 675, so the next request must wait
 * at least 2.5 s of leak (10 units/s) for its 50, whatever the margin: time that never passes.
 */
async function nearlyFullBucket(): Promise<{
  sim: CanvasSimulator;
  client: CanvasSyncClient;
  clock: FakeClock;
}> {
  const clock = fakeClock();
  const sim = await startSim({ cost: 30, clock: clock.now });
  const client = createClient(sim, { clock });
  await client.get(SELF);
  sim.setBucketLevel(645);
  const response = await client.request('GET', SELF);
  expect(response.rateLimit.remaining).toBeLessThan(26);
  return { sim, client, clock };
}

/** Waits until the pacer has set its timer for the leak, then returns the timer's delay. */
async function leakWait(clock: FakeClock): Promise<number> {
  await until(() => clock.pending().length > 0);
  const [wait, ...others] = clock.pending();
  expect(others).toEqual([]);
  return wait ?? 0;
}

describe('CanvasSyncClient cancellation', () => {
  it('rejects a request queued behind a full bucket at once when its signal aborts', async () => {
    const { sim, client, clock } = await nearlyFullBucket();
    const controller = new AbortController();
    const pending = client.get(SELF, { signal: controller.signal });
    expect(await leakWait(clock)).toBeGreaterThanOrEqual(2_500);
    expect(client.stats().queued).toBe(1);
    expect(client.stats().inFlight).toBe(0);
    controller.abort();
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(CanvasAbortError);
    expect((error as CanvasAbortError).method).toBe('GET');
    expect((error as CanvasAbortError).url).toBe(`${sim.url}${SELF}`);
    // Rejected with time standing still (the wait could not have ended), the pacer's timer gone.
    expect(clock.now()).toBe(0);
    expect(clock.pending()).toEqual([]);
    expect(sim.stats().requests).toBe(2);
    expect(client.stats().queued).toBe(0);
  });

  it('rejects at once, sending nothing, when the signal is already aborted', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const error = await rejectionOf(client.get(SELF, { signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(CanvasAbortError);
    expect(sim.stats().requests).toBe(0);
    expect(client.stats().requests).toBe(0);
  });

  it('aborts a request in flight', async () => {
    const sim = await startSim({ faults: { slowRate: 1, slowMs: 5_000 } });
    const client = createClient(sim);
    const controller = new AbortController();
    const pending = client.get(SELF, { signal: controller.signal });
    await until(() => sim.stats().inFlight === 1);
    controller.abort();
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(CanvasAbortError);
    // Rejected while the server still holds the request (for 5 s): the client did not wait for it.
    expect(sim.stats().inFlight).toBe(1);
    expect(sim.stats().requests).toBe(1);
    // The slot was given back when the cancelled fetch unwound, before the rejection.
    expect(client.stats().inFlight).toBe(0);
  });

  it('aborts a pending retry sleep', async () => {
    const sim = await startSim({ faults: { serverErrorRate: 1 } });
    const clock = fakeClock();
    const client = createClient(sim, {
      retry: { baseDelayMs: 5_000, maxDelayMs: 5_000 },
      random: () => 0.99,
      clock,
    });
    const controller = new AbortController();
    let delayMs = 0;
    const retried = new Promise<void>((resolve) =>
      client.on('retry', (event) => {
        delayMs = event.delayMs;
        resolve();
      }),
    );
    const pending = client.get(SELF, { signal: controller.signal });
    await retried;
    expect(delayMs).toBe(4_950);
    // The retry sleeps on the client's clock, which only the test moves.
    expect(clock.pending()).toEqual([4_950]);
    controller.abort();
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(CanvasAbortError);
    // Rejected with time standing still, and the sleep's timer cleared.
    expect(clock.now()).toBe(0);
    expect(clock.pending()).toEqual([]);
    expect(sim.stats().requests).toBe(1);
  });

  it('close() rejects queued requests with CanvasClientClosedError, and later calls too', async () => {
    const { sim, client, clock } = await nearlyFullBucket();
    const queued = [client.get(SELF), client.get(SELF), client.get(SELF)];
    const rejections = queued.map((promise) => rejectionOf(promise));
    expect(await leakWait(clock)).toBeGreaterThanOrEqual(2_500);
    await until(() => client.stats().queued === 3);
    await client.close();
    const errors = await Promise.all(rejections);
    for (const error of errors) expect(error).toBeInstanceOf(CanvasClientClosedError);
    // Rejected with time standing still, the pacer's timer gone.
    expect(clock.now()).toBe(0);
    expect(clock.pending()).toEqual([]);
    expect(sim.stats().requests).toBe(2);

    const later = await rejectionOf(client.get(SELF));
    expect(later).toBeInstanceOf(CanvasClientClosedError);
    expect((later as CanvasClientClosedError).code).toBe('CLIENT_CLOSED');
    const pages = client.paginate('/api/v1/accounts/1/courses');
    expect(await rejectionOf(pages.next())).toBeInstanceOf(CanvasClientClosedError);
    await expect(client.close()).resolves.toBeUndefined();
    expect(sim.stats().requests).toBe(2);
  });

  it('close() cancels a request in flight and a pending retry', async () => {
    const sim = await startSim({ faults: { slowRate: 1, slowMs: 5_000 } });
    const client = createClient(sim, {
      retry: { baseDelayMs: 5_000, maxDelayMs: 5_000 },
      random: () => 0.99,
    });
    const inFlight = rejectionOf(client.get(SELF));
    await until(() => sim.stats().inFlight === 1);

    const failing = await startSim({ faults: { serverErrorRate: 1 } });
    const clock = fakeClock();
    const other = createClient(failing, {
      retry: { baseDelayMs: 5_000, maxDelayMs: 5_000 },
      clock,
    });
    const retried = new Promise<void>((resolve) => other.on('retry', () => resolve()));
    const sleeping = rejectionOf(other.get(SELF));
    await retried;
    expect(clock.pending()).toHaveLength(1);

    await Promise.all([client.close(), other.close()]);
    expect(await inFlight).toBeInstanceOf(CanvasClientClosedError);
    expect(await sleeping).toBeInstanceOf(CanvasClientClosedError);
    // The request in flight was cancelled while the server still held it (for 5 s), and the
    // retry's sleep was cut short: its timer cleared, time standing still.
    expect(sim.stats().inFlight).toBe(1);
    expect(clock.now()).toBe(0);
    expect(clock.pending()).toEqual([]);
    expect(failing.stats().requests).toBe(1);
  });

  it('closes when the client-level signal aborts', async () => {
    const sim = await startSim({ faults: { slowRate: 1, slowMs: 5_000 } });
    const controller = new AbortController();
    const client = createClient(sim, { signal: controller.signal });
    const pending = rejectionOf(client.get(SELF));
    await until(() => sim.stats().inFlight === 1);
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(CanvasClientClosedError);
    // Rejected while the server still holds the request (for 5 s): the client did not wait for it.
    expect(sim.stats().inFlight).toBe(1);
    expect(await rejectionOf(client.get(SELF))).toBeInstanceOf(CanvasClientClosedError);
    expect(sim.stats().requests).toBe(1);
  });

  it('sends nothing when the client-level signal was aborted before construction', async () => {
    const sim = await startSim();
    const client = createClient(sim, { signal: AbortSignal.abort() });
    const outcome = await client.get(SELF).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(CanvasClientClosedError);
    expect(sim.stats().requests).toBe(0);
  });
});
