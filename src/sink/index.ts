/**
 * Sinks: downstream persistence for synced records, idempotent by key.
 *
 * @module
 */
export type { JsonlFileSinkOptions, JsonlRecovery } from './jsonl-file-sink.js';
export { JsonlFileSink } from './jsonl-file-sink.js';
export { MemorySink } from './memory-sink.js';
export type {
  CanvasSinkClosedErrorOptions,
  Sink,
  SinkUpsertOptions,
  SinkWriteResult,
} from './sink.js';
export { CanvasSinkClosedError } from './sink.js';
