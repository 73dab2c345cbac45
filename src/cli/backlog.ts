/**
 * The tasks the producers planned that the workers are not near yet, held back from the
 * in-process queue as JSON text.
 *
 * The producers plan far faster than the workers fetch: planning is over when a fraction of the
 * tasks are done, so the queue would hold nearly every task of the run at once, each an object
 * of a dozen fields and strings (about 1 kB). The backlog keeps each planned task as its JSON
 * text (about 350 bytes) and hands the queue a few hundred at a time, whenever a task ends
 * (which validates them again, as it does every task enqueued); the planned total is still
 * known as early as before.
 */
import type { MemoryQueueAdapter, QueueAdapter, QueueStats, SyncTask } from '../index.js';

/**
 * Planned tasks waiting for room in the queue. Give the producers {@link Backlog.producerQueue},
 * call {@link Backlog.feed} whenever a task ends, and await {@link Backlog.drained} once the
 * producers are done, before waiting for the worker to be idle.
 */
export class Backlog implements TaskFeed {
  readonly #queue: MemoryQueueAdapter;
  readonly #ahead: number;
  /** The JSON of each held task, oldest first from `#next`. */
  #held: string[] = [];
  #next = 0;
  /** Woken when tasks leave the backlog or feeding fails. */
  readonly #waiters = new Set<() => void>();
  #failure: unknown;

  /**
   * @param ahead - Ready tasks the queue is kept at (when the backlog has them): enough for
   *   every worker, with room to spare.
   */
  constructor(queue: MemoryQueueAdapter, ahead: number) {
    this.#queue = queue;
    this.#ahead = ahead;
  }

  /** Tasks held back. */
  get size(): number {
    return this.#held.length - this.#next;
  }

  /** The queue as the producers see it: `enqueue` adds to the backlog. */
  readonly producerQueue: QueueAdapter = {
    enqueue: (tasks) => this.#add(Array.isArray(tasks) ? tasks : [tasks as SyncTask]),
    consume: async () => {
      throw new Error('the backlog only takes tasks: consume the queue');
    },
    close: async () => {},
  };

  /** The queue's counts, with the backlog's tasks counted as queued. */
  async stats(): Promise<QueueStats> {
    const stats = await this.#queue.stats();
    return { ...stats, queued: stats.queued + this.size };
  }

  /** Moves held tasks to the queue until it has `ahead` ready tasks (or the backlog is empty). */
  async feed(): Promise<void> {
    if (this.size === 0) return;
    try {
      const { queued } = await this.#queue.stats();
      const room = Math.min(this.#ahead - queued, this.size);
      if (room <= 0) return;
      const start = this.#next;
      this.#next += room;
      const tasks = this.#held.slice(start, this.#next).map((json) => JSON.parse(json) as SyncTask);
      // Let go of what was handed over, once it is a good part of the array.
      if (this.#next >= 1_024 && this.#next * 2 >= this.#held.length) {
        this.#held = this.#held.slice(this.#next);
        this.#next = 0;
      }
      await this.#queue.enqueue(tasks);
    } catch (error) {
      this.#failure ??= error;
    } finally {
      this.#wake();
    }
  }

  /**
   * Resolves once every task added is in the queue; rejects if feeding failed, or with the
   * signal's reason when it aborts first.
   */
  async drained(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      signal?.throwIfAborted();
      if (this.size === 0) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal?.removeEventListener('abort', wake);
          this.#waiters.delete(wake);
          resolve();
        };
        signal?.addEventListener('abort', wake, { once: true });
        this.#waiters.add(wake);
      });
    }
  }

  async #add(tasks: readonly SyncTask[]): Promise<void> {
    for (const task of tasks) this.#held.push(JSON.stringify(task));
    await this.feed();
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

/** What the job needs of the tasks it plans: {@link Backlog}, or a broker's queue as it is. */
export interface TaskFeed {
  /** The queue as the producers see it. */
  readonly producerQueue: QueueAdapter;
  /** Called whenever a task ends. */
  feed(): Promise<void>;
  /** Resolves once every planned task is in the queue. */
  drained(signal?: AbortSignal): Promise<void>;
  /** The queue's counts, held-back tasks counted as queued. */
  stats(): Promise<QueueStats>;
}

/**
 * A broker's queue as a {@link TaskFeed}: the broker holds the planned tasks (on its disk or in
 * Redis, not in this process), so nothing is held back. The producers cannot close it.
 */
export function brokerFeed(queue: QueueAdapter): TaskFeed {
  const stats = queue.stats?.bind(queue);
  if (stats === undefined) throw new TypeError('the broker adapter has no stats()');
  return {
    producerQueue: {
      enqueue: (tasks, options) => queue.enqueue(tasks, options),
      consume: async () => {
        throw new Error('the producers only enqueue');
      },
      close: async () => {},
    },
    feed: async () => {},
    drained: async () => {},
    stats,
  };
}
