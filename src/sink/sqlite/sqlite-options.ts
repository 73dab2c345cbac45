/**
 * The options of `SqliteSink.open` and the schemas that check them (and the passes and
 * finished tasks the sink is given).
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Options of `SqliteSink.open`. Give exactly one of `path` and `url`.
 * @category Sinks
 */
export interface SqliteSinkOptions {
  /**
   * The database file, absolute or relative to the working directory. It and its parent
   * directories are created if missing; SQLite keeps two files beside it while it is open
   * (`-wal`, `-shm`).
   */
  path?: string | undefined;
  /**
   * The database file as an absolute `file:` URL (`file:///srv/canvas.db`, `file:/srv/canvas.db`),
   * without query or fragment; percent-escapes are decoded. Remote libSQL URLs are not supported.
   */
  url?: string | undefined;
  /** The time stamps of records, passes and tombstones. @defaultValue `() => new Date()` */
  now?: (() => Date) | undefined;
  /**
   * Whether every resolved `write` (and pass, and finished task) survives a power loss or an OS
   * crash, not only a crash of the process: SQLite then syncs the write-ahead log to disk at every
   * commit (`PRAGMA synchronous = FULL`), one disk flush per call. Without it
   * (`synchronous = NORMAL`), what was written since the last checkpoint can be lost by a power
   * loss (whole calls, never part of one) until `flush()` or `close()`.
   * @defaultValue false
   */
  durable?: boolean | undefined;
  /**
   * How long a call waits for another connection (another process, an `sqlite3` shell) that
   * holds the database's write lock before it fails with `SQLITE_BUSY`, in milliseconds.
   * Minimum: 0. Maximum: 600,000.
   * @defaultValue 5000
   */
  busyTimeoutMs?: number | undefined;
}

/** The sink's name, in errors. */
export const SINK = 'SqliteSink';
/** {@link SqliteSinkOptions.busyTimeoutMs} when not given. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
const MAX_BUSY_TIMEOUT_MS = 600_000;

const fileUrlSchema = z.string().transform((value, context) => {
  try {
    const url = new URL(value);
    if (
      /^file:\//i.test(value) &&
      url.protocol === 'file:' &&
      url.hostname === '' &&
      url.search === '' &&
      url.hash === ''
    ) {
      return fileURLToPath(url);
    }
  } catch {
    // reported below
  }
  context.addIssue({
    code: 'custom',
    message: 'Expected an absolute file: URL (file:///srv/canvas.db) without query or fragment',
  });
  return z.NEVER;
});

/**
 * The options of `SqliteSink.open`.
 * @internal
 */
export const optionsSchema = z
  .strictObject({
    path: z.string().min(1, 'Expected a non-empty file path').optional(),
    url: fileUrlSchema.optional(),
    now: z
      .custom<() => Date>((value) => typeof value === 'function', { error: 'Expected a function' })
      .optional(),
    durable: z.boolean().optional(),
    busyTimeoutMs: z.number().int().min(0).max(MAX_BUSY_TIMEOUT_MS).optional(),
  })
  .superRefine((options, context) => {
    if ((options.path === undefined) === (options.url === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['path'],
        message: 'Expected exactly one of path and url',
      });
    }
  });
