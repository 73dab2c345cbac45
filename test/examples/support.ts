/**
 * Shared helpers of the tests of `examples/sync-institution.ts`: running the job in-process,
 * reading its output directory and its summary.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Io } from '../../examples/support/io.js';
import { runSync } from '../../examples/sync-institution.js';

/** A small institution of the embedded simulator: over 100 tasks, over 1,000 records. */
export const SMALL = ['--courses', '4', '--students', '120'];
/** A tiny one, for tests that need a complete run but not its size. */
export const TINY = ['--courses', '2', '--students', '40'];

/** The record files of the three producers, one per task kind. */
export const RECORD_FILES = [
  'assignment.submissions.jsonl',
  'course.assignments.jsonl',
  'course.discussions.jsonl',
  'course.enrollments.jsonl',
  'course.sections.jsonl',
  'course.student_summaries.jsonl',
  'discussion.entries.jsonl',
  'user.page_views.jsonl',
];

export const DAY = 86_400_000;
/** The clock of the in-process runs, unless a test gives its own: a fixed afternoon. */
export const NOW = Date.parse('2026-03-04T15:30:00.000Z');

/** The 7 whole UTC days before the day of `now`, as the job chooses them. */
export function weekBefore(now: number): { startTime: string; endTime: string } {
  const end = Math.floor(now / DAY) * DAY;
  return {
    startTime: new Date(end - 7 * DAY).toISOString(),
    endTime: new Date(end).toISOString(),
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

export interface Line {
  key: string;
  record: unknown;
}

/** Every JSONL file of a directory, parsed. */
export async function readOut(dir: string): Promise<Map<string, Line[]>> {
  const files = new Map<string, Line[]>();
  for (const name of (await readdir(dir)).filter((file) => file.endsWith('.jsonl')).sort()) {
    const text = await readFile(join(dir, name), 'utf8');
    const lines = text.split('\n').filter((line) => line !== '');
    files.set(
      name,
      lines.map((line) => JSON.parse(line) as Line),
    );
  }
  return files;
}

export function keysOf(files: Map<string, Line[]>, name: string): string[] {
  return (files.get(name) ?? []).map((line) => line.key);
}

export function expectDistinctKeys(files: Map<string, Line[]>): void {
  const all = [...files.keys()].flatMap((name) =>
    keysOf(files, name).map((key) => `${name} ${key}`),
  );
  expect(all.length).toBeGreaterThan(0);
  expect(new Set(all).size).toBe(all.length);
  for (const name of files.keys()) {
    const keys = keysOf(files, name);
    expect(new Set(keys).size, name).toBe(keys.length);
  }
}

/** The files of `dir` hold the same keys as those of `reference`: nothing twice or missing. */
export async function expectSameKeys(dir: string, reference: string, planned: number) {
  const files = await readOut(dir);
  const referenceFiles = await readOut(reference);
  expectDistinctKeys(files);
  expect([...files.keys()]).toEqual([...referenceFiles.keys()]);
  expect(keysOf(files, 'tasks-done.jsonl')).toHaveLength(planned);
  for (const name of files.keys()) {
    expect(keysOf(files, name).sort(), name).toEqual(keysOf(referenceFiles, name).sort());
  }
}
