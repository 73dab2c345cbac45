/**
 * {@link PostgresSink}: a {@link Sink} on a PostgreSQL database (through `pg`), the warehouse
 * kept current by every run, with its sync state beside the records.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { z } from 'zod';
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
import { prepareSchema, quoteIdentifier, SCHEMA_VERSION } from './postgres-schema.js';
import {
  hasNul,
  iso,
  RECORD_COLUMNS,
  type RecordRow,
  serverFeatures,
  toJsonb,
  toStoredRecord,
  type WriteStatements,
  writeBatch,
  writeStatements,
} from './postgres-statements.js';

/**
 * Options of {@link PostgresSink.open}. Give exactly one of `connectionString` and `pool`.
 * @category Sinks
 */
export interface PostgresSinkOptions {
  /**
   * A PostgreSQL connection string (`postgres://user:password@host:5432/database`, with any
   * parameter `pg` reads, e.g. `?sslmode=require`). The sink opens a pool of one connection of
   * its own (`application_name` canvas-sync unless the string sets one) and ends it on `close()`.
   */
  connectionString?: string | undefined;
  /**
   * A `pg.Pool` of yours. The sink uses one of its connections at a time and never ends it: end
   * it yourself after `close()`.
   */
  pool?: pg.Pool | undefined;
  /**
   * The PostgreSQL schema that holds the sink's tables, created if missing (with the tables) when
   * the sink is opened. Lower-case letters, digits and `_`, starting with a letter or `_` (but
   * not `pg_`, which PostgreSQL reserves), at most 63 characters. Two sinks on one schema share everything: records, passes and finished
   * tasks.
   * @defaultValue 'canvas_sync'
   */
  schema?: string | undefined;
  /** The time stamps of records, passes and tombstones. @defaultValue `() => new Date()` */
  now?: (() => Date) | undefined;
  /**
   * Whether each write waits for the server to flush it to disk before it resolves (the
   * server's `synchronous_commit`). Without it, writes commit asynchronously: a write that
   * resolved survives a crash of this process but, after a crash of the server, the writes of
   * its last moments (`wal_writer_delay`, 200 ms by default, up to three times that) can be
   * missing, never half-applied, as with `SqliteSink`; `flush()` and `close()` make everything
   * before them durable either way. Saves one disk flush per page.
   * @defaultValue false
   */
  durable?: boolean | undefined;
}

const SINK = 'PostgresSink';
const DEFAULT_SCHEMA = 'canvas_sync';
/** Tries of a transaction that PostgreSQL aborted as a deadlock victim or serialization failure. */
const MAX_ATTEMPTS = 5;
/** SQLSTATEs of an aborted transaction that can simply be run again. */
const TRANSIENT = new Set(['40P01', '40001']);

const fn = <F>() =>
  z.custom<F>((value) => typeof value === 'function', { error: 'Expected a function' });

const optionsSchema = z
  .strictObject({
    connectionString: z.string().min(1, 'Expected a non-empty connection string').optional(),
    pool: z
      .custom<pg.Pool>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as { connect?: unknown }).connect === 'function' &&
          typeof (value as { query?: unknown }).query === 'function',
        { error: 'Expected a pg.Pool' },
      )
      .optional(),
    schema: z
      .string()
      .regex(
        /^(?!pg_)[a-z_][a-z0-9_]{0,62}$/,
        'Expected lower-case letters, digits and _, from a letter or _, at most 63, not from pg_',
      )
      .optional(),
    now: fn<() => Date>().optional(),
    durable: z.boolean().optional(),
  })
  .superRefine((options, context) => {
    if ((options.connectionString === undefined) === (options.pool === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['connectionString'],
        message: 'Expected exactly one of connectionString and pool',
      });
    }
  });

/**
 * Refuses a string argument PostgreSQL text cannot hold (a NUL character), naming `path`.
 * @throws CanvasOptionsError
 */
function checkNoNul(path: string, ...values: readonly string[]): void {
  if (values.some(hasNul)) throw sinkInvalid(SINK, path, 'Expected no NUL character');
}

/**
 * A {@link Sink} that keeps records in a PostgreSQL database (11 or later; tested on 15), with
 * the semantics every sink has (latest version wins, passes and tombstones, finished tasks; see
 * {@link Sink}). Load it from `canvas-sync/sinks/postgres`, with `pg` 8 installed (an optional
 * peer dependency).
 *
 * **Tables**, in the schema of {@link PostgresSinkOptions.schema} (`canvas_sync`), created with
 * it on first open, the same as `SqliteSink`'s:
 *
 * - `canvas_sync_records(key text PRIMARY KEY, kind, scope, version, record jsonb,
 *   first_seen_at timestamptz, last_seen_at, pass, deleted_at)`: one row per key, all kinds in
 *   one table rather than one table per kind as DAP's `syncdb` has: a key is unique across kinds
 *   (`course.enrollments:500001`), a pass's scope may be read by more than one kind, and records
 *   are documents (`jsonb`), not typed columns, so a table per kind would only repeat the same
 *   columns. Read one kind as a table with a view:
 *   `CREATE VIEW enrollments AS SELECT record->>'user_id' AS user_id, … FROM
 *   canvas_sync.canvas_sync_records WHERE kind = 'course.enrollments' AND deleted_at IS NULL`.
 *   `deleted_at` is the tombstone (`NULL` while the record exists). Indexed on `kind`, and on
 *   `scope` for the live rows; pages are filled to 80 % (`fillfactor`), so that marking a
 *   record seen again (`last_seen_at`, `pass`) can update it in place. `record` holds the record's JSON as `jsonb` stores it (key
 *   order and duplicate keys are not kept; `get` returns what `JSON.parse` would): a NUL
 *   character or a lone UTF-16 surrogate in a string, which `jsonb` cannot hold, is stored as
 *   U+FFFD (the record's version is computed on the record as given). Records the sink writes
 *   are compressed with lz4 when the server has it (PostgreSQL 14 or later built with lz4; it
 *   sets `default_toast_compression` in its write transactions), else with the server's
 *   default: a compression set on the column (`ALTER TABLE … ALTER COLUMN record SET
 *   COMPRESSION pglz`) takes precedence.
 * - `canvas_sync_passes(scope PRIMARY KEY, id, started_at)`: the open passes.
 * - `canvas_sync_tasks(key PRIMARY KEY, kind, scope, stream, mark, finished_at)`: finished
 *   tasks (`mark` and `finished_at` as the text given), indexed on `(scope, stream, mark)`.
 * - `canvas_sync_meta(name PRIMARY KEY, value)`: `schema_version` (1); `flushed_at`. A schema
 *   with an older version is migrated when opened, one with a newer version refused
 *   (`SINK_SCHEMA`); two processes opening a new schema at once create it once (an advisory lock
 *   is held around the check).
 *
 * **Transactions.** Each `write` is one transaction of one multi-row statement, whatever the
 * batch's size: it locks the stored rows of the batch's keys in key order, marks those of the
 * same version seen without rewriting them, and inserts or replaces the others
 * (`INSERT … ON CONFLICT (key) DO UPDATE … WHERE` the version differs or the row is a
 * tombstone), parsing the JSON of those only; its counts are exact, and a batch is stored whole
 * or not at all (a second statement marks seen a key that another process inserted, with the
 * same version, while the first ran). The batch is sent as parallel arrays (keys, versions,
 * JSON texts), and the statement is a named prepared statement, planned once per connection
 * (behind PgBouncer in transaction mode, set its `max_prepared_statements`, PgBouncer 1.21 or
 * later). `completePass` is one transaction too. Calls of one sink run one at a time, in call
 * order, on one connection at a time.
 *
 * **Several processes** may open the same schema and write the same scope: a write locks the
 * rows of its keys (in key order) until it commits, so counts stay exact and a key is stored
 * once; a pass opened by one process is the pass `beginPass` returns in any other until it is
 * completed, so a task resumed elsewhere continues it. A transaction that PostgreSQL aborts to
 * break a deadlock is run again (up to 5 times).
 *
 * **Durability.** A call that resolved is committed: it survives a crash of the process
 * (`kill -9`). Writes commit asynchronously unless `durable: true` (see
 * {@link PostgresSinkOptions.durable}): after a crash of the server, the last moments' writes
 * can be missing. One that did not resolve is stored whole or not at all. `flush()` and
 * `close()` commit with `synchronous_commit = on` whatever the server's setting, so everything
 * before them survives a server crash.
 *
 * Errors of the database (connection refused, permission denied) are `pg`'s, as thrown.
 *
 * @example
 * ```ts
 * import { PostgresSink } from 'canvas-sync/sinks/postgres';
 *
 * const sink = await PostgresSink.open({ connectionString: process.env.DATABASE_URL });
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
export class PostgresSink<T> implements Sink<T> {
  /** The schema version this sink reads and writes (`schema_version` in `canvas_sync_meta`). */
  static readonly schemaVersion: number = SCHEMA_VERSION;
  /** The PostgreSQL schema of the sink's tables. */
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #now: () => Date;
  readonly #records: string;
  readonly #passes: string;
  readonly #tasks: string;
  readonly #meta: string;
  /** Calls run one after the other on this chain; it never rejects. */
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  readonly #durable: boolean;
  /** The statements of writes, made for the server by `open`. */
  #write: WriteStatements;

  private constructor(init: {
    schema: string;
    pool: pg.Pool;
    ownsPool: boolean;
    now: () => Date;
    durable: boolean;
  }) {
    this.schema = init.schema;
    this.#durable = init.durable;
    this.#pool = init.pool;
    this.#ownsPool = init.ownsPool;
    this.#now = init.now;
    const s = quoteIdentifier(init.schema);
    this.#records = `${s}.canvas_sync_records`;
    // For any server until `open` learns which one it is.
    this.#write = writeStatements(this.#records, { version: 0, lz4: false }, init.durable);
    this.#passes = `${s}.canvas_sync_passes`;
    this.#tasks = `${s}.canvas_sync_tasks`;
    this.#meta = `${s}.canvas_sync_meta`;
  }

  /**
   * Connects, and creates the schema and its tables if needed (or migrates them), checking the
   * schema version.
   *
   * @param options - See {@link PostgresSinkOptions}.
   * @throws CanvasOptionsError if the options are invalid (an unknown option too).
   * @throws CanvasSinkError with code `SINK_SCHEMA` if the schema records a newer version than
   *   {@link PostgresSink.schemaVersion}, or none readable; nothing is changed then.
   * @throws `pg`'s error if the database cannot be reached or refuses the statements.
   */
  static async open<T>(options: PostgresSinkOptions): Promise<PostgresSink<T>> {
    const parsed = parseOptions(optionsSchema, options, `${SINK} options`);
    const schema = parsed.schema ?? DEFAULT_SCHEMA;
    const ownsPool = parsed.pool === undefined;
    const pool =
      parsed.pool ??
      new pg.Pool({
        connectionString: parsed.connectionString,
        max: 1,
        application_name: 'canvas-sync',
      });
    // An idle connection that breaks is dropped by the pool, and the next call opens another.
    if (ownsPool) pool.on('error', () => {});
    const sink = new PostgresSink<T>({
      schema,
      pool,
      ownsPool,
      now: parsed.now ?? (() => new Date()),
      durable: parsed.durable ?? false,
    });
    try {
      const server = await sink.#transaction(async (client) => {
        await prepareSchema(client, SINK, schema);
        return serverFeatures(client);
      });
      sink.#write = writeStatements(sink.#records, server, sink.#durable);
    } catch (error) {
      if (ownsPool) await pool.end().catch(() => {});
      throw error;
    }
    return sink;
  }

  /** Whether {@link PostgresSink.close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Stores a batch of records in one transaction; see {@link Sink}. Keys, versions and JSON are
   * computed when `write` is called, so later changes to the records do not matter.
   *
   * @throws CanvasSinkError with code `SINK_CLOSED` after `close()` was called.
   * @throws CanvasOptionsError if the options are invalid, `key` or `version` returns no
   *   non-empty string of at most 512 characters (or one with a NUL character), or a record
   *   cannot be serialized as JSON; then nothing of the batch is written.
   */
  async write(records: readonly T[], options: SinkWriteOptions<T>): Promise<SinkWriteResult> {
    this.#checkOpen();
    const batch = prepareBatch(SINK, records, options);
    if (batch.scope !== undefined && hasNul(batch.scope)) {
      throw sinkInvalid(SINK, 'options.scope', 'Expected no NUL character');
    }
    const json = batch.records.map(({ key, version, json }, index) => {
      if (hasNul(key) || hasNul(version)) {
        throw sinkInvalid(SINK, `records[${index}]`, 'Key or version holds a NUL character');
      }
      return toJsonb(json);
    });
    const at = this.#now().toISOString();
    return this.#run(() =>
      batch.records.length === 0
        ? { inserted: 0, updated: 0, unchanged: 0 }
        : this.#transaction(
            (client) => writeBatch(client, this.#write, batch, json, at),
            this.#write.begin,
          ),
    );
  }

  /** The record stored under `key` (tombstoned ones included), if any. */
  async get(key: string): Promise<StoredRecord<T> | undefined> {
    this.#checkOpen();
    if (typeof key !== 'string') throw sinkInvalid(SINK, 'key', 'Expected a string');
    return this.#run(async () => {
      const result = await this.#pool.query<RecordRow>(
        `SELECT ${RECORD_COLUMNS} FROM ${this.#records} WHERE key = $1`,
        [key],
      );
      const row = result.rows[0];
      return row === undefined ? undefined : toStoredRecord<T>(row);
    });
  }

  /**
   * Opens a full pass over `scope`, or returns the one open for it, whichever process opened it
   * (passes are stored, so a task resumed after a crash, or on another machine, continues it).
   */
  async beginPass(scope: string): Promise<SinkPass> {
    this.#checkOpen();
    checkScope(SINK, scope);
    checkNoNul('scope', scope);
    const id = randomUUID();
    const startedAt = this.#now().toISOString();
    const columns = `id, ${iso('started_at')} AS started_at`;
    return this.#run(async () => {
      // Insert ours unless one is open (waiting for one being opened elsewhere), else read it;
      // if that one was completed in between, try again.
      for (;;) {
        const opened = await this.#pool.query<{ id: string; started_at: string }>(
          `INSERT INTO ${this.#passes} (scope, id, started_at) VALUES ($1, $2, $3::timestamptz)
           ON CONFLICT (scope) DO NOTHING RETURNING ${columns}`,
          [scope, id, startedAt],
        );
        const row =
          opened.rows[0] ??
          (
            await this.#pool.query<{ id: string; started_at: string }>(
              `SELECT ${columns} FROM ${this.#passes} WHERE scope = $1`,
              [scope],
            )
          ).rows[0];
        if (row !== undefined) return { scope, id: row.id, startedAt: row.started_at };
      }
    });
  }

  /**
   * Completes an open pass in one transaction: tombstones the live records of its scope that it
   * did not see, and closes it. A pass no longer open: `{ deleted: 0 }`.
   */
  async completePass(pass: SinkPass): Promise<SinkPassResult> {
    this.#checkOpen();
    const { scope, id } = checkPass(SINK, pass);
    checkNoNul('pass', scope, id);
    const at = this.#now().toISOString();
    return this.#run(() =>
      this.#transaction(async (client) => {
        const closed = await client.query(
          `DELETE FROM ${this.#passes} WHERE scope = $1 AND id = $2`,
          [scope, id],
        );
        if (closed.rowCount === 0) return { deleted: 0 };
        // Lock the rows to retire in key order, as writes do.
        const tombstoned = await client.query(
          `UPDATE ${this.#records} AS r SET deleted_at = $3::timestamptz
           FROM (SELECT key FROM ${this.#records}
                 WHERE scope = $1 AND deleted_at IS NULL AND pass IS DISTINCT FROM $2
                 ORDER BY key FOR UPDATE) AS gone
           WHERE r.key = gone.key`,
          [scope, id, at],
        );
        return { deleted: tombstoned.rowCount ?? 0 };
      }),
    );
  }

  /** Records a finished task; a later record of the same key replaces it. */
  async finishTask(task: FinishedTask): Promise<void> {
    this.#checkOpen();
    const t = checkFinishedTask(SINK, task);
    checkNoNul('task', t.key, t.kind, t.scope, t.stream, t.mark, t.finishedAt);
    await this.#run(() =>
      this.#pool.query(
        `INSERT INTO ${this.#tasks} (key, kind, scope, stream, mark, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind, scope = EXCLUDED.scope,
           stream = EXCLUDED.stream, mark = EXCLUDED.mark, finished_at = EXCLUDED.finished_at`,
        [t.key, t.kind, t.scope, t.stream, t.mark, t.finishedAt],
      ),
    );
  }

  /**
   * The finished task of `scope` and `stream` with the latest `mark` (compared as strings, as
   * JavaScript does; of a tie, the first key in that order), if any.
   */
  async lastFinished(scope: string, stream: string): Promise<FinishedTask | undefined> {
    this.#checkOpen();
    if (typeof scope !== 'string' || typeof stream !== 'string') {
      throw sinkInvalid(SINK, 'scope', 'Expected scope and stream as strings');
    }
    return this.#run(async () => {
      const result = await this.#pool.query<{
        key: string;
        kind: string;
        scope: string;
        stream: string;
        mark: string;
        finished_at: string;
      }>(
        `SELECT key, kind, scope, stream, mark, finished_at FROM ${this.#tasks}
         WHERE scope = $1 AND stream = $2 ORDER BY mark DESC, key COLLATE "C" LIMIT 1`,
        [scope, stream],
      );
      const row = result.rows[0];
      if (row === undefined) return undefined;
      const { finished_at: finishedAt, ...rest } = row;
      return { ...rest, finishedAt };
    });
  }

  /**
   * Waits for pending calls, then commits with `synchronous_commit = on`, which makes every
   * committed call durable even on a server that commits asynchronously. After `close()`, waits
   * for the close instead.
   */
  async flush(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    await this.#run(() => this.#sync());
  }

  /**
   * Waits for pending calls, makes them durable (see {@link PostgresSink.flush}) and, if the sink
   * made its pool, ends it; idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#run(async () => {
      try {
        await this.#sync();
      } finally {
        if (this.#ownsPool) await this.#pool.end();
      }
    });
    return this.#closing;
  }

  /** Commits `flushed_at` to the meta table with `synchronous_commit = on`. */
  async #sync(): Promise<void> {
    const at = this.#now().toISOString();
    await this.#transaction(async (client) => {
      await client.query('SET LOCAL synchronous_commit = on');
      await client.query(
        `INSERT INTO ${this.#meta} (name, value) VALUES ('flushed_at', $1)
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
        [at],
      );
    });
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

  /**
   * Runs `work` in a transaction on a connection of the pool (opened by `begin`, one simple
   * query: `BEGIN` and any `SET LOCAL`), committed if it resolves, rolled back if it throws; run
   * again (up to 5 times) when PostgreSQL aborted it as a deadlock victim or a serialization
   * failure. A connection that cannot be rolled back (it
   * broke) is destroyed rather than returned to the pool.
   */
  async #transaction<R>(work: (client: pg.ClientBase) => Promise<R>, begin = 'BEGIN'): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      // A connection that breaks between two statements emits 'error'; the next statement fails.
      const ignore = (): void => {};
      client.on('error', ignore);
      let broken = false;
      try {
        await client.query(begin);
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        const code = (error as { code?: unknown } | null)?.code;
        if (broken || attempt >= MAX_ATTEMPTS || typeof code !== 'string' || !TRANSIENT.has(code)) {
          throw error;
        }
      } finally {
        client.off('error', ignore);
        client.release(broken);
      }
    }
  }

  #checkOpen(): void {
    if (this.closed) throw new CanvasSinkError({ code: 'SINK_CLOSED', sink: SINK });
  }
}
