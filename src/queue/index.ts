/**
 * `canvas-sync/queue`: what the author of a queue adapter (a broker of their own) needs beyond
 * the contract types of the root entry: validating a delivered payload, reading a handler's
 * result, scheduling a retry, and storing a dead letter scrubbed of secrets. Run
 * `runQueueAdapterConformance` from `canvas-sync/testing/queue` against the adapter.
 *
 * @packageDocumentation
 */
export type {
  AckResult,
  CloseOptions,
  ConsumeOptions,
  DeadLetter,
  DeadLetterResult,
  EnqueueOptions,
  HandlerResult,
  QueueAdapter,
  QueueCapabilities,
  QueueStats,
  RetryResult,
  TaskDelivery,
  TaskHandler,
} from './adapter.js';
export {
  DEFAULT_HANDLER_ERROR_DELAY_MS,
  MAX_DEAD_LETTER_RAW_BYTES,
  rawForDeadLetter,
  readHandlerResult,
  scrubDeadLetter,
  taskForReplay,
  taskForRetry,
} from './delivery.js';
export type { SyncTask, TaskKind } from './task.js';
export { parseTask, taskKinds } from './task.js';
export type { TaskIssue } from './task-validation-error.js';
export { CanvasTaskValidationError } from './task-validation-error.js';
export type { OptionalQueueMethod } from './unsupported-error.js';
export { CanvasUnsupportedError } from './unsupported-error.js';
