/**
 * `canvas-sync dead-letters`: lists the last run's dead letters (reason, code, attempts, the task,
 * safe details; never the token), as a table or JSON lines, and `--replay` marks them so that the
 * next run fetches each of them again, even one its producers no longer plan.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCanvasSimulator } from '../../src/testing/index.js';
import { canvasEnv, recordCounts, runDeadLettersCommand, runExample, tempDirs } from './support.js';

const tempDir = tempDirs();

describe('canvas-sync dead-letters', () => {
  it('lists the dead letters, marks them for replay, and the next run fetches them again', async ({
    onTestFinished,
  }) => {
    const sim = await startCanvasSimulator({
      institution: { courses: 2, students: 20, studentsPerCourse: 10, terms: 2 },
    });
    onTestFinished(() => sim.close());
    const [first, second] = [sim.data.courses.at(0), sim.data.courses.at(1)];
    expect(first?.enrollment_term_id).not.toBe(second?.enrollment_term_id);
    // The first course's sections are refused: one dead letter.
    const path = `/api/v1/courses/${first?.id}/sections`;
    sim.setForbidden([{ path }]);
    const out = await tempDir();
    const env = canvasEnv(sim);
    const run = await runExample(['--quiet', '--out', out], { env });
    expect(run.code, run.stderr).toBe(3);

    const listed = await runDeadLettersCommand(['--out', out]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('http-401 (HTTP_ERROR)');
    expect(listed.stdout).toContain(`task      course.sections ${path}`);
    expect(listed.stdout).toMatch(/attempts {2}1, dead at 20\d\d-/);
    expect(listed.stdout).toContain('1 dead letters: 1 http-401');
    expect(listed.stdout + listed.stderr).not.toContain(sim.token);

    const json = await runDeadLettersCommand(['--out', out, '--json']);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ record: { reason: 'http-401', task: { path } } });
    expect(lines[0].replay).toBeUndefined();

    const replay = await runDeadLettersCommand(['--out', out, '--replay']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('marked for replay');
    expect(replay.stdout).toContain('Marked for replay: the next canvas-sync sync');
    const stored = await readFile(join(out, 'dead-letters.jsonl'), 'utf8');
    expect(JSON.parse(stored)).toMatchObject({ replay: true });

    // Allowed again, and the next run syncs only the second course's term: its producers plan
    // nothing of the first course, but the replay fetches its sections.
    sim.setForbidden([]);
    const next = await runExample(['--quiet', '--out', out], {
      env: { ...env, CANVAS_TERM_ID: String(second?.enrollment_term_id) },
    });
    expect(next.code, next.stderr).toBe(0);
    const sections = sim.data.sections(first?.id ?? 0)?.length ?? 0;
    expect(sections).toBeGreaterThan(0);
    // Its own course's sections were stored by the first run: only the replayed ones are new.
    expect(recordCounts(next.stdout)['course.sections'].inserted).toBe(sections);
    // Done: no dead letter left, nothing marked.
    expect((await runDeadLettersCommand(['--out', out])).stdout).toBe(
      `No dead letters in ${out}.\n`,
    );
  });

  it('says when there are none, prints its usage, and refuses unknown flags', async () => {
    const out = await tempDir();
    expect(await runDeadLettersCommand(['--out', out])).toEqual({
      code: 0,
      stdout: `No dead letters in ${out}.\n`,
      stderr: '',
    });
    const help = await runDeadLettersCommand(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: canvas-sync dead-letters/);
    const bad = await runDeadLettersCommand(['--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--bogus[\s\S]*See --help for usage\.\n$/);
  });
});
