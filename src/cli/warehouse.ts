/**
 * Where `canvas-sync sync` keeps the records: one SQLite file (the default), one
 * JSON Lines change log per kind of task (`--format jsonl`), or a PostgreSQL database (`--db`).
 * Every one is a sink that keeps the latest version of each record, tombstones what a full pass
 * no longer sees, and records finished tasks: the warehouse also keeps where the page views
 * synced so far end, so that the next run starts there.
 */
import { join } from 'node:path';
import {
  CanvasOptionsError,
  CanvasSinkError,
  JsonlFileSink,
  type PageViewWindow,
  type Sink,
  type SyncState,
  type SyncTask,
  type TaskKind,
} from '../index.js';
import type { Output } from './io.js';
import { redactUrl } from './redact.js';
import { type OutputChoice, UsageError } from './settings.js';

/** The kinds of task the three producers plan (one change log each with `--format jsonl`). */
export const KINDS = [
  'course.sections',
  'course.enrollments',
  'course.assignments',
  'assignment.submissions',
  'course.discussions',
  'discussion.entries',
  'course.student_summaries',
  'user.page_views',
] as const satisfies readonly TaskKind[];

/**
 * The finished-task records of completed runs' page views: scope (every student's page views)
 * and stream. Their `mark` is the end of the window a run synced.
 */
const PAGE_VIEWS_SCOPE = 'user.page_views:/api/v1/users/*/page_views';
const PAGE_VIEWS_STREAM = 'page-views';

/** The sinks of one output, opened. */
export interface Warehouse {
  /** What and where, for people (a database URL without its password). */
  readonly description: string;
  /** The same, as a run's state file keeps it (see {@link outputIdentity}). */
  readonly identity: string;
  /** The sink of a task's records. */
  sinkOf(task: SyncTask): Sink<unknown>;
  /** The finished tasks of earlier runs, from which the producers plan incremental reads. */
  readonly state: SyncState;
  /** Where the page views synced by the completed runs end (ISO 8601), if any run did. */
  pageViewsSyncedUntil(): Promise<string | undefined>;
  /** Records that a completed run synced the page views of `window` (of every student). */
  recordPageViews(window: PageViewWindow, finishedAt: string): Promise<void>;
  /** Flushes and closes every sink. */
  close(): Promise<void>;
}

/**
 * What a run state keeps of an output, to tell whether a run to resume wrote there: the format
 * and the file, directory, or database URL without its password (a changed password is the same
 * output) and schema.
 */
export function outputIdentity(choice: OutputChoice): string {
  switch (choice.format) {
    case 'sqlite':
      return `sqlite ${choice.path}`;
    case 'jsonl':
      return `jsonl ${choice.dir}`;
    case 'postgres':
      return `postgres ${redactUrl(choice.url)} ${choice.schema ?? DEFAULT_PG_SCHEMA}`;
  }
}

/** PostgresSink's default schema. */
const DEFAULT_PG_SCHEMA = 'canvas_sync';

/**
 * Opens the sinks of `choice`. A file that is not one of ours (a damaged change log, a file that
 * is no SQLite database, a newer schema) is a {@link UsageError} naming it and what to do; a
 * change log's last line torn by a crash is removed by the sink and said on `stderr`.
 */
export async function openWarehouse(
  choice: OutputChoice,
  now: () => Date,
  stderr: Output,
): Promise<Warehouse> {
  switch (choice.format) {
    case 'sqlite':
      return openSqlite(choice.path, now);
    case 'jsonl':
      return openJsonlLogs(choice.dir, now, stderr);
    case 'postgres':
      return openPostgres(choice.url, choice.schema, now);
  }
}

/** A warehouse of one sink, whatever the kind. */
function single(sink: Sink<unknown>, description: string, identity: string): Warehouse {
  return {
    description,
    identity,
    sinkOf: () => sink,
    state: sink,
    pageViewsSyncedUntil: () => pageViewMark(sink),
    recordPageViews: (window, at) => recordWindow(sink, window, at),
    close: () => sink.close(),
  };
}

async function pageViewMark(sink: Sink<unknown>): Promise<string | undefined> {
  return (await sink.lastFinished(PAGE_VIEWS_SCOPE, PAGE_VIEWS_STREAM))?.mark;
}

function recordWindow(sink: Sink<unknown>, window: PageViewWindow, at: string): Promise<void> {
  return sink.finishTask({
    key: `page-views:${window.startTime}/${window.endTime}`,
    kind: 'user.page_views',
    scope: PAGE_VIEWS_SCOPE,
    stream: PAGE_VIEWS_STREAM,
    mark: window.endTime,
    finishedAt: at,
  });
}

async function openSqlite(path: string, now: () => Date): Promise<Warehouse> {
  // Loaded only when used: importing canvas-sync never loads libsql.
  const { SqliteSink } = await import('../sink/sqlite/index.js');
  try {
    const sink = await SqliteSink.open<unknown>({ path, now });
    return single(sink, `SQLite ${path}`, outputIdentity({ format: 'sqlite', path }));
  } catch (error) {
    if (error instanceof CanvasSinkError) {
      throw new UsageError(`${error.message}; move it away to start a new database`);
    }
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB') {
      throw new UsageError(
        `${path} is not a SQLite database; move it away, or choose another --out`,
      );
    }
    throw error;
  }
}

async function openPostgres(
  url: string,
  schema: string | undefined,
  now: () => Date,
): Promise<Warehouse> {
  const { PostgresSink } = await import('../sink/postgres/index.js');
  const shown = redactUrl(url);
  try {
    const sink = await PostgresSink.open<unknown>({
      connectionString: url,
      ...(schema !== undefined && { schema }),
      now,
    });
    return single(
      sink,
      `PostgreSQL ${shown}, schema ${sink.schema}`,
      outputIdentity({ format: 'postgres', url, schema: sink.schema }),
    );
  } catch (error) {
    if (error instanceof CanvasSinkError) throw new UsageError(`--db: ${error.message}`);
    throw error;
  }
}

async function openJsonlLogs(dir: string, now: () => Date, stderr: Output): Promise<Warehouse> {
  const logs = new Map<TaskKind, JsonlFileSink<unknown>>();
  try {
    for (const kind of KINDS)
      logs.set(kind, await openChangeLog(join(dir, `${kind}.jsonl`), now, stderr));
  } catch (error) {
    // A file refused: close what is open (the run stops with the error).
    await Promise.all([...logs.values()].map((log) => log.close()));
    throw error;
  }
  const pageViews = logs.get('user.page_views') as JsonlFileSink<unknown>;
  const logOf = (taskKind: string): JsonlFileSink<unknown> => {
    // A course's submissions listing returns its assignments' submissions: one log (SyncWorker
    // stores them as `assignment.submissions` records).
    const kind = taskKind === 'course.submissions' ? 'assignment.submissions' : taskKind;
    const log = logs.get(kind as TaskKind);
    if (log === undefined) throw new Error(`no change log for tasks of kind ${taskKind}`);
    return log;
  };
  return {
    description: `JSON Lines change logs in ${dir}`,
    identity: outputIdentity({ format: 'jsonl', dir }),
    sinkOf: (task) => logOf(task.kind),
    // A scope starts with the kind of its tasks: `course.submissions:/api/v1/courses/1/…`.
    state: {
      lastFinished: (scope, stream) =>
        logOf(scope.split(':', 1)[0] ?? '').lastFinished(scope, stream),
    },
    pageViewsSyncedUntil: () => pageViewMark(pageViews),
    recordPageViews: (window, at) => recordWindow(pageViews, window, at),
    close: async () => {
      await Promise.all([...logs.values()].map((log) => log.close()));
    },
  };
}

/**
 * Opens a JSON Lines change log (the records of one kind, or the task journal). A last line
 * torn by a crash is removed by the sink (what it recorded is written again) and said on
 * stderr; a damaged line elsewhere stops the run with the file's name, line and what to do.
 */
export async function openChangeLog<T>(
  path: string,
  now: () => Date,
  stderr: Output,
  advice = 'move it away: the next complete run stores its records afresh',
): Promise<JsonlFileSink<T>> {
  let log: JsonlFileSink<T>;
  try {
    log = await JsonlFileSink.open<T>(path, { now });
  } catch (error) {
    if (error instanceof CanvasSinkError || error instanceof CanvasOptionsError) {
      throw new UsageError(`${error.message}; ${advice}`);
    }
    throw error;
  }
  const { truncatedBytes } = log.recovery;
  if (truncatedBytes > 0) {
    stderr.write(
      `${path}: removed a last line torn by an interrupted run (${truncatedBytes} bytes); ` +
        'what it recorded is written again\n',
    );
  }
  return log;
}
