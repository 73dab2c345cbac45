/**
 * The budget shared through Redis (`pacing.redis`), against the real Redis of
 * `CANVAS_SYNC_REDIS_URL` (`.ci/run` starts it) and the simulator. Skipped without it, except
 * under CI, where a missing URL fails. Each test works on a fleet id of its own, and removes its
 * keys.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { CanvasSyncClient } from '../../src/client/client.js';
import { CanvasOptionsError } from '../../src/errors/index.js';
import type { FleetEvent } from '../../src/pacing/fleet-budget.js';
import { startCanvasSimulator } from '../../src/testing/index.js';
import { until } from '../queue/support/tasks.js';

const url = process.env.CANVAS_SYNC_REDIS_URL || undefined;

describe.runIf(url === undefined && process.env.CI === 'true')('fleet pacing under CI', () => {
  it('has a Redis server (CANVAS_SYNC_REDIS_URL, exported by .ci/run)', () => {
    expect.fail('CI=true but CANVAS_SYNC_REDIS_URL is not set: .ci/run starts Redis and sets it');
  });
});

describe('fleet pacing options', () => {
  it('refuses a bad Redis, id or share, and a token provider without an id, naming no secret', () => {
    const base = { baseUrl: 'http://127.0.0.1:1', token: 'a-token-of-the-test' };
    for (const pacing of [
      { redis: 'http://127.0.0.1:6379' },
      { redis: 42 },
      { redis: { status: 'ready' } },
      { redis: 'redis://127.0.0.1:6379', id: 'has space' },
      { redis: 'redis://127.0.0.1:6379', localShare: 0 },
      { redis: 'redis://127.0.0.1:6379', idleResetMs: 10 },
    ]) {
      expect(
        () => new CanvasSyncClient({ ...base, pacing: pacing as never }),
        JSON.stringify(pacing),
      ).toThrow(CanvasOptionsError);
    }
    expect(
      () =>
        new CanvasSyncClient({
          baseUrl: base.baseUrl,
          token: async () => 'a-token-of-the-test',
          pacing: { redis: 'redis://127.0.0.1:6379' },
        }),
    ).toThrow(/pacing\.id: required with pacing\.redis and a token provider/);
  });
});

describe.skipIf(url === undefined)(
  'fleet pacing on Redis (skipped without CANVAS_SYNC_REDIS_URL=redis://…; .ci/run starts one)',
  () => {
    const redis = new Redis(url ?? '', { lazyConnect: true });
    const cleanups: (() => Promise<unknown>)[] = [];

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** Deletes every key of the fleet `id` when the test ends. */
    function forget(id: string): void {
      cleanups.push(async () => {
        if (redis.status === 'wait') await redis.connect();
        const keys = await redis.keys(`b_${id}_*`);
        if (keys.length > 0) await redis.del(...keys);
      });
    }

    it('paces every client of one token as one: never more in flight than the bucket holds, nothing throttled', async () => {
      const sim = await startCanvasSimulator({ latencyMs: () => 20 + Math.random() * 20 });
      cleanups.push(() => sim.close());
      const id = `canvas-sync-test:${randomUUID()}`;
      forget(id);
      const events: FleetEvent[] = [];
      const clients = Array.from({ length: 4 }, () => {
        const client = new CanvasSyncClient({
          baseUrl: sim.url,
          token: sim.token,
          pacing: { redis: url ?? '', id },
        });
        client.on('fleet', (event) => events.push(event));
        cleanups.push(() => client.close());
        return client;
      });
      const path = `/api/v1/courses/${sim.data.courses.at(0)?.id}/users`;
      await Promise.all(
        clients.flatMap((client) => Array.from({ length: 60 }, () => client.get(path))),
      );
      const stats = sim.stats();
      expect(stats.throttled).toBe(0);
      // 13 × 50 = 650 of the 700 the bucket holds: never more at once, every process together.
      expect(stats.maxInFlight).toBeLessThanOrEqual(13);
      expect(stats.maxInFlight).toBeGreaterThanOrEqual(10);
      expect(events.filter((event) => event.type === 'joined')).toHaveLength(4);
      expect(events.filter((event) => event.type === 'fallback')).toEqual([]);
      for (const client of clients) expect(client.stats().fleet).toMatchObject({ mode: 'shared' });
    });

    it('starts a new fleet with one slot, opened by the first response; keeps nothing of the token in Redis; forgets the fleet when idle', async () => {
      const sim = await startCanvasSimulator({ latencyMs: 5 });
      cleanups.push(() => sim.close());
      const client = new CanvasSyncClient({
        baseUrl: sim.url,
        token: sim.token,
        pacing: { redis: url ?? '', idleResetMs: 60_000 },
      });
      cleanups.push(() => client.close());
      const events: FleetEvent[] = [];
      client.on('fleet', (event) => events.push(event));
      await client.get(`/api/v1/courses/${sim.data.courses.at(0)?.id}/users`);
      await until(() => events.some((event) => event.type === 'resized'), 'the first resize');
      expect(events[0]).toMatchObject({ type: 'joined', maxConcurrent: 1 });
      expect(events.find((event) => event.type === 'resized')).toMatchObject({ from: 1, to: 13 });
      if (redis.status === 'wait') await redis.connect();
      const keys = await redis.keys('b_canvas-sync:*');
      for (const key of keys) expect(key).not.toContain(sim.token);
      // This client's fleet (other test files share this Redis): the id is a digest of origin and token.
      const id = `canvas-sync:${createHash('sha256')
        .update(`${new URL(sim.url).origin}\n${sim.token}`)
        .digest('hex')}`;
      expect(keys).toContain(`b_${id}_settings`);
      const fleetKeys = await redis.keys(`b_${id}_*`);
      for (const key of fleetKeys) {
        cleanups.push(() => redis.del(key));
        const type = await redis.type(key);
        const dump = type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : key;
        expect(dump).not.toContain(sim.token);
      }
      // Bottleneck's `timeout`: the fleet's settings expire after idleResetMs without a request.
      const settings = fleetKeys.find((key) => key.endsWith('_settings')) ?? '';
      const ttl = await redis.pttl(settings);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('starts the fleet afresh when its keys expired while idle (Redis 7 prefixes the reply with ERR)', async () => {
      const sim = await startCanvasSimulator({ latencyMs: 5 });
      cleanups.push(() => sim.close());
      const id = `canvas-sync-test:${randomUUID()}`;
      forget(id);
      const client = new CanvasSyncClient({
        baseUrl: sim.url,
        token: sim.token,
        pacing: { redis: url ?? '', id },
      });
      cleanups.push(() => client.close());
      const events: FleetEvent[] = [];
      client.on('fleet', (event) => events.push(event));
      const path = `/api/v1/courses/${sim.data.courses.at(0)?.id}/users`;
      await client.get(path);
      // What `idleResetMs` of inactivity does: every key of the fleet gone.
      if (redis.status === 'wait') await redis.connect();
      await until(async () => (await redis.keys(`b_${id}_*`)).length > 0, 'the fleet keys');
      await redis.del(...(await redis.keys(`b_${id}_*`)));
      events.length = 0;
      await Promise.all(Array.from({ length: 5 }, () => client.get(path)));
      // Bottleneck re-initialised the fleet: no error, no fallback (resizes are fine).
      expect(
        events.filter((event) => event.type !== 'resized').map((event) => event.message),
      ).toEqual([]);
      expect(client.stats().fleet).toMatchObject({ mode: 'shared' });
      // A new fleet again: its settings in Redis, from one slot opened by a response.
      expect(await redis.exists(`b_${id}_settings`)).toBe(1);
    });
  },
);
