/**
 * Sinks: where synced records are kept current (latest version wins, deletions captured as
 * tombstones, sync state beside the records).
 *
 * @module
 */
export type { JsonlChange, JsonlFileSinkOptions, JsonlRecovery } from './jsonl-file-sink.js';
export { JsonlFileSink } from './jsonl-file-sink.js';
export type { MemorySinkOptions } from './memory-sink.js';
export { MemorySink } from './memory-sink.js';
export type {
  CanvasSinkErrorOptions,
  FinishedTask,
  Sink,
  SinkPass,
  SinkPassResult,
  SinkWriteOptions,
  SinkWriteResult,
  StoredRecord,
} from './sink.js';
export { CanvasSinkError } from './sink.js';
