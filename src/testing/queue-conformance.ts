/**
 * The conformance suite every {@link QueueAdapter} runs, as unstorage's drivers share one suite:
 * the contract's promises checked against a real adapter (and, for broker adapters, a real
 * broker).
 *
 * @module
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeadLetter, HandlerResult, QueueAdapter, TaskDelivery } from '../queue/adapter.js';
import { createTask, type SyncTask } from '../queue/task.js';

/**
 * An adapter under test; `enqueueRaw` (publish an unvalidated payload) enables the malformed-payload check.
 * @category Testing
 */
export type ConformanceAdapter = QueueAdapter & {
  /**
   * Publishes `payload` as is, without validating it, as a broker would hand over whatever was
   * published. When present, the suite checks that forged and malformed payloads never reach the
   * handler and, if the adapter has `deadLetters`, that they are dead-lettered as
   * `'invalid-task'`, without secrets and cut to 2 KB.
   */
  enqueueRaw?(payload: unknown): Promise<void>;
};

/**
 * Options of {@link runQueueAdapterConformance}.
 * @category Testing
 */
export interface QueueConformanceOptions {
  /**
   * How long a check waits for deliveries before failing, in milliseconds. The factory should
   * configure a short handler-error delay (e.g. 20 ms) so the thrown-handler check stays fast.
   * @defaultValue 3000
   */
  timeoutMs?: number | undefined;
  /**
   * The retry delay the delayed-retry check asks for, in milliseconds. Minimum: 1.
   * @defaultValue 150
   */
  retryDelayMs?: number | undefined;
  /**
   * How early a retry may arrive, in milliseconds, for brokers with coarse timers.
   * @defaultValue 5
   */
  toleranceMs?: number | undefined;
}

/**
 * Declares a vitest `describe` block that checks an adapter against the `QueueAdapter` contract:
 * at-least-once delivery, validation (a forged key or a path with dot segments refused on enqueue
 * and dead-lettered on delivery), FIFO order at concurrency 1 (only if `capabilities.fifo`), retries (a
 * delay honoured, `retries.failures` vs `retries.throttles`), a thrown handler retried as a
 * failure, dead-lettering with its reason, `close()` waiting for in-flight handlers, `close({
 * drain: true })`, concurrency limits, and, when the adapter has them, malformed payloads
 * (`enqueueRaw`), `deadLetters`, `replayDeadLetters` and `stats`.
 *
 * It must be called from a vitest test file (at the top level or inside a `describe`): it
 * imports `vitest`, a dev dependency, so import `canvas-sync/testing` only in tests. Each check
 * gets a fresh adapter from `factory` and closes it afterwards; each takes well under 2 s.
 *
 * @param name - The adapter's name, shown in the test report.
 * @param factory - Makes a fresh, empty adapter (e.g. on a fresh queue name).
 * @param options - See {@link QueueConformanceOptions}.
 *
 * @example
 * ```ts
 * // test/queue/memory-adapter.test.ts
 * runQueueAdapterConformance('memory', async () => new MemoryQueueAdapter({ handlerErrorDelayMs: 20 }));
 * ```
 * @category Testing
 */
export function runQueueAdapterConformance(
  name: string,
  factory: () => Promise<ConformanceAdapter>,
  options: QueueConformanceOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 3000;
  const retryDelayMs = options.retryDelayMs ?? 150;
  const toleranceMs = options.toleranceMs ?? 5;

  describe(`QueueAdapter conformance: ${name}`, () => {
    const open: ConformanceAdapter[] = [];

    async function make(): Promise<ConformanceAdapter> {
      const adapter = await factory();
      open.push(adapter);
      return adapter;
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((adapter) => adapter.close()));
    });

    function until(done: () => boolean, what: string): Promise<void> {
      return waitFor(done, timeoutMs, what);
    }

    it('delivers every enqueued task at least once (single and batch enqueue)', async () => {
      const adapter = await make();
      const tasks = makeTasks(7);
      await adapter.enqueue(tasks[0] as SyncTask);
      await adapter.enqueue(tasks.slice(1));
      const seen = new Set<string>();
      await adapter.consume(
        async ({ task }) => {
          seen.add(task.id);
          return { type: 'ack' };
        },
        { concurrency: 2 },
      );
      const late = makeTasks(3);
      await adapter.enqueue(late);
      await until(() => seen.size === 10, 'all 10 tasks handled');
      expect([...seen].sort()).toEqual([...tasks, ...late].map((task) => task.id).sort());
    });

    it('hands the handler the task as enqueued, with attempt 1 on the first delivery', async () => {
      const adapter = await make();
      const [task] = makeTasks(1);
      await adapter.enqueue(task as SyncTask);
      const deliveries: TaskDelivery[] = [];
      await adapter.consume(
        async (delivery) => {
          deliveries.push(delivery);
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await until(() => deliveries.length === 1, 'the task handled');
      expect(deliveries[0]?.task).toEqual(task);
      expect(deliveries[0]?.attempt).toBe(1);
    });

    it('rejects an invalid task on enqueue with a CanvasTaskValidationError', async () => {
      const adapter = await make();
      const [task] = makeTasks(1);
      const bad = { ...task, path: '/not/the/api' } as SyncTask;
      await expect(adapter.enqueue(bad)).rejects.toMatchObject({
        name: 'CanvasTaskValidationError',
        code: 'TASK_VALIDATION',
      });
      await expect(adapter.enqueue([task as SyncTask, bad])).rejects.toMatchObject({
        name: 'CanvasTaskValidationError',
      });
      const seen = await consumeAndAck(adapter);
      await sleep(50);
      expect(seen).toEqual([]);
    });

    it('refuses a forged key or a path with dot segments, on enqueue and on delivery', async () => {
      const adapter = await make();
      const [genuine, other] = makeTasks(2) as [SyncTask, SyncTask];
      // A task carrying another request's key would store its records under that request's key.
      const forged = { ...other, key: genuine.key };
      const dotted = { ...other, path: '/api/v1/courses/1/%2e%2e/%2e%2e/admin' };
      for (const bad of [forged, dotted]) {
        await expect(adapter.enqueue(bad)).rejects.toMatchObject({
          name: 'CanvasTaskValidationError',
        });
        await expect(adapter.enqueue([genuine, bad])).rejects.toMatchObject({
          name: 'CanvasTaskValidationError',
        });
      }
      const enqueueRaw = adapter.enqueueRaw?.bind(adapter);
      if (enqueueRaw !== undefined) {
        await enqueueRaw(forged);
        await enqueueRaw(dotted);
      }
      await adapter.enqueue(genuine);
      const seen: SyncTask[] = [];
      await adapter.consume(
        async ({ task }) => {
          seen.push(task);
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await until(() => seen.length >= 1, 'the genuine task handled');
      if (enqueueRaw !== undefined && adapter.deadLetters !== undefined) {
        const letters = await waitForDeadLetters(adapter, 2, timeoutMs);
        expect(letters.map((letter) => letter.reason)).toEqual(['invalid-task', 'invalid-task']);
        expect(letters.map((letter) => letter.issues?.map((issue) => issue.path))).toEqual([
          ['key'],
          ['path'],
        ]);
      }
      await sleep(30);
      expect(seen).toEqual([genuine]);
    });

    it('delivers in enqueue order at concurrency 1 (if capabilities.fifo)', async (context) => {
      const adapter = await make();
      if (adapter.capabilities?.fifo !== true) context.skip();
      const tasks = makeTasks(20);
      await adapter.enqueue(tasks.slice(0, 5));
      for (const task of tasks.slice(5, 10)) await adapter.enqueue(task);
      const order: string[] = [];
      await adapter.consume(
        async ({ task }) => {
          order.push(task.id);
          await sleep(1);
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await adapter.enqueue(tasks.slice(10));
      await until(() => order.length === 20, 'all 20 tasks handled');
      expect(order).toEqual(tasks.map((task) => task.id));
    });

    it('never runs more handlers at once than the concurrency', async () => {
      const adapter = await make();
      await adapter.enqueue(makeTasks(12));
      let active = 0;
      let maxActive = 0;
      let done = 0;
      await adapter.consume(
        async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          await sleep(15);
          active--;
          done++;
          return { type: 'ack' };
        },
        { concurrency: 3 },
      );
      await until(() => done === 12, 'all 12 tasks handled');
      expect(maxActive).toBeLessThanOrEqual(3);
      expect(maxActive).toBeGreaterThanOrEqual(1);
    });

    it('redelivers a retried task no sooner than delayMs, counting failures and throttles apart', async () => {
      const adapter = await make();
      const [task] = makeTasks(1);
      await adapter.enqueue(task as SyncTask);
      const deliveries: { at: number; delivery: TaskDelivery }[] = [];
      const decisions: HandlerResult[] = [
        { type: 'retry', delayMs: retryDelayMs, countsAsFailure: true },
        { type: 'retry', delayMs: 0, countsAsFailure: false },
        { type: 'ack' },
      ];
      await adapter.consume(
        async (delivery) => {
          deliveries.push({ at: performance.now(), delivery });
          return decisions[deliveries.length - 1] ?? { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await until(() => deliveries.length === 3, 'three deliveries');
      const [first, second, third] = deliveries;
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(
        retryDelayMs - toleranceMs,
      );
      expect(deliveries.map((entry) => entry.delivery.task.id)).toEqual([
        task?.id,
        task?.id,
        task?.id,
      ]);
      expect(first?.delivery.task.retries).toEqual({ failures: 0, throttles: 0 });
      expect(second?.delivery.task.retries).toEqual({ failures: 1, throttles: 0 });
      expect(third?.delivery.task.retries).toEqual({ failures: 1, throttles: 1 });
      expect(deliveries.map((entry) => entry.delivery.attempt)).toEqual([1, 2, 3]);
      await sleep(30);
      expect(deliveries).toHaveLength(3);
    });

    it('retries a task whose handler throws, as a failure', async () => {
      const adapter = await make();
      const [task] = makeTasks(1);
      await adapter.enqueue(task as SyncTask);
      const retries: SyncTask['retries'][] = [];
      await adapter.consume(
        async ({ task: delivered }) => {
          retries.push(delivered.retries);
          if (retries.length === 1) throw new Error('handler failed');
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await until(() => retries.length === 2, 'the task delivered again');
      expect(retries).toEqual([
        { failures: 0, throttles: 0 },
        { failures: 1, throttles: 0 },
      ]);
    });

    it('stores a retry cursor with the task, and drops it on a retry without one', async () => {
      const adapter = await make();
      const [task] = makeTasks(1);
      if (task === undefined) throw new Error('no task');
      await adapter.enqueue(task);
      const cursor = `${task.path}?page=bookmark:WzEwMF0&per_page=100`;
      const seen: SyncTask[] = [];
      await adapter.consume(
        async ({ task: delivered }) => {
          seen.push(delivered);
          if (seen.length === 1)
            return { type: 'retry', delayMs: 0, countsAsFailure: true, cursor };
          if (seen.length === 2) return { type: 'retry', delayMs: 0, countsAsFailure: false };
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await until(() => seen.length === 3, 'the task delivered three times');
      expect(seen.map((delivered) => delivered.cursor)).toEqual([undefined, cursor, undefined]);
      // The cursor is not part of the task's identity.
      expect(new Set(seen.map((delivered) => delivered.key))).toEqual(new Set([task.key]));
      expect(seen.map((delivered) => delivered.retries)).toEqual([
        { failures: 0, throttles: 0 },
        { failures: 1, throttles: 0 },
        { failures: 1, throttles: 1 },
      ]);
    });

    it('dead-letters a task with its reason and stops delivering it', async () => {
      const adapter = await make();
      const [task, other] = makeTasks(2);
      await adapter.enqueue([task as SyncTask, other as SyncTask]);
      const seen: string[] = [];
      await adapter.consume(
        async ({ task: delivered }) => {
          seen.push(delivered.id);
          return delivered.id === task?.id
            ? {
                type: 'dead-letter',
                reason: 'http-404',
                code: 'HTTP_ERROR',
                detail: { status: 404 },
              }
            : { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await until(() => seen.length === 2, 'both tasks handled');
      await sleep(30);
      expect(seen.filter((id) => id === task?.id)).toHaveLength(1);
      if (adapter.deadLetters !== undefined) {
        const letters = await adapter.deadLetters();
        expect(letters).toHaveLength(1);
        const letter = letters[0] as DeadLetter;
        expect(letter.task?.id).toBe(task?.id);
        expect(letter.reason).toBe('http-404');
        expect(letter.code).toBe('HTTP_ERROR');
        expect(letter.detail).toEqual({ status: 404 });
        expect(letter.attempts).toBe(1);
        expect(letter.raw).toBeUndefined();
        expect(Number.isNaN(Date.parse(letter.deadAt))).toBe(false);
      }
      if (adapter.stats !== undefined) {
        expect(await adapter.stats()).toMatchObject({ deadLetters: 1, queued: 0, inFlight: 0 });
      }
    });

    it('dead-letters a malformed payload without calling the handler (if enqueueRaw)', async (context) => {
      const adapter = await make();
      const enqueueRaw = adapter.enqueueRaw?.bind(adapter);
      if (enqueueRaw === undefined) return context.skip();
      const secret = 'jane.doe@example.edu';
      await enqueueRaw({ v: 1, kind: 'course.users', email: secret });
      await enqueueRaw('not json at all');
      await enqueueRaw({ big: 'x'.repeat(10_000) });
      const [task] = makeTasks(1);
      await adapter.enqueue(task as SyncTask);
      const seen = await consumeAndAck(adapter);
      await until(() => seen.length === 1, 'the valid task handled');
      expect(seen).toEqual([task?.id]);
      if (adapter.deadLetters !== undefined) {
        const letters = await waitForDeadLetters(adapter, 3, timeoutMs);
        for (const letter of letters) {
          expect(letter.reason).toBe('invalid-task');
          expect(letter.task).toBeUndefined();
          expect(letter.issues?.length).toBeGreaterThan(0);
          for (const issue of letter.issues ?? []) expect(issue.message).not.toContain(secret);
          expect(Buffer.byteLength(letter.raw ?? '', 'utf8')).toBeLessThanOrEqual(2048);
        }
        expect(letters.map((letter) => letter.raw === undefined)).toEqual([false, false, false]);
      }
    });

    it('waits for in-flight handlers on close and delivers nothing afterwards', async () => {
      const adapter = await make();
      await adapter.enqueue(makeTasks(5));
      let started = 0;
      let finished = 0;
      await adapter.consume(
        async () => {
          started++;
          await sleep(40);
          finished++;
          return { type: 'ack' };
        },
        { concurrency: 2 },
      );
      await until(() => started === 2, 'two handlers started');
      await adapter.close();
      expect(finished).toBe(started);
      const startedAtClose = started;
      await sleep(60);
      expect(started).toBe(startedAtClose);
      expect(started).toBeLessThan(5);
    });

    it('processes everything queued on close({ drain: true })', async () => {
      const adapter = await make();
      const tasks = makeTasks(8);
      await adapter.enqueue(tasks);
      const seen = new Set<string>();
      await adapter.consume(
        async ({ task }) => {
          await sleep(5);
          seen.add(task.id);
          return { type: 'ack' };
        },
        { concurrency: 2 },
      );
      await adapter.close({ drain: true });
      expect(seen.size).toBe(8);
      if (adapter.stats !== undefined) {
        expect(await adapter.stats()).toMatchObject({ queued: 0, inFlight: 0 });
      }
    });

    it('replays dead letters back into the queue (if replayDeadLetters)', async (context) => {
      const adapter = await make();
      const replayDeadLetters = adapter.replayDeadLetters?.bind(adapter);
      if (replayDeadLetters === undefined) return context.skip();
      const [task] = makeTasks(1);
      await adapter.enqueue(task as SyncTask);
      const deliveries: TaskDelivery[] = [];
      await adapter.consume(
        async (delivery) => {
          deliveries.push(delivery);
          return deliveries.length === 1
            ? { type: 'dead-letter', reason: 'test' }
            : { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await until(() => deliveries.length === 1, 'the first delivery');
      if (adapter.deadLetters !== undefined) await waitForDeadLetters(adapter, 1, timeoutMs);
      else await sleep(50);
      expect(await replayDeadLetters()).toBe(1);
      await until(() => deliveries.length === 2, 'the replayed delivery');
      expect(deliveries[1]?.task.id).toBe(task?.id);
      expect(deliveries[1]?.task.retries).toEqual({ failures: 0, throttles: 0 });
      if (adapter.deadLetters !== undefined) expect(await adapter.deadLetters()).toEqual([]);
    });

    it('reports counts (if stats)', async (context) => {
      const adapter = await make();
      const stats = adapter.stats?.bind(adapter);
      if (stats === undefined) return context.skip();
      expect(await stats()).toEqual({ queued: 0, inFlight: 0, deadLetters: 0, delayed: 0 });
      await adapter.enqueue(makeTasks(3));
      await adapter.enqueue(makeTasks(1), { delayMs: 60_000 });
      await waitForAsync(async () => (await stats()).queued === 3, timeoutMs, '3 queued');
      expect(await stats()).toEqual({ queued: 3, inFlight: 0, deadLetters: 0, delayed: 1 });
      let release = (): void => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      await adapter.consume(
        async () => {
          await gate;
          return { type: 'ack' };
        },
        { concurrency: 2 },
      );
      await waitForAsync(async () => (await stats()).inFlight === 2, timeoutMs, '2 in flight');
      expect(await stats()).toMatchObject({ queued: 1, inFlight: 2, delayed: 1 });
      release();
      await waitForAsync(
        async () => (await stats()).queued + (await stats()).inFlight === 0,
        timeoutMs,
        'all handled',
      );
    });
  });
}

let sequence = 0;

/** Starts consuming at concurrency 1, acking everything; returns the ids delivered, as they come. */
async function consumeAndAck(adapter: QueueAdapter): Promise<string[]> {
  const seen: string[] = [];
  await adapter.consume(
    async ({ task }) => {
      seen.push(task.id);
      return { type: 'ack' };
    },
    { concurrency: 1 },
  );
  return seen;
}

function makeTasks(count: number): SyncTask[] {
  return Array.from({ length: count }, () => {
    sequence++;
    return createTask({ kind: 'course.users', path: `/api/v1/courses/${sequence}/users` });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return waitForAsync(async () => done(), timeoutMs, what);
}

async function waitForAsync(
  done: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

async function waitForDeadLetters(
  adapter: ConformanceAdapter,
  count: number,
  timeoutMs: number,
): Promise<DeadLetter[]> {
  let letters: DeadLetter[] = [];
  await waitForAsync(
    async () => {
      letters = (await adapter.deadLetters?.()) ?? [];
      return letters.length >= count;
    },
    timeoutMs,
    `${count} dead letters`,
  );
  return letters;
}
