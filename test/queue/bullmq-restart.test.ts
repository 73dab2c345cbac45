/**
 * BullMQQueueAdapter across a Redis restart, on a private `redis-server` (AOF, `appendfsync
 * always`) that the test stops with SIGTERM in the middle of a run and starts again on the same
 * port and directory. Skipped when `redis-server` is not installed, except under CI
 * (`CI=true`), where that fails.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMQQueueAdapter } from '../../src/queue/bullmq/index.js';
import { createTask, type SyncTask } from '../../src/queue/task.js';
import {
  hasRedisServer,
  PRIVATE_REDIS_BOOT_MS,
  type PrivateRedis,
  startPrivateRedis,
} from './support/redis-server.js';
import { until } from './support/tasks.js';

const installed = hasRedisServer();

describe.runIf(!installed && process.env.CI === 'true')(
  'BullMQQueueAdapter restart under CI',
  () => {
    it('has redis-server installed', () => {
      expect.fail('CI=true but redis-server is not on the PATH: the restart test needs it');
    });
  },
);

/** Waits for `done` (`until` of support/tasks.ts), at most 30_000 ms by default. */
const waitFor = (done: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) =>
  until(done, what, timeoutMs);

describe.skipIf(!installed)(
  'BullMQQueueAdapter across a Redis restart (skipped without redis-server)',
  () => {
    let redis: PrivateRedis;

    beforeAll(async () => {
      redis = await startPrivateRedis();
    }, PRIVATE_REDIS_BOOT_MS);

    afterAll(async () => {
      await redis?.dispose();
    });

    it('completes a run when Redis is stopped and started again mid-run: nothing lost, every task acked', async () => {
      const count = 200;
      const tasks: SyncTask[] = Array.from({ length: count }, (_, index) =>
        createTask({ kind: 'course.enrollments', path: `/api/v1/courses/${index}/enrollments` }),
      );
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown): void => {
        rejections.push(reason);
      };
      process.on('unhandledRejection', onRejection);
      const errors: unknown[] = [];
      const name = `cs-restart-${randomUUID()}`;
      const adapter = new BullMQQueueAdapter({
        name,
        url: redis.url,
        handlerErrorDelayMs: 20,
        // A job that Redis moved to active just before it went away, whose reply was lost, is
        // redelivered once its lock expires: short locks keep that within the test's time.
        lockDurationMs: 1000,
        stalledIntervalMs: 500,
        onError: (error) => errors.push(error),
      });
      const handled = new Map<string, number>();
      try {
        for (let start = 0; start < count; start += 50) {
          await adapter.enqueue(tasks.slice(start, start + 50));
        }
        await adapter.consume(
          async ({ task }) => {
            handled.set(task.key, (handled.get(task.key) ?? 0) + 1);
            await new Promise((resolve) => setTimeout(resolve, 20));
            return { type: 'ack' };
          },
          { concurrency: 8 },
        );
        await waitFor(() => handled.size >= 40, '40 tasks handled before the restart');
        const pid = redis.pid;
        await redis.stop();
        const handledWhileDown = handled.size;
        await redis.start();
        expect(redis.pid).not.toBe(pid);
        await waitFor(() => handled.size === count, `all ${count} tasks handled`);
        await waitFor(async () => {
          const stats = await adapter.stats();
          return stats.queued + stats.inFlight + stats.delayed === 0;
        }, 'the queue empty');
        expect(await adapter.stats()).toEqual({
          queued: 0,
          inFlight: 0,
          delayed: 0,
          deadLetters: 0,
        });
        await adapter.close({ drain: true });

        // Every task acked: its job completed and was removed; none failed, none left behind.
        const client = new Redis(redis.url);
        const queue = new Queue(name, { connection: client });
        try {
          expect(
            await queue.getJobCounts('failed', 'completed', 'wait', 'active', 'delayed'),
          ).toEqual({
            failed: 0,
            completed: 0,
            wait: 0,
            active: 0,
            delayed: 0,
          });
          expect(await client.keys(`bull:${name}:task-*`)).toEqual([]);
        } finally {
          await queue.close();
          await client.quit();
        }
        expect([...handled.keys()].sort()).toEqual(tasks.map((task) => task.key).sort());
        const duplicates = [...handled.values()].reduce((sum, times) => sum + times - 1, 0);
        console.info(
          `Redis stopped and restarted with ${handledWhileDown} of ${count} tasks handled: ${duplicates} duplicate deliveries, ${errors.length} connection errors reported`,
        );
        expect(rejections).toEqual([]);
      } finally {
        process.off('unhandledRejection', onRejection);
        await adapter.close();
        const cleaner = new BullMQQueueAdapter({ name, url: redis.url });
        await cleaner.obliterate().catch(() => undefined);
        await cleaner.close();
      }
    }, 60_000);
  },
);
