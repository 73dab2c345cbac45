/**
 * The {@link Sink} contract: where synced records are persisted, at most once per key.
 *
 * @module
 */
import { CanvasOptionsError, CanvasSyncError } from '../errors/index.js';
import { scrubSecretText } from '../errors/secret-patterns.js';

/**
 * Options of {@link Sink.upsert}.
 * @category Sinks
 */
export interface SinkUpsertOptions<T> {
  /**
   * The key of a record, e.g. `(user) => String(user.id)`. Must return a non-empty string. Called
   * once per record, when `upsert` is called.
   */
  key: (record: T) => string;
}

/**
 * What one {@link Sink.upsert} call did.
 * @category Sinks
 */
export interface SinkWriteResult {
  /** Records written (their key was new). */
  written: number;
  /** Records skipped because their key was already stored, or repeated earlier in the batch. */
  skipped: number;
}

/**
 * Downstream persistence for synced records, idempotent by key: insert-if-absent.
 *
 * - `upsert` stores each record whose key the sink has not stored yet and skips the others, even
 *   if their content differs: the first write of a key wins, and no key is ever written twice
 *   (a re-run or a retried batch is harmless). Within one batch, the first record of a key wins.
 *   To store a changed version of a record, make the version part of the key (e.g.
 *   `${id}:${updated_at}`) or write to a new sink per run.
 * - A batch is validated whole before anything is written: if `key` throws or returns a
 *   non-string for any record, nothing of the batch is written.
 * - Concurrent `upsert` calls are applied one after the other, in call order.
 * - `close()` waits for pending writes, makes them durable where the sink can, and releases
 *   resources. It is idempotent: later calls return the same promise. After `close()` is called,
 *   `upsert` rejects with a {@link CanvasSinkError} (`SINK_CLOSED`).
 * - `flush()`, where offered, waits for pending writes and makes them durable without closing.
 * @category Sinks
 */
export interface Sink<T> {
  /** Stores the records whose key is new; see {@link Sink}. */
  upsert(records: readonly T[], options: SinkUpsertOptions<T>): Promise<SinkWriteResult>;
  /** Waits for pending writes and makes them durable, without closing. */
  flush?(): Promise<void>;
  /** Waits for pending writes, makes them durable and releases resources; idempotent. */
  close(): Promise<void>;
}

/** Options of the {@link CanvasSinkError} constructor. */
export type CanvasSinkErrorOptions =
  | {
      /** The sink was closed and refused records. */
      code: 'SINK_CLOSED';
      /** The sink, e.g. `'JsonlFileSink'`. */
      sink: string;
    }
  | {
      /** The sink's file holds a complete line that is not a sink line. */
      code: 'SINK_CORRUPT';
      /** The sink, e.g. `'JsonlFileSink'`. */
      sink: string;
      /** The file (configuration, not data); token-shaped parts are redacted. */
      path: string;
      /** The number (from 1) of the first line that is not a sink line. */
      line: number;
    };

/**
 * A {@link Sink} refused to work: `SINK_CLOSED`, it was closed and accepts no more records;
 * `SINK_CORRUPT`, the file it was opened on holds a complete line that is not a sink line (the
 * error names the file and the line number, never the line's content). Switch on
 * {@link CanvasSinkError.code}.
 * @category Errors
 */
export class CanvasSinkError extends CanvasSyncError {
  override readonly name = 'CanvasSinkError';
  /** `SINK_CLOSED` or `SINK_CORRUPT`. */
  declare readonly code: 'SINK_CLOSED' | 'SINK_CORRUPT';
  /** The sink, e.g. `'JsonlFileSink'`. */
  readonly sink: string;
  /** For `SINK_CORRUPT`: the file, token-shaped parts redacted; absent otherwise. */
  declare readonly path?: string;
  /** For `SINK_CORRUPT`: the number (from 1) of the first corrupt line; absent otherwise. */
  declare readonly line?: number;

  constructor(options: CanvasSinkErrorOptions) {
    super({ code: options.code, message: describeSinkError(options) });
    this.sink = options.sink;
    if (options.code === 'SINK_CORRUPT') {
      this.path = scrubSecretText(options.path);
      this.line = options.line;
    }
  }
}

function describeSinkError(options: CanvasSinkErrorOptions): string {
  if (options.code === 'SINK_CLOSED') {
    return `The ${options.sink} is closed and accepts no more records`;
  }
  return `The ${options.sink} file ${options.path} is corrupt: line ${options.line} is not a sink line (expected {"key": non-empty string, "record": …})`;
}

/**
 * Validates the arguments of `upsert` and computes the key of every record.
 *
 * @throws CanvasOptionsError naming the sink and the record's position (never its content).
 * @internal
 */
export function batchKeys<T>(
  sink: string,
  records: readonly T[],
  options: SinkUpsertOptions<T>,
): string[] {
  if (!Array.isArray(records)) throw sinkInvalid(sink, 'records', 'Expected an array of records');
  const keyOf: unknown = options?.key;
  if (typeof keyOf !== 'function') throw sinkInvalid(sink, 'options.key', 'Expected a function');
  return records.map((record, index) => {
    const key: unknown = (keyOf as (record: T) => unknown)(record);
    if (typeof key !== 'string' || key === '') {
      const got = key === '' ? 'an empty string' : key === null ? 'null' : typeof key;
      throw sinkInvalid(
        sink,
        `records[${index}]`,
        `options.key returned ${got}; expected a non-empty string`,
      );
    }
    return key;
  });
}

/** @internal */
export function sinkInvalid(sink: string, path: string, message: string): CanvasOptionsError {
  return new CanvasOptionsError({ what: `${sink} input`, issues: [{ path, message }] });
}
