/**
 * The SQL of {@link PostgresSink}'s calls, and the conversions between records and rows: what
 * one `write` batch does in its transaction, and how stored rows read back.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PreparedBatch, SinkWriteResult, StoredRecord } from '../sink.js';

/** A `timestamptz` column as ISO 8601 UTC text with milliseconds, whatever the session's settings. */
export function iso(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** The columns of a stored record, every one as text (no type parser of `pg` involved). */
export const RECORD_COLUMNS = [
  'key',
  'kind',
  'scope',
  'version',
  'record::text AS record',
  `${iso('first_seen_at')} AS first_seen_at`,
  `${iso('last_seen_at')} AS last_seen_at`,
  'pass',
  `${iso('deleted_at')} AS deleted_at`,
].join(', ');

/** A row of {@link RECORD_COLUMNS}. */
export interface RecordRow {
  key: string;
  kind: string;
  scope: string | null;
  version: string;
  record: string;
  first_seen_at: string;
  last_seen_at: string;
  pass: string | null;
  deleted_at: string | null;
}

/** A stored record from its row. */
export function toStoredRecord<T>(row: RecordRow): StoredRecord<T> {
  return {
    key: row.key,
    kind: row.kind,
    scope: row.scope ?? undefined,
    version: row.version,
    record: JSON.parse(row.record) as T,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    pass: row.pass ?? undefined,
    deletedAt: row.deleted_at ?? undefined,
  };
}

/**
 * An escape of a character `jsonb` refuses, after an even number of backslashes (so that an
 * escaped backslash followed by `u0000` is left alone): `\u0000` (PostgreSQL text cannot hold
 * NUL) and lone UTF-16 surrogates (`JSON.stringify` escapes those as `\udXXX`, and only those).
 */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

/**
 * A record's `JSON.stringify` text as `jsonb` input: the characters `jsonb` cannot hold (NUL,
 * lone surrogates) replaced by U+FFFD.
 */
export function toJsonb(json: string): string {
  // Most records have no \u escape at all: skip the regular expression then.
  return json.includes('\\u') ? json.replace(UNSTORABLE_ESCAPE, '$1\\ufffd') : json;
}

/** Whether `text` holds a NUL character, which PostgreSQL text cannot hold. */
export function hasNul(text: string): boolean {
  return text.includes('\u0000');
}

/** What a sink learns of its server when it is opened, for the statements of its writes. */
export interface ServerFeatures {
  /** `server_version_num`: 150004 for 15.4. */
  readonly version: number;
  /** Whether the server can compress with lz4 (PostgreSQL 14 or later, built with lz4). */
  readonly lz4: boolean;
}

/** The {@link ServerFeatures} of the server of `client`. */
export async function serverFeatures(client: pg.ClientBase): Promise<ServerFeatures> {
  // The values default_toast_compression accepts (no row before PostgreSQL 14).
  const result = await client.query<{ version: string; lz4: boolean }>(
    `SELECT current_setting('server_version_num') AS version,
       EXISTS (SELECT FROM pg_settings
         WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) AS lz4`,
  );
  const row = result.rows[0];
  return { version: Number(row?.version ?? 0), lz4: row?.lz4 === true };
}

/**
 * The statements of `write` on the (quoted) records table `table`, built once per sink when it
 * is opened: what opens the transaction, the batch statement as a named (prepared) statement,
 * so that each connection plans it once, and the rarely needed statement that marks rows seen
 * after a concurrent insert (see {@link writeBatch}).
 */
export interface WriteStatements {
  /**
   * One simple query: `BEGIN` and its `SET LOCAL`s (see {@link writeStatements}), in one round
   * trip.
   */
  readonly begin: string;
  /** The batch statement: `name` (derived from its text) and `text`. */
  readonly batch: { readonly name: string; readonly text: string };
  /** Marks the batch's rows seen that the batch statement left alone. */
  readonly markSeen: string;
}

/**
 * The statements of {@link writeBatch} on `table`, for a server with `server`'s features.
 *
 * The transaction sets, for itself only: `synchronous_commit = off` unless `durable` (a page
 * needs no disk flush of its own: `flush()` and `close()` make it durable);
 * `default_toast_compression = lz4` when the server has it (records of about 2 kB or more are
 * compressed, and lz4 costs a fraction of pglz's time; a compression set on the column still
 * wins); `enable_seqscan = off`, so that the cached plan looks rows up by key even when it was
 * made while the table was nearly empty (a sequential scan of a table grown since, at every
 * write, would be ruinous); and from PostgreSQL 12, `plan_cache_mode = force_generic_plan`, so
 * that the statement is planned once per connection rather than for each of its first writes.
 *
 * Parameters of the batch statement: `$1` the batch's distinct keys (`text[]`), `$2` their
 * versions (`text[]`), `$3` their records' JSON texts joined by line feeds (`JSON.stringify`
 * escapes every control character, so a line feed never occurs inside one), `$4` the time
 * (`timestamptz`), `$5` the scope, `$6` the pass id, `$7` the kind. It returns one row: `seen`
 * (rows only marked seen), `inserted`, and `written` (rows inserted or replaced):
 *
 * 1. `stored`: the stored rows of the batch's keys, locked in key order (so that two processes
 *    writing overlapping batches lock rows in the same order), with whether each is the same
 *    version and live;
 * 2. `seen`: those marked seen (`last_seen_at`, and the batch's scope and pass when given),
 *    nothing else rewritten;
 * 3. `written`: every other key inserted, its JSON parsed as `jsonb` there and only there (the
 *    arrays unnested in the select list, which streams them: `unnest` in `FROM` would copy every
 *    JSON text into a tuple store first), with `ON CONFLICT (key) DO UPDATE … WHERE` the version
 *    differs or the row is a tombstone: a key not stored when the statement began but inserted
 *    by another transaction since is replaced if its version differs, else left alone (and
 *    {@link writeBatch} marks it seen). Inserted rows are told from replaced ones by `xmax = 0`.
 */
export function writeStatements(
  table: string,
  server: ServerFeatures,
  durable: boolean,
): WriteStatements {
  // string_to_table (PostgreSQL 14) streams the texts; string_to_array builds an array first.
  const records =
    server.version >= 140000
      ? `string_to_table($3, E'\\n')`
      : `unnest(string_to_array($3, E'\\n'))`;
  const text = `WITH stored AS (
  SELECT r.key, r.version = b.version AND r.deleted_at IS NULL AS same
    FROM unnest($1::text[], $2::text[]) AS b (key, version)
    JOIN ${table} AS r ON r.key = b.key
    ORDER BY r.key
    FOR UPDATE OF r
), seen AS (
  UPDATE ${table} AS r SET last_seen_at = $4::timestamptz, scope = coalesce($5, r.scope),
      pass = coalesce($6, r.pass)
    FROM stored AS s
    WHERE s.same AND r.key = s.key
    RETURNING 1
), written AS (
  INSERT INTO ${table} AS r
      (key, kind, scope, version, record, first_seen_at, last_seen_at, pass, deleted_at)
    SELECT b.key, $7, $5, b.version, b.record::jsonb, $4::timestamptz, $4::timestamptz, $6, NULL
      FROM (SELECT unnest($1::text[]) AS key, unnest($2::text[]) AS version,
              ${records} AS record) AS b
      WHERE NOT EXISTS (SELECT FROM stored AS s WHERE s.same AND s.key = b.key)
      ORDER BY b.key
    ON CONFLICT (key) DO UPDATE SET
      kind = EXCLUDED.kind,
      scope = coalesce(EXCLUDED.scope, r.scope),
      version = EXCLUDED.version,
      record = EXCLUDED.record,
      last_seen_at = EXCLUDED.last_seen_at,
      pass = coalesce(EXCLUDED.pass, r.pass),
      deleted_at = NULL
    WHERE r.version IS DISTINCT FROM EXCLUDED.version OR r.deleted_at IS NOT NULL
    RETURNING r.xmax = 0 AS inserted
)
SELECT (SELECT count(*) FROM seen)::int AS seen,
  (count(*) FILTER (WHERE inserted))::int AS inserted,
  count(*)::int AS written
  FROM written`;
  return {
    begin: [
      'BEGIN',
      ...(durable ? [] : ['SET LOCAL synchronous_commit = off']),
      ...(server.lz4 ? ['SET LOCAL default_toast_compression = lz4'] : []),
      'SET LOCAL enable_seqscan = off',
      ...(server.version >= 120000 ? ['SET LOCAL plan_cache_mode = force_generic_plan'] : []),
    ].join('; '),
    // Named after its text: sinks on other schemas (other texts) sharing a pool get other names,
    // within PostgreSQL's 63 bytes.
    batch: {
      name: `canvas_sync_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`,
      text,
    },
    markSeen: `UPDATE ${table} SET last_seen_at = $2::timestamptz, scope = coalesce($3, scope),
        pass = coalesce($4, pass)
      WHERE key = ANY ($1::text[])
        AND (last_seen_at IS DISTINCT FROM $2::timestamptz
          OR scope IS DISTINCT FROM coalesce($3, scope)
          OR pass IS DISTINCT FROM coalesce($4, pass))`,
  };
}

/**
 * `texts` joined by line feeds, as UTF-8 bytes written straight into one buffer: several times
 * cheaper than `join('\n')` then encoding the string (a `Buffer` parameter goes to PostgreSQL
 * as binary, which for `text` is the same UTF-8 bytes).
 */
function joinLines(texts: readonly string[]): Buffer {
  let size = Math.max(0, texts.length - 1);
  for (const text of texts) size += Buffer.byteLength(text);
  const buffer = Buffer.allocUnsafe(size);
  let offset = 0;
  texts.forEach((text, index) => {
    if (index > 0) buffer[offset++] = 0x0a;
    offset += buffer.write(text, offset);
  });
  return buffer;
}

/**
 * Writes a validated batch on `client`, in its open transaction, with exact counts: one
 * statement (see {@link writeStatements}) that marks the rows of the same version seen, and
 * inserts or replaces the others, parsing only their JSON. A key that another transaction
 * inserted, with the same version, after that statement began is left alone by it; then (rarely)
 * a second statement marks such rows seen. `json` holds the records' `jsonb` input texts, by
 * position in the batch. A repeated key of the batch counts as unchanged and is not written.
 */
export async function writeBatch(
  client: pg.ClientBase,
  statements: WriteStatements,
  batch: PreparedBatch<unknown>,
  json: readonly string[],
  at: string,
): Promise<SinkWriteResult> {
  const keys: string[] = [];
  const versions: string[] = [];
  const records: string[] = [];
  let repeated = 0;
  batch.records.forEach((record, index) => {
    if (record.repeated) {
      repeated++;
      return;
    }
    keys.push(record.key);
    versions.push(record.version);
    records.push(json[index] ?? 'null');
  });
  const scope = batch.scope ?? null;
  const pass = batch.pass?.id ?? null;
  const result = await client.query<{ seen: number; inserted: number; written: number }>({
    ...statements.batch,
    values: [keys, versions, joinLines(records), at, scope, pass, batch.kind],
  });
  const { seen = 0, inserted = 0, written = 0 } = result.rows[0] ?? {};
  if (seen + written < keys.length) {
    await client.query(statements.markSeen, [keys, at, scope, pass]);
  }
  return { inserted, updated: written - inserted, unchanged: keys.length - written + repeated };
}
