import { describe, expect, it } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import type { HandlerResult } from '../../src/queue/adapter.js';
import { MemoryQueueAdapter } from '../../src/queue/memory-adapter.js';
import { createTask, type SyncTask } from '../../src/queue/task.js';
import { CanvasTaskValidationError } from '../../src/queue/task-validation-error.js';
import { runQueueAdapterConformance } from '../../src/testing/queue-conformance.js';
import { fakeClock, settle } from '../support/fake-clock.js';

runQueueAdapterConformance(
  'memory',
  async () => new MemoryQueueAdapter({ handlerErrorDelayMs: 20 }),
);

function tasks(count: number): SyncTask[] {
  return Array.from({ length: count }, (_, index) =>
    createTask({ kind: 'course.enrollments', path: `/api/v1/courses/${index}/enrollments` }),
  );
}

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('MemoryQueueAdapter', () => {
  it('validates options and consume arguments', async () => {
    expect(() => new MemoryQueueAdapter({ handlerErrorDelayMs: -1 })).toThrow(CanvasOptionsError);
    expect(() => new MemoryQueueAdapter({ handlerErrorDelayMs: 3e9 })).toThrow(CanvasOptionsError);
    expect(() => new MemoryQueueAdapter({ now: 42 } as never)).toThrow(/now/);
    expect(() => new MemoryQueueAdapter({ timers: {} } as never)).toThrow(/timers\.setTimeout/);
    expect(() => new MemoryQueueAdapter({ delayMs: 5 } as never)).toThrow(/delayMs/);
    const queue = new MemoryQueueAdapter();
    const ack = async () => ({ type: 'ack' }) as const;
    await expect(queue.consume(ack, { concurrency: 0 })).rejects.toThrow(CanvasOptionsError);
    await expect(queue.enqueue(tasks(1), { delayMs: Number.NaN })).rejects.toThrow(
      CanvasOptionsError,
    );
    await expect(queue.consume(ack, { concurrency: 1.5 })).rejects.toThrow(
      'Invalid consume arguments: options.concurrency',
    );
    await expect(queue.consume('ack' as never, { concurrency: 1 })).rejects.toThrow(
      'Invalid consume arguments: handler: Expected a function',
    );
    await expect(queue.consume(ack, { concurrency: 1, prefetch: 2 } as never)).rejects.toThrow(
      /options: Unrecognized key: "prefetch"/,
    );
    await expect(queue.consume(ack, undefined as never)).rejects.toThrow(
      'Invalid consume arguments: options: Expected { concurrency }',
    );
    await expect(queue.enqueue(tasks(1), { delayMs: -1 })).rejects.toThrow(
      'Invalid enqueue options: delayMs: Expected a finite number ≥ 0',
    );
    await expect(queue.enqueue(tasks(1), { delay: 5 } as never)).rejects.toThrow(
      /Unrecognized key: "delay"/,
    );
    expect(await queue.stats()).toMatchObject({ queued: 0 });
    await queue.consume(ack, { concurrency: 1 });
    await expect(queue.consume(ack, { concurrency: 1 })).rejects.toThrow(/already has a consumer/);
    await queue.close();
    await expect(new MemoryQueueAdapter().close()).resolves.toBeUndefined();
  });

  it('prefixes batch validation issues with the index and enqueues none of the batch', async () => {
    const queue = new MemoryQueueAdapter();
    const batch = tasks(3);
    const bad = { ...batch[1], kind: 'nope' } as unknown as SyncTask;
    const error = await queue.enqueue([batch[0] as SyncTask, bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanvasTaskValidationError);
    expect((error as CanvasTaskValidationError).issues.map((issue) => issue.path)).toEqual([
      '[1].kind',
    ]);
    expect(await queue.stats()).toMatchObject({ queued: 0 });
  });

  it('keeps its own copy of an enqueued task', async () => {
    const queue = new MemoryQueueAdapter();
    const [task] = tasks(1) as [SyncTask];
    await queue.enqueue(task);
    task.path = '/api/v1/changed';
    const seen: string[] = [];
    const delivered = deferred();
    await queue.consume(
      async ({ task: copy }) => {
        seen.push(copy.path);
        delivered.resolve();
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await delivered.promise;
    expect(seen).toEqual(['/api/v1/courses/0/enrollments']);
    await queue.close();
  });

  it('delays an enqueue with delayMs or a future notBefore, setting notBefore', async () => {
    const time = fakeClock(Date.parse('2025-01-01T00:00:00.000Z'));
    const queue = new MemoryQueueAdapter({ now: time.date, timers: time });
    const [a, b] = tasks(2) as [SyncTask, SyncTask];
    await queue.enqueue(a, { delayMs: 40 });
    await queue.enqueue({ ...b, notBefore: '2025-01-01T00:00:00.030Z' });
    expect(await queue.stats()).toEqual({ queued: 0, inFlight: 0, deadLetters: 0, delayed: 2 });
    expect(time.pendingDelays()).toEqual([30, 40]);
    const seen: SyncTask[] = [];
    await queue.consume(
      async ({ task }) => {
        seen.push(task);
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await time.advanceSettled(29);
    expect(seen).toEqual([]);
    await time.advanceSettled(1);
    expect(seen.map((task) => task.id)).toEqual([b.id]);
    await time.advanceSettled(9);
    expect(seen).toHaveLength(1);
    await time.advanceSettled(1);
    expect(seen.map((task) => task.id)).toEqual([b.id, a.id]);
    expect(seen[1]?.notBefore).toBe('2025-01-01T00:00:00.040Z');
    expect(await queue.stats()).toMatchObject({ delayed: 0 });
    await queue.close();
  });

  it('close({ drain: true }) delivers what falls due while draining but not later delayed tasks', async () => {
    const time = fakeClock();
    const queue = new MemoryQueueAdapter({ now: time.date, timers: time });
    const [soon, late, ...ready] = tasks(5) as [SyncTask, SyncTask, ...SyncTask[]];
    await queue.enqueue(soon, { delayMs: 20 });
    await queue.enqueue(late, { delayMs: 60_000 });
    await queue.enqueue(ready);
    const seen: string[] = [];
    await queue.consume(
      async ({ task }) => {
        // Each task takes 15 ms of the manual clock.
        await new Promise((resolve) => time.setTimeout(() => resolve(undefined), 15));
        seen.push(task.id);
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    let closed = false;
    const closing = queue.close({ drain: true }).then(() => {
      closed = true;
    });
    // The three ready tasks end at 15, 30 and 45 ms; `soon` falls due at 20, behind them.
    await time.advanceSettled(45);
    expect(seen).toEqual(ready.map((task) => task.id));
    expect(closed).toBe(false);
    await time.advanceSettled(15);
    expect(closed).toBe(true);
    await closing;
    // Done once `soon` is: at 60 ms, with the 60-second delay still pending, not waited for.
    expect(seen).toEqual([...ready.map((task) => task.id), soon.id]);
    expect(time.pendingDelays()).toEqual([60_000]);
    expect(await queue.stats()).toEqual({ queued: 0, inFlight: 0, deadLetters: 0, delayed: 1 });
  });

  it('after close, keeps enqueued tasks queued, refuses consume and is idempotent', async () => {
    const queue = new MemoryQueueAdapter();
    let handled = 0;
    await queue.consume(
      async () => {
        handled++;
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await Promise.all([queue.close(), queue.close({ drain: true })]);
    await queue.enqueue(tasks(2));
    await settle();
    expect(handled).toBe(0);
    expect(await queue.stats()).toMatchObject({ queued: 2 });
    await expect(queue.consume(async () => ({ type: 'ack' }), { concurrency: 1 })).rejects.toThrow(
      /closed/,
    );
  });

  it('a retry scheduled by an in-flight handler during close stays queued', async () => {
    const queue = new MemoryQueueAdapter();
    await queue.enqueue(tasks(1));
    let calls = 0;
    const started = deferred();
    const release = deferred();
    await queue.consume(
      async () => {
        calls++;
        started.resolve();
        await release.promise;
        return { type: 'retry', delayMs: 0, countsAsFailure: false };
      },
      { concurrency: 1 },
    );
    await started.promise;
    const closing = queue.close();
    release.resolve();
    await closing;
    await settle();
    expect(calls).toBe(1);
    expect(await queue.stats()).toMatchObject({ queued: 1, inFlight: 0 });
  });

  it('retries a throwing handler after handlerErrorDelayMs and reports the error', async () => {
    const errors: unknown[] = [];
    const time = fakeClock();
    const queue = new MemoryQueueAdapter({
      now: time.date,
      timers: time,
      handlerErrorDelayMs: 50,
      onHandlerError: (error) => {
        errors.push(error);
        throw new Error('hook failures are ignored');
      },
    });
    const [task] = tasks(1) as [SyncTask];
    await queue.enqueue(task);
    const at: number[] = [];
    const boom = new Error('boom');
    await queue.consume(
      async ({ attempt }) => {
        at.push(time.now());
        if (attempt === 1) throw boom;
        if (attempt === 2) return { type: 'nonsense' } as unknown as HandlerResult;
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await settle();
    expect(time.pendingDelays()).toEqual([50]);
    await time.advanceSettled(49);
    expect(at).toEqual([0]);
    await time.advanceSettled(1);
    expect(time.pendingDelays()).toEqual([50]);
    await time.advanceSettled(50);
    expect(at).toEqual([0, 50, 100]);
    expect(time.pendingDelays()).toEqual([]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe(boom);
    expect(errors[1]).toBeInstanceOf(TypeError);
    await queue.close();
  });

  it('dead-letters malformed payloads with truncated raw text and keeps them on replay', async () => {
    const queue = new MemoryQueueAdapter({ now: () => new Date('2025-05-05T00:00:00.000Z') });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await queue.enqueueRaw({ text: 'é'.repeat(5000) });
    await queue.enqueueRaw(cyclic);
    await queue.enqueueRaw(undefined);
    await queue.consume(async () => ({ type: 'ack' }), { concurrency: 2 });
    await queue.close({ drain: true });
    const letters = await queue.deadLetters();
    expect(letters).toHaveLength(3);
    expect(letters[0]).toMatchObject({
      reason: 'invalid-task',
      code: 'TASK_VALIDATION',
      attempts: 0,
      deadAt: '2025-05-05T00:00:00.000Z',
    });
    expect(Buffer.byteLength(letters[0]?.raw ?? '')).toBeLessThanOrEqual(2048);
    expect(letters[0]?.raw).toMatch(/^\{"text":"é+$/);
    expect(letters[1]?.raw).toBe('[object Object]');
    expect(letters[2]?.raw).toBe('undefined');
    expect(await queue.replayDeadLetters()).toBe(0);
    expect(await queue.stats()).toMatchObject({ deadLetters: 3, queued: 0 });
    await queue.close();
  });

  it('returns copies of dead letters', async () => {
    const queue = new MemoryQueueAdapter();
    await queue.enqueue(tasks(1));
    await queue.consume(async () => ({ type: 'dead-letter', reason: 'x' }), { concurrency: 1 });
    await queue.close({ drain: true });
    const [letter] = await queue.deadLetters();
    if (letter?.task !== undefined) letter.task.path = '/api/v1/changed';
    expect((await queue.deadLetters())[0]?.task?.path).toBe('/api/v1/courses/0/enrollments');
    await queue.close();
  });

  it('fills the concurrency when there is enough work', async () => {
    const queue = new MemoryQueueAdapter();
    await queue.enqueue(tasks(8));
    let active = 0;
    let max = 0;
    let done = 0;
    await queue.consume(
      async () => {
        active++;
        max = Math.max(max, active);
        await settle();
        active--;
        done++;
        return { type: 'ack' };
      },
      { concurrency: 4 },
    );
    await queue.close({ drain: true });
    expect(done).toBe(8);
    expect(max).toBe(4);
    await queue.close();
  });
});
