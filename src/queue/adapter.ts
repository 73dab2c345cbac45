/**
 * The `QueueAdapter` contract: what the sync pipeline needs from a broker (in-process memory,
 * BullMQ, RabbitMQ, SQS). A small required core — `enqueue`, `consume`, `close` — and optional
 * capabilities detected by presence (`deadLetters`, `replayDeadLetters`, `stats`), as unstorage
 * does for its drivers. Every adapter runs the shared conformance suite
 * (`runQueueAdapterConformance` from `canvas-sync/testing`).
 *
 * @module
 */
import type { SyncTask } from './task.js';
import type { TaskIssue } from './task-validation-error.js';

/**
 * One delivery of a task to a {@link TaskHandler}.
 * @category Pipeline
 */
export interface TaskDelivery {
  /** The validated task. Its `retries` count the retries before this delivery. */
  task: SyncTask;
  /** The broker's own message (a BullMQ job, an SQS message …), if the adapter exposes it. */
  raw?: unknown;
  /**
   * Which delivery of this task this is, from 1: retries and redeliveries (after a crash, a lost
   * lease) included.
   */
  attempt: number;
}

/**
 * Done: the task is removed from the queue.
 * @category Pipeline
 */
export interface AckResult {
  /** Discriminant: `'ack'`. */
  type: 'ack';
}

/**
 * Deliver the task again later.
 * @category Pipeline
 */
export interface RetryResult {
  /** Discriminant: `'retry'`. */
  type: 'retry';
  /** Wait before the next delivery, in milliseconds. Minimum: 0. */
  delayMs: number;
  /**
   * Whether this retry counts against the task (`attempts.failures + 1`); `false` for waits
   * that are not the task's fault, such as rate limits (`attempts.throttles + 1`), as in BullMQ.
   */
  countsAsFailure: boolean;
  /**
   * Where the next delivery resumes (the path and query of the next page to fetch; see
   * {@link SyncTask.cursor}). Every adapter stores it with the retried task; a retry without one
   * starts the task from its first page.
   */
  cursor?: string | undefined;
}

/**
 * Give up: move the task to the dead-letter queue.
 * @category Pipeline
 */
export interface DeadLetterResult {
  /** Discriminant: `'dead-letter'`. */
  type: 'dead-letter';
  /** Why, as a short machine-readable reason: `'max-attempts'`, `'http-404'` … */
  reason: string;
  /** An error code, e.g. a `CanvasSyncError.code`. */
  code?: string | undefined;
  /** Safe details (status, request context id …); never student data or the token. */
  detail?: Record<string, string | number | undefined> | undefined;
}

/**
 * What a {@link TaskHandler} decides for a delivery.
 * @category Pipeline
 */
export type HandlerResult = AckResult | RetryResult | DeadLetterResult;

/**
 * Processes one delivery and decides its fate. A handler that throws (or resolves to something
 * that is not a {@link HandlerResult}) is treated as `{ type: 'retry', countsAsFailure: true }`
 * after the adapter's handler-error delay (1 s by default, configurable per adapter). Giving up
 * after too many failures is the handler's decision: it sees `task.retries`.
 * @category Pipeline
 */
export type TaskHandler = (delivery: TaskDelivery) => Promise<HandlerResult>;

/**
 * Options of {@link QueueAdapter.enqueue}.
 * @category Pipeline
 */
export interface EnqueueOptions {
  /** Deliver no sooner than this many milliseconds from now. Minimum: 0. @defaultValue 0 */
  delayMs?: number | undefined;
}

/**
 * Options of {@link QueueAdapter.consume}.
 * @category Pipeline
 */
export interface ConsumeOptions {
  /** The most handlers running at once. Minimum: 1. */
  concurrency: number;
}

/**
 * Options of {@link QueueAdapter.close}.
 * @category Pipeline
 */
export interface CloseOptions {
  /**
   * First deliver everything that is ready (queued, not delayed) and wait for it, then close.
   * What each adapter does with delayed tasks is documented on the adapter.
   * @defaultValue false
   */
  drain?: boolean | undefined;
}

/**
 * A task (or malformed payload) that was given up on.
 * @category Pipeline
 */
export interface DeadLetter {
  /** The task, when the payload was valid. */
  task?: SyncTask;
  /**
   * The payload, only when it was not a valid task: as JSON text (or `String()` when not
   * JSON-serializable), scrubbed of secrets (`access_token`/`authorization` values in any case
   * or encoding, `Bearer` credentials, Canvas-token-shaped text, all as `[REDACTED]`; see
   * `rawForDeadLetter`), then truncated to 2 KB (UTF-8).
   */
  raw?: string;
  /** Why: the handler's reason, or `'invalid-task'` for a malformed payload. */
  reason: string;
  /** An error code: the handler's, or `'TASK_VALIDATION'` for a malformed payload. */
  code?: string;
  /** Safe details given by the handler. */
  detail?: Record<string, string | number | undefined>;
  /** For an `'invalid-task'` dead letter: what is wrong with the payload (no values). */
  issues?: TaskIssue[];
  /** Deliveries made, the last one included (0 if the payload was never handed to a handler). */
  attempts: number;
  /** When it was dead-lettered, ISO 8601 UTC. */
  deadAt: string;
}

/**
 * Counts of a queue, from {@link QueueAdapter.stats}.
 * @category Pipeline
 */
export interface QueueStats {
  /** Tasks ready for delivery, not yet taken. */
  queued: number;
  /** Tasks being handled now. */
  inFlight: number;
  /** Tasks in the dead-letter queue. */
  deadLetters: number;
  /** Tasks waiting for their delay (delayed enqueue or retry) to pass. */
  delayed: number;
}

/**
 * What an adapter promises beyond the core contract; the conformance suite tests each claim.
 * @category Pipeline
 */
export interface QueueCapabilities {
  /**
   * At concurrency 1, tasks are delivered in enqueue order (tasks enqueued together keep their
   * array order). Not promised by SQS standard queues, for example.
   */
  fifo?: boolean;
}

/**
 * A task queue the sync pipeline can run on.
 *
 * Semantics every adapter guarantees:
 * - At-least-once: every enqueued task is delivered until its handler acks or dead-letters it.
 *   A task can be delivered more than once (a crash before the ack), so handlers are idempotent
 *   (the task's `key` helps).
 * - Validation: `enqueue` rejects an invalid task with a `CanvasTaskValidationError`; a delivered
 *   payload that is not a valid task is dead-lettered with reason `'invalid-task'` and never
 *   reaches the handler. A task is invalid also when its `key` is not the idempotency key of its
 *   own request (a forged key) or its path holds dot segments.
 * - Dead letters never hold a token: adapters store them through `scrubDeadLetter` (and the raw
 *   text of a malformed payload through `rawForDeadLetter`).
 * - Retries: `{ type: 'retry' }` delivers the task again no sooner than `delayMs` later, with
 *   `attempts.failures` or `attempts.throttles` increased by one. A thrown handler error is a
 *   failure retry after the adapter's handler-error delay.
 * @category Pipeline
 */
export interface QueueAdapter {
  /** What the adapter promises beyond the core contract. */
  readonly capabilities?: QueueCapabilities;
  /**
   * Adds one task, or several (in order), to the queue.
   * @throws CanvasTaskValidationError if a task is invalid (then none of them is enqueued).
   */
  enqueue(tasks: SyncTask | readonly SyncTask[], options?: EnqueueOptions): Promise<void>;
  /** Starts delivering tasks to `handler`; resolves once consuming has started. */
  consume(handler: TaskHandler, options: ConsumeOptions): Promise<void>;
  /**
   * Stops taking new deliveries and waits for the handlers in flight; with `drain: true`, first
   * delivers and waits for everything queued. Idempotent.
   */
  close(options?: CloseOptions): Promise<void>;
  /** The dead-letter queue, oldest first. */
  deadLetters?(): Promise<DeadLetter[]>;
  /**
   * Moves the dead letters that hold a valid task back to the queue (with attempts reset), and
   * returns how many were moved. Malformed payloads stay dead.
   */
  replayDeadLetters?(): Promise<number>;
  /** Current counts. */
  stats?(): Promise<QueueStats>;
}
