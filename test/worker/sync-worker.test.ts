import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CanvasOptionsError,
  createTask,
  type DeadLetter,
  FerpaSanitizer,
  MemoryQueueAdapter,
  MemorySink,
  SyncWorker,
  type SyncWorkerOptions,
} from '../../src/index.js';
import type { CanvasSimulator } from '../../src/testing/index.js';
import { createClient, onFakeClock, startSim } from '../support/client.js';
import { until } from '../support/http.js';

const FAST_TASK_RETRY = { baseDelayMs: 10, maxDelayMs: 50, throttleDelayMs: 10 };

function enrollmentTask(courseId: number) {
  return createTask({
    kind: 'course.enrollments',
    path: `/api/v1/courses/${courseId}/enrollments`,
  });
}

async function run(
  sim: CanvasSimulator,
  tasks: ReturnType<typeof enrollmentTask>[],
  options: Partial<SyncWorkerOptions> = {},
  perPage = 100,
) {
  const queue = new MemoryQueueAdapter();
  const sink = (options.sink as MemorySink<unknown> | undefined) ?? new MemorySink<unknown>();
  const worker = new SyncWorker({
    client: createClient(sim, {
      perPage,
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5 },
    }),
    queue,
    sink,
    retry: FAST_TASK_RETRY,
    ...options,
  });
  onTestFinished(() => worker.close());
  await queue.enqueue(tasks);
  await worker.start();
  await until(() => worker.stats().done + worker.stats().deadLettered === tasks.length, 10_000);
  await worker.close({ drain: true });
  const deadLetters: DeadLetter[] = (await queue.deadLetters?.()) ?? [];
  return { worker, sink, deadLetters };
}

describe('SyncWorker', () => {
  it('writes every record of every task once, keyed by kind and Canvas id', async () => {
    const sim = await startSim();
    const courses = [0, 1].map((i) => sim.data.courses.at(i)?.id ?? 0);
    const tasks = courses.map(enrollmentTask);
    const { worker, sink } = await run(sim, tasks);
    const expected = courses.reduce((n, id) => n + (sim.data.enrollments(id)?.length ?? 0), 0);
    expect(worker.stats()).toMatchObject({
      done: 2,
      deadLettered: 0,
      records: { inserted: expected, updated: 0, unchanged: 0, deleted: 0 },
      byKind: {
        'course.enrollments': { inserted: expected, updated: 0, unchanged: 0, deleted: 0 },
      },
    });
    expect(sink.size).toBe(expected);
    const first = sim.data.enrollments(courses[0] ?? 0)?.at(0);
    expect(sink.has(`course.enrollments:${first?.id}`)).toBe(true);
  });

  it('stores nothing twice when the same tasks run again', async () => {
    const sim = await startSim();
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const sink = new MemorySink<unknown>();
    await run(sim, [enrollmentTask(courseId)], { sink });
    const size = sink.size;
    const again = await run(sim, [enrollmentTask(courseId)], { sink });
    expect(sink.size).toBe(size);
    expect(again.worker.stats()).toMatchObject({
      done: 1,
      records: { inserted: 0, updated: 0, unchanged: size, deleted: 0 },
    });
  });

  it('updates a changed record, tombstones one Canvas no longer lists, and records the task', async () => {
    const sim = await startSim();
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const task = enrollmentTask(courseId);
    const scope = `course.enrollments:${task.path}`;
    const sink = new MemorySink<unknown>({ now: () => new Date('2026-03-02T08:00:00Z') });
    const first = sim.data.enrollments(courseId)?.at(0) as { id: number };
    // A previous run stored an older version of one enrollment and one that has since gone.
    await sink.write(
      [
        { ...first, enrollment_state: 'invited' },
        { id: 1, gone: true },
      ],
      {
        key: (record) => `course.enrollments:${(record as { id: number }).id}`,
        kind: 'course.enrollments',
        scope,
      },
    );
    const size = sim.data.enrollments(courseId)?.length ?? 0;
    const { worker } = await run(sim, [task], {
      sink,
      now: () => new Date('2026-03-09T08:00:00Z'),
    });
    expect(worker.stats().records).toEqual({
      inserted: size - 1,
      updated: 1,
      unchanged: 0,
      deleted: 1,
    });
    // Tombstones carry the sink's time.
    expect((await sink.get('course.enrollments:1'))?.deletedAt).toBe('2026-03-02T08:00:00.000Z');
    expect((await sink.get(`course.enrollments:${first.id}`))?.record).toEqual(first);
    expect(await sink.lastFinished(scope, 'full')).toEqual({
      key: task.key,
      kind: 'course.enrollments',
      scope,
      stream: 'full',
      mark: '2026-03-09T08:00:00.000Z',
      finishedAt: '2026-03-09T08:00:00.000Z',
    });
  });

  it('retires nothing with a windowed task, and keeps its window end as the watermark', async () => {
    const sim = await startSim();
    const user = sim.data.users.at(0)?.id ?? 0;
    const window = { start_time: '2026-03-02T00:00:00Z', end_time: '2026-03-09T00:00:00Z' };
    const task = createTask({
      kind: 'user.page_views',
      path: `/api/v1/users/${user}/page_views`,
      searchParams: window,
    });
    const scope = `user.page_views:${task.path}`;
    const sink = new MemorySink<unknown>();
    await sink.write([{ id: 'old-view' }], { key: () => 'user.page_views:old-view', scope });
    const { worker } = await run(sim, [task], { sink });
    expect(worker.stats()).toMatchObject({ done: 1, records: { deleted: 0 } });
    expect((await sink.get('user.page_views:old-view'))?.deletedAt).toBeUndefined();
    expect(await sink.lastFinished(scope, 'page-views')).toMatchObject({
      mark: '2026-03-09T00:00:00Z',
    });
  });

  it('retires with a filtered full read only what its filters list, never an unfiltered read’s records', async () => {
    const sim = await startSim();
    const course = sim.data.courses.at(0)?.id ?? 0;
    const all = enrollmentTask(course);
    const teachers = createTask({
      kind: 'course.enrollments',
      path: all.path,
      searchParams: { 'type[]': ['TeacherEnrollment'] },
    });
    const sink = new MemorySink<unknown>();
    const first = await run(sim, [all], { sink });
    const stored = first.worker.stats().records.inserted;
    expect(stored).toBeGreaterThan(1);
    // The teachers alone, a full read of their own scope: the students stay live.
    const second = await run(sim, [teachers], { sink });
    expect(second.worker.stats().records).toMatchObject({ inserted: 0, deleted: 0 });
    expect(second.worker.stats().records.unchanged).toBeGreaterThan(0);
    expect(second.worker.stats().records.unchanged).toBeLessThan(stored);
    expect(sink.records()).toHaveLength(stored);
    // And the unfiltered read again: still nothing to retire.
    const third = await run(sim, [enrollmentTask(course)], { sink });
    expect(third.worker.stats().records).toMatchObject({ unchanged: stored, deleted: 0 });
  });

  it('re-versions records when the pseudonym key rotates, never duplicating them', async () => {
    const sim = await startSim();
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const sink = new MemorySink<unknown>();
    const sanitizer = (key: string) => new FerpaSanitizer({ key: key.repeat(40), keyId: key });
    await run(sim, [enrollmentTask(courseId)], { sink, sanitizer: sanitizer('a') });
    const size = sink.size;
    const rotated = await run(sim, [enrollmentTask(courseId)], { sink, sanitizer: sanitizer('b') });
    expect(sink.size).toBe(size);
    expect(rotated.worker.stats().records).toEqual({
      inserted: 0,
      updated: size,
      unchanged: 0,
      deleted: 0,
    });
    expect(JSON.stringify(sink.records())).not.toContain('ps_a_');
  });

  it('idle() resolves once the queue has nothing queued, delayed or in flight', async () => {
    const sim = await startSim({ faults: { serverErrorRate: 0.3 } });
    const courses = [0, 1, 2].map((i) => sim.data.courses.at(i)?.id ?? 0);
    const queue = new MemoryQueueAdapter();
    const worker = new SyncWorker({
      client: createClient(sim, { retry: { maxAttempts: 1 } }),
      queue,
      sink: new MemorySink(),
      retry: { ...FAST_TASK_RETRY, maxAttempts: 10 },
    });
    onTestFinished(() => worker.close());
    await queue.enqueue(courses.map(enrollmentTask));
    await worker.start();
    await worker.idle({ pollMs: 5 });
    expect(worker.stats().done + worker.stats().deadLettered).toBe(3);
    expect(await queue.stats()).toMatchObject({ queued: 0, delayed: 0, inFlight: 0 });
    await worker.idle(); // already idle: resolves at once
    const bare = new SyncWorker({
      client: createClient(sim),
      queue: { consume: async () => {}, enqueue: async () => {}, close: async () => {} } as never,
      sink: new MemorySink(),
    });
    await expect(bare.idle()).rejects.toMatchObject({ code: 'UNSUPPORTED', method: 'stats' });
  });

  it('sanitizes every page before the sink sees it', async () => {
    const sim = await startSim();
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const sanitizer = new FerpaSanitizer({ key: 'w'.repeat(40), keyId: 'worker' });
    const { sink } = await run(sim, [enrollmentTask(courseId)], { sanitizer });
    const text = JSON.stringify(sink.records());
    const raw = sim.data.studentPii().filter((value) => value.length >= 8);
    expect(raw.filter((value) => text.includes(value))).toEqual([]);
    expect(text).toContain('ps_worker_');
  });

  it('dead-letters a permanent failure at once, with the status and no body', async () => {
    const sim = await startSim();
    const { worker, deadLetters } = await run(sim, [enrollmentTask(999_999)]);
    expect(worker.stats()).toMatchObject({ done: 0, deadLettered: 1, retried: 0 });
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ reason: 'http-404', code: 'HTTP_ERROR' });
    expect(deadLetters[0]?.detail).toMatchObject({ status: 404, error: 'CanvasHttpError' });
    expect(JSON.stringify(deadLetters)).not.toContain(sim.token);
  });

  it('retries a transient failure, then dead-letters it after maxAttempts', async () => {
    const sim = await startSim({ faults: { serverErrorRate: 1 } });
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const { worker, deadLetters } = await run(sim, [enrollmentTask(courseId)], {
      retry: { ...FAST_TASK_RETRY, maxAttempts: 3 },
    });
    expect(worker.stats()).toMatchObject({ retried: 2, deadLettered: 1, done: 0 });
    expect(deadLetters[0]).toMatchObject({ reason: 'max-attempts', code: 'HTTP_ERROR' });
    expect(deadLetters[0]?.task?.retries.failures).toBe(2);
  });

  it('ends with every task done or dead-lettered under 5 % injected faults', async () => {
    const sim = await startSim({
      institution: { courses: 30, students: 60, studentsPerCourse: 25 },
      faults: { serverErrorRate: 0.05, resetRate: 0.02, malformedJsonRate: 0.03 },
    });
    const courses = Array.from({ length: 30 }, (_, i) => sim.data.courses.at(i)?.id ?? 0);
    const tasks = [...courses.map(enrollmentTask), enrollmentTask(999_998)];
    // 5 records a page: about 180 requests, so the faults do strike.
    const { worker, sink } = await run(
      sim,
      tasks,
      { retry: { ...FAST_TASK_RETRY, maxAttempts: 6 } },
      5,
    );
    const stats = worker.stats();
    expect(stats.done + stats.deadLettered).toBe(tasks.length);
    expect(stats.deadLettered).toBeGreaterThanOrEqual(1); // the unknown course
    const keys = [...sink.keys()];
    expect(new Set(keys).size).toBe(keys.length);
    const faults = sim.faultCounts();
    expect(faults.serverError + faults.reset + faults.malformedJson).toBeGreaterThan(0);
    expect(stats.retried).toBeGreaterThan(0);
  });

  it('rejects invalid options', () => {
    const sim = { url: 'http://127.0.0.1:1', token: 't' } as CanvasSimulator;
    const base = {
      client: createClient(sim),
      queue: new MemoryQueueAdapter(),
      sink: new MemorySink(),
    };
    expect(() => new SyncWorker({ ...base, concurrency: 0 })).toThrow(CanvasOptionsError);
    expect(() => new SyncWorker({ ...base, retry: { maxAttempts: 0 } })).toThrow(
      /retry\.maxAttempts/,
    );
    // Delays beyond the longest Node timer would fire at once.
    for (const name of ['baseDelayMs', 'maxDelayMs', 'throttleDelayMs']) {
      expect(() => new SyncWorker({ ...base, retry: { [name]: 3e9 } })).toThrow(
        new RegExp(`retry\\.${name}`),
      );
    }
    expect(() => new SyncWorker({ ...base, retry: { maxDelayMs: 2 ** 31 - 1 } })).not.toThrow();
    // One validation path (zod): unknown options, missing parts and wrong shapes are named.
    expect(() => new SyncWorker({ ...base, concurency: 4 } as never)).toThrow(/concurency/);
    expect(() => new SyncWorker({ ...base, client: undefined } as never)).toThrow(/client/);
    expect(() => new SyncWorker({ ...base, sink: {} } as never)).toThrow(/sink/);
    expect(() => new SyncWorker({ ...base, retry: { maxAtempts: 2 } } as never)).toThrow(
      /maxAtempts/,
    );
  });

  it('retries a throttle without spending an attempt', async () => {
    // On one fake clock (simulator, client, queue): the bucket's leak and the retry waits take
    // no real time.
    const { sim, clock, client } = await onFakeClock(
      { outflowPerSecond: 100 },
      { retry: { maxAttempts: 1, maxThrottleRetries: 0 } },
    );
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    // Another process filled the bucket: the worker's first request is throttled.
    sim.setBucketLevel(690);
    const outcomes: { outcome: string; failures: number; throttles: number }[] = [];
    const queue = new MemoryQueueAdapter({ now: clock.date, timers: clock });
    const worker = new SyncWorker({
      client,
      queue,
      sink: new MemorySink(),
      // maxAttempts 1: a single failure would dead-letter the task.
      retry: { ...FAST_TASK_RETRY, maxAttempts: 1 },
    });
    onTestFinished(() => worker.close());
    const ended = new Promise<void>((resolve) =>
      worker.on('task', ({ outcome, task }) => {
        outcomes.push({ outcome, ...task.retries });
        if (outcome !== 'retry') resolve();
      }),
    );
    await queue.enqueue(enrollmentTask(courseId));
    await worker.start();
    await ended;
    expect(sim.stats().throttled).toBeGreaterThanOrEqual(1);
    expect(outcomes[0]).toEqual({ outcome: 'retry', failures: 0, throttles: 0 });
    expect(outcomes.at(-1)).toMatchObject({ outcome: 'ack', failures: 0 });
    expect(outcomes.at(-1)?.throttles).toBe(outcomes.length - 1);
    expect(worker.stats()).toMatchObject({ done: 1, deadLettered: 0 });
    expect(worker.stats().retried).toBeGreaterThanOrEqual(1);
    expect(worker.stats().throttled).toBe(sim.stats().throttled);
  });

  it('dead-letters a rejected token at once as http-401', async () => {
    const sim = await startSim();
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const { worker, deadLetters } = await run(sim, [enrollmentTask(courseId)], {
      client: createClient(sim.url, { token: 'revoked-token-value', retry: { maxAttempts: 1 } }),
    });
    expect(worker.stats()).toMatchObject({ done: 0, deadLettered: 1, retried: 0 });
    expect(deadLetters[0]).toMatchObject({ reason: 'http-401', code: 'AUTH_ERROR' });
    expect(JSON.stringify(deadLetters)).not.toContain('revoked-token-value');
  });

  it('routes records to a sink per kind, lists dead letters and replays them', async () => {
    const sim = await startSim();
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const sinks = new Map<string, MemorySink<unknown>>();
    const sinkOf = (task: { kind: string }) => {
      const sink = sinks.get(task.kind) ?? new MemorySink<unknown>();
      sinks.set(task.kind, sink);
      return sink;
    };
    const sections = createTask({
      kind: 'course.sections',
      path: `/api/v1/courses/${courseId}/sections`,
    });
    const { worker } = await run(
      sim,
      [enrollmentTask(courseId), sections, enrollmentTask(999_999)],
      { sink: sinkOf },
    );
    expect(sinks.get('course.enrollments')?.size).toBe(sim.data.enrollments(courseId)?.length);
    expect(sinks.get('course.sections')?.size).toBe(sim.data.sections(courseId)?.length);
    const dead = await worker.deadLetters();
    expect(dead.map((letter) => letter.task?.path)).toEqual(['/api/v1/courses/999999/enrollments']);
    expect(await worker.replayDeadLetters()).toBe(1);
    expect(await worker.deadLetters()).toEqual([]);
  });

  it('on close, finishes the tasks in hand and leaves the rest queued: none is lost', async () => {
    const sim = await startSim({
      latencyMs: 15,
      institution: { courses: 30, students: 60, studentsPerCourse: 25 },
    });
    const courses = Array.from({ length: 30 }, (_, i) => sim.data.courses.at(i)?.id ?? 0);
    const queue = new MemoryQueueAdapter();
    const sink = new MemorySink<unknown>();
    const worker = new SyncWorker({
      client: createClient(sim, { perPage: 5 }),
      queue,
      sink,
      concurrency: 3,
      retry: FAST_TASK_RETRY,
    });
    onTestFinished(() => worker.close());
    await queue.enqueue(courses.map(enrollmentTask));
    await worker.start();
    await until(() => worker.stats().done >= 3, 10_000);
    await worker.close();
    const stats = worker.stats();
    const left = await queue.stats();
    expect(left.inFlight).toBe(0);
    expect(stats.done).toBeLessThan(30);
    expect(stats.done + stats.deadLettered + left.queued + left.delayed).toBe(30);
    // Every finished task wrote all its records: nothing half-written was acked.
    expect(sink.size).toBe(stats.done * 27);
  });

  it('dead-letters malformed tasks with the validation issues and goes on with the others', async () => {
    const sim = await startSim();
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const queue = new MemoryQueueAdapter();
    const sink = new MemorySink<unknown>();
    const worker = new SyncWorker({
      client: createClient(sim),
      queue,
      sink,
      retry: FAST_TASK_RETRY,
    });
    onTestFinished(() => worker.close());
    const valid = enrollmentTask(courseId);
    const { key: _key, ...withoutKey } = valid;
    await queue.enqueueRaw({ ...valid, kind: 'course.grades' }); // unknown kind
    await queue.enqueueRaw(withoutKey); // missing key
    await queue.enqueueRaw('not a task'); // wrong shape
    await queue.enqueue(valid);
    await worker.start();
    await until(() => worker.stats().done === 1);
    await worker.close({ drain: true });
    const letters = await worker.deadLetters();
    expect(letters.map((letter) => [letter.reason, letter.code])).toEqual([
      ['invalid-task', 'TASK_VALIDATION'],
      ['invalid-task', 'TASK_VALIDATION'],
      ['invalid-task', 'TASK_VALIDATION'],
    ]);
    expect(letters[0]?.issues?.map((issue) => issue.path)).toEqual(['kind']);
    expect(letters[1]?.issues?.map((issue) => issue.path)).toEqual(['key']);
    expect(letters.every((letter) => letter.task === undefined)).toBe(true);
    expect(sink.size).toBe(sim.data.enrollments(courseId)?.length);
  });

  it('retries a failing sink, then dead-letters as unexpected with the error name only', async () => {
    const sim = await startSim();
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    /** A sink whose disk fails `failures` times (with a message that must not be kept). */
    const flakySink = (failures: number) => {
      const sink = new MemorySink<unknown>();
      let left = failures;
      const write = sink.write.bind(sink);
      sink.write = async (records, options) => {
        if (left-- > 0) throw new Error('ENOSPC writing /data/Jane Student.jsonl');
        return write(records, options);
      };
      return sink;
    };
    const recovered = await run(sim, [enrollmentTask(courseId)], { sink: flakySink(2) });
    expect(recovered.worker.stats()).toMatchObject({ done: 1, retried: 2, deadLettered: 0 });
    expect(recovered.sink.size).toBe(sim.data.enrollments(courseId)?.length);

    const broken = await run(sim, [enrollmentTask(courseId)], { sink: flakySink(99) });
    expect(broken.worker.stats()).toMatchObject({ done: 0, retried: 2, deadLettered: 1 });
    expect(broken.deadLetters[0]).toMatchObject({
      reason: 'unexpected-error',
      detail: { error: 'Error', failures: 3 },
    });
    expect(JSON.stringify(broken.deadLetters)).not.toContain('Jane');
  });
});
