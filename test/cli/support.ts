/**
 * Shared helpers of the tests of `canvas-sync sync`: running the job in-process,
 * reading its warehouse (the SQLite file, the JSON Lines change logs), its state files and its
 * summary.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient } from '@libsql/client';
import pg from 'pg';
import { afterAll, beforeAll, expect, type OnTestFinishedHandler, onTestFinished } from 'vitest';
import { runDeadLetters } from '../../src/cli/dead-letters.js';
import type { Io } from '../../src/cli/io.js';
import { runSync } from '../../src/cli/sync.js';
import type { CanvasSimulator } from '../../src/testing/index.js';

/** A tiny institution of the embedded simulator: over 40 tasks, over 300 records. */
export const TINY = ['--courses', '2', '--students', '20'];

/** The kinds of task of the three producers, in the order of the summary's records table. */
export const KINDS = [
  'course.sections',
  'course.enrollments',
  'course.assignments',
  'assignment.submissions',
  'course.discussions',
  'discussion.entries',
  'course.student_summaries',
  'user.page_views',
] as const;
export type Kind = (typeof KINDS)[number];

/** A pseudonym key for runs against a simulator given by variables (as a real Canvas). */
export const HMAC_KEY = 'a-secret-hmac-key-of-32-bytes-or-more';

export const DAY = 86_400_000;
/** The clock of the in-process runs, unless a test gives its own: a fixed afternoon. */
export const NOW = Date.parse('2026-03-04T15:30:00.000Z');

/** The start (00:00 UTC) of the day of `now`. */
export function dayOf(now: number): number {
  return Math.floor(now / DAY) * DAY;
}

/** The 7 whole UTC days before the day of `now`, as a first run chooses them. */
export function weekBefore(now: number): { startTime: string; endTime: string } {
  const end = dayOf(now);
  return {
    startTime: new Date(end - 7 * DAY).toISOString(),
    endTime: new Date(end).toISOString(),
  };
}

/** The variables that point the job at `sim` as at a real Canvas (it then starts no simulator). */
export function canvasEnv(sim: CanvasSimulator): Record<string, string> {
  return {
    CANVAS_BASE_URL: sim.url,
    CANVAS_ACCESS_TOKEN: sim.token,
    CANVAS_ACCOUNT_ID: String(sim.data.account.id),
    CANVAS_SYNC_HMAC_KEY: HMAC_KEY,
  };
}

export interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a test sets of the job's outside world; the rest is fixed. */
export interface RunOptions {
  /** The environment: none of the machine's variables. @defaultValue {} */
  readonly env?: Record<string, string>;
  /** @defaultValue the fixed clock {@link NOW} */
  readonly now?: () => number;
  readonly signal?: AbortSignal;
  /**
   * Whether to add `--simulate`. @defaultValue true when `env` holds no `CANVAS_` variable
   */
  readonly simulate?: boolean;
  /** Called with each piece of stdout as it is written. */
  readonly onStdout?: (text: string) => void;
}

/**
 * Runs the job in-process, against a simulator without latency (same data, same keys, same
 * counts as with it), and collects what it prints.
 */
export async function runExample(args: string[], options: RunOptions = {}): Promise<Exit> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    env: options.env ?? {},
    stdout: {
      write: (text: string) => {
        stdout += text;
        options.onStdout?.(text);
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
      },
    },
    now: options.now ?? (() => NOW),
    simulatorLatencyMs: 0,
    simulatorInProcess: true,
    ...(options.signal && { signal: options.signal }),
  };
  // No Canvas in the environment: the embedded simulator, as `npm run example` runs it.
  const simulate =
    (options.simulate ?? !Object.keys(io.env).some((name) => name.startsWith('CANVAS_'))) &&
    !args.includes('--simulate');
  const code = await runSync(simulate ? ['--simulate', ...args] : args, io);
  return { code, stdout, stderr };
}

const ROOT = resolve(import.meta.dirname, '../..');
/** The `canvas-sync` command, from source. */
const COMMAND = join(ROOT, 'src/cli/main.ts');
/** A progress line: tasks finished, tasks planned (`+` while planning goes on). */
const PROGRESS = /^progress [\d.]+ s: ([\d,]+)\/([\d,]+)\+? tasks/gm;

/** The environment without any Canvas setting of the machine running the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('CANVAS_')),
  );
}

/** The example run as a script: the child, its exit, and the moment it is mid-run. */
export interface Script {
  readonly child: ReturnType<typeof spawn>;
  /** Resolves when the child has exited and its output is closed. */
  readonly exit: Promise<Exit & { readonly signal: NodeJS.Signals | null }>;
  /**
   * Resolves at the first progress line that shows tasks finished (at least `minDone`) and
   * tasks left; rejects if the run ends first.
   */
  readonly midRun: Promise<void>;
}

/**
 * Runs the job as a script (`node --import tsx src/cli/main.ts sync --simulate ...args`, as `npm
 * run example` does, with the embedded simulator's own latency); give it `--progress-ms` for
 * `midRun` to resolve (its output is piped: progress comes as plain lines); `via: 'npm'` runs
 * `npm run example -- …args` instead, the child being npm itself. The child is killed
 * when the test ends, if it still runs (call it in a test that does not run concurrently).
 */
export function startScript(args: string[], minDone = 1, via: 'node' | 'npm' = 'node'): Script {
  const command = [COMMAND, 'sync', '--simulate', ...args];
  // Through npm: `npm run example -- …`, npm's own process the child (what Docker and systemd
  // signal when npm is the main process).
  const [file, argv] =
    via === 'npm'
      ? ['npm', ['run', '--silent', 'example', '--', ...args]]
      : [process.execPath, ['--import', 'tsx', ...command]];
  const child = spawn(file, argv, {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  const exit = new Promise<Exit & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const midRun = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      for (const [, finished, planned] of stdout.matchAll(PROGRESS)) {
        const [done, all] = [finished, planned].map((n) => Number(n?.replaceAll(',', '')));
        if (done !== undefined && all !== undefined && done >= minDone && done < all) resolve();
      }
    });
    exit.then(
      () => reject(new Error(`the run ended before it could be stopped:\n${stdout}${stderr}`)),
      reject,
    );
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return { child, exit, midRun };
}

/**
 * Call at the top of a test file: returns a function that makes a new empty directory, each
 * inside one directory that is removed once the file's tests are done (concurrent tests too).
 */
export function tempDirs(): () => Promise<string> {
  let root: string | undefined;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'canvas-sync-example-'));
  });
  afterAll(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });
  return () => {
    if (root === undefined) throw new Error('tempDirs(): call it at the top of the test file');
    return mkdtemp(join(root, 'out-'));
  };
}

/** A number of the summary, e.g. `figure(out, 'tasks done')`. */
export function figure(output: string, label: string): number {
  const match = new RegExp(`^ {2}${label} +([\\d,]+)`, 'm').exec(output);
  if (match?.[1] === undefined) throw new Error(`no "${label}" in the output:\n${output}`);
  return Number(match[1].replaceAll(',', ''));
}

/** What a run did to the records of a kind (or in total), as the summary's table says. */
export interface Counts {
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

/** The summary's records table: every kind's counts, and `total`. */
export function recordCounts(output: string): Record<Kind | 'total', Counts> {
  const table = /^ {2}records +inserted +updated +unchanged +deleted\n((?: {4}.*\n)+)/m.exec(
    output,
  );
  if (table?.[1] === undefined) throw new Error(`no records table in the output:\n${output}`);
  const rows: Record<string, Counts> = {};
  for (const line of table[1].split('\n').filter((row) => row !== '')) {
    const [name = '', ...figures] = line.trim().split(/ +/);
    const [inserted, updated, unchanged, deleted] = figures.map((n) =>
      Number(n.replaceAll(',', '')),
    );
    rows[name] = {
      inserted: inserted ?? Number.NaN,
      updated: updated ?? Number.NaN,
      unchanged: unchanged ?? Number.NaN,
      deleted: deleted ?? Number.NaN,
    };
  }
  expect(Object.keys(rows)).toEqual([...KINDS, 'total']);
  return rows as Record<Kind | 'total', Counts>;
}

/**
 * The summary's "submissions read" line: assignments read whole, and filtered reads of a course's
 * submissions (graded or submitted since the last run).
 */
export function submissionReads(output: string): { whole: number; since: number } {
  const match =
    /^ {2}submissions read +([\d,]+) assignments whole, ([\d,]+) course reads since the last run$/m.exec(
      output,
    );
  if (match === null) throw new Error(`no submissions line in the output:\n${output}`);
  const [whole, since] = match.slice(1).map((n) => Number(n.replaceAll(',', '')));
  return { whole: whole ?? Number.NaN, since: since ?? Number.NaN };
}

/** The identity line of a complete run: planned, done earlier, done, dead-lettered. */
export function identity(output: string): [number, number, number, number] {
  const match =
    /every task accounted for: ([\d,]+) planned - ([\d,]+) done earlier = ([\d,]+) done \+ ([\d,]+) dead-lettered/.exec(
      output,
    );
  if (match === null) throw new Error(`no identity line in the output:\n${output}`);
  const [a, b, c, d] = match.slice(1).map((n) => Number(n.replaceAll(',', '')));
  return [a ?? Number.NaN, b ?? Number.NaN, c ?? Number.NaN, d ?? Number.NaN];
}

/** A record of the warehouse, as the tests compare them. */
export interface Stored {
  readonly kind: string;
  readonly version: string;
  /** Whether a full pass found it gone. */
  readonly deleted: boolean;
  readonly record: unknown;
}

/** The records of the SQLite file of an output directory, by key. */
export async function readDatabase(dir: string): Promise<Map<string, Stored>> {
  const client = createClient({ url: `file:${join(dir, 'canvas-sync.db')}` });
  try {
    const { rows } = await client.execute(
      'SELECT key, kind, version, record, deleted_at FROM canvas_sync_records ORDER BY rowid',
    );
    return new Map(
      rows.map((row) => [
        String(row.key),
        {
          kind: String(row.kind),
          version: String(row.version),
          deleted: row.deleted_at !== null,
          record: JSON.parse(String(row.record)) as unknown,
        },
      ]),
    );
  } finally {
    client.close();
  }
}

/** A line of a change log or of the journal (see `JsonlChange`). */
export interface ChangeLine {
  op: string;
  key?: string;
  kind?: string;
  version?: string;
  record?: unknown;
  /** Of record, pass and task lines. */
  scope?: string;
  /** Of pass lines: the pass's id. */
  id?: string;
  /** Of task lines. */
  stream?: string;
}

/** How to read a JSON Lines file. */
export interface ReadOptions {
  /**
   * Whether to leave out an unterminated last line (what a kill in the middle of a write leaves;
   * the sink removes it when it opens the file), as after a crash. @defaultValue false: every
   * line is read
   */
  readonly crashed?: boolean;
}

/** The lines of a JSON Lines file; `[]` when there is none. */
export async function readLines(path: string, options: ReadOptions = {}): Promise<ChangeLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if (options.crashed === true) text = text.slice(0, text.lastIndexOf('\n') + 1);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ChangeLine);
}

/** The records of the JSON Lines change logs of an output directory (`--format jsonl`), by key. */
export async function readChangeLogs(
  dir: string,
  options: ReadOptions = {},
): Promise<Map<string, Stored>> {
  const records = new Map<string, Stored>();
  for (const kind of KINDS) {
    for (const line of await readLines(join(dir, `${kind}.jsonl`), options)) {
      const { op, key } = line;
      if (key === undefined) continue;
      if (op === 'insert' || op === 'update' || op === 'restore') {
        records.set(key, {
          kind: line.kind ?? '',
          version: line.version ?? '',
          deleted: false,
          record: line.record,
        });
      } else if (op === 'delete') {
        const stored = records.get(key);
        if (stored !== undefined) records.set(key, { ...stored, deleted: true });
      }
    }
  }
  return records;
}

/**
 * A PostgreSQL schema name no other test (or run) uses; the schema is dropped when the test
 * ends (give the test context's `onTestFinished`: concurrent tests each have their own).
 */
export function tempSchema(
  url: string,
  onTestFinished: (handler: OnTestFinishedHandler) => void,
): string {
  const schema = `cs_example_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  onTestFinished(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
  return schema;
}

/** The records of a PostgreSQL schema of the sink, by key. */
export async function readPostgres(url: string, schema: string): Promise<Map<string, Stored>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{
      key: string;
      kind: string;
      version: string;
      record: unknown;
      deleted: boolean;
    }>(
      `SELECT key, kind, version, record, deleted_at IS NOT NULL AS deleted
       FROM "${schema}".canvas_sync_records ORDER BY key`,
    );
    return new Map(rows.map(({ key, ...stored }) => [key, stored]));
  } finally {
    await client.end();
  }
}

/** The task keys of the journal of an interrupted run (`tasks-done.jsonl`). */
export async function journalKeys(dir: string, options: ReadOptions = {}): Promise<string[]> {
  const lines = await readLines(join(dir, 'tasks-done.jsonl'), options);
  return lines.filter((line) => line.op === 'insert').map((line) => line.key ?? '');
}

/** The live records of a warehouse, of one kind. */
export function live(records: Map<string, Stored>, kind?: string): [string, Stored][] {
  return [...records].filter(
    ([, stored]) => !stored.deleted && (kind === undefined || stored.kind === kind),
  );
}

/** Every key of `records` starts with its kind, and the kinds are those of the producers. */
export function expectKeyedByKind(records: Map<string, Stored>): void {
  expect(records.size).toBeGreaterThan(0);
  for (const [key, stored] of records) {
    expect(KINDS).toContain(stored.kind);
    expect(key.startsWith(`${stored.kind}:`), key).toBe(true);
  }
}

/** What the sync state of a warehouse holds besides the records. */
export interface SyncState {
  /** Scopes of the passes still open. */
  readonly openPasses: string[];
  /** Finished tasks, `key kind scope stream`, sorted (their times are the runs' own). */
  readonly tasks: string[];
}

/** The open passes and finished tasks of a PostgreSQL schema of the sink. */
export async function postgresState(url: string, schema: string): Promise<SyncState> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const passes = await client.query<{ scope: string }>(
      `SELECT scope FROM "${schema}".canvas_sync_passes ORDER BY scope`,
    );
    const tasks = await client.query<Record<string, string>>(
      `SELECT key, kind, scope, stream FROM "${schema}".canvas_sync_tasks`,
    );
    return {
      openPasses: passes.rows.map((row) => row.scope),
      tasks: tasks.rows.map((row) => `${row.key} ${row.kind} ${row.scope} ${row.stream}`).sort(),
    };
  } finally {
    await client.end();
  }
}

/** Runs `canvas-sync dead-letters …args` in process, and collects what it prints. */
export async function runDeadLettersCommand(args: string[]): Promise<Exit> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    env: {},
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    now: () => 0,
  };
  const code = await runDeadLetters(args, io);
  return { code, stdout, stderr };
}
