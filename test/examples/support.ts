/**
 * Shared helpers of the tests of `examples/sync-institution.ts`: running the job in-process,
 * reading its warehouse (the SQLite file, the JSON Lines change logs), its state files and its
 * summary.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Io } from '../../examples/support/io.js';
import { runSync } from '../../examples/sync-institution.js';
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
    ...(options.signal && { signal: options.signal }),
  };
  const code = await runSync(args, io);
  return { code, stdout, stderr };
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

interface ChangeLine {
  op: string;
  key?: string;
  kind?: string;
  version?: string;
  record?: unknown;
}

/** The lines of a JSON Lines file; `[]` when there is none. */
export async function readLines(path: string): Promise<ChangeLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ChangeLine);
}

/** The records of the JSON Lines change logs of an output directory (`--format jsonl`), by key. */
export async function readChangeLogs(dir: string): Promise<Map<string, Stored>> {
  const records = new Map<string, Stored>();
  for (const kind of KINDS) {
    for (const line of await readLines(join(dir, `${kind}.jsonl`))) {
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

/** The task keys of the journal of an interrupted run (`tasks-done.jsonl`). */
export async function journalKeys(dir: string): Promise<string[]> {
  const lines = await readLines(join(dir, 'tasks-done.jsonl'));
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
