/**
 * What only a real process shows, the hard way: `canvas-sync sync` run as a script
 * and killed (SIGKILL: no handler runs, nothing is flushed or closed) in the middle of a run,
 * then resumed over the same directory, leaves the warehouse with exactly the rows of a clean
 * run: the same live keys with the same versions and records, nothing stored twice, no
 * tombstones, no pass left open, the same finished tasks. The resume and the uninterrupted run
 * it is compared with are in-process, by the clock of the killed run's start (so the clean run
 * chooses the page-view window the killed run kept in `run.json`). In every output: SQLite (the
 * default), JSON Lines change logs (`--format jsonl`) and PostgreSQL (`--db
 * $CANVAS_SYNC_PG_URL`, which `.ci/run` sets: skipped without it, failing without it under CI).
 */
import { watch } from 'node:fs';
import { appendFile, copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import {
  type Exit,
  identity,
  journalKeys,
  KINDS,
  live,
  postgresState,
  readChangeLogs,
  readDatabase,
  readLines,
  readPostgres,
  recordCounts,
  runExample,
  type Script,
  type Stored,
  type SyncState,
  startScript,
  tempDirs,
  tempSchema,
} from './support.js';

/** Two courses, 40 students: long enough a run (64 tasks) to kill it in the middle. */
const INSTITUTION = ['--courses', '2', '--students', '40'];

const tempDir = tempDirs();
const PG_URL = process.env.CANVAS_SYNC_PG_URL || undefined;
const UNDER_CI = process.env.CI === 'true';

/** The start of a change line, as a kill in the middle of its write leaves it. */
const TORN_CHANGE = '{"op":"insert","key":"course.enrollments:9999","kind":"course.enr';

/** The open passes and finished tasks of the SQLite file of `dir`. */
async function sqliteState(dir: string): Promise<SyncState> {
  const client = createClient({ url: `file:${join(dir, 'canvas-sync.db')}` });
  try {
    const passes = await client.execute('SELECT scope FROM canvas_sync_passes ORDER BY scope');
    const tasks = await client.execute(
      'SELECT key, kind, scope, stream FROM canvas_sync_tasks ORDER BY key',
    );
    return {
      openPasses: passes.rows.map((row) => String(row.scope)),
      tasks: tasks.rows.map((row) => `${row.key} ${row.kind} ${row.scope} ${row.stream}`).sort(),
    };
  } finally {
    client.close();
  }
}

/**
 * The open passes and finished tasks of the change logs of `dir`; and every key's `op`s (a
 * record stored once has one `insert` and nothing else).
 */
async function changeLogState(dir: string): Promise<SyncState & { ops: Map<string, string[]> }> {
  const open = new Map<string, string>();
  const tasks = new Map<string, string>();
  const ops = new Map<string, string[]>();
  for (const kind of KINDS) {
    for (const { op, key, kind: of, scope, id, stream } of await readLines(
      join(dir, `${kind}.jsonl`),
    )) {
      if (op === 'pass') open.set(String(scope), String(id));
      else if (op === 'pass-done' && open.get(String(scope)) === id) open.delete(String(scope));
      else if (op === 'task') tasks.set(String(key), `${key} ${of} ${scope} ${stream}`);
      else if (op !== 'seen' && key !== undefined) ops.set(key, [...(ops.get(key) ?? []), op]);
    }
  }
  return { openPasses: [...open.keys()].sort(), tasks: [...tasks.values()].sort(), ops };
}

/**
 * The SQLite file of `dir` as a crash left it, read from a copy (the database, its write-ahead
 * log and its index) so that the resumed run recovers the original itself.
 */
async function readCrashedDatabase(dir: string, copy: string): Promise<Map<string, Stored>> {
  for (const name of await readdir(dir)) {
    if (name.startsWith('canvas-sync.db')) await copyFile(join(dir, name), join(copy, name));
  }
  return readDatabase(copy);
}

/** Whether the journal of the run into `dir` holds a complete line (a task it finished). */
async function hasJournalLine(dir: string): Promise<boolean> {
  try {
    return (await readFile(join(dir, 'tasks-done.jsonl'), 'utf8')).includes('\n');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Resolves once the journal of the run into `dir` records a finished task (its writes trail the
 * progress lines a little: the job does not wait for them), checked now and whenever a file of
 * `dir` changes; rejects if the run ends first.
 */
function journaled(dir: string, running: Script): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let checking = false;
    let again = false;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      watcher.close();
      if (error === undefined) resolve();
      else reject(error);
    };
    const check = (): void => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      hasJournalLine(dir).then((holds) => {
        checking = false;
        if (holds) settle();
        else if (again) {
          again = false;
          check();
        }
      }, settle);
    };
    const watcher = watch(dir, check).on('error', settle);
    running.exit.then(
      (exit) => settle(new Error(`the run ended before it journaled a task:\n${exit.stdout}`)),
      settle,
    );
    check();
  });
}

/** How a test runs the job: its output flags, when to kill it, what to look at then. */
interface Plan {
  /** The output flags (besides `--out`) of the killed run, and of the clean one. */
  readonly output: { readonly killed: string[]; readonly clean: string[] };
  /** Kill it at the first progress line with at least this many tasks done (and some left). */
  readonly killAt: number;
  /** Called with the output directory once the run is killed, before the resume. */
  readonly atKill: (out: string) => Promise<void>;
}

/**
 * Starts the job as a script into a new directory, kills it (SIGKILL) at its first progress line
 * that shows `killAt` tasks finished and tasks left (once its journal records one), lets
 * `atKill` look at what it left, then resumes it in-process, beside an uninterrupted run into
 * another output by the same clock. Returns both directories and outputs.
 */
async function killAndResume({ output, killAt, atKill }: Plan) {
  const [out, reference] = await Promise.all([tempDir(), tempDir()]);
  // Progress lines as often as allowed; 4 workers, so that the kill falls before the end (no
  // fixed wait: the test's timeout only bounds a run that hangs).
  const flags = ['--concurrency', '4', '--progress-ms', '50', '--out', out];
  const running: Script = startScript([...INSTITUTION, ...output.killed, ...flags], killAt);
  await running.midRun;
  await journaled(out, running);
  running.child.kill('SIGKILL');
  const killed = await running.exit;
  expect(killed.signal, killed.stderr).toBe('SIGKILL');
  expect(killed.stdout).not.toContain('Summary');
  // The killed run's state: its page-view window, and the tasks it finished (not all).
  const { startedAt } = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as {
    startedAt: string;
  };
  const doneBefore = (await journalKeys(out, { crashed: true })).length;
  await atKill(out);

  const itsClock = { now: () => Date.parse(startedAt) };
  const [resumed, clean] = await Promise.all([
    runExample([...INSTITUTION, ...output.killed, '--out', out], itsClock),
    runExample([...INSTITUTION, ...output.clean, '--out', reference], itsClock),
  ]);
  expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
  expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  expect(resumed.stdout).toContain('Resuming the interrupted run');
  // Every task of the clean run planned; those the killed run journaled skipped, the rest done.
  const [planned, earlier, done, dead] = identity(resumed.stdout);
  expect(planned).toBe(identity(clean.stdout)[0]);
  expect(earlier).toBe(doneBefore);
  expect(done).toBe(planned - doneBefore);
  expect(dead).toBe(0);
  expect(doneBefore).toBeLessThan(planned);
  // The completed run leaves no state to resume.
  const names = await readdir(out);
  expect(names).not.toContain('run.json');
  expect(names).not.toContain('tasks-done.jsonl');
  return { out, reference, resumed, clean, doneBefore };
}

/**
 * Exactly the rows of the clean run: the same keys, kinds, versions and records, no tombstone;
 * and what the killed run stored was found, not stored again.
 */
function expectSameRows(
  records: Map<string, Stored>,
  reference: Map<string, Stored>,
  storedAtKill: number,
  resumed: Exit,
  clean: Exit,
): void {
  expect(records.size).toBe(reference.size);
  expect(records).toEqual(reference);
  expect(live(records)).toHaveLength(records.size);
  const cleanCounts = recordCounts(clean.stdout).total;
  expect(cleanCounts).toMatchObject({ inserted: reference.size, updated: 0, deleted: 0 });
  const counts = recordCounts(resumed.stdout).total;
  expect(counts).toMatchObject({ updated: 0, deleted: 0 });
  expect(storedAtKill + counts.inserted).toBe(cleanCounts.inserted);
}

describe('canvas-sync sync as a script, killed and resumed', () => {
  it('SQLite (the default): the resumed run leaves exactly the rows of a clean run', async () => {
    let storedAtKill = 0;
    const copy = await tempDir();
    // Killed early: tasks of the roster in hand, a page of some stored, their passes open.
    const { out, reference, resumed, clean, doneBefore } = await killAndResume({
      output: { killed: [], clean: [] },
      killAt: 1,
      atKill: async (dir) => {
        storedAtKill = (await readCrashedDatabase(dir, copy)).size;
      },
    });
    expect(doneBefore).toBeGreaterThan(0);
    expect(storedAtKill).toBeGreaterThan(0);
    const [records, referenceRecords] = await Promise.all([
      readDatabase(out),
      readDatabase(reference),
    ]);
    expectSameRows(records, referenceRecords, storedAtKill, resumed, clean);
    const [state, referenceState] = await Promise.all([sqliteState(out), sqliteState(reference)]);
    expect(state.openPasses).toEqual([]);
    expect(state).toEqual(referenceState);
  }, 30_000);

  it('JSON Lines change logs (--format jsonl): the resumed logs hold exactly the records of a clean run', async () => {
    let storedAtKill = 0;
    // Killed half-way: every kind of task done by then, or in hand, or to come.
    const jsonl = ['--format', 'jsonl'];
    const { out, reference, resumed, clean, doneBefore } = await killAndResume({
      output: { killed: jsonl, clean: jsonl },
      killAt: 32,
      atKill: async (dir) => {
        storedAtKill = (await readChangeLogs(dir, { crashed: true })).size;
        // A kill in the middle of a write tears the last line of a log (rarely: the kill falls
        // between two writes nearly always). As it would, by hand: a change log's and the
        // journal's, removed when the resumed run opens them.
        await appendFile(join(dir, 'course.enrollments.jsonl'), TORN_CHANGE);
        const journal = join(dir, 'tasks-done.jsonl');
        const last = (await readFile(journal, 'utf8')).trimEnd().split('\n').at(-1) ?? '';
        await appendFile(journal, last.slice(0, last.length >> 1));
      },
    });
    for (const file of ['course.enrollments.jsonl', 'tasks-done.jsonl']) {
      expect(resumed.stderr).toContain(`${join(out, file)}: removed a last line torn`);
    }
    expect(doneBefore).toBeGreaterThan(0);
    expect(storedAtKill).toBeGreaterThan(0);
    const [records, referenceRecords] = await Promise.all([
      readChangeLogs(out),
      readChangeLogs(reference),
    ]);
    expectSameRows(records, referenceRecords, storedAtKill, resumed, clean);
    const [state, referenceState] = await Promise.all([
      changeLogState(out),
      changeLogState(reference),
    ]);
    expect(state.openPasses).toEqual([]);
    expect(state.tasks).toEqual(referenceState.tasks);
    // Each record logged once: one insert, no update, restore or delete.
    for (const [key, ops] of state.ops) expect(ops, key).toEqual(['insert']);
    expect(state.ops.size).toBe(referenceState.ops.size);
  }, 30_000);

  it.skipIf(PG_URL === undefined && !UNDER_CI)(
    'PostgreSQL (--db): the resumed run leaves exactly the rows of a clean run',
    async ({ onTestFinished }) => {
      if (PG_URL === undefined) {
        expect.fail(
          'CI=true but CANVAS_SYNC_PG_URL is not set: .ci/run starts PostgreSQL and sets it',
        );
      }
      // Schemas no other test (or run) uses, dropped afterwards.
      const [schema, referenceSchema] = [
        tempSchema(PG_URL, onTestFinished),
        tempSchema(PG_URL, onTestFinished),
      ];
      let storedAtKill = 0;
      // Killed a quarter of the way: the server rolls back the transactions of the dead client.
      const { resumed, clean, doneBefore } = await killAndResume({
        output: {
          killed: ['--db', PG_URL, '--db-schema', schema],
          clean: ['--db', PG_URL, '--db-schema', referenceSchema],
        },
        killAt: 16,
        atKill: async () => {
          storedAtKill = (await readPostgres(PG_URL, schema)).size;
        },
      });
      expect(doneBefore).toBeGreaterThan(0);
      expect(storedAtKill).toBeGreaterThan(0);
      const [records, referenceRecords] = await Promise.all([
        readPostgres(PG_URL, schema),
        readPostgres(PG_URL, referenceSchema),
      ]);
      expectSameRows(records, referenceRecords, storedAtKill, resumed, clean);
      const [state, referenceState] = await Promise.all([
        postgresState(PG_URL, schema),
        postgresState(PG_URL, referenceSchema),
      ]);
      expect(state.openPasses).toEqual([]);
      expect(state).toEqual(referenceState);
    },
    30_000,
  );
});
