/**
 * The budget shared through Redis (`pacing.redis`) across real processes: children running
 * test/pacing/support/fleet-child.ts (`node --import tsx`), each a CanvasSyncClient on the
 * simulator's one token, against the Redis of `CANVAS_SYNC_REDIS_URL` (`.ci/run` starts it;
 * skipped without it, except under CI, where a missing URL fails), and a private `redis-server`
 * that the Redis-down test stops and starts (skipped when it is not installed, except under CI).
 * Every test works on a fleet id of its own and removes its keys (`b_<id>_*`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CanvasSyncClient } from '../../src/client/client.js';
import { RedisFleetBudget } from '../../src/pacing/cluster/redis-fleet-budget.js';
import type { FleetEvent } from '../../src/pacing/fleet-budget.js';
import {
  type CanvasSimulator,
  type LevelSample,
  startCanvasSimulator,
} from '../../src/testing/index.js';
import {
  hasRedisServer,
  PRIVATE_REDIS_BOOT_MS,
  type PrivateRedis,
  startPrivateRedis,
} from '../queue/support/redis-server.js';
import { until } from '../queue/support/tasks.js';
import type { ChildConfig, ChildDone } from './support/fleet-child.js';

const url = process.env.CANVAS_SYNC_REDIS_URL || undefined;
const installed = hasRedisServer();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = join(ROOT, 'test/pacing/support/fleet-child.ts');
/**
 * Bound of a test that starts processes (each `node --import tsx` takes a second or more of CPU;
 * several on a busy machine take several): the tests stop by their own deadlines well before.
 */
const PROCESS_TEST_MS = 30_000;
/** Canvas's bucket on hosted instances: 700 / 50 up front, less the safety margin: 13 at once. */
const SLOTS = 13;

describe.runIf(url === undefined && process.env.CI === 'true')(
  'fleet pacing across processes under CI',
  () => {
    it('has a Redis server (CANVAS_SYNC_REDIS_URL, exported by .ci/run)', () => {
      expect.fail('CI=true but CANVAS_SYNC_REDIS_URL is not set: .ci/run starts Redis and sets it');
    });
  },
);

describe.runIf(!installed && process.env.CI === 'true')(
  'fleet pacing across a Redis outage under CI',
  () => {
    it('has redis-server installed', () => {
      expect.fail('CI=true but redis-server is not on the PATH: the Redis-down test needs it');
    });
  },
);

/** A child process speaking JSON lines (see support/fleet-child.ts). */
interface Child {
  readonly process: ChildProcess;
  /** Resolves with the first line of `type` (now or later); rejects if the child ends first. */
  line<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  /** Resolves when the child has exited. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Starts a child; it is killed (by its pid) when the test ends, if it still runs. */
function startChild(config: ChildConfig): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines: Record<string, unknown>[] = [];
  const watchers = new Set<() => void>();
  createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on(
    'line',
    (text) => {
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        stderr += `(stdout) ${text}\n`;
      }
      for (const watcher of [...watchers]) watcher();
    },
  );
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const line = <T>(type: string, timeoutMs = 20_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const settle = (error?: Error): void => {
        watchers.delete(check);
        clearTimeout(deadline);
        const found = lines.find((entry) => entry.type === type);
        if (error === undefined && found !== undefined) resolve(found as T);
        else reject(error);
      };
      const check = (): void => {
        if (lines.some((entry) => entry.type === type)) settle();
      };
      const deadline = setTimeout(
        () => settle(new Error(`no "${type}" line within ${timeoutMs} ms: ${stderr}`)),
        timeoutMs,
      );
      watchers.add(check);
      void exit.then(({ code, signal }) => {
        check();
        settle(new Error(`the child ended (${code ?? signal}) before "${type}": ${stderr}`));
      });
      check();
    });
  return { process: child, line, exit, stderr: () => stderr };
}

/**
 * Time-weighted mean of requests in flight at the simulator between its first and last sample:
 * how much of the {@link SLOTS} the run used.
 */
function meanInFlight(samples: readonly LevelSample[]): number {
  let area = 0;
  for (let index = 1; index < samples.length; index++) {
    const before = samples[index - 1];
    const after = samples[index];
    if (before !== undefined && after !== undefined) {
      area += before.inFlight * (after.timeMs - before.timeMs);
    }
  }
  const first = samples.at(0)?.timeMs ?? 0;
  const span = (samples.at(-1)?.timeMs ?? 0) - first;
  return span > 0 ? area / span : 0;
}

/** The path every burst asks for: a course's users, answered in 20 to 60 ms. */
function usersPath(sim: CanvasSimulator): string {
  return `/api/v1/courses/${sim.data.courses.at(0)?.id}/users`;
}

describe.skipIf(url === undefined)(
  'fleet pacing across processes on Redis (skipped without CANVAS_SYNC_REDIS_URL=redis://…)',
  () => {
    const redis = new Redis(url ?? '', { lazyConnect: true });
    const cleanups: (() => Promise<unknown>)[] = [];

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    afterAll(async () => {
      if (redis.status !== 'wait') await redis.quit();
    });

    async function connected(): Promise<Redis> {
      if (redis.status === 'wait') await redis.connect();
      return redis;
    }

    /** A fleet id of the test's own, whose keys are deleted when the test ends. */
    function fleetId(): string {
      const id = `canvas-sync-test:${randomUUID()}`;
      cleanups.push(async () => {
        const keys = await (await connected()).keys(`b_${id}_*`);
        if (keys.length > 0) await redis.del(...keys);
      });
      return id;
    }

    /**
     * Four processes on one token, each `count` GETs at once, started together: each prints
     * `ready` (with `warm`, after a first request through which its client joined the fleet),
     * then every one gets `GO`. Without `shared`, the same without `pacing.redis`.
     */
    async function fourProcesses(options: { shared: boolean; warm: boolean; count: number }) {
      const sim = await startCanvasSimulator({
        latencyMs: (request) => 20 + request.random() * 40,
      });
      cleanups.push(() => sim.close());
      const id = fleetId();
      const spawnedAt = performance.now();
      const children = Array.from({ length: 4 }, () =>
        startChild({
          mode: 'burst',
          baseUrl: sim.url,
          token: sim.token,
          ...(options.shared ? { redis: url ?? '', id } : {}),
          path: usersPath(sim),
          count: options.count,
          warm: options.warm,
        }),
      );
      const ready = await Promise.all(
        children.map((child) => child.line<{ events: string[] }>('ready')),
      );
      if (options.shared && options.warm) {
        for (const line of ready) expect(line.events).toContain('joined');
      }
      const readyAt = performance.now();
      for (const child of children) child.process.stdin?.write('GO\n');
      const done = await Promise.all(children.map((child) => child.line<ChildDone>('done')));
      const doneAt = performance.now();
      await Promise.all(children.map((child) => child.exit));
      const stats = sim.stats();
      const mean = meanInFlight(stats.samples);
      const figures = {
        shared: options.shared,
        warm: options.warm,
        requests: stats.requests,
        served: stats.served,
        throttled: stats.throttled,
        maxInFlight: stats.maxInFlight,
        meanInFlight: Number(mean.toFixed(2)),
        shareOfLimit: Number((mean / SLOTS).toFixed(2)),
        peakLevel: Number(stats.peakLevel.toFixed(1)),
        childThrottled: done.map((line) => line.stats.throttled),
        childMaxInFlight: done.map((line) => line.stats.maxInFlight),
        startMs: Math.round(readyAt - spawnedAt),
        burstMs: Math.round(doneAt - readyAt),
      };
      console.log(`fleet of 4 processes: ${JSON.stringify(figures)}`);
      return { sim, done, stats, id };
    }

    it(
      '4 processes that joined one fleet, then start 100 GETs each at once: all answered, ≤ 13 in flight, ≤ 4 throttled',
      async () => {
        const count = 100;
        const { done, stats, id } = await fourProcesses({ shared: true, warm: true, count });
        for (const line of done) {
          expect(line.errors).toEqual([]);
          expect(line.ok).toBe(count);
          expect(line.events).not.toContain('fallback');
          // Taken before the child closed its client: nothing held once every request ended.
          expect(line.stats.fleet).toMatchObject({ mode: 'shared', held: 0 });
        }
        // A warm-up request and `count` in the burst each (a throttled request is not served; its
        // retry is).
        expect(stats.served).toBe(4 * (count + 1));
        expect(stats.throttled).toBeLessThanOrEqual(4);
        expect(stats.maxInFlight).toBeLessThanOrEqual(SLOTS);
        // Every slot came back: nobody holds one once every process has ended.
        const [running] = await (await connected()).hmget(`b_${id}_settings`, 'running');
        expect(Number(running)).toBe(0);
      },
      PROCESS_TEST_MS,
    );

    it(
      '4 processes of a new fleet whose first requests start together: all answered, ≤ 13 in flight, ≤ 4 throttled',
      async () => {
        const count = 100;
        const { done, stats } = await fourProcesses({ shared: true, warm: false, count });
        for (const line of done) {
          expect(line.errors).toEqual([]);
          expect(line.ok).toBe(count);
          expect(line.events).toContain('joined');
          expect(line.events).not.toContain('fallback');
        }
        expect(stats.served).toBe(4 * count);
        expect(stats.throttled).toBeLessThanOrEqual(4);
        expect(stats.maxInFlight).toBeLessThanOrEqual(SLOTS);
      },
      PROCESS_TEST_MS,
    );

    it(
      'the same 4 processes without pacing.redis, for comparison (figures printed)',
      async () => {
        const count = 100;
        const { done, stats } = await fourProcesses({ shared: false, warm: true, count });
        for (const line of done) {
          expect(line.errors).toEqual([]);
          expect(line.ok).toBe(count);
          expect(line.stats.fleet).toBeUndefined();
        }
        // Sanity only: each process paced itself, and every request was answered in the end.
        expect(stats.served).toBe(4 * (count + 1));
      },
      PROCESS_TEST_MS,
    );

    it(
      "frees a killed process's slots after holdLimitMs (its timeoutMs + 5 s): the live process gets every slot back",
      async () => {
        // The child's requests take 1.5 s: in flight when it is killed (its timeout is 1 s, so
        // its slots expire after 6 s; a child slow to be killed retries them, still holding).
        // Canvas answers them anyway, so the bucket is empty again long before the slots expire.
        let heldPath = '';
        const sim = await startCanvasSimulator({
          latencyMs: (request) => (request.path === heldPath ? 1_500 : 20 + request.random() * 20),
        });
        cleanups.push(() => sim.close());
        heldPath = `/api/v1/accounts/${sim.data.account.id}`;
        const id = fleetId();
        const keys = {
          settings: `b_${id}_settings`,
          clients: `b_${id}_client_running`,
        };
        const db = await connected();
        /** The cluster's running, its slots, and what each limiter (one per process) holds. */
        const read = async () => {
          const result = await db
            .multi()
            .hmget(keys.settings, 'running', 'maxConcurrent')
            .zrange(keys.clients, 0, -1, 'WITHSCORES')
            .exec();
          const [running, maxConcurrent] = (result?.[0]?.[1] ?? []) as (string | null)[];
          const flat = (result?.[1]?.[1] ?? []) as string[];
          const byClient = new Map<string, number>();
          for (let index = 0; index < flat.length; index += 2) {
            byClient.set(flat[index] ?? '', Number(flat[index + 1]));
          }
          return { running: Number(running), maxConcurrent: Number(maxConcurrent), byClient };
        };

        // The live process: this one. Its requests in flight are counted at its fetch.
        let inFlight = 0;
        let maxInFlight = 0;
        const live = new CanvasSyncClient({
          baseUrl: sim.url,
          token: sim.token,
          pacing: { redis: url ?? '', id },
          fetch: async (input, init) => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            try {
              return await globalThis.fetch(input, init);
            } finally {
              inFlight--;
            }
          },
        });
        cleanups.push(() => live.close());
        const liveEvents: FleetEvent[] = [];
        live.on('fleet', (event) => liveEvents.push(event));
        const path = usersPath(sim);
        await live.get(path);
        await until(async () => (await read()).maxConcurrent === SLOTS, 'the fleet opened to 13');
        const liveClients = new Set((await read()).byClient.keys());

        const held = 10;
        const child = startChild({
          mode: 'hold',
          baseUrl: sim.url,
          token: sim.token,
          redis: url ?? '',
          id,
          timeoutMs: 1_000,
          path: heldPath,
          count: held,
        });
        await child.line('holding');
        child.process.kill('SIGKILL');
        const killedAt = performance.now();
        const atKill = await read();
        await child.exit;
        const dead = [...atKill.byClient.keys()].filter((client) => !liveClients.has(client));
        expect(dead).toHaveLength(1);
        const deadClient = dead[0] ?? '';
        expect(atKill.byClient.get(deadClient)).toBe(held);
        expect(atKill.running).toBe(held);

        // Once Canvas has answered the dead process's requests (its bucket is empty again), the
        // live process still has only the slots the dead one left: 13 − 10.
        await until(() => sim.stats().inFlight === 0, "Canvas ends the dead process's requests");
        maxInFlight = 0;
        await Promise.all(Array.from({ length: 30 }, () => live.get(path)));
        const blockedMax = maxInFlight;
        const afterBlocked = await read();
        // Checked only when the dead process's slots were still counted at the end of that burst
        // (they were then throughout it): they expire 6 s after they were taken.
        const stillHeld = afterBlocked.byClient.get(deadClient) === held;
        if (stillHeld) expect(blockedMax).toBeLessThanOrEqual(SLOTS - held);

        // The live process keeps asking (Bottleneck frees expired jobs when one of its scripts runs)
        // until Redis counts nothing for the dead process: then the cluster's running is what the
        // live process holds.
        let asking = true;
        const pulse = (async () => {
          while (asking) await live.get(path);
        })();
        const holdLimitMs = 1_000 + 5_000;
        let recovered: Awaited<ReturnType<typeof read>> | undefined;
        await until(
          async () => {
            const now = await read();
            const liveHeld = [...liveClients].reduce(
              (sum, client) => sum + (now.byClient.get(client) ?? 0),
              0,
            );
            if ((now.byClient.get(deadClient) ?? 0) !== 0 || now.running !== liveHeld) return false;
            recovered = now;
            return true;
          },
          "the dead process's slots expire",
          holdLimitMs + 8_000,
          20,
        );
        const recoveryMs = performance.now() - killedAt;
        asking = false;
        await pulse;
        // The live process sends one request at a time then.
        expect(recovered?.running).toBeLessThanOrEqual(1);

        // Every slot is the live process's again: a burst gets more in flight than the 3 it had.
        sim.resetStats();
        maxInFlight = 0;
        await Promise.all(Array.from({ length: 60 }, () => live.get(path)));
        const fullMax = maxInFlight;
        expect(fullMax).toBeGreaterThan(SLOTS - held);
        expect(fullMax).toBeLessThanOrEqual(SLOTS);
        expect(sim.stats().throttled).toBe(0);
        await until(async () => (await read()).running === 0, 'every slot freed');
        expect(liveEvents.filter((event) => event.type === 'fallback')).toEqual([]);
        console.log(
          `kill-one: ${JSON.stringify({
            heldByDead: held,
            holdLimitMs,
            recoveryMsAfterKill: Math.round(recoveryMs),
            liveMaxInFlightWhileHeld: stillHeld ? blockedMax : 'not measured (slots expired first)',
            liveMaxInFlightAfter: fullMax,
          })}`,
        );
      },
      PROCESS_TEST_MS,
    );
  },
);

describe.skipIf(!installed)(
  'fleet pacing across a Redis outage (a private redis-server; skipped without one)',
  () => {
    let privateRedis: PrivateRedis;

    beforeAll(async () => {
      privateRedis = await startPrivateRedis();
    }, PRIVATE_REDIS_BOOT_MS);

    afterAll(async () => {
      await privateRedis?.dispose();
    });

    /** A client of the private Redis, quit when the test ends. */
    function privateClient(): Redis {
      const db = new Redis(privateRedis.url);
      onTestFinished(async () => {
        await db.quit();
      });
      return db;
    }

    it('paces alone within localShare while Redis is down (every request answered, no throttle storm), and rejoins when it is back', async () => {
      // Requests take 20–40 ms, except those sent while `slow` (just before Redis stops): 500 ms,
      // so that Redis goes while they hold shared slots, and their frees are lost with it.
      let slow = false;
      let slowSent = 0;
      const sim = await startCanvasSimulator({
        latencyMs: (request) => {
          if (!slow) return 20 + request.random() * 20;
          slowSent++;
          return 500;
        },
      });
      onTestFinished(() => sim.close());
      const id = `canvas-sync-test:${randomUUID()}`;
      const localShare = 3;
      const client = new CanvasSyncClient({
        baseUrl: sim.url,
        token: sim.token,
        pacing: { redis: privateRedis.url, id, localShare },
      });
      onTestFinished(() => client.close());
      const events: FleetEvent[] = [];
      client.on('fleet', (event) => events.push(event));
      const has = (type: FleetEvent['type']) => events.some((event) => event.type === type);

      // 20 requests always outstanding, until told to stop.
      const path = usersPath(sim);
      let answered = 0;
      const failures: unknown[] = [];
      let running = true;
      onTestFinished(() => {
        running = false;
      });
      const workers = Array.from({ length: 20 }, async () => {
        // Stops at the first failure too: the test fails then, and a closed client fails at once.
        while (running && failures.length === 0) {
          try {
            await client.get(path);
            answered++;
          } catch (error) {
            failures.push(error);
          }
        }
      });
      const answeredAtLeast = (more: number, what: string) => {
        const target = answered + more;
        return until(() => answered >= target || failures.length > 0, what, 15_000);
      };

      await until(() => has('joined'), 'joined the fleet');
      await answeredAtLeast(50, 'requests in shared mode');
      const sharedMax = sim.stats().maxInFlight;

      slow = true;
      await until(() => slowSent >= 3, 'slow requests in flight on shared slots');
      await privateRedis.stop();
      await until(() => has('fallback'), 'the fallback event', 10_000);
      slow = false;
      expect(events.find((event) => event.type === 'fallback')).toMatchObject({ localShare });
      // The requests sent with a shared slot before Redis went have been answered by then.
      await until(() => sim.stats().inFlight <= localShare, 'the shared requests answered');
      await answeredAtLeast(10, 'requests after the fallback');
      sim.resetStats();
      let maxHeld = 0;
      const watch = setInterval(() => {
        maxHeld = Math.max(maxHeld, client.stats().fleet?.held ?? 0);
      }, 2);
      onTestFinished(() => clearInterval(watch));
      await answeredAtLeast(60, 'requests while Redis is down');
      clearInterval(watch);
      const outage = sim.stats();
      expect(client.stats().fleet?.mode).toBe('local');
      expect(outage.maxInFlight).toBeLessThanOrEqual(localShare);
      expect(maxHeld).toBeLessThanOrEqual(localShare);

      await privateRedis.start();
      await until(() => has('rejoined'), 'the rejoined event', 10_000);
      sim.resetStats();
      const db = privateClient();
      const done = async () => Number(await db.hget(`b_${id}_settings`, 'done'));
      const doneBefore = await done();
      // They take their slots in Redis again: Bottleneck counts each job it frees.
      await until(async () => (await done()) - doneBefore >= 60, 'requests through Redis again');
      expect(client.stats().fleet?.mode).toBe('shared');
      const rejoinedMax = sim.stats().maxInFlight;
      expect(rejoinedMax).toBeGreaterThan(localShare);
      expect(rejoinedMax).toBeLessThanOrEqual(SLOTS);

      running = false;
      await Promise.all(workers);
      expect(failures).toEqual([]);
      // The slots freed while Redis was away are not counted any more (they would be until
      // holdLimitMs, 35 s here, long after this test): idle, the fleet holds nothing.
      await until(async () => Number(await db.hget(`b_${id}_settings`, 'running')) === 0, 'idle');
      const throttled = client.stats().throttled;
      expect(throttled).toBeLessThanOrEqual(2);
      console.log(
        `redis-down: ${JSON.stringify({
          answered,
          throttled,
          sharedMaxInFlight: sharedMax,
          outageMaxInFlight: outage.maxInFlight,
          outageMaxHeld: maxHeld,
          rejoinedMaxInFlight: rejoinedMax,
          events: events.filter((event) => event.type !== 'error').map((event) => event.message),
          errorEvents: events.filter((event) => event.type === 'error').length,
        })}`,
      );
    });

    /** A budget on the private Redis, with a fleet id of its own, closed when the test ends. */
    function budget(localShare: number) {
      const events: FleetEvent[] = [];
      const id = `canvas-sync-test:${randomUUID()}`;
      const fleet = new RedisFleetBudget({
        redis: privateRedis.url,
        id,
        upFrontCost: 50,
        safetyMargin: 5,
        holdLimitMs: 60_000,
        idleResetMs: 60_000,
        localShare,
        joinTimeoutMs: 3_000,
        onEvent: (event) => events.push(event),
      });
      onTestFinished(() => fleet.close());
      const has = (type: FleetEvent['type']) => events.some((event) => event.type === type);
      return { fleet, events, has, id };
    }

    const signal = new AbortController().signal;
    const idle = { remaining: 700, throttled: false, highWaterMark: 700 } as const;

    it('frees in Redis the shared slots released while Redis was away, and only those, when it is back', async () => {
      const { fleet, events, has, id } = budget(2);
      // A first slot, whose response opens the fleet to 13.
      (await fleet.acquire(0, signal)).release(idle);
      await until(() => has('resized'), 'the fleet opened');
      const db = privateClient();
      const held = await Promise.all(Array.from({ length: 4 }, () => fleet.acquire(0, signal)));
      const running = async () => Number(await db.hget(`b_${id}_settings`, 'running'));
      expect(await running()).toBe(4);

      await privateRedis.stop();
      await until(() => has('fallback'), 'the fallback');
      // Three requests end while Redis is away (their frees fail); one is still in flight.
      for (const slot of held.slice(0, 3)) slot.release();
      await privateRedis.start();
      await until(() => has('rejoined'), 'the rejoined event', 10_000);
      expect(events.find((event) => event.type === 'rejoined')?.message).toContain('freed 3');
      // Bottleneck applies the frees at its next script: this process's next slot.
      (await fleet.acquire(0, signal)).release();
      await until(async () => (await running()) === 1, 'only the slot still held counted');
      held[3]?.release();
      await until(async () => (await running()) === 0, 'nothing counted');
    });

    it('moves the requests waiting for the local share to the fleet when Redis is back', async () => {
      const { fleet, has } = budget(1);
      (await fleet.acquire(0, signal)).release(idle);
      await until(() => has('resized'), 'the fleet opened');
      await privateRedis.stop();
      await until(() => has('fallback'), 'the fallback');
      // The local share (1) is taken; two more wait for it.
      const local = await fleet.acquire(0, signal);
      const granted: number[] = [];
      const waiting = [1, 2].map((index) =>
        fleet.acquire(0, signal).then((slot) => {
          granted.push(index);
          return slot;
        }),
      );
      // Rejected when the budget closes, should the test fail before it takes them.
      for (const promise of waiting) promise.catch(() => undefined);
      await privateRedis.start();
      await until(() => has('rejoined'), 'the rejoined event', 10_000);
      // Both get a slot of the fleet while the local one is still held.
      await until(() => granted.length === 2, 'the waiting requests get shared slots');
      expect(fleet.snapshot()).toMatchObject({ mode: 'shared', held: 3 });
      for (const slot of await Promise.all(waiting)) slot.release();
      local.release();
      expect(fleet.snapshot().held).toBe(0);
    });
  },
);
