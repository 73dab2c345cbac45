/**
 * Runs `examples/sync-institution.ts` in-process (`runSync`, with its own output, a fixed clock
 * and an empty environment) against its embedded simulator (small institutions, no latency) and
 * checks what it prints and leaves in its output directory: distinct keys, no student PII,
 * nothing stored twice across restarts. What needs a real process (a signal) is in
 * `sync-institution.process.test.ts`.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../examples/support/settings.js';
import { createInstitution, startCanvasSimulator } from '../../src/testing/index.js';
import { findLeaks } from '../privacy/support.js';
import {
  DAY,
  type Exit,
  expectDistinctKeys,
  figure,
  identity,
  keysOf,
  type Line,
  NOW,
  RECORD_FILES,
  readOut,
  runExample,
  SMALL,
  TINY,
  tempDirs,
  weekBefore,
} from './support.js';

const tempDir = tempDirs();

async function readWindow(dir: string): Promise<unknown> {
  return JSON.parse(await readFile(join(dir, 'page-view-window.json'), 'utf8'));
}

interface FirstRun {
  readonly out: string;
  readonly exit: Exit;
  readonly files: Map<string, Line[]>;
}
let firstRun: Promise<FirstRun> | undefined;

/** The first run of a small institution: started by the first test that needs it, then shared. */
function first(): Promise<FirstRun> {
  firstRun ??= (async () => {
    const out = await tempDir();
    const exit = await runExample([...SMALL, '--out', out]);
    return { out, exit, files: await readOut(out) };
  })();
  return firstRun;
}

// The runs are independent (each its own simulator, directory and output), so they run at once.
describe.concurrent('examples/sync-institution.ts', { timeout: 60_000 }, () => {
  it('syncs a small institution: every task accounted for, keys distinct, no student PII', async () => {
    const { out, exit, files } = await first();
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('Canvas simulator listening on http://127.0.0.1:');
    expect(exit.stdout).toContain('pseudonyms use a fixed demo key');
    const [planned, earlier, done, dead] = identity(exit.stdout);
    expect(planned).toBeGreaterThan(100);
    expect([earlier, done, dead]).toEqual([0, planned, 0]);
    expect(figure(exit.stdout, 'records written')).toBeGreaterThan(1_000);
    // The page views of the 7 whole days before the day of the run, by its clock.
    expect(await readWindow(out)).toEqual(weekBefore(NOW));

    expect([...files.keys()]).toEqual([...RECORD_FILES, 'tasks-done.jsonl'].sort());
    expectDistinctKeys(files);
    expect(keysOf(files, 'tasks-done.jsonl')).toHaveLength(planned);
    expect(files.get('user.page_views.jsonl')?.length).toBeGreaterThan(0);
    expect(files.get('tasks-done.jsonl')?.[0]?.record).toMatchObject({
      doneAt: new Date(NOW).toISOString(),
    });

    // The simulator's institution follows from its options and seed: take its students' PII.
    const inst = createInstitution({ seed: 1, courses: 4, students: 120, studentsPerCourse: 75 });
    const pii = inst.studentPii();
    const course = inst.courses.at(0)?.id ?? 0;
    const rawEnrollments = Array.from({ length: 20 }, (_, i) => inst.enrollments(course)?.at(i));
    expect(findLeaks(rawEnrollments, pii).length).toBeGreaterThan(20); // the check finds PII
    const records = [...files.values()].flat().map((line) => line.record);
    expect(findLeaks(records, pii)).toEqual([]);
    const enrollment = files.get('course.enrollments.jsonl')?.at(-1)?.record;
    expect(enrollment).toMatchObject({
      user: { name: '[REDACTED]' },
      sis_user_id: expect.stringMatching(/^ps_demo_/),
    });
  });

  it('skips every task on a second run over the same directory, on another day, and writes nothing', async () => {
    const { out, exit, files } = await first();
    expect(exit.code, 'the first run must have succeeded').toBe(0);
    // Three days later: the window of the first run is kept, so the same tasks are planned.
    const second = await runExample([...SMALL, '--out', out], { now: () => NOW + 3 * DAY });
    expect(second.code, second.stderr).toBe(0);
    const [planned, earlier, done, dead] = identity(second.stdout);
    expect(planned).toBe(identity(exit.stdout)[0]);
    expect([earlier, done, dead]).toEqual([planned, 0, 0]);
    expect(figure(second.stdout, 'records written')).toBe(0);
    expect(await readWindow(out)).toEqual(weekBefore(NOW));
    const after = await readOut(out);
    for (const [name, lines] of files) expect(after.get(name), name).toEqual(lines);
  });

  it('keeps the page-view window of its first run, so a run resumed on another day plans the same tasks', async () => {
    const dir = await tempDir();
    // The window of a first run a month ago (the simulator's page views cover the year before).
    const window = weekBefore(NOW - 30 * DAY);
    await writeFile(join(dir, 'page-view-window.json'), JSON.stringify(window));
    const result = await runExample([...SMALL, '--out', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(await readWindow(dir)).toEqual(window);
    // The same tasks as the first run, with the kept window: other page views, every one of
    // them inside the window asked for.
    const { exit, files } = await first();
    expect(identity(result.stdout)[0]).toBe(identity(exit.stdout)[0]);
    const lines = (await readOut(dir)).get('user.page_views.jsonl') ?? [];
    const firstKeys = new Set(keysOf(files, 'user.page_views.jsonl'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((line) => firstKeys.has(line.key))).toBe(false);
    for (const { record } of lines) {
      const at = Date.parse((record as { created_at: string }).created_at);
      expect(at).toBeGreaterThanOrEqual(Date.parse(window.startTime));
      expect(at).toBeLessThan(Date.parse(window.endTime));
    }
  });

  it('refuses a page-view window that is not one, before fetching anything', async () => {
    const bad = await tempDir();
    await writeFile(join(bad, 'page-view-window.json'), '{"startTime":"yesterday"}');
    const refused = await runExample([...SMALL, '--out', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pageViews/);
    expect(refused.stderr).toContain(join(bad, 'page-view-window.json'));
    for (const [name, lines] of await readOut(bad)) expect(lines, name).toEqual([]);
  });

  it('retries through 5xx, resets and malformed JSON, and still accounts for every task', async () => {
    const out = await tempDir();
    const result = await runExample([...SMALL, '--faults', '--quiet', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('faults: 5 % 5xx, 2 % connection resets, 3 % malformed JSON');
    const [planned, earlier, done, dead] = identity(result.stdout);
    expect(earlier).toBe(0);
    expect(done + dead).toBe(planned);
    expect(result.stdout).toMatch(/retries: [1-9]/);
    expectDistinctKeys(await readOut(out));
  });

  it('exits 2 with a message, never printing the token or the key', async () => {
    const dir = await tempDir();
    const out = join(dir, 'never-created');
    const canvas = {
      CANVAS_BASE_URL: 'https://canvas.example.edu',
      CANVAS_ACCESS_TOKEN: 'secret-token-xyz',
      CANVAS_ACCOUNT_ID: '1',
    };
    const { CANVAS_BASE_URL: _, ...withoutBaseUrl } = canvas;
    const [concurrency, noToken, noBaseUrl, noKey, shortKey, simulatorOnly] = await Promise.all([
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
        env: { ...canvas, CANVAS_SYNC_HMAC_KEY: 'a-secret-hmac-key-of-32-bytes-or-more' },
      }),
    ]);
    expect(concurrency.code).toBe(2);
    expect(concurrency.stderr).toMatch(/--concurrency must be an integer from 1 to 64/);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/^CANVAS_ACCESS_TOKEN not set/);
    expect(noBaseUrl.code).toBe(2);
    expect(noBaseUrl.stderr).toMatch(/^CANVAS_BASE_URL not set/);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('CANVAS_SYNC_HMAC_KEY');
    expect(shortKey.code).toBe(2);
    expect(shortKey.stderr).toMatch(/^CANVAS_SYNC_HMAC_KEY: /);
    expect(simulatorOnly.code).toBe(2);
    expect(simulatorOnly.stderr).toMatch(/^--faults: for the simulator only/);
    const all = [concurrency, noToken, noBaseUrl, noKey, shortKey, simulatorOnly];
    for (const result of all) {
      expect(result.stderr).toMatch(/\nSee --help for usage\.\n$/);
      expect(result.stdout).toBe('');
      const output = result.stdout + result.stderr;
      expect(output).not.toContain('secret-token-xyz');
      expect(output).not.toContain('short-secret-key-abc');
      expect(output).not.toContain('a-secret-hmac-key');
    }
    expect(existsSync(out)).toBe(false);
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
    const key = 'a-secret-hmac-key-of-32-bytes-or-more';
    const env = {
      CANVAS_BASE_URL: sim.url,
      CANVAS_ACCESS_TOKEN: sim.token,
      CANVAS_ACCOUNT_ID: String(sim.data.account.id),
      CANVAS_SYNC_HMAC_KEY: key,
    };
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
    const enrollment = (await readOut(out)).get('course.enrollments.jsonl')?.at(-1)?.record;
    expect(enrollment).toMatchObject({ sis_user_id: expect.stringMatching(/^ps_[0-9a-f]{8}_/) });

    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/sync stopped: CanvasAuthError/);
    for (const output of [result.stdout + result.stderr, refused.stdout + refused.stderr]) {
      expect(output).not.toContain(sim.token);
      expect(output).not.toContain('wrong-token-xyz');
      expect(output).not.toContain(key);
    }
  });

  it('recovers from a torn or empty page-view window and a torn journal line, saying what it did', async () => {
    const [torn, empty] = await Promise.all([tempDir(), tempDir()]);
    // What a crash in the middle of a plain write leaves behind.
    await writeFile(
      join(torn, 'page-view-window.json'),
      '{"startTime":"2026-01-05T00:00:00.000Z","endTi',
    );
    await writeFile(
      join(torn, 'tasks-done.jsonl'),
      '{"key":"v1:0000","record":{"kind":"course.sections","doneAt":"2026-01-0',
    );
    await writeFile(join(torn, 'dead-letters.jsonl'), '{"key":"v1:stale","record":{}}\n');
    await writeFile(join(empty, 'page-view-window.json'), '');
    const [fromTorn, fromEmpty] = await Promise.all([
      runExample([...TINY, '--quiet', '--out', torn]),
      runExample([...TINY, '--quiet', '--out', empty]),
    ]);
    for (const [result, dir, problem] of [
      [fromTorn, torn, /not valid JSON/],
      [fromEmpty, empty, /it is empty/],
    ] as const) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(join(dir, 'page-view-window.json'));
      expect(result.stderr).toMatch(problem);
      expect(result.stderr).toMatch(/page-view window is recomputed as the last 7 days/);
      // Recomputed by the run's clock, and saved.
      expect(await readWindow(dir)).toEqual(weekBefore(NOW));
      const [planned, earlier, done] = identity(result.stdout);
      expect([earlier, done]).toEqual([0, planned]);
      // Written atomically: no temporary file left, and the stale dead letters replaced.
      const names = await readdir(dir);
      expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([]);
      expect(names).not.toContain('dead-letters.jsonl');
    }
    expect(fromTorn.stderr).toMatch(/tasks-done\.jsonl: removed a last line torn/);
    expect(keysOf(await readOut(torn), 'tasks-done.jsonl')).toHaveLength(
      identity(fromTorn.stdout)[0],
    );
  });

  it('stops before planning when asked to before it starts (143), and a re-run completes it', async () => {
    const out = await tempDir();
    const stop = new AbortController();
    stop.abort('SIGTERM');
    const stopped = await runExample([...TINY, '--out', out], { signal: stop.signal });
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stdout).toContain('SIGTERM: stopping after the tasks in hand');
    expect(stopped.stdout).toContain('Summary (interrupted by SIGTERM)');
    expect(stopped.stdout).toMatch(/Interrupted: [\d,]+ planned tasks left undone/);
    expect(stopped.stdout).toContain('Run again to resume');
    expect(figure(stopped.stdout, 'tasks done')).toBe(0);

    const resumed = await runExample([...TINY, '--out', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const [planned, earlier, done] = identity(resumed.stdout);
    expect([earlier, done]).toEqual([0, planned]);
    const files = await readOut(out);
    expectDistinctKeys(files);
    expect(keysOf(files, 'tasks-done.jsonl')).toHaveLength(planned);
  });
});
