/**
 * A task that fails part way through a long collection resumes at the page where it stopped
 * (the retry's cursor), inside the same pass of the sink: no page is read twice, no record is
 * missed, and the pass still tombstones what Canvas no longer lists.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createTask,
  MemoryQueueAdapter,
  MemorySink,
  type SyncTask,
  SyncWorker,
} from '../../src/index.js';
import { createClient, startSim } from '../support/client.js';
import { until } from '../support/http.js';

const PER_PAGE = 5;

async function setUp(kind: 'course.enrollments' | 'course.users', pagesBeforeFailure: number) {
  const sim = await startSim();
  const count = (id: number) =>
    (kind === 'course.users' ? sim.data.courseUsers(id) : sim.data.enrollments(id))?.length ?? 0;
  let courseId: number | undefined;
  for (let index = 0; index < sim.data.courses.length && courseId === undefined; index++) {
    const id = sim.data.courses.at(index)?.id ?? 0;
    if (count(id) >= PER_PAGE * 6) courseId = id;
  }
  if (courseId === undefined) throw new Error('no course with 6 pages');
  const path = `/api/v1/courses/${courseId}/${kind === 'course.users' ? 'users' : 'enrollments'}`;
  const records = count(courseId);
  const pages = Math.ceil(records / PER_PAGE);
  const sink = new MemorySink<unknown>();
  // One stored record Canvas no longer lists: the resumed pass must still tombstone it.
  await sink.write([{ id: 1, gone: true }], {
    key: (record) => `${kind}:${(record as { id: number }).id}`,
    kind,
    scope: `${kind}:${path}`,
  });
  const queue = new MemoryQueueAdapter();
  const delivered: SyncTask[] = [];
  const worker = new SyncWorker({
    client: createClient(sim, { perPage: PER_PAGE, retry: { maxAttempts: 1 } }),
    queue: {
      enqueue: (tasks, options) => queue.enqueue(tasks, options),
      consume: (handler, options) =>
        queue.consume((delivery) => {
          delivered.push(delivery.task);
          return handler(delivery);
        }, options),
      close: (options) => queue.close(options),
      stats: () => queue.stats(),
    },
    sink,
    retry: { baseDelayMs: 10, maxDelayMs: 20, throttleDelayMs: 10 },
  });
  onTestFinished(() => worker.close());
  // Canvas starts failing once `pagesBeforeFailure` pages were served, until the task retries.
  let served = 0;
  worker.on('task', ({ outcome }) => {
    if (outcome === 'retry') sim.setFaults({});
  });
  const write = sink.write.bind(sink);
  sink.write = async (items, options) => {
    const written = await write(items, options);
    served++;
    if (served === pagesBeforeFailure) {
      sim.setFaults({ serverErrorRate: 1, pathPattern: /\/(enrollments|users)$/ });
    }
    return written;
  };
  return { sim, sink, queue, worker, path, records, pages, delivered, kind };
}

describe('SyncWorker retry cursor', () => {
  it('resumes a task that failed at page 4 of N at page 4, in the same pass', async () => {
    const { sim, sink, queue, worker, path, records, pages, delivered } = await setUp(
      'course.enrollments',
      3,
    );
    expect(pages).toBeGreaterThanOrEqual(6);
    const task = createTask({ kind: 'course.enrollments', path });
    sim.resetStats();
    await queue.enqueue(task);
    await worker.start();
    await until(() => worker.stats().done === 1, 10_000);
    // First delivery: pages 1-3 and the failed page 4; the retry: pages 4..N, each once.
    expect(delivered).toHaveLength(2);
    expect(delivered[0]?.cursor).toBeUndefined();
    expect(delivered[1]?.cursor).toMatch(new RegExp(`^${path}\\?.*page=bookmark`));
    expect(delivered[1]?.key).toBe(task.key);
    expect(sim.stats().requests).toBe(3 + 1 + (pages - 3));
    expect(worker.stats().records).toEqual({
      inserted: records,
      updated: 0,
      unchanged: 0,
      deleted: 1,
    });
    expect((await sink.get('course.enrollments:1'))?.deletedAt).toBeDefined();
    expect(sink.size).toBe(records + 1);
  });

  it('starts a numbered collection over (its pages shift when records are deleted)', async () => {
    const { sim, queue, worker, path, records, pages, delivered } = await setUp('course.users', 3);
    const task = createTask({ kind: 'course.users', path });
    sim.resetStats();
    await queue.enqueue(task);
    await worker.start();
    await until(() => worker.stats().done === 1, 10_000);
    expect(delivered.map((one) => one.cursor)).toEqual([undefined, undefined]);
    expect(sim.stats().requests).toBe(3 + 1 + pages);
    expect(worker.stats().records).toMatchObject({ inserted: records, deleted: 1 });
  });
});
