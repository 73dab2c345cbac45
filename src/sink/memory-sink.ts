/**
 * {@link MemorySink}: a {@link Sink} that keeps records in memory, for tests and small jobs.
 *
 * @module
 */
import {
  batchKeys,
  CanvasSinkError,
  type Sink,
  type SinkUpsertOptions,
  type SinkWriteResult,
} from './sink.js';

/**
 * A {@link Sink} that keeps records in a `Map` by key, in first-write order. Same semantics as
 * every sink: insert-if-absent, a key already stored is skipped (its record is not replaced).
 * Records are stored by reference, not copied.
 *
 * After {@link MemorySink.close}, `upsert` rejects but the stored records can still be read.
 *
 * @example
 * ```ts
 * const sink = new MemorySink<{ id: number }>();
 * await sink.upsert([{ id: 1 }, { id: 1 }], { key: (r) => String(r.id) }); // { written: 1, skipped: 1 }
 * sink.records(); // [{ id: 1 }]
 * ```
 * @category Sinks
 */
export class MemorySink<T> implements Sink<T> {
  readonly #records = new Map<string, T>();
  #closed = false;

  /** Number of records (keys) stored. */
  get size(): number {
    return this.#records.size;
  }

  /** Whether {@link MemorySink.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The stored records, in the order they were first written. */
  records(): T[] {
    return [...this.#records.values()];
  }

  /** The stored keys, in the order they were first written. */
  keys(): string[] {
    return [...this.#records.keys()];
  }

  /** Whether a record with this key is stored. */
  has(key: string): boolean {
    return this.#records.has(key);
  }

  /** The record stored under this key, if any. */
  get(key: string): T | undefined {
    return this.#records.get(key);
  }

  /** Stores the records whose key is new; see {@link Sink}. */
  async upsert(records: readonly T[], options: SinkUpsertOptions<T>): Promise<SinkWriteResult> {
    if (this.#closed) throw new CanvasSinkError({ code: 'SINK_CLOSED', sink: 'MemorySink' });
    const keys = batchKeys('MemorySink', records, options);
    let written = 0;
    keys.forEach((key, index) => {
      if (this.#records.has(key)) return;
      this.#records.set(key, records[index] as T);
      written++;
    });
    return { written, skipped: keys.length - written };
  }

  /** Nothing to flush: resolves at once. */
  async flush(): Promise<void> {}

  /** Refuses further writes; idempotent. The records stay readable. */
  async close(): Promise<void> {
    this.#closed = true;
  }
}
