import { afterEach, describe, expect, it } from 'vitest';
import { type CanvasSimulator, startCanvasSimulator } from '../../src/testing/index.js';
import { fakeClock } from '../support/fake-clock.js';
import { call, until } from '../support/http.js';

const SELF = '/api/v1/users/self';
let sim: CanvasSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('simulator throttling (hand-computed bucket arithmetic)', () => {
  it('serves 13 concurrent requests from an empty bucket and throttles the 14th and 15th', async () => {
    const time = fakeClock();
    sim = await startCanvasSimulator({
      clock: time,
      latencyMs: 400,
      cost: 0.5,
    });
    const held = Array.from({ length: 13 }, () => call(sim as CanvasSimulator, SELF));
    await until(() => sim?.stats().inFlight === 13);
    // 13 × 50 = 650 held; the 14th brings the count to 700 >= hwm.
    expect(sim.stats().level).toBe(650);
    expect(time.pendingDelays()).toEqual(Array(13).fill(400));
    const fourteenth = await call(sim, SELF);
    expect(fourteenth.status).toBe(429);
    // Credited back: 650 held → remaining 50.
    expect(fourteenth.headers.get('x-rate-limit-remaining')).toBe('50.0');
    const fifteenth = await call(sim, SELF);
    expect(fifteenth.status).toBe(429);
    await time.advanceSettled(400);
    const served = await Promise.all(held);
    expect(served.map((r) => r.status)).toEqual(Array(13).fill(200));
    // 400 ms leak 4; then each served request ends: -50 + 0.5. The last one to end sees
    // 650 - 4 - 13 × 49.5 = 2.5 left.
    const remainings = served.map((r) => Number(r.headers.get('x-rate-limit-remaining')));
    expect(Math.max(...remainings)).toBe(697.5);
    expect(sim.stats()).toMatchObject({ requests: 15, served: 13, throttled: 2, maxInFlight: 13 });
  });

  it('lets a request pass once the leak has made exactly enough room', async () => {
    const clock = fakeClock();
    sim = await startCanvasSimulator({ clock: clock.now, cost: 0 });
    sim.setBucketLevel(690);
    const throttled = await call(sim, SELF);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('x-rate-limit-remaining')).toBe('10.0');
    // Needed: level must fall below hwm - upFront = 650, i.e. 40 units at 10/s = 4 s.
    clock.advance(3_990);
    expect((await call(sim, SELF)).status).toBe(429);
    clock.advance(10); // exactly 4 s: 650 + 50 = 700 is still >= hwm
    expect((await call(sim, SELF)).status).toBe(429);
    clock.advance(10);
    const passed = await call(sim, SELF);
    expect(passed.status).toBe(200);
    expect(Number(passed.headers.get('x-rate-limit-remaining'))).toBeCloseTo(50.1, 10);
  });

  it('reports a negative remaining when a costly request ends above the high-water mark', async () => {
    const clock = fakeClock();
    sim = await startCanvasSimulator({ clock: clock.now, cost: 120 });
    sim.setBucketLevel(640);
    const res = await call(sim, SELF);
    expect(res.status).toBe(200);
    // 640 + 50 = 690 < 700 passes; ends at 690 - 50 + 120 = 760.
    expect(res.headers.get('x-rate-limit-remaining')).toBe('-60.0');
    expect(res.headers.get('x-request-cost')).toBe('120.0');
    // Clamped at maximum 800: remaining never below hwm - maximum = -100.
    const next = await call(sim, SELF);
    expect(next.status).toBe(429);
    sim.setBucketLevel(600);
    const capped = await call(sim, SELF);
    expect(capped.status).toBe(200);
    expect(capped.headers.get('x-rate-limit-remaining')).toBe('-20.0');
  });

  it('prints costs and remaining in Ruby float format', async () => {
    const clock = fakeClock();
    sim = await startCanvasSimulator({ clock: clock.now, cost: 0.00005 });
    const res = await call(sim, SELF);
    expect(res.headers.get('x-request-cost')).toBe('5.0e-05');
    expect(res.headers.get('x-rate-limit-remaining')).toBe('699.99995');
    expect(res.headers.get('x-request-context-id')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    const idle = await startCanvasSimulator({ clock: clock.now, cost: 0 });
    try {
      expect((await call(idle, SELF)).headers.get('x-rate-limit-remaining')).toBe('700.0');
    } finally {
      await idle.close();
    }
  });

  it('answers throttles as hosted Canvas does by default: 429 text/plain without a cost', async () => {
    sim = await startCanvasSimulator();
    sim.setBucketLevel(700);
    const res = await call(sim, SELF);
    expect(res.status).toBe(429);
    expect(res.text).toBe('429 Too Many Requests (Rate Limit Exceeded)\n');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('x-request-cost')).toBeNull();
    expect(res.headers.get('retry-after')).toBeNull();
    expect(Number(res.headers.get('x-rate-limit-remaining'))).toBeGreaterThan(-0.01);
  });

  it('answers throttles as self-hosted Canvas does when asked: 403 Forbidden (Rate Limit Exceeded)', async () => {
    sim = await startCanvasSimulator({ throttleStatus: 403 });
    sim.setBucketLevel(700);
    const res = await call(sim, SELF);
    expect(res.status).toBe(403);
    expect(res.text).toBe('403 Forbidden (Rate Limit Exceeded)\n');
    expect(res.headers.get('x-request-cost')).toBeNull();
  });

  it('keeps one bucket per token, whether sent as Bearer or access_token', async () => {
    const clock = fakeClock();
    sim = await startCanvasSimulator({ clock: clock.now, tokens: ['a', 'b'], cost: 1 });
    await call(sim, SELF, { token: 'a' });
    await call(sim, `${SELF}?access_token=a`, { token: null });
    await call(sim, SELF, { token: 'b' });
    expect(sim.stats('a')).toMatchObject({ requests: 2, level: 2 });
    expect(sim.stats('b')).toMatchObject({ requests: 1, level: 1 });
  });

  it('never throttles allow-listed tokens and always throttles blocked ones', async () => {
    sim = await startCanvasSimulator({
      allowlistedTokens: ['vip'],
      blockedTokens: ['bad'],
      cost: 3,
    });
    const vip = await Promise.all(
      Array.from({ length: 30 }, () => call(sim as CanvasSimulator, SELF, { token: 'vip' })),
    );
    expect(vip.every((r) => r.status === 200)).toBe(true);
    expect(vip.every((r) => r.headers.get('x-rate-limit-remaining') === '700.0')).toBe(true);
    expect(vip[0]?.headers.get('x-request-cost')).toBe('3.0');
    const bad = await call(sim, SELF, { token: 'bad' });
    expect(bad.status).toBe(429);
    expect(bad.headers.get('x-rate-limit-remaining')).toBe('0.0');
    expect(sim.stats('bad').throttled).toBe(1);
  });

  it('uses per-endpoint cost, latency and up-front cost', async () => {
    const clock = fakeClock();
    sim = await startCanvasSimulator({
      clock: clock.now,
      cost: 1,
      endpoints: { 'users.self': { cost: (r) => (r.method === 'GET' ? 7 : 0), upFrontCost: 690 } },
    });
    const res = await call(sim, SELF);
    expect(res.headers.get('x-request-cost')).toBe('7.0');
    // With a 690 up-front charge, a level of 10 already throttles (10 + 690 >= 700).
    sim.setBucketLevel(10);
    expect((await call(sim, SELF)).status).toBe(429);
    expect((await call(sim, '/api/v1/accounts/1')).status).toBe(200);
  });

  it('records a level time series and the peak', async () => {
    const clock = fakeClock();
    sim = await startCanvasSimulator({ clock: clock.now, cost: 2, maxSamples: 4 });
    for (let i = 0; i < 3; i++) {
      await call(sim, SELF);
      clock.advance(100);
    }
    const stats = sim.stats();
    expect(stats.samples).toHaveLength(4);
    expect(stats.peakLevel).toBeGreaterThanOrEqual(50);
    const times = stats.samples.map((s) => s.timeMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // Each request ends at +2; 100 ms leaks 1 between them: 2, then 3, then 4.
    expect(stats.samples.at(-1)?.level).toBeCloseTo(4, 10);
    sim.resetStats();
    expect(sim.stats()).toMatchObject({ requests: 0, served: 0, samples: [] });
  });

  it('charges a request only once it has crossed the network (transitMs), and answers as late', async () => {
    const time = fakeClock();
    sim = await startCanvasSimulator({
      clock: time,
      transitMs: 60,
      latencyMs: 60,
      cost: 0,
    });
    let answered = false;
    const pending = call(sim, SELF).then((res) => {
      answered = true;
      return res;
    });
    // Still on its way: nothing charged, nothing in flight at Canvas.
    await until(() => time.pendingDelays().length === 1);
    expect(time.pendingDelays()).toEqual([60]);
    await time.advanceSettled(59);
    expect(sim.stats()).toMatchObject({ level: 0, inFlight: 0, requests: 0 });
    // Arrived at 60 ms: charged, held for its 60 ms of latency.
    await time.advanceSettled(1);
    await until(() => sim?.stats().inFlight === 1);
    expect(sim.stats()).toMatchObject({ level: 50, requests: 1 });
    expect(time.pendingDelays()).toEqual([60]);
    await time.advanceSettled(60);
    await until(() => sim?.stats().inFlight === 0);
    // Done at Canvas at 120 ms, the answer still on its way back for 60 ms more.
    expect(sim.stats().level).toBe(0);
    expect(time.pendingDelays()).toEqual([60]);
    await time.advanceSettled(59);
    expect(answered).toBe(false);
    await time.advanceSettled(1);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(time.now()).toBe(180);
  });

  it('rejects a negative transitMs', async () => {
    await expect(startCanvasSimulator({ transitMs: -1 })).rejects.toThrow(/transitMs/);
  });
});
