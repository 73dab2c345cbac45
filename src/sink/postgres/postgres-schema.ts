/**
 * The tables of {@link PostgresSink}, their schema version, and the check run when a sink is
 * opened: create the tables in a schema that has none of ours, migrate an older version, refuse a
 * newer one.
 *
 * @module
 */
import type pg from 'pg';
import { CanvasSinkError } from '../sink.js';

/** The schema version this code reads and writes (`schema_version` in `canvas_sync_meta`). */
export const SCHEMA_VERSION = 1;

/**
 * The tables and indexes of schema version 1 in the (already quoted) schema `s`. Time stamps of
 * records and passes are `timestamptz`; a finished task's `mark` and `finished_at` are kept as
 * the text they were given (so they read back exactly), `mark` in the "C" collation so that ISO
 * 8601 strings sort as JavaScript compares them whatever the database's locale.
 */
function createV1(s: string): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE ${s}.canvas_sync_meta (
      name text PRIMARY KEY,
      value text NOT NULL
    )`,
    `CREATE TABLE ${s}.canvas_sync_records (
      key text PRIMARY KEY,
      kind text NOT NULL,
      scope text,
      version text NOT NULL,
      record jsonb NOT NULL,
      first_seen_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      pass text,
      deleted_at timestamptz
    ) WITH (fillfactor = 80)`,
    // completePass: the live records of a scope (`pass` left out of the index, so that a
    // write that only marks records seen can update them in place, as HOT updates).
    `CREATE INDEX canvas_sync_records_scope ON ${s}.canvas_sync_records (scope)
      WHERE deleted_at IS NULL`,
    // Reading one kind of record (the "table" of a kind).
    `CREATE INDEX canvas_sync_records_kind ON ${s}.canvas_sync_records (kind)`,
    `CREATE TABLE ${s}.canvas_sync_passes (
      scope text PRIMARY KEY,
      id text NOT NULL UNIQUE,
      started_at timestamptz NOT NULL
    )`,
    `CREATE TABLE ${s}.canvas_sync_tasks (
      key text PRIMARY KEY,
      kind text NOT NULL,
      scope text NOT NULL,
      stream text NOT NULL,
      mark text COLLATE "C" NOT NULL,
      finished_at text NOT NULL
    )`,
    // lastFinished: the latest mark of a scope and stream.
    `CREATE INDEX canvas_sync_tasks_mark ON ${s}.canvas_sync_tasks (scope, stream, mark)`,
  ];
}

/**
 * The statements that take a schema from version `n` to `n + 1` (given the quoted schema), at
 * index `n - 1`. None yet: version 1 is the first. A future version appends its step here and
 * raises {@link SCHEMA_VERSION}; {@link prepareSchema} runs the missing steps in order, in the
 * transaction that opens the sink.
 */
const MIGRATIONS: readonly ((s: string) => readonly string[])[] = [];

/**
 * An arbitrary 64-bit key of the advisory lock held around the schema check (with the schema's
 * name mixed in by `hashtextextended`), so that two processes opening the same schema at once
 * create its tables once.
 */
const LOCK_SEED = 0x63616e766173; // "canvas"

/**
 * Brings the schema `schema` (a validated name) to {@link SCHEMA_VERSION}, in the open transaction
 * of `client`, under an advisory lock on the schema's name (released at the end of the
 * transaction): creates the schema and its tables when it has no `canvas_sync_meta` table, runs
 * the migrations of an older version. A schema already at this version is only read (no DDL: a
 * role without the CREATE privilege can use tables made for it).
 *
 * @throws CanvasSinkError with code `SINK_SCHEMA` if the schema records a newer version, or a
 *   `canvas_sync_meta` table without a readable one; nothing is changed then.
 */
export async function prepareSchema(
  client: pg.ClientBase,
  sink: string,
  schema: string,
): Promise<void> {
  const s = quoteIdentifier(schema);
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, $2))', [
    `canvas_sync schema ${schema}`,
    LOCK_SEED,
  ]);
  const meta = await client.query<{ present: string }>(
    'SELECT (to_regclass($1) IS NOT NULL)::text AS present',
    [`${s}.canvas_sync_meta`],
  );
  if (meta.rows[0]?.present !== 'true') {
    await client.query(
      [
        ...createV1(s),
        `INSERT INTO ${s}.canvas_sync_meta (name, value)
          VALUES ('schema_version', '${SCHEMA_VERSION}')`,
      ].join(';\n'),
    );
    return;
  }
  const stored = await client.query<{ value: string }>(
    `SELECT value FROM ${s}.canvas_sync_meta WHERE name = 'schema_version'`,
  );
  const found = readVersion(stored.rows[0]?.value);
  if (found === null || found > SCHEMA_VERSION) {
    throw new CanvasSinkError({
      code: 'SINK_SCHEMA',
      sink,
      path: `schema ${schema}`,
      found,
      supported: SCHEMA_VERSION,
    });
  }
  if (found === SCHEMA_VERSION) return;
  for (let version = found; version < SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version - 1];
    if (step !== undefined) await client.query(step(s).join(';\n'));
  }
  await client.query(`UPDATE ${s}.canvas_sync_meta SET value = $1 WHERE name = 'schema_version'`, [
    String(SCHEMA_VERSION),
  ]);
}

/** A schema version as stored (decimal text), or `null` if it is not a whole number ≥ 1. */
function readVersion(value: unknown): number | null {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,8}$/.test(value)) return null;
  return Number(value);
}

/** `name` as a quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
