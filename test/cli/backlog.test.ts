/**
 * The backlog of `canvas-sync sync`: the planned tasks wait there, compactly, for
 * room in the in-process queue, which is kept at a few ready tasks; they reach it in planning
 * order, as they were planned, and every one is counted as queued meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { Backlog } from '../../src/cli/backlog.js';
import { createTask, MemoryQueueAdapter, type SyncTask } from '../../src/index.js';

/** `n` tasks of distinct keys, some with a query. */
function planned(n: number): SyncTask[] {
  return Array.from({ length: n }, (_, i) =>
    createTask({
      kind: 'assignment.submissions',
      path: `/api/v1/courses/1/assignments/${i}/submissions`,
      ...(i % 2 === 0 && { searchParams: { 'include[]': ['submission_comments'] } }),
    }),
  );
}

describe('Backlog', () => {
  it('keeps the queue at `ahead` ready tasks, counts the rest as queued, and hands them over in order as tasks end', async () => {
    const queue = new MemoryQueueAdapter();
    const backlog = new Backlog(queue, 3);
    const tasks = planned(8);
    await backlog.producerQueue.enqueue(tasks.slice(0, 5));
    await backlog.producerQueue.enqueue(tasks.slice(5));
    expect((await queue.stats()).queued).toBe(3);
    expect(backlog.size).toBe(5);
    expect(await backlog.stats()).toMatchObject({ queued: 8, inFlight: 0, delayed: 0 });

    // A worker taking one task at a time; the backlog is fed when each one ends, as the job does.
    const delivered: SyncTask[] = [];
    await queue.consume(
      async ({ task }) => {
        delivered.push(task);
        void backlog.feed();
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await backlog.drained();
    expect(backlog.size).toBe(0);
    await queue.close({ drain: true });
    // The tasks as planned: ids, keys and times included.
    expect(delivered).toEqual(tasks);
    expect(await backlog.stats()).toMatchObject({ queued: 0, inFlight: 0, delayed: 0 });
  });

  it('stops waiting for the hand-over when the signal aborts', async () => {
    const backlog = new Backlog(new MemoryQueueAdapter(), 1);
    await backlog.producerQueue.enqueue(planned(3));
    const stop = new AbortController();
    const waiting = backlog.drained(stop.signal);
    stop.abort('SIGTERM');
    await expect(waiting).rejects.toBe('SIGTERM');
    expect(backlog.size).toBe(2);
  });
});
