/**
 * `BullMQQueueAdapter`: the {@link QueueAdapter} contract on BullMQ (Redis). Imported only from
 * `canvas-sync/queue/bullmq`, so `canvas-sync` itself never loads `bullmq` or `ioredis`.
 *
 * @module
 */

import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { CanvasOptionsError } from '../../errors/index.js';
import { delay } from '../../retry/delay.js';
import type {
  CloseOptions,
  ConsumeOptions,
  DeadLetter,
  EnqueueOptions,
  HandlerResult,
  QueueAdapter,
  QueueStats,
  TaskHandler,
} from '../adapter.js';
import {
  DEFAULT_HANDLER_ERROR_DELAY_MS,
  rawForDeadLetter,
  scrubDeadLetter,
  taskForRetry,
} from '../delivery.js';
import { runHandler } from '../run-handler.js';
import { parseTask, type SyncTask } from '../task.js';
import { CanvasTaskValidationError } from '../task-validation-error.js';

/**
 * Options of {@link BullMQQueueAdapter}.
 * @category Pipeline
 */
export interface BullMQQueueAdapterOptions {
  /** The BullMQ queue name (no `:`); the dead letters live in the queue `<name>-dead`. */
  name: string;
  /** A Redis URL (`redis://…`): the adapter creates the connection and closes it in `close()`. */
  url?: string | undefined;
  /**
   * An ioredis instance (never closed by the adapter; a worker needs `maxRetriesPerRequest:
   * null`) or ioredis options (the adapter creates and closes that connection).
   */
  connection?: Redis | RedisOptions | undefined;
  /** The Redis key prefix of BullMQ. @defaultValue 'bull' */
  prefix?: string | undefined;
  /** Wait before retrying a task whose handler threw, in milliseconds. @defaultValue 1000 */
  handlerErrorDelayMs?: number | undefined;
  /** Called with the error of a handler that threw (or returned no HandlerResult). */
  onHandlerError?: ((error: unknown, task: SyncTask) => void) | undefined;
  /**
   * How long a delivery's lock lasts, in milliseconds; the BullMQ worker renews it every half of
   * it while the handler runs, so long tasks keep it. A worker that dies loses it and the task
   * is delivered again once the lock expires. @defaultValue 30000
   */
  lockDurationMs?: number | undefined;
}

/** What a job of the main queue holds. */
interface JobData {
  payload: unknown;
}

/**
 * A {@link QueueAdapter} on BullMQ: job ids derived from task keys (enqueueing a task already
 * waiting, delayed or in flight is a no-op; completed jobs are removed, so the same task can be
 * enqueued again later), retries as BullMQ delayed jobs, lock renewal by the BullMQ worker, and a
 * dead-letter queue `<name>-dead`. `close({ drain: true })` waits for the queued tasks, not the
 * delayed ones (they stay in Redis).
 * @category Pipeline
 */
export class BullMQQueueAdapter implements QueueAdapter {
  readonly #queue: Queue<JobData>;
  readonly #dead: Queue<DeadLetter>;
  readonly #owned: Redis | undefined;
  readonly #connection: Redis;
  readonly #prefix: string;
  readonly #name: string;
  readonly #handlerErrorDelayMs: number;
  readonly #onHandlerError: ((error: unknown, task: SyncTask) => void) | undefined;
  readonly #lockDurationMs: number;
  #worker: Worker<JobData> | undefined;
  #handler: TaskHandler | undefined;
  #closing: Promise<void> | undefined;

  /** Opens the queues (the worker starts in {@link BullMQQueueAdapter.consume}). */
  constructor(options: BullMQQueueAdapterOptions) {
    if (typeof options.name !== 'string' || options.name === '' || options.name.includes(':')) {
      throw invalid('name', 'Expected a non-empty string without ":"');
    }
    this.#name = options.name;
    this.#prefix = options.prefix ?? 'bull';
    this.#handlerErrorDelayMs = options.handlerErrorDelayMs ?? DEFAULT_HANDLER_ERROR_DELAY_MS;
    this.#onHandlerError = options.onHandlerError;
    this.#lockDurationMs = options.lockDurationMs ?? 30_000;
    if (options.connection instanceof Redis) {
      this.#connection = options.connection;
    } else if (options.url !== undefined) {
      this.#owned = new Redis(options.url, { maxRetriesPerRequest: null });
      this.#connection = this.#owned;
    } else if (options.connection !== undefined) {
      this.#owned = new Redis({ ...options.connection, maxRetriesPerRequest: null });
      this.#connection = this.#owned;
    } else {
      throw invalid('(root)', 'Expected url or connection');
    }
    const common = { connection: this.#connection, prefix: this.#prefix };
    this.#queue = new Queue<JobData>(this.#name, common);
    this.#dead = new Queue<DeadLetter>(`${this.#name}-dead`, common);
  }

  /** The BullMQ job id of a task: its key, with `:` (refused by BullMQ) replaced. */
  static jobId(task: SyncTask): string {
    return `task-${task.key.replaceAll(':', '-')}`;
  }

  /** Adds tasks (validated first; none is added if one is invalid) as jobs whose id derives from the task key: a task already waiting, delayed or in flight is not added twice. */
  async enqueue(
    tasks: SyncTask | readonly SyncTask[],
    options: EnqueueOptions = {},
  ): Promise<void> {
    const delayMs = options.delayMs ?? 0;
    if (typeof delayMs !== 'number' || !(delayMs >= 0)) {
      throw invalid('delayMs', 'Expected a finite number ≥ 0', 'enqueue options');
    }
    const list: readonly unknown[] = Array.isArray(tasks) ? tasks : [tasks];
    const parsed = list.map((task, index) => {
      try {
        return parseTask(task);
      } catch (error) {
        if (!(error instanceof CanvasTaskValidationError) || !Array.isArray(tasks)) throw error;
        throw new CanvasTaskValidationError({
          issues: error.issues.map((issue) => ({
            path: issue.path === '(root)' ? `[${index}]` : `[${index}].${issue.path}`,
            message: issue.message,
          })),
        });
      }
    });
    const now = Date.now();
    await this.#queue.addBulk(
      parsed.map((task) => {
        const notBefore = task.notBefore === undefined ? now : Date.parse(task.notBefore);
        const wait = Math.max(delayMs, notBefore - now, 0);
        const payload: SyncTask =
          delayMs > 0 ? { ...task, notBefore: new Date(now + wait).toISOString() } : task;
        return {
          name: task.kind,
          data: { payload },
          opts: { jobId: BullMQQueueAdapter.jobId(task), delay: wait, ...jobOptions },
        };
      }),
    );
  }

  /** Publishes a payload without validating it (for tests: it is validated on delivery). */
  async enqueueRaw(payload: unknown): Promise<void> {
    await this.#queue.add('raw', { payload }, jobOptions);
  }

  /** Starts a BullMQ worker with `concurrency`; resolves once it is connected. */
  async consume(handler: TaskHandler, options: ConsumeOptions): Promise<void> {
    if (typeof handler !== 'function')
      throw invalid('handler', 'Expected a function', 'consume arguments');
    const concurrency = options?.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw invalid('options.concurrency', 'Expected a positive integer', 'consume arguments');
    }
    if (this.#closing !== undefined)
      throw invalid('(root)', 'The adapter is closed', 'consume call');
    if (this.#handler !== undefined)
      throw invalid('(root)', 'The adapter already has a consumer', 'consume call');
    this.#handler = handler;
    this.#worker = new Worker<JobData>(this.#name, (job, token) => this.#process(job, token), {
      connection: this.#connection,
      prefix: this.#prefix,
      concurrency,
      lockDuration: this.#lockDurationMs,
      maxStalledCount: 1000,
    });
    this.#worker.on('error', () => {
      // Connection errors are retried by ioredis; the worker must not crash the process.
    });
    await this.#worker.waitUntilReady();
  }

  /** Closes the worker (waiting for the handlers in flight), the queues, and the connection if the adapter created it. With `drain: true`, first waits until nothing is queued or in flight (delayed jobs stay in Redis). Idempotent. */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.drain === true);
    return this.#closing;
  }

  async #close(drain: boolean): Promise<void> {
    if (drain && this.#worker !== undefined) {
      for (;;) {
        const counts = await this.#queue.getJobCounts('waiting', 'active', 'prioritized');
        if ((counts.waiting ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0) === 0) break;
        await delay(10);
      }
    }
    await this.#worker?.close();
    await this.#queue.close();
    await this.#dead.close();
    if (this.#owned !== undefined) await this.#owned.quit().catch(() => undefined);
  }

  /** The dead letters (queue `<name>-dead`), oldest first. */
  deadLetters(): Promise<DeadLetter[]> {
    return this.#read(async (_queue, dead) => {
      const jobs = await dead.getWaiting(0, -1);
      return jobs.sort(byId).map((job) => job.data);
    });
  }

  /** Moves the dead letters holding a valid task back to the queue, retry counts reset; returns how many. Malformed payloads stay dead. */
  async replayDeadLetters(): Promise<number> {
    const jobs = (await this.#dead.getWaiting(0, -1)).sort(byId);
    let moved = 0;
    for (const job of jobs) {
      const task = job.data.task;
      if (task === undefined) continue;
      const { notBefore: _notBefore, ...rest } = task;
      await this.#queue.add(
        task.kind,
        { payload: { ...rest, retries: { failures: 0, throttles: 0 } } },
        { jobId: BullMQQueueAdapter.jobId(task), ...jobOptions },
      );
      await job.remove();
      moved++;
    }
    return moved;
  }

  /** Counts from BullMQ: waiting (and prioritized), active, delayed, and the dead-letter queue. */
  stats(): Promise<QueueStats> {
    return this.#read(async (queue, dead) => {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
      return {
        queued: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        inFlight: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        deadLetters: await dead.getWaitingCount(),
      };
    });
  }

  /**
   * Runs a read on the queues; after `close()`, on a short-lived duplicate connection, so that
   * `stats()` and `deadLetters()` still answer once the adapter is closed.
   */
  async #read<T>(read: (queue: Queue<JobData>, dead: Queue<DeadLetter>) => Promise<T>): Promise<T> {
    if (this.#closing === undefined) return read(this.#queue, this.#dead);
    await this.#closing;
    const connection = this.#connection.duplicate({ maxRetriesPerRequest: null });
    const common = { connection, prefix: this.#prefix };
    const queue = new Queue<JobData>(this.#name, common);
    const dead = new Queue<DeadLetter>(`${this.#name}-dead`, common);
    try {
      return await read(queue, dead);
    } finally {
      await queue.close();
      await dead.close();
      await connection.quit().catch(() => undefined);
    }
  }

  /** Removes both queues and all their jobs from Redis (for tests and teardown). */
  async obliterate(): Promise<void> {
    await this.#queue.obliterate({ force: true });
    await this.#dead.obliterate({ force: true });
  }

  async #process(job: Job<JobData>, token: string | undefined): Promise<void> {
    const attempt = Math.max(job.attemptsStarted, 1);
    let task: SyncTask;
    try {
      task = parseTask(job.data.payload);
    } catch (error) {
      const issues =
        error instanceof CanvasTaskValidationError
          ? error.issues.map((issue) => ({ ...issue }))
          : [{ path: '(root)', message: 'Could not be validated' }];
      await this.#deadLetter({
        raw: rawForDeadLetter(job.data.payload),
        reason: 'invalid-task',
        code: 'TASK_VALIDATION',
        issues,
        attempts: 0,
        deadAt: new Date().toISOString(),
      });
      return;
    }
    const result = await this.#run(task, attempt, job);
    switch (result.type) {
      case 'ack':
        return;
      case 'retry': {
        await job.updateData({ payload: taskForRetry(task, result, new Date()) });
        await job.moveToDelayed(Date.now() + result.delayMs, token);
        throw new DelayedError();
      }
      case 'dead-letter': {
        const letter: DeadLetter = {
          task,
          reason: result.reason,
          attempts: attempt,
          deadAt: new Date().toISOString(),
        };
        if (result.code !== undefined) letter.code = result.code;
        if (result.detail !== undefined) letter.detail = result.detail;
        await this.#deadLetter(letter);
        return;
      }
    }
  }

  async #deadLetter(letter: DeadLetter): Promise<void> {
    await this.#dead.add('dead', scrubDeadLetter(letter), { removeOnComplete: true });
  }

  #run(task: SyncTask, attempt: number, job: Job<JobData>): Promise<HandlerResult> {
    return runHandler(
      this.#handler,
      { task, attempt, raw: job },
      {
        onHandlerError: this.#onHandlerError,
        handlerErrorDelayMs: this.#handlerErrorDelayMs,
      },
    );
  }
}

const jobOptions = { removeOnComplete: true, removeOnFail: false } as const;

function byId(a: Job, b: Job): number {
  return Number(a.id) - Number(b.id);
}

function invalid(path: string, message: string, what = 'BullMQ queue options'): CanvasOptionsError {
  return new CanvasOptionsError({ what, issues: [{ path, message }] });
}
