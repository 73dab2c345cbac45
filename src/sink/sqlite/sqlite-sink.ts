/**
 * {@link SqliteSink}: a {@link Sink} on one SQLite database file (through `@libsql/client`), the
 * default output of the `canvas-sync` command: a warehouse table kept current, queryable with any
 * SQLite tool.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Client, createClient, type InStatement, type Transaction } from '@libsql/client';
import { parseOptions } from '../../errors/index.js';
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
  sinkInvalid,
} from '../sink.js';
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  optionsSchema,
  SINK,
  type SqliteSinkOptions,
} from './sqlite-options.js';
import { RECORD_COLUMNS, text, toStoredRecord, writeBatch } from './sqlite-rows.js';
import { prepareSchema, SCHEMA_VERSION } from './sqlite-schema.js';

/**
 * A {@link Sink} that keeps records in one SQLite database file, with the semantics every sink
 * has (latest version wins, passes and tombstones, finished tasks; see {@link Sink}).
 *
 * **Tables** (created on first open, prefixed `canvas_sync_`, so the file can hold other tables):
 *
 * - `canvas_sync_records(key TEXT PRIMARY KEY, kind, scope, version, record, first_seen_at,
 *   last_seen_at, pass, deleted_at)`: one row per key, all kinds in one table (a key is unique
 *   across kinds, and a pass's scope may be read by any kind). `record` is the record's JSON
 *   (`JSON.stringify`, so `get` returns what `JSON.parse` gives back: a `Date` comes back as a
 *   string, `undefined` fields are dropped); read it with `json_extract(record, '$.name')`.
 *   `deleted_at` is the tombstone (`NULL` while the record exists); the rowid gives first-write
 *   order. Indexed on `(scope, deleted_at, pass)` and on `kind`. The live rows of one kind:
 *   `SELECT … FROM canvas_sync_records WHERE kind = 'course.enrollments' AND deleted_at IS NULL`
 *   (a view per kind is a good idea).
 * - `canvas_sync_passes(scope PRIMARY KEY, id, started_at)`: the open passes.
 * - `canvas_sync_tasks(key PRIMARY KEY, kind, scope, stream, mark, finished_at)`: finished
 *   tasks, indexed on `(scope, stream, mark)` for `lastFinished`.
 * - `canvas_sync_meta(name PRIMARY KEY, value)`: `schema_version` (1). A database with an older
 *   version is migrated when opened; one with a newer version is refused.
 *
 * **Transactions.** Each call is one transaction (`BEGIN IMMEDIATE`): a `write` reads the stored
 * versions of the batch's keys and writes in the same transaction, so its counts are exact and a
 * batch is stored whole or not at all. Calls run one at a time in call order. Several processes
 * may open the same file: SQLite serializes their writes (see `busyTimeoutMs`). Memory does not
 * grow with what was synced: nothing about the stored records is kept in memory.
 *
 * **Durability.** The database is in write-ahead-log mode (`journal_mode = WAL`). A call that
 * resolved survives a crash of the process (`kill -9`): its transaction is in the log, and the
 * next open recovers it; one that did not resolve is stored whole or not at all. A power loss or
 * an OS crash can lose the calls made since the log was last synced to disk (whole calls, the
 * latest ones; the file stays consistent), unless `durable: true`. The log is synced by
 * `flush()`, `close()` and SQLite's automatic checkpoints (about every 4 MB of changes): what
 * was written before them survives a power loss too.
 *
 * @example
 * ```ts
 * import { SqliteSink } from 'canvas-sync/sinks/sqlite';
 *
 * const sink = await SqliteSink.open({ path: 'warehouse/canvas.db' });
 * try {
 *   const pass = await sink.beginPass('users:/api/v1/courses/42/users');
 *   for await (const page of canvas.pages('/api/v1/courses/42/users')) {
 *     await sink.write(page.items, { key: (u) => `users:${u.id}`, kind: 'users', pass });
 *   }
 *   await sink.completePass(pass); // tombstones the users that are gone
 * } finally {
 *   await sink.close();
 * }
 * ```
 * @category Sinks
 */
export class SqliteSink<T> implements Sink<T> {
  /** The schema version this sink reads and writes (`schema_version` in `canvas_sync_meta`). */
  static readonly schemaVersion: number = SCHEMA_VERSION;
  /** The absolute path of the database file. */
  readonly path: string;
  readonly #client: Client;
  readonly #now: () => Date;
  readonly #durable: boolean;
  /** Calls run one after the other on this chain; it never rejects. */
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(init: { path: string; client: Client; now: () => Date; durable: boolean }) {
    this.path = init.path;
    this.#client = init.client;
    this.#now = init.now;
    this.#durable = init.durable;
  }

  /**
   * Opens (creating it, its parent directories and its tables if needed) a SQLite sink database,
   * and checks its schema version.
   *
   * @param options - See {@link SqliteSinkOptions}.
   * @throws CanvasOptionsError if the options are invalid (an unknown option too).
   * @throws CanvasSinkError with code `SINK_SCHEMA` if the database records a newer schema
   *   version than {@link SqliteSink.schemaVersion}, or none readable; the file is left untouched.
   * @throws the libSQL error (`LibsqlError`) if the file cannot be opened as a database (e.g.
   *   `SQLITE_NOTADB`) or stays locked by another connection past `busyTimeoutMs`.
   */
  static async open<T>(options: SqliteSinkOptions): Promise<SqliteSink<T>> {
    const parsed = parseOptions(optionsSchema, options, `${SINK} options`);
    const path = resolve(parsed.path ?? parsed.url ?? '');
    const durable = parsed.durable ?? false;
    await mkdir(dirname(path), { recursive: true });
    const client = createClient({
      url: pathToFileURL(path).href,
      // One connection: the sink runs one call at a time, and the pragmas below hold for it.
      concurrency: 1,
      timeout: parsed.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    });
    try {
      await client.execute(`PRAGMA synchronous = ${durable ? 'FULL' : 'NORMAL'}`);
      // The schema first: a database this code refuses is left as it was, journal mode included.
      const transaction = await client.transaction('write');
      try {
        await prepareSchema(transaction, SINK, path);
        await transaction.commit();
      } finally {
        transaction.close();
      }
      await client.execute('PRAGMA journal_mode = WAL');
    } catch (error) {
      client.close();
      throw error;
    }
    const now = parsed.now ?? (() => new Date());
    return new SqliteSink<T>({ path, client, now, durable });
  }

  /** Whether {@link SqliteSink.close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Stores a batch of records in one transaction; see {@link Sink}. Keys, versions and JSON are
   * computed when `write` is called, so later changes to the records do not matter.
   *
   * @throws CanvasSinkError with code `SINK_CLOSED` after `close()` was called.
   * @throws CanvasOptionsError if the options are invalid, `key` or `version` returns no
   *   non-empty string of at most 512 characters, or a record cannot be stored as JSON
   *   (`undefined`, a function, a bigint, a cycle); then nothing of the batch is written.
   */
  async write(records: readonly T[], options: SinkWriteOptions<T>): Promise<SinkWriteResult> {
    this.#checkOpen();
    const batch = prepareBatch(SINK, records, options);
    const json = batch.records.map(({ json }) => json);
    const at = this.#now().toISOString();
    return this.#run(() =>
      batch.records.length === 0
        ? { inserted: 0, updated: 0, unchanged: 0 }
        : this.#transaction((transaction) => writeBatch(transaction, batch, json, at)),
    );
  }

  /** The record stored under `key` (tombstoned ones included), if any. */
  async get(key: string): Promise<StoredRecord<T> | undefined> {
    this.#checkOpen();
    if (typeof key !== 'string') throw sinkInvalid(SINK, 'key', 'Expected a string');
    return this.#run(async () => {
      const result = await this.#client.execute({
        sql: `SELECT ${RECORD_COLUMNS} FROM canvas_sync_records WHERE key = ?`,
        args: [key],
      });
      const row = result.rows[0];
      return row === undefined ? undefined : toStoredRecord<T>(row);
    });
  }

  /** Opens a full pass over `scope` (stored, so it survives a restart), or returns the one open. */
  async beginPass(scope: string): Promise<SinkPass> {
    this.#checkOpen();
    checkScope(SINK, scope);
    const startedAt = this.#now().toISOString();
    return this.#run(() =>
      this.#transaction(async (transaction) => {
        const open = await transaction.execute({
          sql: 'SELECT id, started_at FROM canvas_sync_passes WHERE scope = ?',
          args: [scope],
        });
        const row = open.rows[0];
        if (row !== undefined) {
          return { scope, id: text(row, 'id'), startedAt: text(row, 'started_at') };
        }
        const pass = { scope, id: randomUUID(), startedAt };
        await transaction.execute({
          sql: 'INSERT INTO canvas_sync_passes (scope, id, started_at) VALUES (?, ?, ?)',
          args: [pass.scope, pass.id, pass.startedAt],
        });
        return pass;
      }),
    );
  }

  /**
   * Completes an open pass in one transaction: tombstones the live records of its scope that it
   * did not see, and closes it. A pass no longer open: `{ deleted: 0 }`.
   */
  async completePass(pass: SinkPass): Promise<SinkPassResult> {
    this.#checkOpen();
    const { scope, id } = checkPass(SINK, pass);
    const at = this.#now().toISOString();
    return this.#run(() =>
      this.#transaction(async (transaction) => {
        const open = await transaction.execute({
          sql: 'SELECT id FROM canvas_sync_passes WHERE scope = ?',
          args: [scope],
        });
        if (open.rows[0]?.id !== id) return { deleted: 0 };
        const [tombstoned] = await transaction.batch([
          {
            sql: `UPDATE canvas_sync_records SET deleted_at = ?
                  WHERE scope = ? AND deleted_at IS NULL AND (pass IS NULL OR pass <> ?)`,
            args: [at, scope, id],
          },
          { sql: 'DELETE FROM canvas_sync_passes WHERE scope = ?', args: [scope] },
        ]);
        return { deleted: tombstoned?.rowsAffected ?? 0 };
      }),
    );
  }

  /** Records a finished task; a later record of the same key replaces it. */
  async finishTask(task: FinishedTask): Promise<void> {
    this.#checkOpen();
    const t = checkFinishedTask(SINK, task);
    await this.#run(() =>
      this.#client.execute({
        sql: `INSERT INTO canvas_sync_tasks (key, kind, scope, stream, mark, finished_at)
              VALUES (?, ?, ?, ?, ?, ?)
              ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, scope = excluded.scope,
                stream = excluded.stream, mark = excluded.mark, finished_at = excluded.finished_at`,
        args: [t.key, t.kind, t.scope, t.stream, t.mark, t.finishedAt],
      }),
    );
  }

  /** The finished task of `scope` and `stream` with the latest `mark` (the first recorded of a tie). */
  async lastFinished(scope: string, stream: string): Promise<FinishedTask | undefined> {
    this.#checkOpen();
    if (typeof scope !== 'string') throw sinkInvalid(SINK, 'scope', 'Expected a string');
    if (typeof stream !== 'string') throw sinkInvalid(SINK, 'stream', 'Expected a string');
    return this.#run(async () => {
      const result = await this.#client.execute({
        sql: `SELECT key, kind, scope, stream, mark, finished_at FROM canvas_sync_tasks
              WHERE scope = ? AND stream = ? ORDER BY mark DESC, rowid ASC LIMIT 1`,
        args: [scope, stream],
      });
      const row = result.rows[0];
      if (row === undefined) return undefined;
      return {
        key: text(row, 'key'),
        kind: text(row, 'kind'),
        scope: text(row, 'scope'),
        stream: text(row, 'stream'),
        mark: text(row, 'mark'),
        finishedAt: text(row, 'finished_at'),
      };
    });
  }

  /**
   * Waits for pending calls and syncs the write-ahead log to disk, so that everything written
   * before survives a power loss (with `durable: true`, it already did). After `close()`, waits
   * for the close instead.
   */
  async flush(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    await this.#run(() => this.#sync());
  }

  /**
   * Waits for pending calls, syncs the write-ahead log, checkpoints it into the database file
   * (which then holds everything on its own) and closes the database; idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#run(async () => {
      try {
        await this.#sync();
        await this.#client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
      } finally {
        this.#client.close();
      }
    });
    return this.#closing;
  }

  /**
   * Makes every committed transaction durable: commits a one-row change to `canvas_sync_meta`
   * (`flushed_at`) with `synchronous = FULL`, which syncs the log up to and including it, and so
   * every transaction before it. Unlike a checkpoint, this never waits for readers.
   */
  async #sync(): Promise<void> {
    const flushedAt = this.#now().toISOString();
    const upsert: InStatement = {
      sql: `INSERT INTO canvas_sync_meta (name, value) VALUES ('flushed_at', ?)
            ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
      args: [flushedAt],
    };
    if (this.#durable) {
      await this.#client.execute(upsert);
      return;
    }
    await this.#client.execute('PRAGMA synchronous = FULL');
    try {
      await this.#client.execute(upsert);
    } finally {
      await this.#client.execute('PRAGMA synchronous = NORMAL');
    }
  }

  /** Runs `work` after every call made before, in call order. */
  #run<R>(work: () => R | Promise<R>): Promise<R> {
    const result = this.#queue.then(work);
    this.#queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Runs `work` in a write transaction (`BEGIN IMMEDIATE`), committed if it resolves. */
  async #transaction<R>(work: (transaction: Transaction) => Promise<R>): Promise<R> {
    const transaction = await this.#client.transaction('write');
    try {
      const result = await work(transaction);
      await transaction.commit();
      return result;
    } finally {
      transaction.close();
    }
  }

  #checkOpen(): void {
    if (this.closed) throw new CanvasSinkError({ code: 'SINK_CLOSED', sink: SINK });
  }
}
