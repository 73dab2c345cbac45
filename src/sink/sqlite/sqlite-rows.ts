/**
 * The rows of `canvas_sync_records`: writing a validated batch (exact counts) and reading a row
 * back as a {@link StoredRecord}.
 *
 * @module
 */
import type { InStatement, Row, Transaction } from '@libsql/client';
import type { PreparedBatch, SinkWriteResult, StoredRecord } from '../sink.js';

/** Every column of `canvas_sync_records`, in table order. */
export const RECORD_COLUMNS =
  'key, kind, scope, version, record, first_seen_at, last_seen_at, pass, deleted_at';

/** Keys per `SELECT … WHERE key IN (…)`, well under SQLite's limit of bound parameters. */
const KEYS_PER_SELECT = 500;

/** Rows per multi-row statement: 8 bound parameters each, far under SQLite's limit. */
const ROWS_PER_STATEMENT = 200;

/**
 * Writes a validated batch in `transaction`: reads the stored version (and tombstone) of each key
 * first, counting exactly, then writes the new and changed rows with one multi-row upsert and
 * marks the unchanged ones seen with one update (per 200 rows).
 */
export async function writeBatch<T>(
  transaction: Transaction,
  batch: PreparedBatch<T>,
  json: readonly string[],
  at: string,
): Promise<SinkWriteResult> {
  const stored = await storedVersions(
    transaction,
    batch.records.filter((record) => !record.repeated).map((record) => record.key),
  );
  const scope = batch.scope ?? null;
  const pass = batch.pass?.id ?? null;
  const result = { inserted: 0, updated: 0, unchanged: 0 };
  const written: (string | null)[][] = [];
  const seen: string[] = [];
  batch.records.forEach(({ key, version, repeated }, index) => {
    const before = stored.get(key);
    if (repeated) {
      result.unchanged++;
      return;
    }
    if (before !== undefined && before.version === version && !before.deleted) {
      result.unchanged++;
      seen.push(key);
      return;
    }
    if (before === undefined) result.inserted++;
    else result.updated++;
    written.push([key, batch.kind, scope, version, json[index] ?? 'null', at, at, pass]);
  });
  const statements: InStatement[] = [];
  for (let start = 0; start < written.length; start += ROWS_PER_STATEMENT) {
    const rows = written.slice(start, start + ROWS_PER_STATEMENT);
    statements.push({
      // first_seen_at is kept on conflict: it is the time of the first insert.
      sql: `INSERT INTO canvas_sync_records (${RECORD_COLUMNS})
            VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, NULL)').join(', ')}
            ON CONFLICT (key) DO UPDATE SET kind = excluded.kind,
              scope = coalesce(excluded.scope, scope), version = excluded.version,
              record = excluded.record, last_seen_at = excluded.last_seen_at,
              pass = coalesce(excluded.pass, pass), deleted_at = NULL`,
      args: rows.flat(),
    });
  }
  for (let start = 0; start < seen.length; start += ROWS_PER_STATEMENT) {
    const keys = seen.slice(start, start + ROWS_PER_STATEMENT);
    statements.push({
      sql: `UPDATE canvas_sync_records SET scope = coalesce(?, scope), last_seen_at = ?,
              pass = coalesce(?, pass)
            WHERE key IN (${keys.map(() => '?').join(', ')})`,
      args: [scope, at, pass, ...keys],
    });
  }
  if (statements.length > 0) await transaction.batch(statements);
  return result;
}

/** The stored version of each of `keys` that is stored, and whether it is tombstoned. */
async function storedVersions(
  transaction: Transaction,
  keys: readonly string[],
): Promise<Map<string, { version: string; deleted: boolean }>> {
  const stored = new Map<string, { version: string; deleted: boolean }>();
  for (let start = 0; start < keys.length; start += KEYS_PER_SELECT) {
    const chunk = keys.slice(start, start + KEYS_PER_SELECT);
    const result = await transaction.execute({
      sql: `SELECT key, version, deleted_at IS NOT NULL AS deleted FROM canvas_sync_records
            WHERE key IN (${chunk.map(() => '?').join(', ')})`,
      args: chunk,
    });
    for (const row of result.rows) {
      stored.set(text(row, 'key'), { version: text(row, 'version'), deleted: row.deleted === 1 });
    }
  }
  return stored;
}

/** A row of `canvas_sync_records` (all its columns) as a {@link StoredRecord}. */
export function toStoredRecord<T>(row: Row): StoredRecord<T> {
  return {
    key: text(row, 'key'),
    kind: text(row, 'kind'),
    scope: optionalText(row, 'scope'),
    version: text(row, 'version'),
    record: JSON.parse(text(row, 'record')) as T,
    firstSeenAt: text(row, 'first_seen_at'),
    lastSeenAt: text(row, 'last_seen_at'),
    pass: optionalText(row, 'pass'),
    deletedAt: optionalText(row, 'deleted_at'),
  };
}

/** A text column (any other value as text). */
export function text(row: Row, column: string): string {
  const value = row[column];
  return typeof value === 'string' ? value : String(value);
}

/** A nullable text column: `undefined` for `NULL`. */
function optionalText(row: Row, column: string): string | undefined {
  const value = row[column];
  return value === null || value === undefined ? undefined : String(value);
}
