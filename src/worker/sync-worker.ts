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
import { recordKey, recordKindOf, scopeOf, streamOf } from './record-keys.js';
import { cursorOf, resumeResult } from './resume-cursor.js';

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
   * Where the records go, keyed by kind and Canvas id (`course.enrollments:500001`): one sink,
   * or a function that picks the sink of a task (e.g. one file per `task.kind`). The worker
   * flushes every sink it used on `close()`; closing them is the caller's.
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
  /** The time of finished tasks and watermarks. @defaultValue `() => new Date()` */
  now?: () => Date;
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
  /** What this delivery of the task did to the sink (also when it then failed). */
  readonly records: RecordCounts;
  /** Dead-letter reason, when dead-lettered. */
  readonly reason?: string | undefined;
}

/**
 * What tasks did to the sink: records inserted (new keys), updated (another version, or back
 * after a tombstone), unchanged (the same version) and deleted (tombstoned by a completed pass:
 * gone from Canvas).
 * @category Pipeline
 */
export interface RecordCounts {
  /** Records whose key was new. */
  readonly inserted: number;
  /** Records stored under another version and replaced, or restored after a tombstone. */
  readonly updated: number;
  /** Records stored under the same version, left alone. */
  readonly unchanged: number;
  /** Stored records the task's full pass no longer saw: tombstoned. */
  readonly deleted: number;
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
  /**
   * What every write did to the sinks, all kinds together, whatever the task's end: a task
   * retried after writing some pages finds them unchanged, so `inserted + updated` counts each
   * change once.
   */
  readonly records: RecordCounts;
  /** The same, by kind of record (`course.submissions` tasks count as `assignment.submissions`). */
  readonly byKind: Readonly<Record<string, RecordCounts>>;
  /** Requests the client has sent (its `stats().requests`; producers sharing it included). */
  readonly requests: number;
  /** Responses that were throttles (the client's `stats().throttled`). */
  readonly throttled: number;
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
  sink: z.union([z.function(), hasMethod('write', 'must be a Sink')], {
    error: 'must be a Sink or a function returning one',
  }),
  sanitizer: hasMethod('sanitize', 'must have a sanitize(value) method').optional(),
  now: z.function().optional(),
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
 * Takes tasks from a queue, fetches every page of each task's collection through the client,
 * sanitizes them, writes them to the sink and acknowledges; retries what is transient and
 * dead-letters what cannot succeed, with a reason and safe details (status, request context
 * id), never a body.
 *
 * Records are keyed by kind and Canvas id (`course.enrollments:500001`) and versioned by
 * content, so a redelivered or re-run task stores nothing twice and a changed record is
 * updated. A task that reads its whole collection (no `graded_since`, `submitted_since`,
 * `start_time` or `end_time`) is a full pass over its scope (kind and path): once every page is
 * stored, the sink tombstones the records of the scope it no longer saw (deleted in Canvas). A
 * filtered or windowed task, or one that fails part-way, retires nothing. Each task that ends
 * done is recorded in the sink with its watermark (see `FinishedTask`), for the next
 * incremental run.
 *
 * @example
 * ```ts
 * const worker = new SyncWorker({
 *   client: canvas, // a CanvasSyncClient, with `sanitizer: new FerpaSanitizer({ key, keyId })`
 *   queue, // any QueueAdapter, e.g. new MemoryQueueAdapter()
 *   sink: await SqliteSink.open({ path: 'out/canvas-sync.db' }), // or (task) => a sink per kind
 * });
 * worker.on('task', ({ task, outcome, reason }) => log.info({ kind: task.kind, outcome, reason }));
 * await worker.start();
 * // … producers enqueue tasks …
 * await worker.idle(); // nothing queued, delayed or in flight any more
 * await worker.close({ drain: true }); // flushes the sinks
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
  readonly #now: () => Date;
  #stats = { done: 0, retried: 0, deadLettered: 0 };
  #records = emptyCounts();
  readonly #byKind = new Map<string, RecordCounts>();
  /** Tasks in hand. */
  #active = 0;
  /** Woken when a task ends, for {@link SyncWorker.idle}. */
  readonly #idleWaiters = new Set<() => void>();

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
    this.#now = options.now ?? (() => new Date());
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
    return {
      ...this.#stats,
      records: this.#records,
      byKind: Object.fromEntries(this.#byKind),
      requests,
      throttled,
    };
  }

  /**
   * Resolves once the queue has no task queued, delayed or in flight, and this worker has none
   * in hand: the queue's own counts (`QueueAdapter.stats`), so it also works when producers and
   * other workers run elsewhere. Checked when a task of this worker ends, and every `pollMs`.
   * Await it after the producers have enqueued everything, then `close()`.
   *
   * @param options - `pollMs`: how often to ask the queue when no task of this worker ends
   *   (other workers may be finishing the last ones), in ms, @defaultValue 1000; `signal`: stops
   *   waiting (rejects with its reason).
   * @throws CanvasUnsupportedError (`UNSUPPORTED`) when the queue adapter has no `stats()`.
   */
  async idle(options: { pollMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const queue = this.#queue;
    if (queue.stats === undefined) throw unsupported('stats');
    const pollMs = options.pollMs ?? 1_000;
    const { signal } = options;
    for (;;) {
      signal?.throwIfAborted();
      const stats = await queue.stats();
      if (this.#active === 0 && stats.queued + stats.delayed + stats.inFlight === 0) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', wake);
          this.#idleWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, pollMs);
        signal?.addEventListener('abort', wake, { once: true });
        this.#idleWaiters.add(wake);
      });
    }
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
    this.#active++;
    const counts = { ...emptyCounts() };
    let result: HandlerResult;
    // The cursor of the first page not yet written: a retry resumes there.
    let resumeAt = task.cursor;
    try {
      const sink = this.#sinkOf(task);
      this.#usedSinks.add(sink);
      const startedAt = this.#now().toISOString();
      const scope = scopeOf(task);
      const { stream, windowEnd } = streamOf(task);
      const pass = stream === 'full' ? await sink.beginPass(scope) : undefined;
      // A retry with a cursor resumes at the page where the last delivery stopped, inside the
      // same pass (`beginPass` returns the one still open), so no record is seen twice nor missed.
      const pages =
        task.cursor === undefined
          ? this.#client.pages(task.path, { searchParams: task.searchParams ?? {} })
          : this.#client.pages(task.cursor);
      for await (const page of pages) {
        resumeAt = cursorOf(task, page.url) ?? resumeAt;
        const items =
          this.#sanitizer === undefined
            ? page.items
            : (this.#sanitizer.sanitize(page.items) as unknown[]);
        const written = await sink.write(items, {
          key: (record) => recordKey(task, record),
          kind: recordKindOf(task.kind),
          scope,
          pass,
        });
        // Counted as written, whatever the task's end: a retry then finds these unchanged.
        const delta = { ...written, deleted: 0 };
        this.#count(recordKindOf(task.kind), delta);
        Object.assign(counts, sum(counts, delta));
        const next = page.links.next;
        if (next !== undefined) resumeAt = cursorOf(task, new URL(next, page.url).toString());
      }
      if (pass !== undefined) {
        const delta = { inserted: 0, updated: 0, unchanged: 0, ...(await sink.completePass(pass)) };
        this.#count(recordKindOf(task.kind), delta);
        Object.assign(counts, sum(counts, delta));
      }
      await sink.finishTask({
        key: task.key,
        kind: task.kind,
        scope,
        stream,
        // The next incremental task starts where this one did (or at its window's end): what
        // changed while it ran is read again, never missed.
        mark: windowEnd ?? startedAt,
        finishedAt: this.#now().toISOString(),
      });
      result = { type: 'ack' };
      this.#stats.done++;
    } catch (error) {
      const failed = resumeResult(
        resultOfFailure(task, error, this.#retry, this.#random),
        error,
        resumeAt,
      );
      result = scrubHandlerResult(failed, (text) => this.#client.redact(text));
      if (result.type === 'retry') this.#stats.retried++;
      else this.#stats.deadLettered++;
    } finally {
      this.#active--;
    }
    this.emit('task', {
      task,
      outcome: result.type,
      records: counts,
      reason: result.type === 'dead-letter' ? result.reason : undefined,
    });
    // After the queue has taken the result (an in-process queue acknowledges in the same turn).
    setImmediate(() => {
      for (const wake of [...this.#idleWaiters]) wake();
    });
    return result;
  }

  #count(kind: string, counts: RecordCounts): void {
    this.#records = sum(this.#records, counts);
    this.#byKind.set(kind, sum(this.#byKind.get(kind) ?? emptyCounts(), counts));
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
    this.emit('task', {
      task,
      outcome: 'dead-letter',
      records: emptyCounts(),
      reason: 'invalid-task',
    });
    return result;
  }
}

function unsupported(method: OptionalQueueMethod): CanvasUnsupportedError {
  return new CanvasUnsupportedError({ method });
}

function emptyCounts(): { inserted: number; updated: number; unchanged: number; deleted: number } {
  return { inserted: 0, updated: 0, unchanged: 0, deleted: 0 };
}

function sum(a: RecordCounts, b: RecordCounts): RecordCounts {
  return {
    inserted: a.inserted + b.inserted,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    deleted: a.deleted + b.deleted,
  };
}
