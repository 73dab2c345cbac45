/**
 * Sinks: downstream persistence for synced records, idempotent by key.
 *
 * @module
 */
export type { JsonlFileSinkOptions, JsonlRecovery } from './jsonl-file-sink.js';
export { JsonlFileSink } from './jsonl-file-sink.js';
export { MemorySink } from './memory-sink.js';
export type {
  CanvasSinkErrorOptions,
  Sink,
  SinkUpsertOptions,
  SinkWriteResult,
} from './sink.js';
export { CanvasSinkError } from './sink.js';
