/**
 * The in-process queue adapter, the default: tasks live in memory, handlers run with p-queue's
 * concurrency control. Nothing survives the process; use a broker adapter for that.
 *
 * @module
 */

import { z } from 'zod';
import { CanvasOptionsError, parseOptions } from '../errors/index.js';
import { MAX_TIMER_MS } from '../retry/retry-policy.js';
import type {
  CloseOptions,
  ConsumeOptions,
  DeadLetter,
  EnqueueOptions,
  HandlerResult,
  QueueAdapter,
  QueueCapabilities,
  QueueStats,
  TaskHandler,
} from './adapter.js';
import {
  DEFAULT_HANDLER_ERROR_DELAY_MS,
  rawForDeadLetter,
  scrubDeadLetter,
  taskForReplay,
  taskForRetry,
} from './delivery.js';
import { runHandler } from './run-handler.js';
import { parseTask, type SyncTask } from './task.js';
import { CanvasTaskValidationError } from './task-validation-error.js';

/**
 * Options of {@link MemoryQueueAdapter}.
 * @category Pipeline
 */
export interface MemoryQueueAdapterOptions {
  /**
   * Delay before redelivering a task whose handler threw (or returned something that is not a
   * `HandlerResult`), in milliseconds. Minimum: 0.
   * @defaultValue 1000
   */
  handlerErrorDelayMs?: number | undefined;
  /**
   * Called with what a handler threw (or its invalid result, wrapped in an `Error`) and the task,
   * before the task is retried. For logging: the error may hold anything the handler put in it.
   * If it throws, that is ignored.
   */
  onHandlerError?: ((error: unknown, task: SyncTask) => void) | undefined;
  /** The clock, for `createdAt`-style timestamps (`deadAt`, `notBefore`). @defaultValue `() => new Date()` */
  now?: (() => Date) | undefined;
  /**
   * The timer delays wait on (delayed enqueue, a task's `notBefore`, retries), so that a test can
   * let time pass by hand instead of sleeping; give the same fake clock as `now`.
   * @defaultValue Node's `setTimeout`, unref'd: a delay never keeps the process alive
   */
  timers?:
    | {
        /** Calls `callback` once, `ms` milliseconds from now; returns a handle. */
        setTimeout(callback: () => void, ms: number): unknown;
      }
    | undefined;
}

interface Message {
  /** The task (after `enqueue`) or anything (after `enqueueRaw`); parsed on every delivery. */
  payload: unknown;
  deliveries: number;
}

type State = 'open' | 'draining' | 'closed';

const optionsSchema = z.strictObject({
  handlerErrorDelayMs: z.number().min(0).max(MAX_TIMER_MS).optional(),
  onHandlerError: z.function().optional(),
  now: z.function().optional(),
  timers: z.looseObject({ setTimeout: z.function() }).optional(),
});

/** The options of one `enqueue` call (absent options are no options). */
const enqueueOptionsSchema = z
  .strictObject({ delayMs: z.number().min(0, 'Expected a finite number ≥ 0').optional() })
  .optional();

/** The arguments of `consume`. */
const consumeArgsSchema = z.object({
  handler: z.custom<TaskHandler>((value) => typeof value === 'function', {
    error: 'Expected a function',
  }),
  options: z.strictObject(
    { concurrency: z.number({ error: 'Expected a positive integer' }).int().min(1) },
    { error: (issue) => (issue.code === 'invalid_type' ? 'Expected { concurrency }' : undefined) },
  ),
});

/** Node's timers, unref'd. */
const unrefTimers = {
  setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms).unref(),
};

/**
 * An in-memory {@link QueueAdapter} with every optional capability.
 *
 * - FIFO: at concurrency 1, ready tasks are delivered in the order they became ready (enqueue
 *   order; a delayed task or a retry joins the back when its delay has passed).
 * - At-least-once within the process: a task stays until its handler acks or dead-letters it.
 * - Delays (delayed enqueue, a task's `notBefore`, retries) use unref'd timers: they never keep
 *   the process alive.
 * - Tasks are validated on `enqueue` (a `CanvasTaskValidationError` rejects the whole batch) and again
 *   on every delivery; a malformed payload (see {@link MemoryQueueAdapter.enqueueRaw}) is
 *   dead-lettered with reason `'invalid-task'` and never reaches the handler. Dead letters are
 *   scrubbed of token-shaped text and `access_token` values before they are stored (see
 *   `rawForDeadLetter`).
 * - `close()` stops new deliveries and waits for the handlers in flight. `close({ drain: true })`
 *   first keeps delivering until nothing is ready or in flight: retries with no delay, and
 *   delayed tasks that fall due while draining, are delivered; tasks still delayed at that point
 *   are not waited for and stay queued (visible in `stats().delayed`).
 * - After `close()`, `enqueue` still accepts tasks (they stay queued) and the dead-letter
 *   capabilities keep working, but `consume` cannot be called again.
 *
 * @example
 * ```ts
 * const queue = new MemoryQueueAdapter();
 * await queue.enqueue(createTask({ kind: 'course.users', path: '/api/v1/courses/42/users' }));
 * await queue.consume(async ({ task }) => {
 *   await syncOne(task);
 *   return { type: 'ack' };
 * }, { concurrency: 4 });
 * await queue.close({ drain: true });
 * ```
 * @category Pipeline
 */
export class MemoryQueueAdapter implements QueueAdapter {
  /** Delivery order is enqueue order at concurrency 1. */
  readonly capabilities: QueueCapabilities = { fifo: true };

  readonly #handlerErrorDelayMs: number;
  readonly #onHandlerError: ((error: unknown, task: SyncTask) => void) | undefined;
  readonly #now: () => Date;
  readonly #timers: { setTimeout(callback: () => void, ms: number): unknown };
  readonly #ready: Message[] = [];
  readonly #delayed = new Map<Message, unknown>();
  readonly #dead: DeadLetter[] = [];
  readonly #waiters = new Set<{ done: () => boolean; resolve: () => void }>();
  #handler: TaskHandler | undefined;
  #concurrency = 0;
  #active = 0;
  #state: State = 'open';
  #closing: Promise<void> | undefined;

  /**
   * @param options - See {@link MemoryQueueAdapterOptions}.
   * @throws CanvasOptionsError if an option is invalid.
   */
  constructor(options: MemoryQueueAdapterOptions = {}) {
    const o = parseOptions(optionsSchema, options, 'memory queue options');
    this.#handlerErrorDelayMs = o.handlerErrorDelayMs ?? DEFAULT_HANDLER_ERROR_DELAY_MS;
    this.#onHandlerError = options.onHandlerError;
    this.#now = options.now ?? (() => new Date());
    this.#timers = options.timers ?? unrefTimers;
  }

  /**
   * Validates and adds tasks, in order. A task whose `notBefore` is in the future waits until
   * then (or `delayMs`, whichever is later).
   *
   * @throws CanvasTaskValidationError if a task is invalid; then none is enqueued. Issue paths are
   *   prefixed with the task's index (`[2].path`) when an array is given.
   * @throws CanvasOptionsError if `delayMs` is not a finite number ≥ 0, or an option is unknown.
   */
  async enqueue(
    tasks: SyncTask | readonly SyncTask[],
    options: EnqueueOptions = {},
  ): Promise<void> {
    const delayMs = parseOptions(enqueueOptionsSchema, options, 'enqueue options')?.delayMs ?? 0;
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
    const now = this.#now().getTime();
    for (const task of parsed) {
      const notBefore = task.notBefore === undefined ? now : Date.parse(task.notBefore);
      const wait = Math.max(delayMs, notBefore - now);
      const payload: SyncTask =
        delayMs > 0 ? { ...task, notBefore: new Date(now + wait).toISOString() } : task;
      this.#schedule({ payload, deliveries: 0 }, wait);
    }
  }

  /**
   * Adds a payload without validating it, as a broker would hand over whatever was published:
   * for testing how malformed messages are handled. It is validated when delivered.
   */
  async enqueueRaw(payload: unknown): Promise<void> {
    this.#schedule({ payload, deliveries: 0 }, 0);
  }

  /**
   * Starts delivering tasks to `handler`, at most `concurrency` at once.
   *
   * @throws CanvasOptionsError if `concurrency` is not a positive integer, or the adapter already
   *   has a consumer or is closed.
   */
  async consume(handler: TaskHandler, options: ConsumeOptions): Promise<void> {
    const { concurrency } = parseOptions(
      consumeArgsSchema,
      { handler, options },
      'consume arguments',
    ).options;
    if (this.#state !== 'open') {
      throw invalidOptions('(root)', 'The adapter is closed', 'consume call');
    }
    if (this.#handler !== undefined) {
      throw invalidOptions('(root)', 'The adapter already has a consumer', 'consume call');
    }
    this.#handler = handler;
    this.#concurrency = concurrency;
    this.#pump();
  }

  /**
   * Stops delivering and waits for the handlers in flight; with `drain: true`, first delivers
   * everything ready (see the class notes on delayed tasks). Idempotent: a second call waits for
   * the first.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.drain === true);
    return this.#closing;
  }

  async #close(drain: boolean): Promise<void> {
    if (drain && this.#handler !== undefined) {
      this.#state = 'draining';
      this.#pump();
      await this.#until(() => this.#ready.length === 0 && this.#active === 0);
    }
    this.#state = 'closed';
    await this.#until(() => this.#active === 0);
  }

  /** The dead letters, oldest first (copies). */
  async deadLetters(): Promise<DeadLetter[]> {
    return this.#dead.map((letter) => structuredClone(letter));
  }

  /**
   * Moves the dead letters holding a valid task back to the back of the queue, with `attempts`
   * reset to zero and `notBefore` and `cursor` removed ({@link taskForReplay}). Malformed payloads stay dead.
   *
   * @returns How many tasks were moved.
   */
  async replayDeadLetters(): Promise<number> {
    const keep: DeadLetter[] = [];
    const replay: SyncTask[] = [];
    for (const letter of this.#dead) {
      if (letter.task === undefined) keep.push(letter);
      else replay.push(letter.task);
    }
    this.#dead.splice(0, this.#dead.length, ...keep);
    for (const task of replay) this.#schedule({ payload: taskForReplay(task), deliveries: 0 }, 0);
    return replay.length;
  }

  /** Current counts. */
  async stats(): Promise<QueueStats> {
    return {
      queued: this.#ready.length,
      inFlight: this.#active,
      deadLetters: this.#dead.length,
      delayed: this.#delayed.size,
    };
  }

  #schedule(message: Message, delayMs: number): void {
    if (delayMs <= 0) {
      this.#ready.push(message);
      this.#pump();
      return;
    }
    // A longer delay would overflow the timer and fire at once: wait the longest one can.
    const timer = this.#timers.setTimeout(
      () => {
        this.#delayed.delete(message);
        this.#ready.push(message);
        this.#pump();
      },
      Math.min(delayMs, MAX_TIMER_MS),
    );
    this.#delayed.set(message, timer);
  }

  #pump(): void {
    // The adapter limits concurrency itself: `#active` counts the handlers running.
    if (this.#handler !== undefined && this.#state !== 'closed') {
      while (this.#active < this.#concurrency) {
        const message = this.#ready.shift();
        if (message === undefined) break;
        this.#active++;
        void this.#deliver(message);
      }
    }
    this.#notify();
  }

  async #deliver(message: Message): Promise<void> {
    try {
      let task: SyncTask;
      try {
        task = parseTask(message.payload);
      } catch (error) {
        this.#deadLetterInvalid(message, error);
        return;
      }
      message.deliveries++;
      const result = await this.#run(task, message.deliveries);
      this.#settle(message, task, result);
    } finally {
      this.#active--;
      this.#pump();
    }
  }

  #run(task: SyncTask, attempt: number): Promise<HandlerResult> {
    return runHandler(
      this.#handler,
      { task, attempt },
      {
        onHandlerError: this.#onHandlerError,
        handlerErrorDelayMs: this.#handlerErrorDelayMs,
      },
    );
  }

  #settle(message: Message, task: SyncTask, result: HandlerResult): void {
    switch (result.type) {
      case 'ack':
        return;
      case 'retry':
        message.payload = taskForRetry(task, result, this.#now());
        this.#schedule(message, result.delayMs);
        return;
      case 'dead-letter': {
        const letter: DeadLetter = {
          task,
          reason: result.reason,
          attempts: message.deliveries,
          deadAt: this.#now().toISOString(),
        };
        if (result.code !== undefined) letter.code = result.code;
        if (result.detail !== undefined) letter.detail = result.detail;
        this.#dead.push(scrubDeadLetter(letter));
        return;
      }
    }
  }

  #deadLetterInvalid(message: Message, error: unknown): void {
    const issues =
      error instanceof CanvasTaskValidationError
        ? error.issues.map((issue) => ({ ...issue }))
        : [{ path: '(root)', message: 'Could not be validated' }];
    this.#dead.push(
      scrubDeadLetter({
        raw: rawForDeadLetter(message.payload),
        reason: 'invalid-task',
        code: 'TASK_VALIDATION',
        issues,
        attempts: message.deliveries,
        deadAt: this.#now().toISOString(),
      }),
    );
  }

  #until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.add({ done, resolve });
    });
  }

  #notify(): void {
    for (const waiter of this.#waiters) {
      if (waiter.done()) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}

function invalidOptions(
  path: string,
  message: string,
  what = 'memory queue options',
): CanvasOptionsError {
  return new CanvasOptionsError({ what, issues: [{ path, message }] });
}
