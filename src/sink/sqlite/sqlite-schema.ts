/**
 * The tables of {@link SqliteSink}, their schema version, and the check run when a database is
 * opened: create the tables in an empty database, migrate an older schema, refuse a newer one.
 *
 * @module
 */
import type { Transaction } from '@libsql/client';
import { CanvasSinkError } from '../sink.js';

/** The schema version this code reads and writes (kept in `canvas_sync_meta`). */
export const SCHEMA_VERSION = 1;

/**
 * The tables and indexes of schema version 1. Time stamps are ISO 8601 UTC text; `record` is the
 * record as `JSON.stringify` writes it (query it with SQLite's `json_extract`).
 */
const CREATE_V1: readonly string[] = [
  `CREATE TABLE canvas_sync_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  )`,
  `CREATE TABLE canvas_sync_records (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    scope TEXT,
    version TEXT NOT NULL,
    record TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    pass TEXT,
    deleted_at TEXT
  )`,
  // completePass: the live records of a scope that a pass did not see.
  'CREATE INDEX canvas_sync_records_scope ON canvas_sync_records (scope, deleted_at, pass)',
  // Reading one kind of record (the "table" of a kind).
  'CREATE INDEX canvas_sync_records_kind ON canvas_sync_records (kind)',
  `CREATE TABLE canvas_sync_passes (
    scope TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL
  )`,
  `CREATE TABLE canvas_sync_tasks (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    stream TEXT NOT NULL,
    mark TEXT NOT NULL,
    finished_at TEXT NOT NULL
  )`,
  // lastFinished: the latest mark of a scope and stream.
  'CREATE INDEX canvas_sync_tasks_mark ON canvas_sync_tasks (scope, stream, mark)',
];

/**
 * The statements that take a database from schema version `n` to `n + 1`, at index `n - 1`.
 * None yet: version 1 is the first. A future version appends its step here and raises
 * {@link SCHEMA_VERSION}; {@link prepareSchema} runs the missing steps in order, in the
 * transaction that opens the database.
 */
const MIGRATIONS: readonly (readonly string[])[] = [];

/**
 * Brings the database of `transaction` (an open write transaction) to {@link SCHEMA_VERSION}:
 * creates the tables in a database that has none of ours, runs the migrations of an older one.
 *
 * @throws CanvasSinkError with code `SINK_SCHEMA` if the database records a newer schema
 *   version, or a `canvas_sync_meta` table without a readable one; nothing is changed then.
 */
export async function prepareSchema(
  transaction: Transaction,
  sink: string,
  path: string,
): Promise<void> {
  const meta = await transaction.execute(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'canvas_sync_meta'",
  );
  if (meta.rows.length === 0) {
    await transaction.batch([
      ...CREATE_V1,
      {
        sql: "INSERT INTO canvas_sync_meta (name, value) VALUES ('schema_version', ?)",
        args: [String(SCHEMA_VERSION)],
      },
    ]);
    return;
  }
  const stored = await transaction.execute(
    "SELECT value FROM canvas_sync_meta WHERE name = 'schema_version'",
  );
  const found = readVersion(stored.rows[0]?.value);
  if (found === null || found > SCHEMA_VERSION) {
    throw new CanvasSinkError({
      code: 'SINK_SCHEMA',
      sink,
      path,
      found,
      supported: SCHEMA_VERSION,
    });
  }
  if (found === SCHEMA_VERSION) return;
  for (let version = found; version < SCHEMA_VERSION; version++) {
    await transaction.batch([...(MIGRATIONS[version - 1] ?? [])]);
  }
  await transaction.execute({
    sql: "UPDATE canvas_sync_meta SET value = ? WHERE name = 'schema_version'",
    args: [String(SCHEMA_VERSION)],
  });
}

/** A schema version as stored (decimal text), or `null` if it is not a whole number ≥ 1. */
function readVersion(value: unknown): number | null {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,8}$/.test(value)) return null;
  return Number(value);
}
