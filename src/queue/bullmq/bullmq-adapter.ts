/**
 * `BullMQQueueAdapter`: the {@link QueueAdapter} contract on BullMQ (Redis). Imported only from
 * `canvas-sync/queue/bullmq`, so `canvas-sync` itself never loads `bullmq` or `ioredis`.
 *
 * @module
 */

import { DelayedError, type Job, type JobsOptions, Queue, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { CanvasOptionsError } from '../../errors/index.js';
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
  taskForReplay,
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
  /**
   * Wait before retrying a task whose handler threw, in milliseconds; also the wait before
   * BullMQ runs again a delivery that failed outside the handler (see
   * {@link BullMQQueueAdapter}). Minimum: 0. @defaultValue 1000
   */
  handlerErrorDelayMs?: number | undefined;
  /** Called with the error of a handler that threw (or returned no HandlerResult). */
  onHandlerError?: ((error: unknown, task: SyncTask) => void) | undefined;
  /**
   * Called with the errors that do not belong to one task: Redis unreachable (ioredis and BullMQ
   * reconnect by themselves and the commands wait meanwhile), a sweep of failed jobs that could
   * not finish (it runs again on the next trigger). For logging; if it throws, that is ignored.
   * @defaultValue errors are ignored
   */
  onError?: ((error: unknown) => void) | undefined;
  /**
   * How long a delivery's lock lasts, in milliseconds; the BullMQ worker renews it every half of
   * it while the handler runs, so long tasks keep it. A worker that dies loses it and the task
   * is delivered again once the lock expires. Minimum: 1. @defaultValue 30000
   */
  lockDurationMs?: number | undefined;
  /**
   * How many times a task may lose its lock (a worker that died, an event loop blocked for
   * longer than `lockDurationMs`, Redis unreachable for that long) and be delivered again; one
   * more and it is dead-lettered with reason `'stalled'` (a task that kills its worker stops
   * killing workers). BullMQ's `maxStalledCount`. Minimum: 0. @defaultValue 10
   */
  maxStalledCount?: number | undefined;
  /**
   * How often the worker looks for deliveries whose lock expired, in milliseconds (BullMQ's
   * `stalledInterval`): such a task is delivered again between one and two intervals after its
   * lock expired. The check is shared by the queue's workers (the first to run it sets when the
   * next may run), so give every worker of a queue the same value. Minimum: 1.
   * @defaultValue 30000
   */
  stalledIntervalMs?: number | undefined;
}

/** What a job of the main queue holds. */
interface JobData {
  payload: unknown;
}

/**
 * How many times BullMQ runs a delivery whose processing failed outside the handler (the adapter
 * could not store a retry or a dead letter) before moving it to its failed set, from which the
 * adapter dead-letters it (reason `'processor-error'`).
 */
const PROCESSOR_ATTEMPTS = 5;

/** The failure BullMQ records on a job that stalled more than `maxStalledCount` times. */
const STALLED_FAILURE = /stalled more than allowable limit/;

/** How long a sweep of the failed set holds its lock in Redis, in milliseconds. */
const SWEEP_LOCK_MS = 30_000;

/** How often `close({ drain: true })` checks the counts when no event of its own worker came. */
const DRAIN_RECHECK_MS = 250;

/** Deletes the sweep lock only if it is still ours. */
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/**
 * A {@link QueueAdapter} on BullMQ: job ids derived from task keys (enqueueing a task already
 * waiting, delayed or in flight is a no-op; completed jobs are removed, so the same task can be
 * enqueued again later), retries as BullMQ delayed jobs, lock renewal by the BullMQ worker, and a
 * dead-letter queue `<name>-dead`. `close({ drain: true })` waits for the queued tasks, not the
 * delayed ones (retries included: they stay in Redis).
 *
 * **Failures outside the handler.** BullMQ moves a job to its failed set when the processing
 * fails outside the handler: storing a retry or a dead letter failed ({@link
 * BullMQQueueAdapterOptions.handlerErrorDelayMs | retried} by BullMQ up to 5 runs first), or the
 * task stalled more than {@link BullMQQueueAdapterOptions.maxStalledCount | maxStalledCount}
 * times. A failed job would keep its id, and so block every later enqueue of its task; so the
 * adapter sweeps the failed set (on the worker's `failed` event, when consuming starts, and in
 * `enqueue` when the set is not empty): each failed job is dead-lettered, reason `'stalled'`
 * (code `BULLMQ_STALLED`) or `'processor-error'` (code `BULLMQ_FAILED`, BullMQ's failure message
 * in `detail.failedReason`), then removed. The dead letter's id derives from the job's, so a
 * sweep interrupted between the two steps and run again stores it once; a lock in Redis keeps
 * two processes from sweeping at once.
 *
 * **Retries are not atomic.** A retry stores the task returned by `taskForRetry` in the job
 * (`Job.updateData`), then moves the job to the delayed set (`Job.moveToDelayed`): BullMQ's
 * public API has no single call for both (the Lua script can update fields as it moves the job,
 * but only BullMQ's protected backend reaches that). A worker that dies between the two leaves
 * the job active with the updated task; its lock expires, BullMQ delivers it again, and the
 * adapter, seeing the task's `notBefore` still ahead, moves it to the delayed set until then
 * without calling the handler. So the retry is counted once and its delay honoured, only later
 * (by the lock's expiry) and with one more stall and delivery counted. If `moveToDelayed` fails
 * instead (the process lives on), BullMQ runs the job again after `handlerErrorDelayMs`, with the
 * same outcome.
 *
 * **Durability.** Tasks live in Redis: they survive a Redis restart only with persistence (AOF,
 * `appendonly yes`; `appendfsync always` loses nothing, `everysec` up to a second; RDB snapshots
 * lose what came after the last one). Without it a restarted Redis comes back empty. While Redis
 * is unreachable, ioredis reconnects and the adapter's commands wait (no error reaches the
 * handlers; `onError` hears of the failed connection attempts); deliveries in flight finish once
 * it is back, or, if their locks expired meanwhile, are delivered again (at least once: count on
 * duplicates). A command Redis ran but whose reply was lost as it went down is sent again by
 * ioredis: a job already completed then fails to complete twice (BullMQ's "Missing key" error,
 * harmless, reported to `onError`), and a job that Redis had just moved to active for this worker
 * is held by a lock nobody renews: it is delivered again once that lock expires, within
 * `lockDurationMs` plus two `stalledIntervalMs`.
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
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #lockDurationMs: number;
  readonly #maxStalledCount: number;
  readonly #stalledIntervalMs: number;
  readonly #jobOptions: JobsOptions;
  #worker: Worker<JobData> | undefined;
  #handler: TaskHandler | undefined;
  #closing: Promise<void> | undefined;
  #sweeping: Promise<void> | undefined;
  #sweepAgain = false;
  #sweepWait = false;
  readonly #wakers = new Set<() => void>();

  /** Opens the queues (the worker starts in {@link BullMQQueueAdapter.consume}). */
  constructor(options: BullMQQueueAdapterOptions) {
    if (typeof options?.name !== 'string' || options.name === '' || options.name.includes(':')) {
      throw invalid('name', 'Expected a non-empty string without ":"');
    }
    this.#name = options.name;
    this.#prefix = options.prefix ?? 'bull';
    if (typeof this.#prefix !== 'string' || this.#prefix === '') {
      throw invalid('prefix', 'Expected a non-empty string');
    }
    this.#handlerErrorDelayMs = number(
      options.handlerErrorDelayMs,
      DEFAULT_HANDLER_ERROR_DELAY_MS,
      'handlerErrorDelayMs',
      0,
    );
    this.#lockDurationMs = number(options.lockDurationMs, 30_000, 'lockDurationMs', 1);
    this.#maxStalledCount = number(options.maxStalledCount, 10, 'maxStalledCount', 0, true);
    this.#stalledIntervalMs = number(options.stalledIntervalMs, 30_000, 'stalledIntervalMs', 1);
    if (options.onHandlerError !== undefined && typeof options.onHandlerError !== 'function') {
      throw invalid('onHandlerError', 'Expected a function');
    }
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw invalid('onError', 'Expected a function');
    }
    this.#onHandlerError = options.onHandlerError;
    this.#onError = options.onError;
    this.#jobOptions = {
      removeOnComplete: true,
      removeOnFail: false,
      attempts: PROCESSOR_ATTEMPTS,
      backoff: { type: 'fixed', delay: this.#handlerErrorDelayMs },
    };
    if (options.connection instanceof Redis) {
      this.#connection = options.connection;
    } else if (options.url !== undefined) {
      if (typeof options.url !== 'string' || options.url === '') {
        throw invalid('url', 'Expected a redis:// URL');
      }
      this.#owned = new Redis(options.url, { maxRetriesPerRequest: null });
      this.#connection = this.#owned;
    } else if (options.connection !== undefined) {
      this.#owned = new Redis({ ...options.connection, maxRetriesPerRequest: null });
      this.#connection = this.#owned;
    } else {
      throw invalid('(root)', 'Expected url or connection');
    }
    // ioredis reconnects by itself; without a listener it would print every failed attempt.
    this.#owned?.on('error', (error) => this.#report(error));
    const common = { connection: this.#connection, prefix: this.#prefix };
    this.#queue = new Queue<JobData>(this.#name, common);
    this.#dead = new Queue<DeadLetter>(`${this.#name}-dead`, common);
    this.#queue.on('error', (error) => this.#report(error));
    this.#dead.on('error', (error) => this.#report(error));
  }

  /** The BullMQ job id of a task: its key, with `:` (refused by BullMQ) replaced. */
  static jobId(task: SyncTask): string {
    return `task-${task.key.replaceAll(':', '-')}`;
  }

  /**
   * Adds tasks (validated first; none is added if one is invalid) as jobs whose id derives from
   * the task key: a task already waiting, delayed or in flight is not added twice. Failed jobs
   * are dead-lettered first (see {@link BullMQQueueAdapter}), so that none blocks its task.
   */
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
    if ((await this.#queue.getFailedCount()) > 0) await this.#sweep(true);
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
          opts: { ...this.#jobOptions, jobId: BullMQQueueAdapter.jobId(task), delay: wait },
        };
      }),
    );
  }

  /** Publishes a payload without validating it (for tests: it is validated on delivery). */
  async enqueueRaw(payload: unknown): Promise<void> {
    await this.#queue.add('raw', { payload }, this.#jobOptions);
  }

  /**
   * Starts a BullMQ worker with `concurrency`; resolves once it is connected and the failed
   * jobs left by earlier runs are dead-lettered.
   */
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
    const worker = new Worker<JobData>(this.#name, (job, token) => this.#process(job, token), {
      connection: this.#connection,
      prefix: this.#prefix,
      concurrency,
      lockDuration: this.#lockDurationMs,
      maxStalledCount: this.#maxStalledCount,
      stalledInterval: this.#stalledIntervalMs,
    });
    this.#worker = worker;
    // Connection errors are retried by ioredis; the worker must not crash the process.
    worker.on('error', (error) => this.#report(error));
    worker.on('failed', () => {
      this.#sweep(false).catch((error: unknown) => this.#report(error));
    });
    for (const event of ['drained', 'completed', 'failed'] as const) {
      worker.on(event, () => this.#wake());
    }
    await worker.waitUntilReady();
    await this.#sweep(false).catch((error: unknown) => this.#report(error));
  }

  /**
   * Closes the worker (waiting for the handlers in flight), the queues, and the connection if
   * the adapter created it. With `drain: true`, first waits until nothing is queued or in flight
   * (delayed jobs, retries included, stay in Redis): it checks the counts in Redis each time its
   * worker finishes a job or finds the queue empty (BullMQ's `completed`, `failed` and `drained`
   * events), and every 250 ms for what other processes do. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.drain === true);
    return this.#closing;
  }

  async #close(drain: boolean): Promise<void> {
    if (drain && this.#worker !== undefined) await this.#drain();
    await this.#worker?.close();
    await this.#sweeping?.catch(() => undefined);
    await this.#queue.close();
    await this.#dead.close();
    if (this.#owned !== undefined) await this.#owned.quit().catch(() => undefined);
  }

  /**
   * Waits until nothing is waiting or active. BullMQ's `QueueEvents` ('drained') would need one
   * more blocking connection, and its stream is read from the moment it connects, so an event
   * can slip by; the worker's own events, each followed by a check of the counts, cannot miss
   * the end: the wake-up is armed before the check.
   */
  async #drain(): Promise<void> {
    for (;;) {
      let wake = (): void => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      this.#wakers.add(wake);
      const timer = setTimeout(wake, DRAIN_RECHECK_MS);
      try {
        const counts = await this.#queue.getJobCounts('waiting', 'active', 'prioritized');
        if ((counts.waiting ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0) === 0) return;
        await woken;
      } finally {
        clearTimeout(timer);
        this.#wakers.delete(wake);
      }
    }
  }

  #wake(): void {
    for (const wake of this.#wakers) wake();
  }

  /** The dead letters (queue `<name>-dead`), oldest first. */
  deadLetters(): Promise<DeadLetter[]> {
    return this.#read(async (_queue, dead) => {
      const jobs = await dead.getWaiting(0, -1);
      return jobs.sort(byAge).map((job) => job.data);
    });
  }

  /**
   * Moves the dead letters holding a valid task back to the queue ({@link taskForReplay}: retry
   * counts reset, `notBefore` and `cursor` removed); returns how many. Malformed payloads stay
   * dead.
   */
  async replayDeadLetters(): Promise<number> {
    const jobs = (await this.#dead.getWaiting(0, -1)).sort(byAge);
    let moved = 0;
    for (const job of jobs) {
      const task = job.data.task;
      if (task === undefined) continue;
      await this.#queue.add(
        task.kind,
        { payload: taskForReplay(task) },
        { ...this.#jobOptions, jobId: BullMQQueueAdapter.jobId(task) },
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
    connection.on('error', () => undefined);
    const common = { connection, prefix: this.#prefix };
    const queue = new Queue<JobData>(this.#name, common);
    const dead = new Queue<DeadLetter>(`${this.#name}-dead`, common);
    queue.on('error', () => undefined);
    dead.on('error', () => undefined);
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
    try {
      await this.#deliver(job, token);
    } finally {
      this.#wake();
    }
  }

  async #deliver(job: Job<JobData>, token: string | undefined): Promise<void> {
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
    const notBefore = task.notBefore === undefined ? Number.NaN : Date.parse(task.notBefore);
    if (notBefore > Date.now()) {
      // A retry stored but not moved to the delayed set (see the class's TSDoc): wait it out.
      await job.moveToDelayed(notBefore, token);
      throw new DelayedError();
    }
    const result = await this.#run(task, attempt, job);
    switch (result.type) {
      case 'ack':
        return;
      case 'retry': {
        const retried = taskForRetry(task, result, new Date());
        // Not atomic (see the class's TSDoc): the task first, so that a crash in between
        // leaves the job with the retried task, which the next delivery delays.
        await job.updateData({ payload: retried });
        await job.moveToDelayed(Date.parse(retried.notBefore ?? ''), token);
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

  async #deadLetter(letter: DeadLetter, jobId?: string): Promise<void> {
    await this.#dead.add('dead', scrubDeadLetter(letter), {
      removeOnComplete: true,
      ...(jobId === undefined ? {} : { jobId }),
    });
  }

  /**
   * Dead-letters and removes the jobs of the failed set, oldest first, until it is empty. One
   * sweep runs at a time in a process (a request during a sweep makes it go round once more);
   * across processes, a lock in Redis. When another process holds it, `wait` (asked by
   * `enqueue`, for any round of a sweep under way) waits for the set to empty, else this returns.
   */
  #sweep(wait: boolean): Promise<void> {
    this.#sweepAgain = true;
    if (wait) this.#sweepWait = true;
    this.#sweeping ??= (async () => {
      try {
        while (this.#sweepAgain) {
          this.#sweepAgain = false;
          const waitNow = this.#sweepWait;
          this.#sweepWait = false;
          await this.#sweepLocked(waitNow);
        }
      } finally {
        this.#sweeping = undefined;
      }
    })();
    return this.#sweeping;
  }

  async #sweepLocked(wait: boolean): Promise<void> {
    const lock = this.#queue.toKey('canvas-sync-sweep');
    const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const deadline = Date.now() + SWEEP_LOCK_MS;
    while ((await this.#connection.set(lock, token, 'PX', SWEEP_LOCK_MS, 'NX')) !== 'OK') {
      if (!wait || (await this.#queue.getFailedCount()) === 0 || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    try {
      for (;;) {
        const jobs = (await this.#queue.getJobs(['failed'], 0, 99, true)).filter(
          (job): job is Job<JobData> => job !== undefined && job !== null,
        );
        if (jobs.length === 0) return;
        for (const job of jobs) await this.#settleFailed(job);
      }
    } finally {
      await this.#connection.eval(RELEASE_LOCK, 1, lock, token).catch(() => undefined);
    }
  }

  /** Dead-letters a failed job (once: the letter's id derives from the job's), then removes it. */
  async #settleFailed(job: Job<JobData>): Promise<void> {
    const stalled = STALLED_FAILURE.test(job.failedReason ?? '');
    let task: SyncTask | undefined;
    try {
      task = parseTask(job.data?.payload);
    } catch {
      task = undefined;
    }
    const letter: DeadLetter = {
      ...(task === undefined ? { raw: rawForDeadLetter(job.data?.payload) } : { task }),
      reason: stalled ? 'stalled' : 'processor-error',
      code: stalled ? 'BULLMQ_STALLED' : 'BULLMQ_FAILED',
      detail: {
        failedReason: (job.failedReason ?? '').slice(0, 500),
        stalls: job.stalledCounter ?? 0,
      },
      attempts: job.attemptsStarted ?? 0,
      deadAt: new Date(job.finishedOn ?? Date.now()).toISOString(),
    };
    await this.#deadLetter(letter, `${job.id}-failed-${job.finishedOn ?? job.timestamp}`);
    await job.remove();
  }

  #report(error: unknown): void {
    try {
      this.#onError?.(error);
    } catch {
      // A failing hook must not stop the adapter.
    }
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

/** Oldest first: by creation time, then by id (numeric ids as numbers). */
function byAge(a: Job, b: Job): number {
  return a.timestamp - b.timestamp || compareIds(a.id ?? '', b.id ?? '');
}

function compareIds(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

function number(
  value: unknown,
  fallback: number,
  path: string,
  minimum: number,
  integer = false,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < minimum ||
    (integer && !Number.isInteger(value))
  ) {
    throw invalid(path, `Expected a finite ${integer ? 'integer' : 'number'} ≥ ${minimum}`);
  }
  return value;
}

function invalid(path: string, message: string, what = 'BullMQ queue options'): CanvasOptionsError {
  return new CanvasOptionsError({ what, issues: [{ path, message }] });
}
