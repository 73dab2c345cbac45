/**
 * What only a real process shows: `npm run example` (`canvas-sync sync --simulate`), sent
 * SIGTERM to npm's own pid as Docker and systemd do when npm is the main process, stops
 * gracefully with exit code 143 (npm hands the signal to the job, which is its child: no orphan
 * left running), and a re-run over the same directory completes the job with nothing stored
 * twice or missing. The re-run and the uninterrupted run it is compared with are in-process.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  identity,
  journalKeys,
  readDatabase,
  recordCounts,
  runExample,
  startScript,
  tempDirs,
} from './support.js';

/** Two courses, 40 students: long enough a run (64 tasks) to stop it in the middle. */
const INSTITUTION = ['--courses', '2', '--students', '40'];

const tempDir = tempDirs();

describe('canvas-sync sync as a script, stopped and resumed', () => {
  it("exits 143 on SIGTERM to npm's pid, and a re-run completes it with nothing stored twice or missing", async () => {
    const [out, reference] = await Promise.all([tempDir(), tempDir()]);
    // Progress lines as often as allowed: the first that shows tasks finished and tasks left is
    // the moment to stop it (no fixed wait; the test's timeout only bounds a run that hangs).
    // A tiny institution, fetched by 4 workers so that the stop falls well before the end.
    const running = startScript(
      [...INSTITUTION, '--concurrency', '4', '--progress-ms', '50', '--out', out],
      1,
      'npm',
    );
    await running.midRun;
    running.child.kill('SIGTERM');
    // npm exits once its child has: the output closes only when no process holds it (an orphan
    // would run on to a complete summary).
    const stopped = await running.exit;
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stdout).not.toContain('again: exiting at once');
    // Output piped, so progress comes as plain lines.
    expect(stopped.stdout).toMatch(/^progress [\d.]+ s: /m);
    expect(stopped.stdout).toContain('SIGTERM: stopping after the tasks in hand');
    expect(stopped.stdout).toContain('Summary (interrupted by SIGTERM)');
    expect(stopped.stdout).toMatch(/Interrupted: [1-9][\d,]* planned tasks left undone/);
    expect(stopped.stdout).toContain('Run again to resume');
    const doneBefore = (await journalKeys(out)).length;
    expect(doneBefore).toBeGreaterThan(0);
    const insertedBefore = recordCounts(stopped.stdout).total.inserted;
    expect(insertedBefore).toBeGreaterThan(0);

    // In-process from here, by the clock of the stopped run's start: the uninterrupted run then
    // chooses the page-view window the stopped run kept (even if midnight came in between).
    const { startedAt } = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as {
      startedAt: string;
    };
    const itsClock = { now: () => Date.parse(startedAt) };
    const [resumed, clean] = await Promise.all([
      runExample([...INSTITUTION, '--out', out], itsClock),
      runExample([...INSTITUTION, '--out', reference], itsClock),
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(clean.code, clean.stderr).toBe(0);
    expect(resumed.stdout).toContain('Resuming the interrupted run');
    const [planned, earlier, done] = identity(resumed.stdout);
    expect(planned).toBe(identity(clean.stdout)[0]);
    expect(earlier).toBe(doneBefore);
    expect(done).toBe(planned - doneBefore);
    // The same records as an uninterrupted run: nothing missing, nothing stored twice (what the
    // stopped run stored is found unchanged, not inserted again).
    const [records, reference_] = await Promise.all([readDatabase(out), readDatabase(reference)]);
    expect(new Map([...records].map(([key, { version }]) => [key, version]))).toEqual(
      new Map([...reference_].map(([key, { version }]) => [key, version])),
    );
    const cleanInserted = recordCounts(clean.stdout).total.inserted;
    expect(insertedBefore + recordCounts(resumed.stdout).total.inserted).toBe(cleanInserted);
  }, 30_000);
});
