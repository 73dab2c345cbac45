/**
 * canvas-sync: pull data out of Canvas LMS at institution scale, paced by
 * Canvas's own rate-limit headers.
 *
 * The root entry holds what a user of the client, the sanitizer, the pipeline and the sinks
 * needs. Adapter authors find the delivery helpers in `canvas-sync/queue`; the simulator is
 * `canvas-sync/testing`, the adapter conformance suite `canvas-sync/testing/queue`.
 *
 * @packageDocumentation
 */

// Client
export type { ClientStats, PaginateOptions, RequestOptions } from './client/client.js';
export { CanvasSyncClient } from './client/client.js';
export type {
  CanvasSyncClientOptions,
  ClientClock,
  FetchLike,
  ResponseSanitizer,
} from './client/client-options.js';
export type {
  CanvasSyncEvents,
  PacedEvent,
  RequestEvent,
  ResponseEvent,
  RetryEvent,
  ThrottledEvent,
  TokenRefreshedEvent,
} from './client/events.js';
export type { RefreshTokenProviderOptions } from './client/refresh-token-provider.js';
export { refreshTokenProvider } from './client/refresh-token-provider.js';
export type { TokenProvider } from './client/token-source.js';
// Errors
export type {
  CanvasAuthErrorReason,
  CanvasErrorBody,
  CanvasPaginationErrorReason,
  CanvasRedirectErrorReason,
  CanvasSyncErrorCode,
  CanvasSyncErrorJSON,
  CanvasTokenErrorReason,
  OptionsIssue,
  SanitizedError,
} from './errors/index.js';
export {
  CanvasAbortError,
  CanvasAuthError,
  CanvasBodyTooLargeError,
  CanvasClientClosedError,
  CanvasHttpError,
  CanvasNetworkError,
  CanvasOptionsError,
  CanvasPaginationError,
  CanvasRateLimitError,
  CanvasRedirectError,
  CanvasRequestError,
  CanvasResponseError,
  CanvasSyncError,
  CanvasTimeoutError,
  CanvasTokenError,
} from './errors/index.js';
export type { CanvasLinkRel, LinkRels } from './http/link-header.js';
export type { CanvasPage } from './http/paginator.js';
export type { CanvasResponse } from './http/response.js';
export type { SearchParamsInput, SearchParamValue } from './http/urls.js';
// Privacy and idempotency
export type { DedupeOptions, IdempotencyRequest } from './idempotency/index.js';
export { canonicalRequest, dedupe, idempotencyKey } from './idempotency/index.js';
export type { BucketEstimate } from './pacing/bucket-model.js';
export type { PacingOptions } from './pacing/canvas-pacer.js';
export type {
  FleetEvent,
  FleetMode,
  FleetPacingOptions,
  FleetSnapshot,
  RedisClientLike,
} from './pacing/fleet-budget.js';
export type { PacingAnomaly, RateLimitHeaderName } from './pacing/pacing-anomaly.js';
export type { TransitEstimate } from './pacing/transit-estimator.js';
export type {
  FerpaSanitizerOptions,
  FreeTextPolicy,
  PiiAction,
  PiiCategory,
  PiiFieldEntry,
  PiiObjectType,
  SanitizeFailureReason,
} from './privacy/index.js';
export {
  CanvasSanitizeError,
  FerpaSanitizer,
  piiCatalog,
  renderPiiCatalogMarkdown,
} from './privacy/index.js';
// Pipeline
export type {
  CourseRef,
  CourseScope,
  EngagementCrawlerOptions,
  GradeExporterOptions,
  PageViewWindow,
  PlanContext,
  PlanFailure,
  PlanRetry,
  Producer,
  ProducerProgress,
  RosterScannerOptions,
  RunProducersOptions,
  SyncState,
} from './producers/index.js';
export {
  engagementCrawler,
  gradeExporter,
  rosterScanner,
  runProducers,
} from './producers/index.js';
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
} from './queue/adapter.js';
export type { MemoryQueueAdapterOptions } from './queue/memory-adapter.js';
export { MemoryQueueAdapter } from './queue/memory-adapter.js';
export type { CreateTaskInput, SyncTask, TaskKind } from './queue/task.js';
export { createTask } from './queue/task.js';
export type { TaskIssue } from './queue/task-validation-error.js';
export { CanvasTaskValidationError } from './queue/task-validation-error.js';
export type { RetryOptions } from './retry/retry-policy.js';
// Sinks
export type {
  FinishedTask,
  JsonlChange,
  JsonlFileSinkOptions,
  JsonlRecovery,
  MemorySinkOptions,
  Sink,
  SinkPass,
  SinkPassResult,
  SinkWriteOptions,
  SinkWriteResult,
  StoredRecord,
} from './sink/index.js';
export { CanvasSinkError, JsonlFileSink, MemorySink } from './sink/index.js';
export type { TaskRetryPolicy } from './worker/outcome.js';
export type {
  RecordCounts,
  SyncWorkerEvents,
  SyncWorkerOptions,
  SyncWorkerStats,
  TaskEvent,
} from './worker/sync-worker.js';
export { SyncWorker } from './worker/sync-worker.js';
