/**
 * BullMQQueueAdapter against a real Redis: the one of `CANVAS_SYNC_REDIS_URL`, which `.ci/run`
 * starts and exports. Skipped without it, except under CI (`CI=true`), where a missing URL fails.
 * Each adapter works on a fresh queue name, obliterated after the test.
 */
import { randomUUID } from 'node:crypto';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import type { TaskDelivery } from '../../src/queue/adapter.js';
import {
  BullMQQueueAdapter,
  type BullMQQueueAdapterOptions,
} from '../../src/queue/bullmq/index.js';
import { createTask, type SyncTask } from '../../src/queue/task.js';
import { runQueueAdapterConformance } from '../../src/testing/queue-conformance.js';
import { until } from './support/tasks.js';

const url = process.env.CANVAS_SYNC_REDIS_URL || undefined;

describe.runIf(url === undefined && process.env.CI === 'true')(
  'BullMQQueueAdapter under CI',
  () => {
    it('has a Redis server (CANVAS_SYNC_REDIS_URL, exported by .ci/run)', () => {
      expect.fail('CI=true but CANVAS_SYNC_REDIS_URL is not set: .ci/run starts Redis and sets it');
    });
  },
);

describe('BullMQQueueAdapter options', () => {
  it('refuses invalid options before connecting', () => {
    expect(() => new BullMQQueueAdapter({ name: 'a:b', url: 'redis://127.0.0.1:1' })).toThrow(
      CanvasOptionsError,
    );
    expect(() => new BullMQQueueAdapter({ name: '', url: 'redis://127.0.0.1:1' })).toThrow(/name/);
    expect(() => new BullMQQueueAdapter({ name: 'q' })).toThrow(/url or connection/);
    const url = 'redis://127.0.0.1:1';
    expect(() => new BullMQQueueAdapter({ name: 'q', url, maxStalledCount: 1.5 })).toThrow(
      /maxStalledCount/,
    );
    expect(() => new BullMQQueueAdapter({ name: 'q', url, stalledIntervalMs: 0 })).toThrow(
      /stalledIntervalMs/,
    );
    expect(() => new BullMQQueueAdapter({ name: 'q', url, lockDurationMs: -1 })).toThrow(
      /lockDurationMs/,
    );
    expect(
      () => new BullMQQueueAdapter({ name: 'q', url, handlerErrorDelayMs: Number.NaN }),
    ).toThrow(/handlerErrorDelayMs/);
  });
});

/** Waits for `done` (`until` of support/tasks.ts), at most 3000 ms by default. */
const waitFor = (done: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000) =>
  until(done, what, timeoutMs);

function tasks(count: number): SyncTask[] {
  return Array.from({ length: count }, (_, index) =>
    createTask({ kind: 'course.enrollments', path: `/api/v1/courses/${index}/enrollments` }),
  );
}

describe.skipIf(url === undefined)(
  'BullMQQueueAdapter on Redis (skipped without CANVAS_SYNC_REDIS_URL=redis://…; .ci/run starts one)',
  () => {
    const made: BullMQQueueAdapter[] = [];

    afterEach(async () => {
      for (const adapter of made.splice(0)) {
        const cleaner = new BullMQQueueAdapter({ name: nameOf(adapter), url: url ?? '' });
        await adapter.close();
        await cleaner.obliterate();
        await cleaner.close();
      }
    });

    const names = new WeakMap<BullMQQueueAdapter, string>();
    const nameOf = (adapter: BullMQQueueAdapter): string => names.get(adapter) ?? '';
    const tracked = (
      extra: { connection?: Redis } & Partial<BullMQQueueAdapterOptions> = {},
    ): BullMQQueueAdapter => {
      const name = `cs-test-${randomUUID()}`;
      const { connection, ...rest } = extra;
      const adapter = new BullMQQueueAdapter({
        handlerErrorDelayMs: 20,
        ...rest,
        name,
        ...(connection === undefined ? { url: url ?? '' } : { connection }),
      });
      names.set(adapter, name);
      made.push(adapter);
      return adapter;
    };

    runQueueAdapterConformance('bullmq', async () => tracked());

    it('ignores a duplicate enqueue while the task waits', async () => {
      const adapter = tracked();
      const [task] = tasks(1) as [SyncTask];
      await adapter.enqueue(task);
      await adapter.enqueue(task);
      await adapter.enqueue({ ...task });
      expect((await adapter.stats()).queued).toBe(1);
      let handled = 0;
      await adapter.consume(
        async () => {
          handled++;
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await waitFor(async () => handled === 1 && (await adapter.stats()).queued === 0, 'handled');
      await adapter.close({ drain: true });
      expect(handled).toBe(1);
    });

    it('takes a completed task again', async () => {
      const adapter = tracked();
      const [task] = tasks(1) as [SyncTask];
      let handled = 0;
      await adapter.consume(
        async () => {
          handled++;
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await adapter.enqueue(task);
      await waitFor(() => handled === 1, 'first delivery');
      await waitFor(async () => (await adapter.stats()).inFlight === 0, 'completed');
      await adapter.enqueue(task);
      await waitFor(() => handled === 2, 'second delivery');
    });

    it('never keeps a token in a dead letter', async () => {
      const adapter = tracked();
      const secret = '7~abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab';
      await adapter.enqueueRaw({
        kind: 'course.enrollments',
        path: `/api/v1/courses/1/enrollments?access_token=${secret}`,
      });
      await adapter.enqueueRaw(`GET /x?access_token=${secret}`);
      await adapter.consume(async () => ({ type: 'ack' }), { concurrency: 1 });
      await waitFor(async () => (await adapter.deadLetters()).length === 2, 'two dead letters');
      const letters = await adapter.deadLetters();
      expect(JSON.stringify(letters)).not.toContain(secret);
      expect(letters.map((letter) => letter.reason)).toEqual(['invalid-task', 'invalid-task']);
      expect(letters[0]?.raw).toContain('[REDACTED]');
    });

    /** A plain BullMQ queue on the adapter's queue name, to look at (or set up) what it hides. */
    const peek = (adapter: BullMQQueueAdapter): Queue => {
      const queue = new Queue(nameOf(adapter), { connection: { url: url ?? '' } });
      opened.push(queue);
      return queue;
    };
    const opened: { close(): Promise<void> }[] = [];
    afterEach(async () => {
      for (const item of opened.splice(0)) await item.close();
    });

    /** Makes the adapter's own `moveToDelayed` call on this delivery's job fail, as a crash would. */
    const breakRetry = (delivery: TaskDelivery): void => {
      (delivery.raw as Job).moveToDelayed = async () => {
        throw new Error('simulated failure between updateData and moveToDelayed');
      };
    };

    it('runs again a delivery whose retry could not be stored, and keeps its delay (no failed job)', async () => {
      const adapter = tracked();
      const [task] = tasks(1) as [SyncTask];
      await adapter.enqueue(task);
      const seen: { at: number; task: SyncTask }[] = [];
      await adapter.consume(
        async (delivery) => {
          seen.push({ at: performance.now(), task: delivery.task });
          if (seen.length > 1) return { type: 'ack' };
          breakRetry(delivery);
          return { type: 'retry', delayMs: 300, countsAsFailure: true };
        },
        { concurrency: 1 },
      );
      await waitFor(() => seen.length === 2, 'the task delivered again');
      expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(295);
      expect(seen[1]?.task.retries).toEqual({ failures: 1, throttles: 0 });
      await waitFor(async () => (await adapter.stats()).inFlight === 0, 'acked');
      expect(await peek(adapter).getFailedCount()).toBe(0);
      expect(await adapter.deadLetters()).toEqual([]);
    });

    it('delays a delivered task whose notBefore is still ahead (a retry stored, then a crash)', async () => {
      const adapter = tracked();
      const [task] = tasks(1) as [SyncTask];
      const notBefore = Date.now() + 300;
      // What the stalled checker hands back after a worker died between updateData and moveToDelayed.
      await adapter.enqueueRaw({
        ...task,
        retries: { failures: 1, throttles: 0 },
        notBefore: new Date(notBefore).toISOString(),
      });
      const at: number[] = [];
      await adapter.consume(
        async () => {
          at.push(Date.now());
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await waitFor(() => at.length === 1, 'the delayed delivery');
      expect(at[0]).toBeGreaterThanOrEqual(notBefore);
    });

    it('dead-letters a task whose processing keeps failing outside the handler, then takes it again', async () => {
      const adapter = tracked();
      const [task] = tasks(1) as [SyncTask];
      await adapter.enqueue(task);
      let broken = true;
      let handled = 0;
      await adapter.consume(
        async (delivery) => {
          handled++;
          if (!broken) return { type: 'ack' };
          breakRetry(delivery);
          return { type: 'retry', delayMs: 0, countsAsFailure: true };
        },
        { concurrency: 1 },
      );
      await waitFor(async () => (await adapter.deadLetters()).length === 1, 'a dead letter');
      const [letter] = await adapter.deadLetters();
      expect(letter).toMatchObject({
        reason: 'processor-error',
        code: 'BULLMQ_FAILED',
        attempts: 5,
        task: { id: task.id },
      });
      expect(letter?.detail?.failedReason).toContain('simulated failure');
      expect(handled).toBe(5);
      expect(await peek(adapter).getFailedCount()).toBe(0);
      broken = false;
      await adapter.enqueue(task);
      await waitFor(() => handled === 6, 'the task taken again');
    });

    it('dead-letters a task stalled more than maxStalledCount times, then takes it again', async () => {
      const adapter = tracked({ maxStalledCount: 0, stalledIntervalMs: 50 });
      const [task] = tasks(1) as [SyncTask];
      await adapter.enqueue(task);
      // A worker that takes the task and dies: its lock is never renewed and expires.
      let taken = false;
      const dying = new Worker(
        nameOf(adapter),
        async () => {
          taken = true;
          await new Promise(() => {});
        },
        // Its stalled check sets the queue's check interval too: the same as the adapter's.
        { connection: { url: url ?? '' }, lockDuration: 100, stalledInterval: 50 },
      );
      await waitFor(() => taken, 'the task taken by the dying worker');
      await dying.close(true);
      const seen: string[] = [];
      await adapter.consume(
        async (delivery) => {
          seen.push(delivery.task.id);
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await waitFor(async () => (await adapter.deadLetters()).length === 1, 'a dead letter');
      const [letter] = await adapter.deadLetters();
      expect(letter).toMatchObject({
        reason: 'stalled',
        code: 'BULLMQ_STALLED',
        task: { id: task.id },
        detail: { stalls: 1 },
      });
      expect(seen).toEqual([]);
      await adapter.enqueue(task);
      await waitFor(() => seen.length === 1, 'the task taken again');
      expect(await peek(adapter).getFailedCount()).toBe(0);
    });

    it('never lets a failed job block a later enqueue of its task', async () => {
      const adapter = tracked();
      const [task] = tasks(1) as [SyncTask];
      await adapter.enqueue(task);
      // Another process's worker fails the job for good: it lands in BullMQ's failed set.
      const failing = new Worker(
        nameOf(adapter),
        async () => {
          throw new UnrecoverableError('failed elsewhere');
        },
        { connection: { url: url ?? '' } },
      );
      opened.push(failing);
      const queue = peek(adapter);
      await waitFor(async () => (await queue.getFailedCount()) === 1, 'a failed job');
      await failing.close();
      await adapter.enqueue(task);
      expect(await adapter.stats()).toMatchObject({ queued: 1, deadLetters: 1 });
      expect(await queue.getFailedCount()).toBe(0);
      const [letter] = await adapter.deadLetters();
      expect(letter).toMatchObject({
        reason: 'processor-error',
        task: { id: task.id },
        detail: { failedReason: 'failed elsewhere' },
      });
      // The sweep is idempotent: nothing left to do, nothing stored twice.
      await adapter.enqueue(task);
      expect((await adapter.deadLetters()).length).toBe(1);
    });

    it('drains 30 tasks at concurrency 4 on close({ drain: true })', async () => {
      const adapter = tracked();
      await adapter.enqueue(tasks(30));
      let handled = 0;
      await adapter.consume(
        async () => {
          handled++;
          return { type: 'ack' };
        },
        { concurrency: 4 },
      );
      await adapter.close({ drain: true });
      expect(handled).toBe(30);
      expect(await adapter.stats()).toMatchObject({ queued: 0, inFlight: 0 });
    });

    it('does not close a connection it was given', async () => {
      const connection = new Redis(url ?? '', { maxRetriesPerRequest: null });
      try {
        const adapter = tracked({ connection });
        const [task] = tasks(1) as [SyncTask];
        await adapter.enqueue(task);
        await adapter.consume(async () => ({ type: 'ack' }), { concurrency: 1 });
        await adapter.close();
        expect(connection.status).toBe('ready');
        expect(await connection.ping()).toBe('PONG');
      } finally {
        await connection.quit();
      }
    });
  },
);
