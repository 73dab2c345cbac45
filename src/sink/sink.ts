/**
 * The {@link Sink} contract: where synced records are kept current. The latest version of a
 * record wins, deletions are captured as tombstones by full passes over a scope, and the sync
 * state (open passes, finished tasks, watermarks) lives beside the records, so any process can
 * resume the work.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { CanvasOptionsError, CanvasSyncError } from '../errors/index.js';
import { scrubSecretText } from '../errors/secret-patterns.js';

/**
 * Options of {@link Sink.write}.
 * @category Sinks
 */
export interface SinkWriteOptions<T> {
  /**
   * The key of a record: its kind and Canvas id (`course.enrollments:500001`), independent of
   * the request that fetched it, and never a pseudonym (so rotating the HMAC key re-versions
   * records instead of duplicating them). Must return a non-empty string of at most 512
   * characters. Called once per record, when `write` is called.
   */
  key: (record: T) => string;
  /**
   * The version of a record, e.g. from its `updated_at`: a stored record with another version
   * is replaced. Must return a non-empty string of at most 512 characters.
   * @defaultValue `sha256:` and the SHA-256 of the record as stored: its `JSON.stringify` text
   */
  version?: ((record: T) => string) | undefined;
  /**
   * What the records are, e.g. the task kind `course.enrollments`: the table in a database
   * sink. Lower-case letters, digits, `_` and `.`, starting with a letter, at most 63.
   * @defaultValue 'records'
   */
  kind?: string | undefined;
  /**
   * The collection the records belong to (e.g. `course.enrollments:/api/v1/courses/42/enrollments`),
   * for {@link Sink.completePass}: a completed full pass over the scope tombstones the records of
   * the scope it did not see. Records written without a scope are never tombstoned. Ignored
   * (taken from the pass) when `pass` is given. At most 1,024 characters.
   */
  scope?: string | undefined;
  /** The open pass the records were seen in (see {@link Sink.beginPass}). */
  pass?: SinkPass | undefined;
}

/**
 * What one {@link Sink.write} call did. Every record of the batch is counted once.
 * @category Sinks
 */
export interface SinkWriteResult {
  /** Records whose key was new. */
  inserted: number;
  /**
   * Records stored before under another version, replaced; and tombstoned records that came
   * back, restored (whatever their version).
   */
  updated: number;
  /** Records stored before under the same version, left alone (a later copy of a key in the same batch too). */
  unchanged: number;
}

/**
 * A full pass over one scope, open until {@link Sink.completePass}.
 * @category Sinks
 */
export interface SinkPass {
  /** The scope the pass covers. */
  readonly scope: string;
  /** The pass's id, unique in the sink. */
  readonly id: string;
  /** When it was opened, ISO 8601 UTC. */
  readonly startedAt: string;
}

/**
 * What {@link Sink.completePass} did.
 * @category Sinks
 */
export interface SinkPassResult {
  /** Live records of the pass's scope that it did not see, now tombstoned (0 if it was no longer open). */
  readonly deleted: number;
}

/**
 * A record as a sink keeps it.
 * @category Sinks
 */
export interface StoredRecord<T> {
  /** Its key (see {@link SinkWriteOptions.key}). */
  readonly key: string;
  /** Its kind (see {@link SinkWriteOptions.kind}). */
  readonly kind: string;
  /** Its scope, if it was written with one. */
  readonly scope: string | undefined;
  /** Its version. */
  readonly version: string;
  /** The record, as last written. */
  readonly record: T;
  /** When it was first inserted, ISO 8601 UTC. */
  readonly firstSeenAt: string;
  /** When it was last written (any outcome), ISO 8601 UTC. */
  readonly lastSeenAt: string;
  /** The id of the last pass that saw it, if any. */
  readonly pass: string | undefined;
  /** When a completed pass found it gone, ISO 8601 UTC; `undefined` while it exists. */
  readonly deletedAt: string | undefined;
}

/**
 * A task that finished, as the sink records it: the watermarks of incremental runs are derived
 * from these records, so they advance whichever process finished the task.
 * @category Sinks
 */
export interface FinishedTask {
  /** The task's key. */
  readonly key: string;
  /** The task's kind. */
  readonly kind: string;
  /** The scope the task covers (see {@link SinkWriteOptions.scope}). */
  readonly scope: string;
  /**
   * What the watermark measures, for a scope read by more than one kind of incremental task
   * (`'graded'`, `'submitted'`, `'page-views'`; `'full'` for a full pass).
   */
  readonly stream: string;
  /**
   * The watermark the task reached, ISO 8601 UTC: the next incremental task of this scope and
   * stream starts here (the end of a page-view window; the time a fetch started).
   */
  readonly mark: string;
  /** When the task finished, ISO 8601 UTC. */
  readonly finishedAt: string;
}

/**
 * Where synced records are kept current. Every sink follows the same contract, which
 * `runSinkConformance` (from `canvas-sync/testing/sink`) checks:
 *
 * - `write` stores each record by key: a new key is inserted; a stored key with another version
 *   is replaced; the same version is left alone (a re-run or a redelivered task stores nothing
 *   twice); a tombstoned record that comes back is restored (counted as updated). Within one
 *   batch, the first record of a key is written and later ones count as unchanged.
 * - A batch is validated whole before anything is written: if `key` or `version` throws or
 *   returns a non-string for any record, nothing of the batch is written (`CanvasOptionsError`).
 * - Concurrent calls (writes, passes, task records) are applied one after the other, in call
 *   order.
 * - Deletes are captured, never lost: `beginPass(scope)` opens a full pass over a scope (or
 *   returns the one already open, so a task resumed after a crash or on another machine
 *   continues it); records written with the pass are marked seen; `completePass(pass)`
 *   tombstones (time-stamps, never removes) the live records of the scope the pass did not see,
 *   and closes it. Only a task that read its whole collection completes a pass: a filtered or
 *   windowed task, or one that failed part-way, retires nothing.
 * - `flush()` waits for pending writes and makes them durable; `close()` does too, releases
 *   resources, and is idempotent. After `close()`, every other method rejects with
 *   {@link CanvasSinkError} (`SINK_CLOSED`), but `flush()`, which waits for the close.
 * - Bad arguments (a scope that is not a non-empty string of at most 1,024 characters, a pass
 *   not returned by `beginPass`, a finished task with a missing field) are refused with
 *   `CanvasOptionsError` before anything is written.
 * @category Sinks
 */
export interface Sink<T> {
  /** Stores a batch of records; see {@link Sink}. */
  write(records: readonly T[], options: SinkWriteOptions<T>): Promise<SinkWriteResult>;
  /** The record stored under `key` (tombstoned ones included), if any. */
  get(key: string): Promise<StoredRecord<T> | undefined>;
  /** Opens a full pass over `scope`, or returns the pass already open for it. */
  beginPass(scope: string): Promise<SinkPass>;
  /**
   * Completes an open pass: tombstones the live records of its scope that it did not see, and
   * closes it. Completing a pass that is no longer open does nothing (`deleted: 0`).
   */
  completePass(pass: SinkPass): Promise<SinkPassResult>;
  /** Records a finished task (see {@link FinishedTask}); a later record of the same key replaces it. */
  finishTask(task: FinishedTask): Promise<void>;
  /** The finished task of `scope` and `stream` with the latest `mark`, if any. */
  lastFinished(scope: string, stream: string): Promise<FinishedTask | undefined>;
  /** Waits for pending writes and makes them durable, without closing. */
  flush(): Promise<void>;
  /** Waits for pending writes, makes them durable and releases resources; idempotent. */
  close(): Promise<void>;
}

/** Options of the {@link CanvasSinkError} constructor. */
export type CanvasSinkErrorOptions =
  | {
      /** The sink was closed and refused records. */
      code: 'SINK_CLOSED';
      /** The sink, e.g. `'JsonlFileSink'`. */
      sink: string;
    }
  | {
      /** The sink's file holds a complete line that is not a sink line. */
      code: 'SINK_CORRUPT';
      /** The sink, e.g. `'JsonlFileSink'`. */
      sink: string;
      /** The file (configuration, not data); token-shaped parts are redacted. */
      path: string;
      /** The number (from 1) of the first line that is not a sink line. */
      line: number;
    }
  | {
      /** The sink's database records a schema version this canvas-sync does not know. */
      code: 'SINK_SCHEMA';
      /** The sink, e.g. `'SqliteSink'`. */
      sink: string;
      /** The database file (configuration, not data); token-shaped parts are redacted. */
      path: string;
      /** The schema version the database records; `null` if it records none readable. */
      found: number | null;
      /** The newest schema version this canvas-sync reads and writes. */
      supported: number;
    };

/**
 * A {@link Sink} refused to work: `SINK_CLOSED`, it was closed and accepts no more records;
 * `SINK_CORRUPT`, the file it was opened on holds a complete line that is not a sink line (the
 * error names the file and the line number, never the line's content); `SINK_SCHEMA`, the
 * database it was opened on has a schema version this canvas-sync does not know (newer: upgrade
 * canvas-sync; or none readable), and was left untouched. Switch on
 * {@link CanvasSinkError.code}.
 * @category Errors
 */
export class CanvasSinkError extends CanvasSyncError {
  override readonly name = 'CanvasSinkError';
  /** `SINK_CLOSED`, `SINK_CORRUPT` or `SINK_SCHEMA`. */
  declare readonly code: 'SINK_CLOSED' | 'SINK_CORRUPT' | 'SINK_SCHEMA';
  /** The sink, e.g. `'JsonlFileSink'`. */
  readonly sink: string;
  /** For `SINK_CORRUPT` and `SINK_SCHEMA`: the file, token-shaped parts redacted; absent otherwise. */
  declare readonly path?: string;
  /** For `SINK_CORRUPT`: the number (from 1) of the first corrupt line; absent otherwise. */
  declare readonly line?: number;
  /** For `SINK_SCHEMA`: the schema version the database records (`null`: none readable). */
  declare readonly found?: number | null;
  /** For `SINK_SCHEMA`: the newest schema version this canvas-sync supports. */
  declare readonly supported?: number;

  constructor(options: CanvasSinkErrorOptions) {
    super({ code: options.code, message: describeSinkError(options) });
    this.sink = options.sink;
    if (options.code === 'SINK_CORRUPT') {
      this.path = scrubSecretText(options.path);
      this.line = options.line;
    } else if (options.code === 'SINK_SCHEMA') {
      this.path = scrubSecretText(options.path);
      this.found = options.found;
      this.supported = options.supported;
    }
  }
}

function describeSinkError(options: CanvasSinkErrorOptions): string {
  if (options.code === 'SINK_CLOSED') {
    return `The ${options.sink} is closed and accepts no more records`;
  }
  if (options.code === 'SINK_SCHEMA') {
    return options.found === null
      ? `The ${options.sink} database ${options.path} records no readable schema version (expected 1 to ${options.supported}); it was left untouched`
      : `The ${options.sink} database ${options.path} has schema version ${options.found}, newer than ${options.supported}, the newest this canvas-sync supports: upgrade canvas-sync; it was left untouched`;
  }
  return `The ${options.sink} file ${options.path} is corrupt: line ${options.line} is not a change line of canvas-sync`;
}

/** One record of a validated batch, ready to store. */
export interface PreparedRecord<T> {
  readonly key: string;
  readonly version: string;
  readonly record: T;
  /** The record as stored: its `JSON.stringify` text, computed once per batch. */
  readonly json: string;
  /** Whether an earlier record of the batch has the same key (it is then unchanged). */
  readonly repeated: boolean;
}

/** A validated batch: the records with their keys and versions, and where they go. */
export interface PreparedBatch<T> {
  readonly kind: string;
  readonly scope: string | undefined;
  readonly pass: SinkPass | undefined;
  readonly records: readonly PreparedRecord<T>[];
}

const KIND = /^[a-z][a-z0-9_.]{0,62}$/;
const MAX_KEY = 512;
const MAX_SCOPE = 1_024;

/**
 * Validates the arguments of `write` whole, and computes every record's key and version.
 *
 * @throws CanvasOptionsError naming the sink and the record's position (never its content).
 * @internal
 */
export function prepareBatch<T>(
  sink: string,
  records: readonly T[],
  options: SinkWriteOptions<T>,
): PreparedBatch<T> {
  if (!Array.isArray(records)) throw sinkInvalid(sink, 'records', 'Expected an array of records');
  if (typeof options !== 'object' || options === null) {
    throw sinkInvalid(sink, 'options', 'Expected an object');
  }
  const { key: keyOf, version: versionOf, pass } = options;
  if (typeof keyOf !== 'function') throw sinkInvalid(sink, 'options.key', 'Expected a function');
  if (versionOf !== undefined && typeof versionOf !== 'function') {
    throw sinkInvalid(sink, 'options.version', 'Expected a function');
  }
  const kind = options.kind ?? 'records';
  if (typeof kind !== 'string' || !KIND.test(kind)) {
    throw sinkInvalid(
      sink,
      'options.kind',
      'Expected lower-case letters, digits, _ and ., from a letter, at most 63',
    );
  }
  if (pass !== undefined && !isPass(pass)) {
    throw sinkInvalid(sink, 'options.pass', 'Expected a pass returned by beginPass');
  }
  const scope = pass?.scope ?? options.scope;
  if (
    scope !== undefined &&
    (typeof scope !== 'string' || scope === '' || scope.length > MAX_SCOPE)
  ) {
    throw sinkInvalid(
      sink,
      'options.scope',
      `Expected a non-empty string of at most ${MAX_SCOPE} characters`,
    );
  }
  const seen = new Set<string>();
  const prepared = records.map((record, index) => {
    const key = checkedString(sink, index, 'key', keyOf(record));
    const json = recordJson(sink, record, index);
    const version = checkedString(
      sink,
      index,
      'version',
      versionOf === undefined ? digestOf(json) : versionOf(record),
    );
    const repeated = seen.has(key);
    seen.add(key);
    return { key, version, record, json, repeated };
  });
  return { kind, scope, pass, records: prepared };
}

function checkedString(sink: string, index: number, what: string, value: unknown): string {
  if (typeof value === 'string' && value !== '' && value.length <= MAX_KEY) return value;
  const got =
    value === ''
      ? 'an empty string'
      : value === null
        ? 'null'
        : typeof value === 'string'
          ? 'a string too long'
          : typeof value;
  throw sinkInvalid(
    sink,
    `records[${index}]`,
    `options.${what} returned ${got}; expected a non-empty string of at most ${MAX_KEY} characters`,
  );
}

/**
 * Checks a scope given to `beginPass`.
 * @throws CanvasOptionsError unless it is a non-empty string of at most 1,024 characters.
 * @internal
 */
export function checkScope(sink: string, scope: unknown): string {
  if (typeof scope === 'string' && scope !== '' && scope.length <= MAX_SCOPE) return scope;
  throw sinkInvalid(
    sink,
    'scope',
    `Expected a non-empty string of at most ${MAX_SCOPE} characters`,
  );
}

/**
 * Checks a pass given to `completePass`.
 * @throws CanvasOptionsError unless it has the shape `beginPass` returns.
 * @internal
 */
export function checkPass(sink: string, pass: unknown): SinkPass {
  if (isPass(pass)) return pass;
  throw sinkInvalid(sink, 'pass', 'Expected a pass returned by beginPass');
}

/**
 * Checks a finished task given to `finishTask`, and copies its fields.
 * @throws CanvasOptionsError unless every field is a non-empty string.
 * @internal
 */
export function checkFinishedTask(sink: string, task: unknown): FinishedTask {
  const fields = ['key', 'kind', 'scope', 'stream', 'mark', 'finishedAt'] as const;
  const given = (task ?? {}) as Record<string, unknown>;
  for (const field of fields) {
    const value = given[field];
    if (typeof value !== 'string' || value === '' || value.length > MAX_SCOPE) {
      throw sinkInvalid(
        sink,
        `task.${field}`,
        `Expected a non-empty string of at most ${MAX_SCOPE} characters`,
      );
    }
  }
  const copy = Object.fromEntries(fields.map((field) => [field, given[field]]));
  return copy as unknown as FinishedTask;
}

function isPass(value: unknown): value is SinkPass {
  const pass = value as Partial<SinkPass> | null;
  return (
    typeof pass === 'object' &&
    pass !== null &&
    typeof pass.scope === 'string' &&
    pass.scope !== '' &&
    typeof pass.id === 'string' &&
    pass.id !== '' &&
    typeof pass.startedAt === 'string'
  );
}

/**
 * A record's JSON text, or a `CanvasOptionsError` naming its position (never quoting it): the
 * engine's message for a cycle or a BigInt may quote the record.
 */
function recordJson(sink: string, record: unknown, index: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch {
    throw sinkInvalid(sink, `records[${index}]`, 'Cannot be serialized as JSON');
  }
  if (json === undefined) {
    throw sinkInvalid(sink, `records[${index}]`, `Not a JSON value (${typeof record})`);
  }
  return json;
}

/**
 * The default version of a record stored as `json`: `sha256:` and the hex SHA-256 of that text.
 * @internal
 */
export function digestOf(json: string): string {
  return `sha256:${createHash('sha256').update(json).digest('hex')}`;
}

/**
 * JSON with object keys sorted at every level; `undefined` values dropped as JSON does.
 * @internal
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const name of Object.keys(inner).sort()) {
      sorted[name] = (inner as Record<string, unknown>)[name];
    }
    return sorted;
  });
}

/** @internal */
export function sinkInvalid(sink: string, path: string, message: string): CanvasOptionsError {
  return new CanvasOptionsError({ what: `${sink} input`, issues: [{ path, message }] });
}
