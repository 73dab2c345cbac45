/**
 * BullMQQueueAdapter against a real Redis: the one of `CANVAS_SYNC_REDIS_URL`, which `.ci/run`
 * starts and exports. Skipped without it, except under CI (`CI=true`), where a missing URL fails.
 * Each adapter works on a fresh queue name, obliterated after the test.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import { BullMQQueueAdapter } from '../../src/queue/bullmq/index.js';
import { createTask, type SyncTask } from '../../src/queue/task.js';
import { runQueueAdapterConformance } from '../../src/testing/queue-conformance.js';

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
  });
});

/** Polls `done` every 10 ms until it holds, failing after `timeoutMs`. */
async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000) {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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
    const tracked = (extra: { connection?: Redis } = {}): BullMQQueueAdapter => {
      const name = `cs-test-${randomUUID()}`;
      const adapter = new BullMQQueueAdapter({
        name,
        ...(extra.connection === undefined ? { url: url ?? '' } : { connection: extra.connection }),
        handlerErrorDelayMs: 20,
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
      await until(async () => handled === 1 && (await adapter.stats()).queued === 0, 'handled');
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
      await until(() => handled === 1, 'first delivery');
      await until(async () => (await adapter.stats()).inFlight === 0, 'completed');
      await adapter.enqueue(task);
      await until(() => handled === 2, 'second delivery');
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
      await until(async () => (await adapter.deadLetters()).length === 2, 'two dead letters');
      const letters = await adapter.deadLetters();
      expect(JSON.stringify(letters)).not.toContain(secret);
      expect(letters.map((letter) => letter.reason)).toEqual(['invalid-task', 'invalid-task']);
      expect(letters[0]?.raw).toContain('[REDACTED]');
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
