import { describe, expect, it } from 'vitest';
import {
  CanvasAbortError,
  CanvasClientClosedError,
  type CanvasSyncClient,
} from '../../src/index.js';
import type { CanvasSimulator } from '../../src/testing/index.js';
import { createClient, rejectionOf, sleep, startSim } from '../support/client.js';
import { until } from '../support/http.js';

const SELF = '/api/v1/users/self';

/**
 * Makes the client believe (rightly) that the bucket is nearly full: another process left it
 * at 645 and the client's own request (cost 30, set on the simulator) takes it to 675, so the
 * next request must wait at least 2.5 s of leak (10 units/s) for its 50, whatever the margin.
 */
async function nearlyFullBucket(client: CanvasSyncClient, sim: CanvasSimulator): Promise<void> {
  await client.get(SELF);
  sim.setBucketLevel(645);
  const response = await client.request('GET', SELF);
  expect(response.rateLimit.remaining).toBeLessThan(26);
}

/** Milliseconds `promise` takes to settle after `start`, and what it rejected with. */
async function timedRejection(
  promise: Promise<unknown>,
  start: () => void,
): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  start();
  const error = await rejectionOf(promise);
  return { error, ms: performance.now() - started };
}

describe('CanvasSyncClient cancellation', () => {
  it('rejects a request queued behind a full bucket at once when its signal aborts', async () => {
    const sim = await startSim({ cost: 30 });
    const client = createClient(sim);
    await nearlyFullBucket(client, sim);
    const controller = new AbortController();
    const pending = client.get(SELF, { signal: controller.signal });
    await sleep(50);
    expect(client.stats().queued).toBe(1);
    expect(client.stats().inFlight).toBe(0);
    const { error, ms } = await timedRejection(pending, () => controller.abort());
    expect(error).toBeInstanceOf(CanvasAbortError);
    expect((error as CanvasAbortError).method).toBe('GET');
    expect((error as CanvasAbortError).url).toBe(`${sim.url}${SELF}`);
    expect(ms).toBeLessThan(200);
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
    const { error, ms } = await timedRejection(pending, () => controller.abort());
    expect(error).toBeInstanceOf(CanvasAbortError);
    expect(ms).toBeLessThan(200);
    expect(sim.stats().requests).toBe(1);
    // The slot is given back as soon as the cancelled fetch has unwound.
    await until(() => client.stats().inFlight === 0, 200);
  });

  it('aborts a pending retry sleep', async () => {
    const sim = await startSim({ faults: { serverErrorRate: 1 } });
    const client = createClient(sim, {
      retry: { baseDelayMs: 5_000, maxDelayMs: 5_000 },
      random: () => 0.99,
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
    const { error, ms } = await timedRejection(pending, () => controller.abort());
    expect(error).toBeInstanceOf(CanvasAbortError);
    expect(ms).toBeLessThan(200);
    expect(sim.stats().requests).toBe(1);
  });

  it('close() rejects queued requests with CanvasClientClosedError, and later calls too', async () => {
    const sim = await startSim({ cost: 30 });
    const client = createClient(sim);
    await nearlyFullBucket(client, sim);
    const queued = [client.get(SELF), client.get(SELF), client.get(SELF)];
    const rejections = queued.map((promise) => rejectionOf(promise));
    await sleep(50);
    expect(client.stats().queued).toBe(3);
    const started = performance.now();
    await client.close();
    const errors = await Promise.all(rejections);
    expect(performance.now() - started).toBeLessThan(200);
    for (const error of errors) expect(error).toBeInstanceOf(CanvasClientClosedError);
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
    const other = createClient(failing, { retry: { baseDelayMs: 5_000, maxDelayMs: 5_000 } });
    const retried = new Promise<void>((resolve) => other.on('retry', () => resolve()));
    const sleeping = rejectionOf(other.get(SELF));
    await retried;

    const started = performance.now();
    await Promise.all([client.close(), other.close()]);
    expect(await inFlight).toBeInstanceOf(CanvasClientClosedError);
    expect(await sleeping).toBeInstanceOf(CanvasClientClosedError);
    expect(performance.now() - started).toBeLessThan(500);
    expect(failing.stats().requests).toBe(1);
  });

  it('closes when the client-level signal aborts', async () => {
    const sim = await startSim({ faults: { slowRate: 1, slowMs: 5_000 } });
    const controller = new AbortController();
    const client = createClient(sim, { signal: controller.signal });
    const pending = rejectionOf(client.get(SELF));
    await until(() => sim.stats().inFlight === 1);
    const started = performance.now();
    controller.abort();
    const error = await pending;
    expect(performance.now() - started).toBeLessThan(200);
    expect(error).toBeInstanceOf(CanvasClientClosedError);
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
