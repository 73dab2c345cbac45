/**
 * Runs `examples/sync-institution.ts` as a child process against its embedded simulator (small
 * institutions, output piped, so progress comes as plain lines) and checks what it leaves in
 * its output directory: distinct keys, no student PII, nothing stored twice across restarts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createInstitution, startCanvasSimulator } from '../../src/testing/index.js';
import { findLeaks } from '../privacy/support.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/sync-institution.ts');
const TIMEOUT = 60_000;
const SMALL = ['--courses', '4', '--students', '120'];
/** The record files of the three producers, one per task kind. */
const RECORD_FILES = [
  'assignment.submissions.jsonl',
  'course.assignments.jsonl',
  'course.discussions.jsonl',
  'course.enrollments.jsonl',
  'course.sections.jsonl',
  'course.student_summaries.jsonl',
  'discussion.entries.jsonl',
  'user.page_views.jsonl',
];

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Running {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly exit: Promise<Exit>;
}

/** The environment without any Canvas setting of the machine running the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('CANVAS_')),
  );
  return { ...env, ...extra };
}

/** Starts the example; the child is killed when the test ends, if it still runs. */
function start(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', EXAMPLE, ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, stdout: () => stdout, exit };
}

function run(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return start(args, env).exit;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'canvas-sync-example-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A number of the summary, e.g. `figure(out, 'tasks done')`. */
function figure(output: string, label: string): number {
  const match = new RegExp(`^ {2}${label} +([\\d,]+)`, 'm').exec(output);
  if (match?.[1] === undefined) throw new Error(`no "${label}" in the output:\n${output}`);
  return Number(match[1].replaceAll(',', ''));
}

/** The identity line of a complete run: planned, done earlier, done, dead-lettered. */
function identity(output: string): [number, number, number, number] {
  const match =
    /every task accounted for: ([\d,]+) planned - ([\d,]+) done earlier = ([\d,]+) done \+ ([\d,]+) dead-lettered/.exec(
      output,
    );
  if (match === null) throw new Error(`no identity line in the output:\n${output}`);
  const [a, b, c, d] = match.slice(1).map((n) => Number(n.replaceAll(',', '')));
  return [a ?? Number.NaN, b ?? Number.NaN, c ?? Number.NaN, d ?? Number.NaN];
}

interface Line {
  key: string;
  record: unknown;
}

/** Every JSONL file of a directory, parsed. */
async function readOut(dir: string): Promise<Map<string, Line[]>> {
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

function keysOf(files: Map<string, Line[]>, name: string): string[] {
  return (files.get(name) ?? []).map((line) => line.key);
}

function expectDistinctKeys(files: Map<string, Line[]>): void {
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

describe('examples/sync-institution.ts', () => {
  let out: string;
  let first: Exit;
  let firstFiles: Map<string, Line[]>;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'canvas-sync-example-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it(
    'syncs a small institution: every task accounted for, keys distinct, no student PII',
    async () => {
      first = await run([...SMALL, '--progress-ms', '300', '--out', out]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^progress [\d.]+ s: /m);
      const [planned, earlier, done, dead] = identity(first.stdout);
      expect(planned).toBeGreaterThan(100);
      expect([earlier, done, dead]).toEqual([0, planned, 0]);
      expect(figure(first.stdout, 'records written')).toBeGreaterThan(1_000);

      firstFiles = await readOut(out);
      expect([...firstFiles.keys()]).toEqual([...RECORD_FILES, 'tasks-done.jsonl'].sort());
      expectDistinctKeys(firstFiles);
      expect(keysOf(firstFiles, 'tasks-done.jsonl')).toHaveLength(planned);

      // The simulator's institution follows from its options and seed: take its students' PII.
      const inst = createInstitution({ seed: 1, courses: 4, students: 120, studentsPerCourse: 75 });
      const pii = inst.studentPii();
      const course = inst.courses.at(0)?.id ?? 0;
      const rawEnrollments = Array.from({ length: 20 }, (_, i) => inst.enrollments(course)?.at(i));
      expect(findLeaks(rawEnrollments, pii).length).toBeGreaterThan(20); // the check finds PII
      const records = [...firstFiles.values()].flat().map((line) => line.record);
      expect(findLeaks(records, pii)).toEqual([]);
      const enrollment = firstFiles.get('course.enrollments.jsonl')?.at(-1)?.record;
      expect(enrollment).toMatchObject({
        user: { name: '[REDACTED]' },
        sis_user_id: expect.stringMatching(/^ps_demo_/),
      });
    },
    TIMEOUT,
  );

  it(
    'skips every task on a second run over the same directory and writes nothing',
    async () => {
      expect(firstFiles, 'the first run must have succeeded').toBeDefined();
      const second = await run([...SMALL, '--out', out]);
      expect(second.code, second.stderr).toBe(0);
      const [planned, earlier, done, dead] = identity(second.stdout);
      expect(planned).toBe(identity(first.stdout)[0]);
      expect([earlier, done, dead]).toEqual([planned, 0, 0]);
      expect(figure(second.stdout, 'records written')).toBe(0);
      const files = await readOut(out);
      for (const [name, lines] of firstFiles) expect(files.get(name), name).toEqual(lines);
    },
    TIMEOUT,
  );

  it(
    'keeps the page-view window of its first run, so a run resumed on another day plans the same tasks',
    async () => {
      const dir = await tempDir();
      // A week that ended a month ago (the simulator's page views cover the year before it starts).
      const day = 24 * 60 * 60 * 1000;
      const midnight = Math.floor(Date.now() / day) * day;
      const window = {
        startTime: new Date(midnight - 37 * day).toISOString(),
        endTime: new Date(midnight - 30 * day).toISOString(),
      };
      await writeFile(join(dir, 'page-view-window.json'), JSON.stringify(window));
      const result = await run([...SMALL, '--out', dir]);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(await readFile(join(dir, 'page-view-window.json'), 'utf8'))).toEqual(
        window,
      );
      // The same tasks as the first run, with the kept window: other page views, every one of
      // them inside the window asked for.
      expect(identity(result.stdout)[0]).toBe(identity(first.stdout)[0]);
      const lines = (await readOut(dir)).get('user.page_views.jsonl') ?? [];
      const firstKeys = new Set((firstFiles?.get('user.page_views.jsonl') ?? []).map((l) => l.key));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.some((line) => firstKeys.has(line.key))).toBe(false);
      for (const { record } of lines) {
        const at = Date.parse((record as { created_at: string }).created_at);
        expect(at).toBeGreaterThanOrEqual(Date.parse(window.startTime));
        expect(at).toBeLessThan(Date.parse(window.endTime));
      }
      // A window that is not one is refused before anything is fetched.
      const bad = await tempDir();
      await writeFile(join(bad, 'page-view-window.json'), '{"startTime":"yesterday"}');
      const refused = await run([...SMALL, '--out', bad]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/pageViews/);
    },
    TIMEOUT,
  );
});

describe('examples/sync-institution.ts, stopped and resumed', () => {
  const LARGER = ['--courses', '12', '--students', '600', '--progress-ms', '200'];

  it(
    'exits 143 on SIGTERM, and a re-run completes it with nothing stored twice or missing',
    async () => {
      const [out, reference] = await Promise.all([tempDir(), tempDir()]);
      const running = start([...LARGER, '--out', out]);
      // Stop once a progress line shows finished tasks: mid-run.
      await new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => {
          if (/^progress [\d.]+ s: [1-9][\d,]*\//m.test(running.stdout())) {
            clearInterval(poll);
            resolve();
          }
        }, 20);
        running.exit.then(() => {
          clearInterval(poll);
          reject(new Error(`the run ended before it could be stopped:\n${running.stdout()}`));
        }, reject);
      });
      running.child.kill('SIGTERM');
      const stopped = await running.exit;
      expect(stopped.code, stopped.stderr).toBe(143);
      expect(stopped.stdout).toContain('Summary (interrupted by SIGTERM)');
      expect(stopped.stdout).toMatch(/Interrupted: [1-9][\d,]* planned tasks left undone/);
      expect(stopped.stdout).toContain('Run again to resume');
      const doneBefore = keysOf(await readOut(out), 'tasks-done.jsonl').length;

      const [resumed, clean] = await Promise.all([
        run([...LARGER, '--out', out]),
        run([...LARGER, '--out', reference]),
      ]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(clean.code, clean.stderr).toBe(0);
      const [planned, earlier, done] = identity(resumed.stdout);
      expect(planned).toBe(identity(clean.stdout)[0]);
      expect(earlier).toBe(doneBefore);
      expect(doneBefore).toBeGreaterThan(0);
      expect(done).toBe(planned - doneBefore);

      // Same files and the same keys as an uninterrupted run: nothing twice, nothing missing.
      const files = await readOut(out);
      const cleanFiles = await readOut(reference);
      expectDistinctKeys(files);
      expect([...files.keys()]).toEqual([...cleanFiles.keys()]);
      expect(keysOf(files, 'tasks-done.jsonl')).toHaveLength(planned);
      for (const name of files.keys()) {
        expect(keysOf(files, name).sort(), name).toEqual(keysOf(cleanFiles, name).sort());
      }
    },
    TIMEOUT,
  );
});

describe('examples/sync-institution.ts with faults', () => {
  it(
    'retries through 5xx, resets and malformed JSON, and still accounts for every task',
    async () => {
      const out = await tempDir();
      const result = await run([...SMALL, '--faults', '--quiet', '--out', out]);
      expect(result.code, result.stderr).toBe(0);
      const [planned, earlier, done, dead] = identity(result.stdout);
      expect(earlier).toBe(0);
      expect(done + dead).toBe(planned);
      expect(result.stdout).toMatch(/retries: [1-9]/);
      expectDistinctKeys(await readOut(out));
    },
    TIMEOUT,
  );
});

describe('examples/sync-institution.ts usage errors', () => {
  it(
    'exits 2 with a message, never printing the token or the key',
    async () => {
      const dir = await tempDir();
      const out = join(dir, 'never-created');
      const canvas = {
        CANVAS_BASE_URL: 'https://canvas.example.edu',
        CANVAS_ACCESS_TOKEN: 'secret-token-xyz',
        CANVAS_ACCOUNT_ID: '1',
      };
      const { CANVAS_BASE_URL: _, ...withoutBaseUrl } = canvas;
      const [concurrency, noToken, noBaseUrl, noKey, shortKey] = await Promise.all([
        run(['--concurrency', '0', '--out', out]),
        run(['--out', out], { CANVAS_BASE_URL: canvas.CANVAS_BASE_URL, CANVAS_ACCOUNT_ID: '1' }),
        run(['--out', out], withoutBaseUrl),
        run(['--out', out], canvas),
        run(['--out', out], { ...canvas, CANVAS_SYNC_HMAC_KEY: 'short-secret-key-abc' }),
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
      expect(shortKey.stderr).toContain('CANVAS_SYNC_HMAC_KEY');
      for (const result of [noToken, noBaseUrl, noKey, shortKey]) {
        const output = result.stdout + result.stderr;
        expect(output).not.toContain('secret-token-xyz');
        expect(output).not.toContain('short-secret-key-abc');
      }
      expect(existsSync(out)).toBe(false);
    },
    TIMEOUT,
  );
});

describe('examples/sync-institution.ts against a Canvas given by variables', () => {
  it(
    'syncs it with the HMAC key given, and never prints the token or the key',
    async () => {
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
        run(['--quiet', '--out', out], env),
        run(['--quiet', '--out', other], { ...env, CANVAS_ACCESS_TOKEN: 'wrong-token-xyz' }),
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
    },
    TIMEOUT,
  );
});

describe('examples/sync-institution.ts state files', () => {
  it(
    'recovers from a torn or empty page-view window and a torn journal line, saying what it did',
    async () => {
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
        run([...SMALL, '--quiet', '--out', torn]),
        run([...SMALL, '--quiet', '--out', empty]),
      ]);
      for (const [result, dir, problem] of [
        [fromTorn, torn, /not valid JSON/],
        [fromEmpty, empty, /it is empty/],
      ] as const) {
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toContain(join(dir, 'page-view-window.json'));
        expect(result.stderr).toMatch(problem);
        expect(result.stderr).toMatch(/page-view window is recomputed as the last 7 days/);
        const window = JSON.parse(await readFile(join(dir, 'page-view-window.json'), 'utf8'));
        expect(Date.parse(window.endTime) - Date.parse(window.startTime)).toBe(7 * 86_400_000);
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
    },
    TIMEOUT,
  );
});
