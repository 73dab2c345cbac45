/**
 * {@link JsonlFileSink}: an append-only JSON Lines file that never stores a key twice, even
 * across a crash and a restart.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../errors/index.js';
import {
  batchKeys,
  CanvasSinkError,
  type Sink,
  type SinkUpsertOptions,
  type SinkWriteResult,
  sinkInvalid,
} from './sink.js';

/** The arguments of {@link JsonlFileSink.open}. */
const openArgsSchema = z.object({
  path: z
    .string({ error: 'Expected a non-empty file path' })
    .min(1, 'Expected a non-empty file path'),
  options: z.strictObject({ durable: z.boolean().optional() }),
});

/**
 * Options of {@link JsonlFileSink.open}.
 * @category Sinks
 */
export interface JsonlFileSinkOptions {
  /**
   * Whether to `fdatasync` the file after every batch, so that a resolved `upsert` survives a
   * power loss, not only a process crash. Costs one disk flush per batch. Without it, data
   * reaches the disk when the OS decides, and at the latest on `flush()`/`close()`.
   * @defaultValue false
   */
  durable?: boolean | undefined;
}

/**
 * What {@link JsonlFileSink.open} found in an existing file.
 * @category Sinks
 */
export interface JsonlRecovery {
  /** Complete lines read (each one a stored record, blank lines aside). */
  lines: number;
  /**
   * Bytes of an unterminated last line (a write torn by a crash) removed from the end of the
   * file; 0 if the file ended cleanly.
   */
  truncatedBytes: number;
}

const SINK = 'JsonlFileSink';
const READ_CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * A {@link Sink} that appends records to a JSON Lines file, one line per record:
 * `{"key":"<key>","record":<the record as JSON.stringify writes it>}` followed by `\n`. The
 * record is wrapped rather than given a key field, so that records of any shape (and with a
 * `key` field of their own) round-trip unchanged.
 *
 * Idempotent by key (insert-if-absent, see {@link Sink}): a key already in the file is skipped,
 * also after a restart. {@link JsonlFileSink.open} rebuilds the set of stored keys by streaming
 * the existing file in 64 KiB chunks (a large file is never loaded whole; one line at a time is),
 * so memory grows with the number of keys (roughly the keys' length plus ~50 bytes each), not
 * with the file size.
 *
 * Crash safety: each batch is written with one append of complete lines. A crash during a write
 * can leave an unterminated last line; `open` removes it (see {@link JsonlRecovery}), so the
 * file always holds complete lines only, and the records of the torn batch are written again
 * when the batch is retried. If a write fails, the file is truncated back to its last complete
 * batch. Without `durable: true`, a power loss (as opposed to a process crash) can lose batches
 * whose `upsert` already resolved, but never leaves a key twice.
 *
 * One sink per file: there is no locking between processes, and two sinks writing the same file
 * can store a key twice.
 *
 * @example
 * ```ts
 * const sink = await JsonlFileSink.open<User>('out/users.jsonl');
 * try {
 *   for await (const page of canvas.pages('/api/v1/courses/42/users')) {
 *     await sink.upsert(page.items, { key: (user) => String(user.id) });
 *   }
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
  readonly #keys: Set<string>;
  readonly #durable: boolean;
  /** Bytes of complete lines in the file. */
  #bytes: number;
  /** Writes run one after the other on this chain; it never rejects. */
  #queue: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  /** Set when a failed write could not be undone: the sink refuses further writes. */
  #failure: unknown;

  private constructor(init: {
    path: string;
    handle: FileHandle;
    keys: Set<string>;
    bytes: number;
    durable: boolean;
    recovery: JsonlRecovery;
  }) {
    this.path = init.path;
    this.#handle = init.handle;
    this.#keys = init.keys;
    this.#bytes = init.bytes;
    this.#durable = init.durable;
    this.recovery = init.recovery;
  }

  /**
   * Opens (creating it and its parent directories if needed) a JSONL sink file, reads the keys
   * it already holds and removes an unterminated last line left by a crash.
   *
   * @param path - The file path, absolute or relative to the working directory.
   * @param options - See {@link JsonlFileSinkOptions}.
   * @throws CanvasOptionsError if `path` is not a non-empty string or `options` are invalid.
   * @throws CanvasSinkError with code `SINK_CORRUPT` if the file has a complete line that is not
   *   a sink line (`{"key": non-empty string, "record": …}`); the error names the file and the
   *   line number, never the line's content. Blank lines are ignored.
   * @throws the file system's error if the file cannot be created, read or truncated.
   */
  static async open<T>(
    path: string,
    options: JsonlFileSinkOptions = {},
  ): Promise<JsonlFileSink<T>> {
    const durable =
      parseOptions(openArgsSchema, { path, options }, `${SINK} input`).options.durable ?? false;
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
        keys: scan.keys,
        bytes: scan.validEnd,
        durable,
        recovery: { lines: scan.lines, truncatedBytes },
      });
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }

  /** Number of distinct keys stored in the file. */
  get size(): number {
    return this.#keys.size;
  }

  /** Whether {@link JsonlFileSink.close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Whether a record with this key is in the file (a pending `upsert` counts once written). */
  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /**
   * Appends the records whose key is not in the file yet, as one write; see {@link Sink}. Keys
   * are computed and records serialized when `upsert` is called, so later changes to the records
   * do not matter.
   *
   * @throws CanvasSinkError with code `SINK_CLOSED` after `close()` was called.
   * @throws CanvasOptionsError if `options.key` is not a function or returns no non-empty string,
   *   or a record cannot be serialized as JSON (`undefined`, a function, a bigint, a cycle); then
   *   nothing of the batch is written.
   * @throws the file system's error if the write fails; the file is then truncated back to its
   *   previous end, so the batch can be retried.
   */
  async upsert(records: readonly T[], options: SinkUpsertOptions<T>): Promise<SinkWriteResult> {
    if (this.closed) throw new CanvasSinkError({ code: 'SINK_CLOSED', sink: SINK });
    const keys = batchKeys(SINK, records, options);
    const lines = keys.map((key, index) => toLine(key, records[index], index));
    return this.#enqueue(() => this.#append(keys, lines));
  }

  /** Waits for pending writes and `fsync`s the file. After `close()`, waits for it instead. */
  async flush(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    await this.#queue;
    await this.#handle.sync();
  }

  /**
   * Waits for pending writes, `fsync`s and closes the file. Idempotent: later calls return the
   * same promise. `upsert` calls made before `close()` are still written.
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

  #enqueue<R>(task: () => Promise<R>): Promise<R> {
    const run = this.#queue.then(task);
    this.#queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  async #append(keys: readonly string[], lines: readonly string[]): Promise<SinkWriteResult> {
    if (this.#failure !== undefined) throw this.#failure;
    const fresh = new Set<string>();
    let text = '';
    keys.forEach((key, index) => {
      if (this.#keys.has(key) || fresh.has(key)) return;
      fresh.add(key);
      text += lines[index];
    });
    if (fresh.size > 0) {
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
      for (const key of fresh) this.#keys.add(key);
    }
    return { written: fresh.size, skipped: keys.length - fresh.size };
  }
}

/** Serializes one record as a sink line (with its `\n`). */
function toLine(key: string, record: unknown, index: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch {
    // The engine's message is not kept: it may quote the record.
    throw sinkInvalid(SINK, `records[${index}]`, 'Cannot be serialized as JSON');
  }
  if (json === undefined) {
    throw sinkInvalid(SINK, `records[${index}]`, `Not a JSON value (${typeof record})`);
  }
  return `{"key":${JSON.stringify(key)},"record":${json}}\n`;
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, null);
    offset += bytesWritten;
  }
}

interface Scan {
  keys: Set<string>;
  lines: number;
  /** File size when read. */
  size: number;
  /** Offset just after the last `\n`: where complete lines end. */
  validEnd: number;
}

/** Streams the file, collecting the key of every complete line. */
async function scanFile(handle: FileHandle, path: string): Promise<Scan> {
  const keys = new Set<string>();
  const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let position = 0;
  let validEnd = 0;
  let lines = 0;
  let partial: Buffer[] = [];
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK_BYTES, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    let from = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; ) {
      partial.push(chunk.subarray(from, newline));
      const line = Buffer.concat(partial).toString('utf8');
      partial = [];
      lines++;
      const key = keyOfLine(line);
      if (key === null) throw corruptLine(path, lines);
      if (key !== undefined) keys.add(key);
      from = newline + 1;
      validEnd = position + from;
      newline = chunk.indexOf(NEWLINE, from);
    }
    // The buffer is reused by the next read: keep a copy of the unterminated rest.
    if (from < bytesRead) partial.push(Buffer.from(chunk.subarray(from)));
    position += bytesRead;
  }
  return { keys, lines, size: position, validEnd };
}

/** The key of a sink line; `undefined` for a blank line, `null` if it is not a sink line. */
function keyOfLine(line: string): string | undefined | null {
  if (line.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { key } = parsed as { key?: unknown };
  if (typeof key !== 'string' || key === '' || !('record' in parsed)) return null;
  return key;
}

function corruptLine(path: string, line: number): CanvasSinkError {
  return new CanvasSinkError({ code: 'SINK_CORRUPT', sink: SINK, path, line });
}
