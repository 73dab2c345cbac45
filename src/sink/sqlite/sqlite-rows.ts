/**
 * The rows of `canvas_sync_records`: writing a validated batch (exact counts) and reading a row
 * back as a {@link StoredRecord}.
 *
 * @module
 */
import type { InStatement, Row, Transaction } from '@libsql/client';
import {
  type PreparedBatch,
  type SinkWriteResult,
  type StoredRecord,
  sinkInvalid,
} from '../sink.js';
import { SINK } from './sqlite-options.js';

/** Every column of `canvas_sync_records`, in table order. */
export const RECORD_COLUMNS =
  'key, kind, scope, version, record, first_seen_at, last_seen_at, pass, deleted_at';

/** Keys per `SELECT … WHERE key IN (…)`, well under SQLite's limit of bound parameters. */
const KEYS_PER_SELECT = 500;

/**
 * Writes a validated batch in `transaction`: reads the stored version (and tombstone) of each key
 * first, then inserts, replaces or touches each row, counting exactly.
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
  const statements: InStatement[] = [];
  batch.records.forEach(({ key, version, repeated }, index) => {
    const before = stored.get(key);
    if (repeated) {
      result.unchanged++;
    } else if (before === undefined) {
      result.inserted++;
      statements.push({
        sql: `INSERT INTO canvas_sync_records (${RECORD_COLUMNS})
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
        args: [key, batch.kind, scope, version, json[index] ?? 'null', at, at, pass],
      });
    } else if (before.version !== version || before.deleted) {
      result.updated++;
      statements.push({
        sql: `UPDATE canvas_sync_records SET kind = ?, scope = coalesce(?, scope), version = ?,
                record = ?, last_seen_at = ?, pass = coalesce(?, pass), deleted_at = NULL
              WHERE key = ?`,
        args: [batch.kind, scope, version, json[index] ?? 'null', at, pass, key],
      });
    } else {
      result.unchanged++;
      statements.push({
        sql: `UPDATE canvas_sync_records SET scope = coalesce(?, scope), last_seen_at = ?,
                pass = coalesce(?, pass)
              WHERE key = ?`,
        args: [scope, at, pass, key],
      });
    }
  });
  await transaction.batch(statements);
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

/** A record as stored: its JSON, or a `CanvasOptionsError` naming its position. */
export function toJson(record: unknown, index: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch {
    // reported below
  }
  if (typeof json !== 'string') {
    throw sinkInvalid(SINK, `records[${index}]`, 'Cannot be serialized as JSON');
  }
  return json;
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
