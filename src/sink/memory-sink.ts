/**
 * {@link MemorySink}: a {@link Sink} that keeps records in memory, for tests and small jobs.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  CanvasSinkError,
  checkFinishedTask,
  checkPass,
  checkScope,
  type FinishedTask,
  prepareBatch,
  type Sink,
  type SinkPass,
  type SinkPassResult,
  type SinkWriteOptions,
  type SinkWriteResult,
  type StoredRecord,
} from './sink.js';

/**
 * Options of {@link MemorySink}.
 * @category Sinks
 */
export interface MemorySinkOptions {
  /** The time stamps of records and passes. @defaultValue `() => new Date()` */
  now?: (() => Date) | undefined;
}

/**
 * A {@link Sink} that keeps records in a `Map` by key, in first-write order, with the same
 * semantics as every sink (latest version wins, passes and tombstones, finished tasks). Records
 * are stored by reference, not copied. After {@link MemorySink.close}, the `Sink` methods
 * reject but what is stored can still be read with `records()`, `stored()` and `keys()`.
 *
 * @example
 * ```ts
 * const sink = new MemorySink<{ id: number; name: string }>();
 * const key = (r: { id: number }) => `users:${r.id}`;
 * await sink.write([{ id: 1, name: 'A' }], { key }); // { inserted: 1, updated: 0, unchanged: 0 }
 * await sink.write([{ id: 1, name: 'B' }], { key }); // { inserted: 0, updated: 1, unchanged: 0 }
 * sink.records(); // [{ id: 1, name: 'B' }]
 * ```
 * @category Sinks
 */
export class MemorySink<T> implements Sink<T> {
  readonly #records = new Map<string, StoredRecord<T>>();
  readonly #passes = new Map<string, SinkPass>();
  readonly #finished = new Map<string, FinishedTask>();
  readonly #now: () => Date;
  #closed = false;

  /** @param options - See {@link MemorySinkOptions}. */
  constructor(options: MemorySinkOptions = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  /** Number of records (keys) stored, tombstoned ones included. */
  get size(): number {
    return this.#records.size;
  }

  /** Whether {@link MemorySink.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The live records (not tombstoned), in the order they were first written. */
  records(): T[] {
    return this.stored()
      .filter((stored) => stored.deletedAt === undefined)
      .map((stored) => stored.record);
  }

  /** Every stored record with its metadata, tombstoned ones included, in first-write order. */
  stored(): StoredRecord<T>[] {
    return [...this.#records.values()];
  }

  /** The stored keys, tombstoned ones included, in the order they were first written. */
  keys(): string[] {
    return [...this.#records.keys()];
  }

  /** Whether a record with this key is stored (tombstoned or not). */
  has(key: string): boolean {
    return this.#records.has(key);
  }

  /** Stores a batch of records; see {@link Sink}. */
  async write(records: readonly T[], options: SinkWriteOptions<T>): Promise<SinkWriteResult> {
    this.#open();
    const batch = prepareBatch('MemorySink', records, options);
    const at = this.#now().toISOString();
    const result = { inserted: 0, updated: 0, unchanged: 0 };
    for (const { key, version, record, repeated } of batch.records) {
      const stored = this.#records.get(key);
      const pass = batch.pass?.id ?? stored?.pass;
      if (repeated) {
        result.unchanged++;
      } else if (stored === undefined) {
        result.inserted++;
        this.#records.set(key, {
          key,
          kind: batch.kind,
          scope: batch.scope,
          version,
          record,
          firstSeenAt: at,
          lastSeenAt: at,
          pass,
          deletedAt: undefined,
        });
      } else if (stored.version !== version || stored.deletedAt !== undefined) {
        result.updated++;
        this.#records.set(key, {
          ...stored,
          kind: batch.kind,
          scope: batch.scope ?? stored.scope,
          version,
          record,
          lastSeenAt: at,
          pass,
          deletedAt: undefined,
        });
      } else {
        result.unchanged++;
        this.#records.set(key, {
          ...stored,
          scope: batch.scope ?? stored.scope,
          lastSeenAt: at,
          pass,
        });
      }
    }
    return result;
  }

  /** The record stored under `key` (tombstoned ones included), if any. */
  async get(key: string): Promise<StoredRecord<T> | undefined> {
    this.#open();
    return this.#records.get(key);
  }

  /** Opens a full pass over `scope`, or returns the pass already open for it. */
  async beginPass(scope: string): Promise<SinkPass> {
    this.#open();
    checkScope('MemorySink', scope);
    const open = this.#passes.get(scope);
    if (open !== undefined) return open;
    const pass = { scope, id: randomUUID(), startedAt: this.#now().toISOString() };
    this.#passes.set(scope, pass);
    return pass;
  }

  /** Tombstones the live records of the pass's scope it did not see, and closes it. */
  async completePass(pass: SinkPass): Promise<SinkPassResult> {
    this.#open();
    checkPass('MemorySink', pass);
    if (this.#passes.get(pass.scope)?.id !== pass.id) return { deleted: 0 };
    this.#passes.delete(pass.scope);
    const at = this.#now().toISOString();
    let deleted = 0;
    for (const [key, stored] of this.#records) {
      if (
        stored.scope !== pass.scope ||
        stored.deletedAt !== undefined ||
        stored.pass === pass.id
      ) {
        continue;
      }
      this.#records.set(key, { ...stored, deletedAt: at });
      deleted++;
    }
    return { deleted };
  }

  /** Records a finished task; a later record of the same key replaces it. */
  async finishTask(task: FinishedTask): Promise<void> {
    this.#open();
    const copy = checkFinishedTask('MemorySink', task);
    this.#finished.set(copy.key, copy);
  }

  /** The finished task of `scope` and `stream` with the latest `mark`, if any. */
  async lastFinished(scope: string, stream: string): Promise<FinishedTask | undefined> {
    this.#open();
    let last: FinishedTask | undefined;
    for (const task of this.#finished.values()) {
      if (task.scope !== scope || task.stream !== stream) continue;
      if (last === undefined || task.mark > last.mark) last = task;
    }
    return last;
  }

  /** Nothing to flush: resolves at once. */
  async flush(): Promise<void> {}

  /**
   * Refuses further calls; idempotent. What is stored stays readable through
   * {@link MemorySink.records}, {@link MemorySink.stored} and {@link MemorySink.keys}.
   */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new CanvasSinkError({ code: 'SINK_CLOSED', sink: 'MemorySink' });
  }
}
