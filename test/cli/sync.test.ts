/**
 * Runs `canvas-sync sync` in-process (`runSync`, with its own output, a fixed clock
 * and an empty environment) against its embedded simulator (small institutions, no latency) and
 * checks what it prints and leaves in its output directory: the SQLite warehouse (keys by kind
 * and id, no student PII), the state of an interrupted run, and re-runs that re-fetch everything
 * and change nothing. Re-runs after the institution changed, in every output, are in
 * `sync-institution.rerun.test.ts`; what needs a real process (a signal), in
 * `sync-institution.process.test.ts`.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../src/cli/settings.js';
import { createInstitution, startCanvasSimulator } from '../../src/testing/index.js';
import { findLeaks } from '../privacy/support.js';
import {
  canvasEnv,
  DAY,
  type Exit,
  expectKeyedByKind,
  figure,
  HMAC_KEY,
  identity,
  journalKeys,
  live,
  NOW,
  readDatabase,
  recordCounts,
  runExample,
  type Stored,
  TINY,
  tempDirs,
  weekBefore,
} from './support.js';

const tempDir = tempDirs();

async function readRunState(dir: string): Promise<{ pageViews: unknown }> {
  return JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { pageViews: unknown };
}

/** The `created_at` of the page views stored, epoch ms. */
function pageViewTimes(records: Map<string, Stored>): number[] {
  return live(records, 'user.page_views').map(([, { record }]) =>
    Date.parse((record as { created_at: string }).created_at),
  );
}

interface FirstRun {
  readonly out: string;
  readonly exit: Exit;
  readonly records: Map<string, Stored>;
}
let firstRun: Promise<FirstRun> | undefined;

/** The first run of a tiny institution: started by the first test that needs it, then shared. */
function first(): Promise<FirstRun> {
  firstRun ??= (async () => {
    const out = await tempDir();
    const exit = await runExample([...TINY, '--out', out]);
    return { out, exit, records: await readDatabase(out) };
  })();
  return firstRun;
}

// The runs are independent (each its own simulator, directory and output), so they run at once.
describe.concurrent('canvas-sync sync', { timeout: 60_000 }, () => {
  it('syncs an institution into SQLite: every task accounted for, keys by kind and id, no student PII', async () => {
    const { out, exit, records } = await first();
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('Canvas simulator listening on http://127.0.0.1:');
    expect(exit.stdout).toContain('pseudonyms use a fixed demo key');
    expect(exit.stdout).toContain(`Syncing into SQLite ${join(out, 'canvas-sync.db')}`);
    const [planned, earlier, done, dead] = identity(exit.stdout);
    expect(planned).toBeGreaterThan(40);
    expect([earlier, done, dead]).toEqual([0, planned, 0]);
    // A first run inserts everything; the table's rows add up to its total.
    const counts = recordCounts(exit.stdout);
    expect(counts.total.inserted).toBeGreaterThan(300);
    expect(counts.total).toMatchObject({ updated: 0, unchanged: 0, deleted: 0 });
    const kinds = Object.entries(counts).filter(([kind]) => kind !== 'total');
    expect(kinds.reduce((sum, [, c]) => sum + c.inserted, 0)).toBe(counts.total.inserted);
    for (const [kind, c] of kinds) expect(c.inserted, kind).toBeGreaterThan(0);

    // The warehouse holds what the summary says, keyed by kind and Canvas id.
    expect(records.size).toBe(counts.total.inserted);
    expectKeyedByKind(records);
    for (const [kind, c] of kinds) expect(live(records, kind), kind).toHaveLength(c.inserted);
    // The page views of the 7 whole days before the day of the run, by its clock.
    const window = weekBefore(NOW);
    for (const at of pageViewTimes(records)) {
      expect(at).toBeGreaterThanOrEqual(Date.parse(window.startTime));
      expect(at).toBeLessThan(Date.parse(window.endTime));
    }
    expect(exit.stdout).toContain('the page views of 2026-02-25 to 2026-03-04');
    // A complete run leaves no state to resume.
    const names = await readdir(out);
    expect(names).not.toContain('run.json');
    expect(names).not.toContain('tasks-done.jsonl');
    expect(names).toContain('canvas-sync.db');

    // The simulator's institution follows from its options and seed: take its students' PII.
    const inst = createInstitution({ seed: 1, courses: 2, students: 20, studentsPerCourse: 20 });
    const pii = inst.studentPii();
    const course = inst.courses.at(0)?.id ?? 0;
    const rawEnrollments = Array.from({ length: 20 }, (_, i) => inst.enrollments(course)?.at(i));
    expect(findLeaks(rawEnrollments, pii).length).toBeGreaterThan(20); // the check finds PII
    expect(
      findLeaks(
        [...records.values()].map((stored) => stored.record),
        pii,
      ),
    ).toEqual([]);
    const enrollment = live(records, 'course.enrollments').at(-1)?.[1].record;
    expect(enrollment).toMatchObject({
      user: { name: '[REDACTED]' },
      sis_user_id: expect.stringMatching(/^ps_demo_/),
    });
  });

  it("stops before planning when asked to (143), keeps the stopped run's page-view window, and resumes it on another day, into the same output only", async () => {
    const dir = await tempDir();
    // A run a month ago, stopped before planning anything…
    const monthAgo = NOW - 30 * DAY;
    const stop = new AbortController();
    stop.abort('SIGTERM');
    const stopped = await runExample([...TINY, '--out', dir], {
      now: () => monthAgo,
      signal: stop.signal,
    });
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stdout).toContain('SIGTERM: stopping after the tasks in hand');
    expect(stopped.stdout).toContain('Summary (interrupted by SIGTERM)');
    expect(stopped.stdout).toMatch(/Interrupted: [\d,]+ planned tasks left undone/);
    expect(stopped.stdout).toContain('Run again to resume');
    expect(figure(stopped.stdout, 'tasks done')).toBe(0);
    expect(await journalKeys(dir)).toEqual([]);
    expect((await readRunState(dir)).pageViews).toEqual(weekBefore(monthAgo));

    // … not resumed into another output…
    const other = await runExample([...TINY, '--format', 'jsonl', '--out', dir]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(
      `${join(dir, 'run.json')}: a run into sqlite ${join(dir, 'canvas-sync.db')} was interrupted`,
    );
    expect(await readdir(dir)).not.toContain('course.sections.jsonl');

    // … but resumed today: the window it chose is kept, and its run completes.
    const resumed = await runExample([...TINY, '--out', dir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('Resuming the interrupted run into SQLite');
    expect(resumed.stdout).toContain('the page views of 2026-01-26 to 2026-02-02');
    const [planned, earlier, done] = identity(resumed.stdout);
    expect([earlier, done]).toEqual([0, planned]);
    const records = await readDatabase(dir);
    expectKeyedByKind(records);
    expect(records.size).toBe(recordCounts(resumed.stdout).total.inserted);
    const times = pageViewTimes(records);
    expect(times.length).toBeGreaterThan(0);
    for (const at of times) {
      expect(at).toBeGreaterThanOrEqual(Date.parse(weekBefore(monthAgo).startTime));
      expect(at).toBeLessThan(Date.parse(weekBefore(monthAgo).endTime));
    }
    // The next run syncs the page views from there to today, and nothing else changed.
    const next = await runExample([...TINY, '--quiet', '--out', dir]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain('Syncing into SQLite');
    expect(next.stdout).toContain('the page views of 2026-02-02 to 2026-03-04');
    expect(recordCounts(next.stdout).total).toMatchObject({ updated: 0, deleted: 0 });
  });

  it('refuses a run state that is not one, before fetching anything', async () => {
    const bad = await tempDir();
    const state = { output: 'x', startedAt: '', pageViews: { startTime: 'yesterday' }, retry: [] };
    await writeFile(join(bad, 'run.json'), JSON.stringify(state));
    const refused = await runExample([...TINY, '--out', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(join(bad, 'run.json'));
    expect(refused.stderr).toMatch(/not a run state \(pageViews\.endTime/);
    expect(refused.stdout).not.toContain('Syncing');
    expect(await readdir(bad)).toEqual(['run.json']);
  });

  it('retries through 5xx, resets and malformed JSON, and still accounts for every task', async () => {
    const out = await tempDir();
    const result = await runExample([...TINY, '--faults', '--quiet', '--out', out]);
    expect(result.stdout).toContain('faults: 5 % 5xx, 2 % connection resets, 3 % malformed JSON');
    const [planned, earlier, done, dead] = identity(result.stdout);
    // 0, or 3 when a task ran out of attempts (every task accounted for all the same).
    expect(result.code, result.stderr).toBe(dead > 0 ? 3 : 0);
    expect(earlier).toBe(0);
    expect(done + dead).toBe(planned);
    expect(result.stdout).toMatch(/retries: [1-9]/);
    const records = await readDatabase(out);
    expectKeyedByKind(records);
    expect(records.size).toBe(recordCounts(result.stdout).total.inserted);
  });

  it('exits 2 with a message, never printing the token, the key or a database password', async () => {
    const dir = await tempDir();
    const out = join(dir, 'never-created');
    const canvas = {
      CANVAS_BASE_URL: 'https://canvas.example.edu',
      CANVAS_ACCESS_TOKEN: 'secret-token-xyz',
      CANVAS_ACCOUNT_ID: '1',
    };
    const { CANVAS_BASE_URL: _, ...withoutBaseUrl } = canvas;
    const results = await Promise.all([
      runExample(['--concurrency', '0', '--out', out]),
      runExample(['--out', out], {
        env: { CANVAS_BASE_URL: canvas.CANVAS_BASE_URL, CANVAS_ACCOUNT_ID: '1' },
      }),
      runExample(['--out', out], { env: withoutBaseUrl }),
      runExample(['--out', out], { env: canvas }),
      runExample(['--out', out], {
        env: { ...canvas, CANVAS_SYNC_HMAC_KEY: 'short-secret-key-abc' },
      }),
      runExample(['--faults', '--out', out], {
        env: { ...canvas, CANVAS_SYNC_HMAC_KEY: HMAC_KEY },
      }),
      runExample(['--format', 'csv', '--out', out]),
      runExample(['--db', 'mysql://canvas:pw-secret-123@db.example.edu/sync', '--out', out]),
      runExample(['--db-schema', 'sync', '--out', out]),
      runExample(['--db=postgres://canvas:pw-secret-123@db/x', '--format', 'jsonl', '--out', out]),
      runExample(['--out', out], { simulate: false }),
      runExample(['--report', join(dir, 'run.csv'), '--out', out]),
    ]);
    const expected = [
      /^--concurrency must be an integer from 1 to 64/,
      /^no Canvas to sync: CANVAS_ACCESS_TOKEN \(or CANVAS_CLIENT_ID, CANVAS_CLIENT_SECRET and CANVAS_REFRESH_TOKEN\) not set/,
      /^no Canvas to sync: CANVAS_BASE_URL \(or --base-url\) not set/,
      /^CANVAS_SYNC_HMAC_KEY is not set/,
      /^CANVAS_SYNC_HMAC_KEY: /,
      /^--faults: only with --simulate/,
      /^--format must be sqlite or jsonl, not "csv"/,
      /^--db must be a PostgreSQL URL .*, not "mysql:\/\/canvas:\*\*\*@db\.example\.edu\/sync"/,
      /^--db-schema: only with --db/,
      /^--format jsonl and --db: choose one output/,
      /^no Canvas to sync: CANVAS_BASE_URL \(or --base-url\), CANVAS_ACCOUNT_ID \(or --account-id\), CANVAS_ACCESS_TOKEN .* not set; or pass --simulate/,
      /^--report .*run\.csv: the file name must end \.json or \.html/,
    ];
    for (const [i, result] of results.entries()) {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(expected[i] as RegExp);
      expect(result.stderr).toMatch(/\nSee --help for usage\.\n$/);
      expect(result.stdout).toBe('');
      const output = result.stdout + result.stderr;
      for (const secret of ['secret-token-xyz', 'short-secret-key-abc', HMAC_KEY, 'pw-secret']) {
        expect(output).not.toContain(secret);
      }
    }
    expect(existsSync(out)).toBe(false);
  });

  it('never prints the password of a --db URL, even in a connection error', async () => {
    const dir = await tempDir();
    // Nothing listens on port 1: the connection is refused.
    const url = 'postgres://canvas:pw-secret-456@127.0.0.1:1/warehouse';
    const failed = await runExample([...TINY, '--quiet', '--db', url, '--out', dir]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^sync failed: .*ECONNREFUSED/);
    expect(failed.stdout + failed.stderr).not.toContain('pw-secret-456');
  });

  it('prints the usage text on --help and exits 0', async () => {
    const help = await runExample(['--help']);
    expect(help).toEqual({ code: 0, stdout: USAGE, stderr: '' });
  });

  it('syncs a Canvas given by variables with the HMAC key given, never printing the token or the key', async ({
    onTestFinished,
  }) => {
    // The simulator stands in for a real Canvas: the example does not start its own.
    const sim = await startCanvasSimulator({ institution: { courses: 2, students: 40 } });
    onTestFinished(() => sim.close());
    const [out, other] = await Promise.all([tempDir(), tempDir()]);
    const env = canvasEnv(sim);
    const [result, refused] = await Promise.all([
      runExample(['--quiet', '--out', out], { env }),
      runExample(['--quiet', '--out', other], {
        env: { ...env, CANVAS_ACCESS_TOKEN: 'wrong-token-xyz' },
      }),
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Canvas: ${sim.url}, account ${sim.data.account.id}`);
    expect(result.stdout).not.toContain('simulator');
    const [planned, , done] = identity(result.stdout);
    expect(done).toBe(planned);
    const enrollment = live(await readDatabase(out), 'course.enrollments').at(-1)?.[1].record;
    expect(enrollment).toMatchObject({ sis_user_id: expect.stringMatching(/^ps_[0-9a-f]{8}_/) });

    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/sync stopped: CanvasAuthError/);
    for (const output of [result.stdout + result.stderr, refused.stdout + refused.stderr]) {
      expect(output).not.toContain(sim.token);
      expect(output).not.toContain('wrong-token-xyz');
      expect(output).not.toContain(HMAC_KEY);
    }
  });

  it('recovers from a torn or empty run state and a torn journal line, saying what it did', async () => {
    const [torn, empty] = await Promise.all([tempDir(), tempDir()]);
    // What a crash in the middle of a plain write leaves behind.
    await writeFile(join(torn, 'run.json'), '{"output":"sqlite /x","pageViews":{"startTi');
    await writeFile(
      join(torn, 'tasks-done.jsonl'),
      '{"op":"insert","key":"v1:0000","kind":"tasks","version":"sha256:00","at":"2026-0',
    );
    await writeFile(join(torn, 'dead-letters.jsonl'), '{"key":"v1:stale","record":{}}\n');
    await writeFile(join(empty, 'run.json'), '');
    const [fromTorn, fromEmpty] = await Promise.all([
      runExample([...TINY, '--quiet', '--out', torn]),
      runExample([...TINY, '--quiet', '--out', empty]),
    ]);
    for (const [result, dir, problem] of [
      [fromTorn, torn, /not valid JSON/],
      [fromEmpty, empty, /it is empty/],
    ] as const) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(join(dir, 'run.json'));
      expect(result.stderr).toMatch(problem);
      expect(result.stderr).toMatch(
        /the run starts again with the page views of 2026-02-25 to 2026-03-04/,
      );
      const [planned, earlier, done] = identity(result.stdout);
      expect([earlier, done]).toEqual([0, planned]);
      // Completed: no state left, no temporary file, and the stale dead letters replaced.
      const names = await readdir(dir);
      expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([]);
      for (const name of ['run.json', 'tasks-done.jsonl', 'dead-letters.jsonl']) {
        expect(names).not.toContain(name);
      }
    }
    expect(fromTorn.stderr).toMatch(/tasks-done\.jsonl: removed a last line torn/);
  });
});
