/**
 * canvas-sync: pull data out of Canvas LMS at institution scale, paced by
 * Canvas's own rate-limit headers.
 *
 * @packageDocumentation
 */

export type { ClientStats, PaginateOptions, RequestOptions } from './client/client.js';
export { CanvasSyncClient } from './client/client.js';
export type {
  CanvasSyncClientOptions,
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
export type {
  CanvasAbortErrorOptions,
  CanvasAuthErrorOptions,
  CanvasAuthErrorReason,
  CanvasBodyTooLargeErrorOptions,
  CanvasClientClosedErrorOptions,
  CanvasErrorBody,
  CanvasHttpErrorOptions,
  CanvasNetworkErrorOptions,
  CanvasOptionsErrorOptions,
  CanvasPaginationErrorOptions,
  CanvasPaginationErrorReason,
  CanvasRateLimitErrorOptions,
  CanvasRedirectErrorOptions,
  CanvasRedirectErrorReason,
  CanvasResponseErrorOptions,
  CanvasSyncErrorCode,
  CanvasSyncErrorJSON,
  CanvasSyncErrorOptions,
  CanvasTimeoutErrorOptions,
  CanvasTokenErrorOptions,
  CanvasTokenErrorReason,
  OptionsIssue,
  RequestErrorContext,
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
  extractCanvasErrorMessages,
} from './errors/index.js';
export type { CanvasLinkRel, LinkRels } from './http/link-header.js';
export { parseLinkHeader } from './http/link-header.js';
export type { CanvasPage } from './http/paginator.js';
export type { RateLimitHeaders } from './http/rate-limit-headers.js';
export { parseCanvasFloat, parseRateLimitHeaders } from './http/rate-limit-headers.js';
export type { CanvasResponse } from './http/response.js';
export type { SearchParamsInput, SearchParamValue } from './http/urls.js';
export type { DedupeOptions, IdempotencyRequest } from './idempotency/index.js';
export { canonicalRequest, dedupe, idempotencyKey } from './idempotency/index.js';
export type { BucketEstimate } from './pacing/bucket-model.js';
export type { PacingOptions, ResolvedPacingOptions } from './pacing/canvas-pacer.js';
export { defaultPacingOptions } from './pacing/canvas-pacer.js';
export type { PacingAnomaly, RateLimitHeaderName } from './pacing/pacing-anomaly.js';
export type {
  CanvasSanitizeErrorOptions,
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
  EMAIL_MARKER,
  FerpaSanitizer,
  MIN_KEY_BYTES,
  personMarkerFields,
  personObjectKeys,
  piiActions,
  piiCatalog,
  REDACTED,
  renderPiiCatalogMarkdown,
} from './privacy/index.js';
export type {
  CourseRef,
  CourseScope,
  EngagementCrawlerOptions,
  GradeExporterOptions,
  ListCoursesOptions,
  PageViewWindow,
  PlanContext,
  PlanFailure,
  PlanRetry,
  Producer,
  ProducerProgress,
  RosterScannerOptions,
  RunProducersOptions,
} from './producers/index.js';
export {
  defaultPlanRetry,
  engagementCrawler,
  gradeExporter,
  listCourses,
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
export {
  DEFAULT_HANDLER_ERROR_DELAY_MS,
  MAX_DEAD_LETTER_RAW_BYTES,
  rawForDeadLetter,
  readHandlerResult,
  taskForRetry,
} from './queue/delivery.js';
export type { MemoryQueueAdapterOptions } from './queue/memory-adapter.js';
export { MemoryQueueAdapter } from './queue/memory-adapter.js';
export type { CreateTaskInput, SyncTask, TaskKind } from './queue/task.js';
export { createTask, parseTask, syncTaskSchema, taskKinds } from './queue/task.js';
export type { TaskIssue, TaskValidationErrorOptions } from './queue/task-validation-error.js';
export { TaskValidationError } from './queue/task-validation-error.js';
export type { Outcome, RetryDecision, RetryInput, RetryOptions } from './retry/retry-policy.js';
export {
  backoffDelay,
  classifyStatus,
  decideRetry,
  defaultRetryOptions,
  IDEMPOTENT_METHODS,
  isThrottleResponse,
  parseRetryAfter,
} from './retry/retry-policy.js';
export type {
  CanvasSinkClosedErrorOptions,
  JsonlFileSinkOptions,
  JsonlRecovery,
  Sink,
  SinkUpsertOptions,
  SinkWriteResult,
} from './sink/index.js';
export { CanvasSinkClosedError, JsonlFileSink, MemorySink } from './sink/index.js';
export type { TaskRetryPolicy } from './worker/outcome.js';
export { defaultTaskRetryPolicy, outcomeOfFailure } from './worker/outcome.js';
export type {
  SyncWorkerEvents,
  SyncWorkerOptions,
  SyncWorkerStats,
  TaskEvent,
} from './worker/sync-worker.js';
export { recordKey, SyncWorker } from './worker/sync-worker.js';
