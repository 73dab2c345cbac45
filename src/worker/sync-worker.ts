import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CanvasSyncClient } from '../client/client.js';
import type { ResponseSanitizer } from '../client/client-options.js';
import { TypedEmitter } from '../client/events.js';
import { parseOptions } from '../errors/index.js';
import type { DeadLetter, HandlerResult, QueueAdapter, TaskDelivery } from '../queue/adapter.js';
import { scrubDeadLetter, scrubHandlerResult } from '../queue/delivery.js';
import { parseTask, type SyncTask } from '../queue/task.js';
import { CanvasTaskValidationError } from '../queue/task-validation-error.js';
import { CanvasUnsupportedError, type OptionalQueueMethod } from '../queue/unsupported-error.js';
import { MAX_TIMER_MS } from '../retry/retry-policy.js';
import type { Sink } from '../sink/sink.js';
import { defaultTaskRetryPolicy, resultOfFailure, type TaskRetryPolicy } from './outcome.js';

/**
 * Options of {@link SyncWorker}.
 * @category Pipeline
 */
export interface SyncWorkerOptions {
  /** Fetches the tasks' collections (its pacing and retries apply). */
  client: CanvasSyncClient;
  /** Where the tasks come from. */
  queue: QueueAdapter;
  /**
   * Where the records go, keyed by task key and record id: one sink, or a function that picks
   * the sink of a task (e.g. one file per `task.kind`). The worker flushes every sink it used
   * on `close()`; closing them is the caller's.
   */
  sink: Sink<unknown> | ((task: SyncTask) => Sink<unknown>);
  /**
   * Applied to every page before it reaches the sink, in addition to the
   * client's own `sanitizer` option if any. @defaultValue none
   */
  sanitizer?: ResponseSanitizer;
  /**
   * Tasks handled at once. The client's pacer, not this, keeps the token under its limit; the
   * default keeps the bucket's ~13 in-flight slots busy while some tasks are between pages
   * (see the pipeline benchmark). Each task in hand holds one page. @defaultValue 16. Minimum: 1
   */
  concurrency?: number;
  /** How failed tasks are retried. */
  retry?: Partial<TaskRetryPolicy>;
  /** Random source for the retry backoff's jitter, in `[0, 1)`. @defaultValue Math.random */
  random?: () => number;
}

/**
 * What happened to one task, for the `task` event.
 * @category Pipeline
 */
export interface TaskEvent {
  /** The task as delivered (its `retries` count the retries before this delivery). */
  readonly task: SyncTask;
  /** `'ack'` (done), `'retry'` or `'dead-letter'`. */
  readonly outcome: HandlerResult['type'];
  /** Records the task wrote (new keys only). */
  readonly written: number;
  /** Dead-letter reason, when dead-lettered. */
  readonly reason?: string | undefined;
}

/**
 * Events of {@link SyncWorker}.
 * @category Pipeline
 */
export interface SyncWorkerEvents {
  /** A delivered task ended: done, to be retried, or dead-lettered. */
  task: [TaskEvent];
}

/**
 * A snapshot of what the worker did.
 * @category Pipeline
 */
export interface SyncWorkerStats {
  /** Deliveries that ended done (acknowledged): tasks whose records are all stored. */
  readonly done: number;
  /** Deliveries that ended in a retry (throttles included). */
  readonly retried: number;
  /** Tasks dead-lettered, with a reason (invalid tasks included). */
  readonly deadLettered: number;
  /** Records written to the sink (new keys). */
  readonly recordsWritten: number;
  /** Records skipped by the sink (keys already stored: re-runs, redeliveries, duplicates). */
  readonly recordsSkipped: number;
  /** Requests the client has sent (its `stats().requests`; producers sharing it included). */
  readonly requests: number;
  /** Responses that were throttles (the client's `stats().throttled`). */
  readonly throttled: number;
}

/** The sink key of a record: the task's idempotency key and the record's `id` (or its content). */
export function recordKey(task: SyncTask, record: unknown): string {
  const id = (record as { id?: unknown } | null)?.id;
  if (typeof id === 'number' || typeof id === 'string') return `${task.key}:${id}`;
  const digest = createHash('sha256').update(JSON.stringify(record)).digest('hex');
  return `${task.key}:sha256:${digest}`;
}

/** A delay of the task retry policy: whole ms, no longer than a Node timer can wait. */
const delayMs = z.number().int().min(0).max(MAX_TIMER_MS);

/** Checks the shape of what the worker calls; the objects themselves are kept as given. */
function hasMethod(name: string, error: string) {
  return z.custom<object>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Record<string, unknown>)[name] === 'function',
    { error },
  );
}

const optionsSchema = z.strictObject({
  client: hasMethod('pages', 'must be a CanvasSyncClient'),
  queue: hasMethod('consume', 'must be a QueueAdapter'),
  sink: z.union([z.function(), hasMethod('upsert', 'must be a Sink')], {
    error: 'must be a Sink or a function returning one',
  }),
  sanitizer: hasMethod('sanitize', 'must have a sanitize(value) method').optional(),
  concurrency: z.number().int().min(1).optional(),
  random: z.function().optional(),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).optional(),
      baseDelayMs: delayMs.optional(),
      maxDelayMs: delayMs.optional(),
      throttleDelayMs: delayMs.optional(),
    })
    .optional(),
});

/**
 * Takes tasks from a queue, fetches every page of each task's collection
 * through the client, sanitizes them, writes them to the sink under
 * `<task key>:<record id>` and acknowledges; retries what is transient and
 * dead-letters what cannot succeed, with a reason and safe details (status,
 * request context id), never a body. Writes are idempotent, so a redelivered
 * or re-run task stores nothing twice.
 *
 * @example
 * ```ts
 * const worker = new SyncWorker({
 *   client: canvas, // a CanvasSyncClient, with `sanitizer: new FerpaSanitizer({ key, keyId })`
 *   queue, // any QueueAdapter, e.g. new MemoryQueueAdapter()
 *   sink: (task) => sinks.get(task.kind), // one sink, or one per kind of task
 * });
 * worker.on('task', ({ task, outcome, reason }) => log.info({ kind: task.kind, outcome, reason }));
 * await worker.start();
 * // … producers enqueue tasks …
 * await worker.close({ drain: true }); // finishes what is ready, flushes the sinks
 * ```
 * @category Pipeline
 */
export class SyncWorker extends TypedEmitter<SyncWorkerEvents> {
  readonly #client: CanvasSyncClient;
  readonly #queue: QueueAdapter;
  readonly #sinkOf: (task: SyncTask) => Sink<unknown>;
  readonly #usedSinks = new Set<Sink<unknown>>();
  readonly #sanitizer: ResponseSanitizer | undefined;
  readonly #concurrency: number;
  readonly #retry: TaskRetryPolicy;
  readonly #random: () => number;
  #stats = { done: 0, retried: 0, deadLettered: 0, recordsWritten: 0, recordsSkipped: 0 };

  /** @throws CanvasOptionsError when an option is invalid (a missing client, queue or sink too). */
  constructor(options: SyncWorkerOptions) {
    super();
    const o = parseOptions(optionsSchema, options, 'SyncWorker options');
    this.#client = options.client;
    this.#queue = options.queue;
    const { sink } = options;
    this.#sinkOf = typeof sink === 'function' ? sink : () => sink;
    this.#sanitizer = options.sanitizer;
    this.#concurrency = o.concurrency ?? 16;
    const given = Object.entries(o.retry ?? {}).filter(([, value]) => value !== undefined);
    this.#retry = { ...defaultTaskRetryPolicy, ...Object.fromEntries(given) };
    this.#random = options.random ?? Math.random;
  }

  /** Starts taking tasks from the queue. */
  async start(): Promise<void> {
    await this.#queue.consume((delivery) => this.#handle(delivery), {
      concurrency: this.#concurrency,
    });
  }

  /**
   * Stops taking tasks, lets the ones in hand finish (with `drain`, everything
   * queued and ready first), then flushes the sink. Nothing is lost: a task is
   * queued, in hand, done or dead-lettered at every moment.
   */
  async close(options: { drain?: boolean } = {}): Promise<void> {
    await this.#queue.close({ drain: options.drain ?? false });
    await Promise.all([...this.#usedSinks].map((sink) => sink.flush?.()));
  }

  /**
   * The queue's dead letters, oldest first: each holds the task (no student data), the reason,
   * the error code and safe details (status, request context id), attempts and time. Every
   * string in them (the raw text of a malformed payload, details, issues) is scrubbed of
   * token-shaped text and `access_token` values, and of the client's own token in any encoding
   * (`client.redact`), whatever the adapter stored.
   * @throws CanvasUnsupportedError (`UNSUPPORTED`) when the queue adapter keeps no dead letters it
   *   can list (it has no `deadLetters()`).
   */
  async deadLetters(): Promise<DeadLetter[]> {
    const queue = this.#queue;
    if (queue.deadLetters === undefined) throw unsupported('deadLetters');
    return (await queue.deadLetters()).map((letter) => this.#scrub(letter));
  }

  /**
   * Moves the dead letters that hold a valid task back to the queue, attempts reset (after
   * fixing a permission, say), and returns how many were moved. The worker picks them up if it
   * is running; their records are written once, whatever an earlier attempt wrote.
   * @throws CanvasUnsupportedError (`UNSUPPORTED`) when the queue adapter cannot replay dead
   *   letters (it has no `replayDeadLetters()`).
   */
  async replayDeadLetters(): Promise<number> {
    const queue = this.#queue;
    if (queue.replayDeadLetters === undefined) throw unsupported('replayDeadLetters');
    return queue.replayDeadLetters();
  }

  /** Counters since start. */
  stats(): SyncWorkerStats {
    const { requests, throttled } = this.#client.stats();
    return { ...this.#stats, requests, throttled };
  }

  /** A dead letter cleaned for storage or display: patterns, then the client's own token. */
  #scrub(letter: DeadLetter): DeadLetter {
    return scrubDeadLetter(letter, (text) => this.#client.redact(text));
  }

  async #handle({ task: delivered }: TaskDelivery): Promise<HandlerResult> {
    // The adapter validated it, but records are stored under its key: an adapter that let a
    // forged key through would make the worker write under another task's key.
    let task: SyncTask;
    try {
      task = parseTask(delivered);
    } catch (error) {
      return this.#invalidTask(delivered, error);
    }
    let written = 0;
    let result: HandlerResult;
    try {
      const sink = this.#sinkOf(task);
      this.#usedSinks.add(sink);
      const pages = this.#client.pages(task.path, { searchParams: task.searchParams ?? {} });
      for await (const page of pages) {
        const items =
          this.#sanitizer === undefined
            ? page.items
            : (this.#sanitizer.sanitize(page.items) as unknown[]);
        const outcome = await sink.upsert(items, {
          key: (record) => recordKey(task, record),
        });
        written += outcome.written;
        this.#stats.recordsWritten += outcome.written;
        this.#stats.recordsSkipped += outcome.skipped;
      }
      result = { type: 'ack' };
      this.#stats.done++;
    } catch (error) {
      result = scrubHandlerResult(resultOfFailure(task, error, this.#retry, this.#random), (text) =>
        this.#client.redact(text),
      );
      if (result.type === 'retry') this.#stats.retried++;
      else this.#stats.deadLettered++;
    }
    this.emit('task', {
      task,
      outcome: result.type,
      written,
      reason: result.type === 'dead-letter' ? result.reason : undefined,
    });
    return result;
  }

  /** Dead-letters a delivered task that is not valid (an adapter that does not validate). */
  #invalidTask(task: SyncTask, error: unknown): HandlerResult {
    const issues = error instanceof CanvasTaskValidationError ? error.issues : [];
    const result = scrubHandlerResult(
      {
        type: 'dead-letter',
        reason: 'invalid-task',
        code: 'TASK_VALIDATION',
        detail: {
          issues: issues.length,
          issue: issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ') || undefined,
        },
      },
      (text) => this.#client.redact(text),
    );
    this.#stats.deadLettered++;
    this.emit('task', { task, outcome: 'dead-letter', written: 0, reason: 'invalid-task' });
    return result;
  }
}

function unsupported(method: OptionalQueueMethod): CanvasUnsupportedError {
  return new CanvasUnsupportedError({ method });
}
