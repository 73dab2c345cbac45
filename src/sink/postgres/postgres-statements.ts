/**
 * The SQL of {@link PostgresSink}'s calls, and the conversions between records and rows: what
 * one `write` batch does in its transaction, and how stored rows read back.
 *
 * @module
 */
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
  return json.replace(UNSTORABLE_ESCAPE, '$1\\ufffd');
}

/** Whether `text` holds a NUL character, which PostgreSQL text cannot hold. */
export function hasNul(text: string): boolean {
  return text.includes('\u0000');
}

/**
 * Writes a validated batch on `client`, in its open transaction, with exact counts:
 *
 * 1. one `INSERT … SELECT FROM unnest(…) ON CONFLICT (key) DO UPDATE … WHERE` the version differs
 *    or the row is a tombstone, over the batch's distinct keys in key order (so that two
 *    processes writing overlapping batches lock rows in the same order). It returns the rows it
 *    inserted (`xmax = 0`) or replaced; and it locks every conflicting row, the ones the `WHERE`
 *    leaves alone too;
 * 2. one `UPDATE` of those left alone (unchanged): `last_seen_at`, and the batch's scope and pass.
 *
 * A repeated key of the batch counts as unchanged and is not written.
 */
export async function writeBatch(
  client: pg.ClientBase,
  table: string,
  batch: PreparedBatch<unknown>,
  json: readonly string[],
  at: string,
): Promise<SinkWriteResult> {
  const keys: string[] = [];
  // One JSON array of { key, version, record } rows, parsed by PostgreSQL in one go: much
  // cheaper than a text[] and a jsonb[] parameter, whose array literals escape every quote.
  const rows: string[] = [];
  let repeated = 0;
  batch.records.forEach((record, index) => {
    if (record.repeated) {
      repeated++;
      return;
    }
    keys.push(record.key);
    rows.push(
      `{"key":${JSON.stringify(record.key)},"version":${JSON.stringify(record.version)},"record":${json[index] ?? 'null'}}`,
    );
  });
  const scope = batch.scope ?? null;
  const pass = batch.pass?.id ?? null;
  const written = await client.query<{ key: string; outcome: 'inserted' | 'updated' }>(
    `INSERT INTO ${table} AS r
       (key, kind, scope, version, record, first_seen_at, last_seen_at, pass, deleted_at)
     SELECT i.key, $2, $3, i.version, i.record, $4::timestamptz, $4::timestamptz, $5, NULL
       FROM jsonb_to_recordset($1::jsonb) AS i (key text, version text, record jsonb)
       ORDER BY i.key
     ON CONFLICT (key) DO UPDATE SET
       kind = EXCLUDED.kind,
       scope = coalesce(EXCLUDED.scope, r.scope),
       version = EXCLUDED.version,
       record = EXCLUDED.record,
       last_seen_at = EXCLUDED.last_seen_at,
       pass = coalesce(EXCLUDED.pass, r.pass),
       deleted_at = NULL
     WHERE r.version IS DISTINCT FROM EXCLUDED.version OR r.deleted_at IS NOT NULL
     RETURNING r.key, CASE WHEN r.xmax = 0 THEN 'inserted' ELSE 'updated' END AS outcome`,
    [`[${rows.join(',')}]`, batch.kind, scope, at, pass],
  );
  let inserted = 0;
  const changed = new Set<string>();
  for (const row of written.rows) {
    if (row.outcome === 'inserted') inserted++;
    changed.add(row.key);
  }
  const same = keys.filter((key) => !changed.has(key));
  if (same.length > 0) {
    await client.query(
      `UPDATE ${table} SET last_seen_at = $2::timestamptz, scope = coalesce($3, scope),
         pass = coalesce($4, pass)
       WHERE key = ANY ($1::text[])`,
      [same, at, scope, pass],
    );
  }
  return {
    inserted,
    updated: written.rows.length - inserted,
    unchanged: same.length + repeated,
  };
}
