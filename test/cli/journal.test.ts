/**
 * The task journal of `canvas-sync sync`: its lines are change-log lines (a
 * `JsonlFileSink` reads them), it skips the tasks of the run it resumes, and it keeps in memory
 * only those, not the tasks it records.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TaskJournal } from '../../src/cli/journal.js';
import { UsageError } from '../../src/cli/settings.js';
import { JsonlFileSink } from '../../src/index.js';

const NOW = () => new Date('2026-03-04T15:30:00.000Z');
const ADVICE = 'delete it';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'canvas-sync-journal-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function collector() {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    text: () => text,
  };
}

describe('TaskJournal', () => {
  it('records change-log lines, and a resumed run skips what they record', async () => {
    const path = join(await tempDir(), 'tasks-done.jsonl');
    const first = await TaskJournal.open(path, NOW, collector(), ADVICE);
    expect(first.size).toBe(0);
    await Promise.all([
      first.record('v1:a', { kind: 'course.sections', doneAt: NOW().toISOString() }),
      first.record('v1:b', { kind: 'course.enrollments', doneAt: NOW().toISOString() }),
    ]);
    // What it records this run is not kept: nothing asks for it.
    expect(first.has('v1:a')).toBe(false);
    expect(first.size).toBe(2);
    await first.close();
    await first.close();

    // The lines are a change log's: the sink reads them, records included.
    const log = await JsonlFileSink.open<unknown>(path);
    expect(log.size).toBe(2);
    expect((await log.get('v1:b'))?.record).toEqual({
      kind: 'course.enrollments',
      doneAt: NOW().toISOString(),
    });
    await log.close();

    const resumed = await TaskJournal.open(path, NOW, collector(), ADVICE);
    expect([resumed.has('v1:a'), resumed.has('v1:b'), resumed.has('v1:c')]).toEqual([
      true,
      true,
      false,
    ]);
    await resumed.record('v1:c', { kind: 'course.assignments', doneAt: NOW().toISOString() });
    expect(resumed.size).toBe(3);
    await resumed.close();
    await expect(
      resumed.record('v1:d', { kind: 'course.assignments', doneAt: '' }),
    ).rejects.toThrow('closed');
    const keys = (await readFile(path, 'utf8')).trim().split('\n');
    expect(keys.map((line) => (JSON.parse(line) as { key: string }).key)).toEqual([
      'v1:a',
      'v1:b',
      'v1:c',
    ]);
  });

  it('removes a last line torn by a crash, saying so, and refuses a damaged line', async () => {
    const dir = await tempDir();
    const path = join(dir, 'tasks-done.jsonl');
    const journal = await TaskJournal.open(path, NOW, collector(), ADVICE);
    await journal.record('v1:a', { kind: 'course.sections', doneAt: NOW().toISOString() });
    await journal.close();
    await appendFile(path, '{"op":"insert","key":"v1:b","ki');
    const stderr = collector();
    const reopened = await TaskJournal.open(path, NOW, stderr, ADVICE);
    expect(stderr.text()).toContain(`${path}: removed a last line torn by an interrupted run`);
    expect([reopened.has('v1:a'), reopened.has('v1:b'), reopened.size]).toEqual([true, false, 1]);
    await reopened.close();

    await appendFile(path, 'not a change line\n');
    const refused = TaskJournal.open(path, NOW, collector(), ADVICE);
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(/line 2 .*; delete it$/);
  });
});
