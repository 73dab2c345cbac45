/**
 * What the worker dead-letters, and what a dead letter may hold: forged task keys refused,
 * tokens scrubbed (by pattern and by the client's own token), sanitizer refusals not retried.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CanvasSyncError,
  createTask,
  type DeadLetter,
  FerpaSanitizer,
  type HandlerResult,
  MemoryQueueAdapter,
  MemorySink,
  type QueueAdapter,
  type SyncTask,
  SyncWorker,
  type TaskHandler,
} from '../../src/index.js';
import type { CanvasSimulator } from '../../src/testing/index.js';
import { createClient, startSim } from '../support/client.js';
import { until } from '../support/http.js';

const FAST_TASK_RETRY = { baseDelayMs: 10, maxDelayMs: 50, throttleDelayMs: 10 };
/** Shaped like a Canvas token: `<digits>~<64 alphanumerics>`. */
const PLANTED = `4417~${'Qx7bT2'.repeat(10)}Zz9k`;
/** A secret that only its place (an `access_token` field or parameter) gives away. */
const SECRET = 'plain-secret-value-42';

function enrollments(courseId: number): SyncTask {
  return createTask({
    kind: 'course.enrollments',
    path: `/api/v1/courses/${courseId}/enrollments`,
  });
}

function startWorker(sim: CanvasSimulator, queue: QueueAdapter, sink = new MemorySink<unknown>()) {
  const worker = new SyncWorker({
    client: createClient(sim, { retry: { maxAttempts: 1 } }),
    queue,
    sink,
    retry: FAST_TASK_RETRY,
  });
  onTestFinished(() => worker.close());
  return { worker, sink };
}

/** Every form in which a secret could appear in stored text. */
function formsOf(secret: string): string[] {
  return [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
}

describe('SyncWorker dead letters', () => {
  it('dead-letters a task carrying another task’s key, and stores the genuine task’s records under its own key', async () => {
    const sim = await startSim();
    const [first, second] = [0, 1].map((i) => sim.data.courses.at(i)?.id ?? 0) as [number, number];
    const genuine = enrollments(first);
    const forged = { ...enrollments(second), key: genuine.key };
    const queue = new MemoryQueueAdapter();
    await expect(queue.enqueue(forged)).rejects.toMatchObject({
      name: 'CanvasTaskValidationError',
    });
    await queue.enqueueRaw(forged); // as a broker would deliver it
    await queue.enqueue(genuine);
    const { worker, sink } = startWorker(sim, queue);
    await worker.start();
    await until(() => worker.stats().done === 1, 10_000);
    await worker.close({ drain: true });
    const letters = await worker.deadLetters();
    expect(letters.map((letter) => [letter.reason, letter.issues?.map((i) => i.path)])).toEqual([
      ['invalid-task', ['key']],
    ]);
    const records = sim.data.enrollments(first);
    const ids = Array.from(
      { length: records?.length ?? 0 },
      (_, i) => `${genuine.kind}:${records?.at(i)?.id}`,
    );
    expect([...sink.keys()].sort()).toEqual(ids.sort());
  });

  it('dead-letters an invalid task even when the adapter does not validate it', async () => {
    const sim = await startSim();
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const genuine = enrollments(courseId);
    const forged = { ...enrollments(sim.data.courses.at(1)?.id ?? 0), key: genuine.key };
    const results: HandlerResult[] = [];
    // An adapter that hands over whatever was published, unvalidated.
    const careless: QueueAdapter = {
      enqueue: async () => {},
      consume: async (handler: TaskHandler) => {
        for (const task of [forged, { ...genuine, path: '/api/v1/courses/1/%2e%2e/admin' }]) {
          results.push(await handler({ task, attempt: 1 }));
        }
      },
      close: async () => {},
    };
    const { worker, sink } = startWorker(sim, careless);
    await worker.start();
    expect(results).toEqual([
      expect.objectContaining({
        type: 'dead-letter',
        reason: 'invalid-task',
        code: 'TASK_VALIDATION',
      }),
      expect.objectContaining({
        type: 'dead-letter',
        reason: 'invalid-task',
        code: 'TASK_VALIDATION',
      }),
    ]);
    expect(worker.stats()).toMatchObject({ deadLettered: 2, done: 0, requests: 0 });
    expect(sink.size).toBe(0);
  });

  it('keeps no planted token in a dead letter: by pattern, by name in any encoding, and the client’s own', async () => {
    const sim = await startSim();
    const queue = new MemoryQueueAdapter();
    const task = enrollments(sim.data.courses.at(0)?.id ?? 0);
    const payloads: unknown[] = [
      { ...task, searchParams: { access_token: SECRET } },
      { ...task, searchParams: { 'access%5Ftoken': SECRET, q: PLANTED } },
      { ...task, searchParams: { 'ACCESS_TOKEN[]': [SECRET] } },
      { ...task, [PLANTED]: 1 }, // a token as a key
      { ...task, extra: { deeper: [`GET /x?access%5Ftoken=${SECRET}&page=2`] } },
      { ...task, extra: { header: `Authorization: Bearer ${SECRET}` } },
      { ...task, extra: `{"access_token":"${SECRET}","token":"${encodeURIComponent(PLANTED)}"}` },
      `kind=course.users&access_token=${encodeURIComponent(SECRET)}`,
      // The client's own token, in no recognisable place: only value-based redaction finds it.
      {
        ...task,
        extra: { note: `copied from ${sim.token}`, encoded: encodeURIComponent(sim.token) },
      },
    ];
    for (const payload of payloads) await queue.enqueueRaw(payload);
    await queue.enqueue(task);
    const { worker } = startWorker(sim, queue);
    await worker.start();
    await until(() => worker.stats().done === 1, 10_000);
    await worker.close({ drain: true });
    const letters = await worker.deadLetters();
    expect(letters).toHaveLength(payloads.length);
    expect(letters.every((letter: DeadLetter) => letter.reason === 'invalid-task')).toBe(true);
    const shown = JSON.stringify(letters);
    for (const form of [...formsOf(SECRET), ...formsOf(PLANTED), ...formsOf(sim.token)]) {
      expect(shown).not.toContain(form);
    }
    expect(shown).toContain('[REDACTED]');
    // The queue's own store is scrubbed by pattern (it does not know the client's token).
    const stored = JSON.stringify(await queue.deadLetters());
    for (const form of [...formsOf(SECRET), ...formsOf(PLANTED)]) {
      expect(stored).not.toContain(form);
    }
  });

  it('dead-letters a response the sanitizer refuses (SANITIZE_FAILED) at once, without retrying', async () => {
    const sim = await startSim();
    /** What the sanitizer throws for a response too deeply nested to sanitize. */
    class TooDeep extends CanvasSyncError {
      override readonly name = 'CanvasSanitizeError';
    }
    let calls = 0;
    const sanitizer = {
      sanitize(): never {
        calls++;
        throw new TooDeep({ code: 'SANITIZE_FAILED', message: 'Response nested too deeply' });
      },
    };
    const queue = new MemoryQueueAdapter();
    await queue.enqueue(enrollments(sim.data.courses.at(0)?.id ?? 0));
    const worker = new SyncWorker({
      client: createClient(sim),
      queue,
      sink: new MemorySink(),
      sanitizer,
      retry: { ...FAST_TASK_RETRY, maxAttempts: 5 },
    });
    onTestFinished(() => worker.close());
    await worker.start();
    await until(() => worker.stats().deadLettered === 1, 10_000);
    await worker.close({ drain: true });
    expect(worker.stats()).toMatchObject({ retried: 0, deadLettered: 1, done: 0 });
    expect(calls).toBe(1);
    const [letter] = await worker.deadLetters();
    expect(letter).toMatchObject({
      reason: 'sanitize-failed',
      code: 'SANITIZE_FAILED',
      attempts: 1,
      detail: { error: 'CanvasSanitizeError' },
    });
  });

  it('dead-letters a response too deeply nested for the FerpaSanitizer, with the reason', async () => {
    const sim = await startSim();
    const queue = new MemoryQueueAdapter();
    await queue.enqueue(enrollments(sim.data.courses.at(0)?.id ?? 0));
    const worker = new SyncWorker({
      client: createClient(sim),
      queue,
      sink: new MemorySink(),
      // Enrollments nest a user object: deeper than 2 levels of page, record and field.
      sanitizer: new FerpaSanitizer({ key: 'w'.repeat(40), maxDepth: 2 }),
      retry: { ...FAST_TASK_RETRY, maxAttempts: 5 },
    });
    onTestFinished(() => worker.close());
    await worker.start();
    await until(() => worker.stats().deadLettered === 1, 10_000);
    await worker.close({ drain: true });
    expect(worker.stats()).toMatchObject({ retried: 0, deadLettered: 1 });
    expect((await worker.deadLetters())[0]).toMatchObject({
      reason: 'sanitize-failed',
      code: 'SANITIZE_FAILED',
      detail: { error: 'CanvasSanitizeError', sanitizeReason: 'too-deep' },
    });
  });
});
