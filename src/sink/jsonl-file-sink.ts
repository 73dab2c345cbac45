/**
 * {@link JsonlFileSink}: an append-only JSON Lines change log that keeps the latest version of
 * every record, across a crash and a restart.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../errors/index.js';
import {
  CanvasSinkError,
  checkFinishedTask,
  checkPass,
  checkScope,
  digestOf,
  type FinishedTask,
  prepareBatch,
  type Sink,
  type SinkPass,
  type SinkWriteOptions,
  type SinkWriteResult,
  type StoredRecord,
  sinkInvalid,
} from './sink.js';

/** The arguments of {@link JsonlFileSink.open}. */
const openArgsSchema = z.object({
  path: z
    .string({ error: 'Expected a non-empty file path' })
    .min(1, 'Expected a non-empty file path'),
  options: z.strictObject({ durable: z.boolean().optional(), now: z.function().optional() }),
});

/**
 * Options of {@link JsonlFileSink.open}.
 * @category Sinks
 */
export interface JsonlFileSinkOptions {
  /**
   * Whether to `fdatasync` the file after every write, so that a resolved `write` survives a
   * power loss, not only a process crash. Costs one disk flush per batch. Without it, data
   * reaches the disk when the OS decides, and at the latest on `flush()`/`close()`.
   * @defaultValue false
   */
  durable?: boolean | undefined;
  /** The time stamps of the log. @defaultValue `() => new Date()` */
  now?: (() => Date) | undefined;
}

/**
 * What {@link JsonlFileSink.open} found in an existing file.
 * @category Sinks
 */
export interface JsonlRecovery {
  /** Complete lines read (blank lines aside). */
  lines: number;
  /**
   * Bytes of an unterminated last line (a write torn by a crash) removed from the end of the
   * file; 0 if the file ended cleanly.
   */
  truncatedBytes: number;
}

/**
 * One line of the change log: a JSON object with the fields in the order listed here (absent
 * ones left out), then `\n`. Record lines carry the record as `JSON.stringify` writes it, last,
 * wrapped so that records of any shape round-trip unchanged. A 0.1 line, `{"key","record"}`,
 * reads as an insert.
 * @category Sinks
 */
export type JsonlChange =
  | {
      /** A new key, a new version of a stored one, or a tombstoned one back. */
      op: 'insert' | 'update' | 'restore';
      /** The record's key. */
      key: string;
      /** The record's kind. */
      kind: string;
      /** The record's scope, if any. */
      scope?: string;
      /** The record's version. */
      version: string;
      /** The last pass that saw it, if any. */
      pass?: string;
      /** When, ISO 8601 UTC. */
      at: string;
      /** The record. */
      record: unknown;
    }
  | {
      /** A completed pass did not see this record: tombstoned. */
      op: 'delete';
      /** The record's key. */
      key: string;
      /** The pass that retired it. */
      pass: string;
      /** When, ISO 8601 UTC. */
      at: string;
    }
  | {
      /** Records written again at the same version (and seen by `pass`, if given). */
      op: 'seen';
      /** Their keys. */
      keys: string[];
      /** The scope they were written with (the pass's), if any: it becomes theirs. */
      scope?: string;
      /** The pass that saw them, if any. */
      pass?: string;
      /** When, ISO 8601 UTC. */
      at: string;
    }
  | {
      /** A pass opened (`pass`) or completed (`pass-done`). */
      op: 'pass' | 'pass-done';
      /** Its scope. */
      scope: string;
      /** Its id. */
      id: string;
      /** When, ISO 8601 UTC. */
      at: string;
    }
  | ({
      /** A task finished (see {@link FinishedTask}). */
      op: 'task';
    } & FinishedTask);

const SINK = 'JsonlFileSink';
const READ_CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
/** The time stamps of a record read from a 0.1 file, which kept none. */
const EPOCH = '1970-01-01T00:00:00.000Z';
/** The fields of a {@link FinishedTask}, each a non-empty string. */
const TASK_FIELDS = ['key', 'kind', 'scope', 'stream', 'mark', 'finishedAt'] as const;

/** What the sink keeps in memory per key: everything but the record, and where its line is. */
interface Entry {
  kind: string;
  scope: string | undefined;
  version: string;
  pass: string | undefined;
  firstSeenAt: string;
  lastSeenAt: string;
  deletedAt: string | undefined;
  /** Byte offset and length of the line holding the record's latest version. */
  offset: number;
  length: number;
}

/** The state a log describes: rebuilt by {@link JsonlFileSink.open}, kept current by writes. */
interface State {
  readonly entries: Map<string, Entry>;
  readonly passes: Map<string, SinkPass>;
  readonly tasks: Map<string, FinishedTask>;
}

/**
 * A {@link Sink} that keeps a JSON Lines change log: one line per insert, update, restore or
 * delete (tombstone), with the operation, key, kind, scope, version and time, plus lines for
 * records seen again unchanged, for passes opened and completed, and for finished tasks (see
 * {@link JsonlChange}). Reading the log from the top and applying each line gives the latest
 * state; {@link JsonlFileSink.open} does exactly that, so a restarted sink goes on where the
 * last one stopped (open passes included). Files written by 0.1 (`{"key","record"}` lines) are
 * read as inserts of kind `records`, without scope, versioned by content, first and last seen at
 * the Unix epoch (0.1 kept no times); new lines are appended after them.
 *
 * Memory: the sink keeps, per key, its metadata and where its latest line is (not the record):
 * roughly 175 bytes plus the length of the key and of the version (71 characters for the default
 * SHA-256 version), measured at about 270 bytes per key for keys like
 * `course.enrollments:500001`, so a million keys take about 270 MB. Kinds, scopes, pass ids and
 * times are shared between keys. For institution-scale page views, use a database sink
 * (`canvas-sync/sinks/sqlite`, `canvas-sync/sinks/postgres`). `get(key)` reads the record's line
 * back from the file.
 *
 * Crash safety: each call appends its lines with one write. A crash during a write can leave an
 * unterminated last line; `open` removes it (see {@link JsonlRecovery}), so the file always
 * holds complete lines only, and a retried batch writes what is missing (a torn
 * `completePass` leaves the pass open, to be completed again). If a write fails, the file is
 * truncated back to its previous end; if that fails too, the sink refuses further writes (with
 * the write's error), and the next `open` keeps the complete lines of that write and removes its
 * torn end. Without `durable: true`, a power
 * loss (as opposed to a process crash) can lose writes that already resolved. One sink per file:
 * there is no locking between processes.
 *
 * @example
 * ```ts
 * const sink = await JsonlFileSink.open<User>('out/users.jsonl');
 * try {
 *   const scope = 'course.users:/api/v1/courses/42/users';
 *   const pass = await sink.beginPass(scope);
 *   for await (const page of canvas.pages('/api/v1/courses/42/users')) {
 *     await sink.write(page.items, { key: (user) => `course.users:${user.id}`, pass });
 *   }
 *   await sink.completePass(pass); // tombstones the users no longer listed
 * } finally {
 *   await sink.close();
 * }
 * ```
 * @category Sinks
 */
export class JsonlFileSink<T> implements Sink<T> {
  /** The absolute path of the file. */
  readonly path: string;
  /** What `open` found in the existing file. */
  readonly recovery: JsonlRecovery;
  readonly #handle: FileHandle;
  readonly #state: State;
  readonly #durable: boolean;
  readonly #now: () => Date;
  /** Bytes of complete lines in the file. */
  #bytes: number;
  /** Calls run one after the other on this chain; it never rejects. */
  #queue: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  /** Set when a failed write could not be undone: the sink refuses further writes. */
  #failure: unknown;

  private constructor(init: {
    path: string;
    handle: FileHandle;
    state: State;
    bytes: number;
    durable: boolean;
    now: () => Date;
    recovery: JsonlRecovery;
  }) {
    this.path = init.path;
    this.#handle = init.handle;
    this.#state = init.state;
    this.#bytes = init.bytes;
    this.#durable = init.durable;
    this.#now = init.now;
    this.recovery = init.recovery;
  }

  /**
   * Opens (creating it and its parent directories if needed) a change log, replays it, and
   * removes an unterminated last line left by a crash.
   *
   * @param path - The file path, absolute or relative to the working directory.
   * @param options - See {@link JsonlFileSinkOptions}.
   * @throws CanvasOptionsError if `path` is not a non-empty string or `options` are invalid.
   * @throws CanvasSinkError with code `SINK_CORRUPT` if the file has a complete line that is not
   *   a change line (see {@link JsonlChange}); the error names the file and the line number,
   *   never the line's content. Blank lines are ignored.
   * @throws the file system's error if the file cannot be created, read or truncated.
   */
  static async open<T>(
    path: string,
    options: JsonlFileSinkOptions = {},
  ): Promise<JsonlFileSink<T>> {
    const parsed = parseOptions(openArgsSchema, { path, options }, `${SINK} input`).options;
    const absolute = resolve(path);
    await mkdir(dirname(absolute), { recursive: true });
    const handle = await open(absolute, 'a+');
    try {
      const scan = await scanFile(handle, absolute);
      const truncatedBytes = scan.size - scan.validEnd;
      if (truncatedBytes > 0) {
        await handle.truncate(scan.validEnd);
        await handle.sync();
      }
      return new JsonlFileSink<T>({
        path: absolute,
        handle,
        state: scan.state,
        bytes: scan.validEnd,
        durable: parsed.durable ?? false,
        now: options.now ?? (() => new Date()),
        recovery: { lines: scan.lines, truncatedBytes },
      });
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }

  /** Number of keys in the log, tombstoned ones included. */
  get size(): number {
    return this.#state.entries.size;
  }

  /** Whether {@link JsonlFileSink.close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Whether a record with this key is in the log (tombstoned or not; a pending write counts once
   * written).
   */
  has(key: string): boolean {
    return this.#state.entries.has(key);
  }

  /**
   * Appends the batch's changes as one write; see {@link Sink}. Keys and versions are computed
   * and records serialized when `write` is called, so later changes to the records do not matter.
   *
   * @throws CanvasSinkError with code `SINK_CLOSED` after `close()` was called.
   * @throws CanvasOptionsError if the options are invalid, `key` or `version` returns no
   *   non-empty string of at most 512 characters, or a record cannot be serialized as JSON
   *   (`undefined`, a function, a bigint, a cycle); then nothing of the batch is written.
   * @throws the file system's error if the write fails; the file is then truncated back to its
   *   previous end, so the batch can be retried.
   */
  async write(records: readonly T[], options: SinkWriteOptions<T>): Promise<SinkWriteResult> {
    this.#open();
    const batch = prepareBatch(SINK, records, options);
    return this.#enqueue(() => {
      const at = this.#now().toISOString();
      const result = { inserted: 0, updated: 0, unchanged: 0 };
      const changes: { key: string; line: string; entry: Entry }[] = [];
      const seen: string[] = [];
      batch.records.forEach(({ key, version, repeated }, index) => {
        // A repeated key's first record is handled already: the rest count as unchanged.
        const stored = repeated ? undefined : this.#state.entries.get(key);
        if (
          repeated ||
          (stored !== undefined && stored.version === version && stored.deletedAt === undefined)
        ) {
          result.unchanged++;
          if (!repeated) seen.push(key);
          return;
        }
        const op =
          stored === undefined ? 'insert' : stored.deletedAt !== undefined ? 'restore' : 'update';
        if (op === 'insert') result.inserted++;
        else result.updated++;
        const scope = batch.scope ?? stored?.scope;
        const pass = batch.pass?.id ?? stored?.pass;
        const head = { op, key, kind: batch.kind, scope, version, pass, at };
        const line = `${JSON.stringify(head).slice(0, -1)},"record":${batch.records[index]?.json}}\n`;
        const entry: Entry = {
          kind: batch.kind,
          scope,
          version,
          pass,
          firstSeenAt: stored?.firstSeenAt ?? at,
          lastSeenAt: at,
          deletedAt: undefined,
          offset: 0,
          length: 0,
        };
        changes.push({ key, line, entry });
      });
      const seenChange = { op: 'seen', keys: seen, scope: batch.scope, pass: batch.pass?.id, at };
      const seenLine = seen.length === 0 ? '' : `${JSON.stringify(seenChange)}\n`;
      return this.#append(changes.map((change) => change.line).join('') + seenLine, (offset) => {
        let lineStart = offset;
        for (const { key, line, entry } of changes) {
          entry.offset = lineStart;
          entry.length = Buffer.byteLength(line);
          lineStart += entry.length;
          this.#state.entries.set(key, entry);
        }
        for (const key of seen) {
          const entry = this.#state.entries.get(key);
          if (entry === undefined) continue;
          entry.lastSeenAt = at;
          if (batch.pass !== undefined) entry.pass = batch.pass.id;
          if (batch.scope !== undefined) entry.scope = batch.scope;
        }
        return result;
      });
    });
  }

  /**
   * The record stored under `key` (tombstoned ones included), read back from its line in the
   * file once the calls made before this one are written.
   *
   * @throws CanvasSinkError with code `SINK_CLOSED` after `close()` was called; with code
   *   `SINK_CORRUPT` if the record's line was changed behind the sink's back.
   */
  async get(key: string): Promise<StoredRecord<T> | undefined> {
    this.#open();
    if (typeof key !== 'string') throw sinkInvalid(SINK, 'key', 'Expected a string');
    return this.#enqueue(async () => {
      const entry = this.#state.entries.get(key);
      if (entry === undefined) return undefined;
      const record = await this.#readRecord(key, entry);
      return {
        key,
        kind: entry.kind,
        scope: entry.scope,
        version: entry.version,
        record,
        firstSeenAt: entry.firstSeenAt,
        lastSeenAt: entry.lastSeenAt,
        pass: entry.pass,
        deletedAt: entry.deletedAt,
      };
    });
  }

  /**
   * Opens a full pass over `scope`, or returns the pass already open for it (also one opened
   * before a restart).
   *
   * @throws CanvasSinkError with code `SINK_CLOSED` after `close()` was called.
   * @throws CanvasOptionsError if `scope` is not a non-empty string of at most 1,024 characters.
   */
  async beginPass(scope: string): Promise<SinkPass> {
    this.#open();
    checkScope(SINK, scope);
    return this.#enqueue(async () => {
      const open = this.#state.passes.get(scope);
      if (open !== undefined) return open;
      const pass = { scope, id: randomUUID(), startedAt: this.#now().toISOString() };
      const line = `${JSON.stringify({ op: 'pass', scope, id: pass.id, at: pass.startedAt })}\n`;
      return this.#append(line, () => {
        this.#state.passes.set(scope, pass);
        return pass;
      });
    });
  }

  /**
   * Tombstones the live records of the pass's scope it did not see, and closes it, with one
   * write: `delete` lines, then `pass-done`. If a crash tears that write, the pass is still open
   * on the next `open`, the records whose `delete` line was written stay tombstoned, and
   * completing the pass again retires the rest.
   *
   * @throws CanvasSinkError with code `SINK_CLOSED` after `close()` was called.
   * @throws CanvasOptionsError if `pass` is not a pass returned by `beginPass`.
   */
  async completePass(pass: SinkPass): Promise<{
    /** Records tombstoned by this call. */
    deleted: number;
  }> {
    this.#open();
    const { scope, id } = checkPass(SINK, pass);
    return this.#enqueue(async () => {
      if (this.#state.passes.get(scope)?.id !== id) return { deleted: 0 };
      const at = this.#now().toISOString();
      const retired: Entry[] = [];
      let text = '';
      for (const [key, entry] of this.#state.entries) {
        if (!isRetired(entry, scope, id)) continue;
        retired.push(entry);
        text += `${JSON.stringify({ op: 'delete', key, pass: id, at })}\n`;
      }
      text += `${JSON.stringify({ op: 'pass-done', scope, id, at })}\n`;
      return this.#append(text, () => {
        for (const entry of retired) entry.deletedAt = at;
        this.#state.passes.delete(scope);
        return { deleted: retired.length };
      });
    });
  }

  /**
   * Records a finished task; a later record of the same key replaces it.
   *
   * @throws CanvasSinkError with code `SINK_CLOSED` after `close()` was called.
   * @throws CanvasOptionsError if a field of `task` is not a non-empty string.
   */
  async finishTask(task: FinishedTask): Promise<void> {
    this.#open();
    const copy = checkFinishedTask(SINK, task);
    return this.#enqueue(() =>
      this.#append(`${JSON.stringify({ op: 'task', ...copy })}\n`, () => {
        this.#state.tasks.set(copy.key, copy);
      }),
    );
  }

  /**
   * The finished task of `scope` and `stream` with the latest `mark`, if any.
   *
   * @throws CanvasSinkError with code `SINK_CLOSED` after `close()` was called.
   */
  async lastFinished(scope: string, stream: string): Promise<FinishedTask | undefined> {
    this.#open();
    return this.#enqueue(async () => latestTask(this.#state.tasks.values(), scope, stream));
  }

  /** Waits for pending writes and `fsync`s the file. After `close()`, waits for it instead. */
  async flush(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    return this.#enqueue(() => this.#handle.sync());
  }

  /**
   * Waits for pending writes, `fsync`s and closes the file. Idempotent: later calls return the
   * same promise. Calls made before `close()` are still written.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#queue;
      try {
        await this.#handle.sync();
      } finally {
        await this.#handle.close();
      }
    })();
    return this.#closing;
  }

  #open(): void {
    if (this.closed) throw new CanvasSinkError({ code: 'SINK_CLOSED', sink: SINK });
  }

  #enqueue<R>(task: () => Promise<R>): Promise<R> {
    const run = this.#queue.then(task);
    this.#queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** Appends `text` with one write; on success applies `commit(offset)` to the state. */
  async #append<R>(text: string, commit: (offset: number) => R): Promise<R> {
    if (this.#failure !== undefined) throw this.#failure;
    const offset = this.#bytes;
    if (text !== '') {
      const data = Buffer.from(text, 'utf8');
      try {
        await writeAll(this.#handle, data);
        if (this.#durable) await this.#handle.datasync();
      } catch (error) {
        try {
          await this.#handle.truncate(this.#bytes);
        } catch {
          this.#failure = error;
        }
        throw error;
      }
      this.#bytes += data.length;
    }
    return commit(offset);
  }

  /** Reads the record of `key` back from its line. */
  async #readRecord(key: string, entry: Entry): Promise<T> {
    const buffer = Buffer.allocUnsafe(entry.length);
    let read = 0;
    while (read < entry.length) {
      const { bytesRead } = await this.#handle.read(
        buffer,
        read,
        entry.length - read,
        entry.offset + read,
      );
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    const change = read === entry.length ? parseObject(buffer.toString('utf8')) : undefined;
    if (change?.key !== key || !('record' in change) || buffer[read - 1] !== NEWLINE) {
      throw corruptLine(this.path, await lineNumberAt(this.#handle, entry.offset));
    }
    return change.record as T;
  }
}

/**
 * Whether completing the pass `id` over `scope` tombstones this record: live, in the scope, not
 * seen by the pass.
 */
function isRetired(entry: Entry, scope: string, id: string): boolean {
  return entry.scope === scope && entry.deletedAt === undefined && entry.pass !== id;
}

function latestTask(
  tasks: Iterable<FinishedTask>,
  scope: string,
  stream: string,
): FinishedTask | undefined {
  let last: FinishedTask | undefined;
  for (const task of tasks) {
    if (task.scope !== scope || task.stream !== stream) continue;
    if (last === undefined || task.mark > last.mark) last = task;
  }
  return last;
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, null);
    if (bytesWritten <= 0) throw new Error(`${SINK}: the file system accepted no bytes`);
    offset += bytesWritten;
  }
}

interface Scan {
  state: State;
  /** Complete lines read, blank lines aside. */
  lines: number;
  /** File size when read. */
  size: number;
  /** Offset just after the last `\n`: where complete lines end. */
  validEnd: number;
}

/** Streams the file, replaying every complete line into the state it describes. */
async function scanFile(handle: FileHandle, path: string): Promise<Scan> {
  const state: State = { entries: new Map(), passes: new Map(), tasks: new Map() };
  // Kinds, scopes, pass ids and times repeat from line to line: one copy of each is kept.
  const strings = new Map<string, string>();
  const intern = (value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const known = strings.get(value);
    if (known !== undefined) return known;
    strings.set(value, value);
    return value;
  };
  const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let position = 0;
  let validEnd = 0;
  let lineNumber = 0;
  let lines = 0;
  let partial: Buffer[] = [];
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK_BYTES, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    let from = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; ) {
      partial.push(chunk.subarray(from, newline));
      const bytes = partial.length === 1 ? (partial[0] as Buffer) : Buffer.concat(partial);
      partial = [];
      lineNumber++;
      const line = bytes.toString('utf8');
      if (line.trim() !== '') {
        lines++;
        const lineStart = position + newline - bytes.length;
        if (!replay(state, line, lineStart, bytes.length + 1, intern)) {
          throw corruptLine(path, lineNumber);
        }
      }
      from = newline + 1;
      validEnd = position + from;
      newline = chunk.indexOf(NEWLINE, from);
    }
    // The buffer is reused by the next read: keep a copy of the unterminated rest.
    if (from < bytesRead) partial.push(Buffer.from(chunk.subarray(from)));
    position += bytesRead;
  }
  return { state, lines, size: position, validEnd };
}

/** The number (from 1) of the line that starts at byte `offset`. */
async function lineNumberAt(handle: FileHandle, offset: number): Promise<number> {
  const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let line = 1;
  for (let position = 0; position < offset; ) {
    const want = Math.min(READ_CHUNK_BYTES, offset - position);
    const { bytesRead } = await handle.read(buffer, 0, want, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) line++;
    position += bytesRead;
  }
  return line;
}

/** A line parsed as a JSON object; `undefined` if it is not one. */
function parseObject(line: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return parsed as Record<string, unknown>;
}

/**
 * Applies one non-blank line (at byte `offset`, `length` bytes with its `\n`) to `state`; false
 * if it is not a change line.
 */
function replay(
  state: State,
  line: string,
  offset: number,
  length: number,
  intern: (value: string | undefined) => string | undefined,
): boolean {
  const change = parseObject(line);
  if (change === undefined) return false;
  const text = (name: string): string | undefined =>
    typeof change[name] === 'string' && change[name] !== '' ? (change[name] as string) : undefined;
  const key = text('key');
  const at = intern(text('at'));
  switch (change.op) {
    case 'insert':
    case 'update':
    case 'restore': {
      const kind = intern(text('kind'));
      const version = text('version');
      if (key === undefined || kind === undefined || version === undefined || at === undefined) {
        return false;
      }
      if (!('record' in change)) return false;
      const stored = state.entries.get(key);
      state.entries.set(key, {
        kind,
        scope: intern(text('scope')),
        version,
        pass: intern(text('pass')),
        firstSeenAt: stored?.firstSeenAt ?? at,
        lastSeenAt: at,
        deletedAt: undefined,
        offset,
        length,
      });
      return true;
    }
    case 'delete': {
      if (key === undefined || at === undefined) return false;
      const entry = state.entries.get(key);
      if (entry !== undefined) entry.deletedAt = at;
      return true;
    }
    case 'seen': {
      const { keys } = change;
      if (!Array.isArray(keys) || at === undefined) return false;
      const scope = intern(text('scope'));
      const pass = intern(text('pass'));
      for (const seenKey of keys) {
        if (typeof seenKey !== 'string') return false;
        const entry = state.entries.get(seenKey);
        if (entry === undefined) continue;
        entry.lastSeenAt = at;
        if (scope !== undefined) entry.scope = scope;
        if (pass !== undefined) entry.pass = pass;
      }
      return true;
    }
    case 'pass':
    case 'pass-done': {
      const scope = text('scope');
      const id = text('id');
      if (scope === undefined || id === undefined || at === undefined) return false;
      if (change.op === 'pass') {
        state.passes.set(scope, {
          scope: intern(scope) as string,
          id: intern(id) as string,
          startedAt: at,
        });
      } else if (state.passes.get(scope)?.id === id) {
        state.passes.delete(scope);
      }
      return true;
    }
    case 'task': {
      const task: Partial<Record<(typeof TASK_FIELDS)[number], string>> = {};
      for (const field of TASK_FIELDS) {
        const value = text(field);
        if (value === undefined) return false;
        task[field] = value;
      }
      state.tasks.set(task.key as string, task as FinishedTask);
      return true;
    }
    case undefined: {
      // A line of 0.1, `{"key","record"}`: an insert without times, read as made at the epoch.
      if (key === undefined || !('record' in change)) return false;
      if (state.entries.has(key)) return true;
      state.entries.set(key, {
        kind: 'records',
        scope: undefined,
        version: digestOf(JSON.stringify(change.record)),
        pass: undefined,
        firstSeenAt: EPOCH,
        lastSeenAt: EPOCH,
        deletedAt: undefined,
        offset,
        length,
      });
      return true;
    }
    default:
      return false;
  }
}

function corruptLine(path: string, line: number): CanvasSinkError {
  return new CanvasSinkError({ code: 'SINK_CORRUPT', sink: SINK, path, line });
}
