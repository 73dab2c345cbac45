/**
 * The run state of `canvas-sync sync`, without running the job: the page-view
 * window of a new run, and what `run.json` says about the run to come.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { describeWindow, findRun, nextWindow } from '../../src/cli/run-state.js';
import { UsageError } from '../../src/cli/settings.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-04T15:30:00.000Z');

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'canvas-sync-run-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('nextWindow', () => {
  it('is the 7 whole UTC days before today for a first sync', () => {
    expect(nextWindow(undefined, NOW)).toEqual({
      startTime: '2026-02-25T00:00:00.000Z',
      endTime: '2026-03-04T00:00:00.000Z',
    });
  });

  it('starts where the last completed run ended, and ends at the start of today', () => {
    expect(nextWindow('2026-03-01T00:00:00.000Z', NOW)).toEqual({
      startTime: '2026-03-01T00:00:00.000Z',
      endTime: '2026-03-04T00:00:00.000Z',
    });
    // A month without a run: a month of page views, none missed.
    expect(nextWindow('2026-02-02T00:00:00.000Z', NOW + DAY)?.startTime).toBe(
      '2026-02-02T00:00:00.000Z',
    );
  });

  it("is none on the day the last run synced up to (or after), and a first sync's for a mark that is no time", () => {
    expect(nextWindow('2026-03-04T00:00:00.000Z', NOW)).toBeNull();
    expect(nextWindow('2026-03-09T00:00:00.000Z', NOW)).toBeNull();
    expect(nextWindow('not a time', NOW)).toEqual(nextWindow(undefined, NOW));
  });

  it('is described in whole days', () => {
    expect(describeWindow(nextWindow(undefined, NOW))).toBe(
      'the page views of 2026-02-25 to 2026-03-04 (UTC, end excluded)',
    );
    expect(describeWindow(null)).toBe('no page views (synced up to today already)');
  });
});

describe('findRun', () => {
  const output = 'sqlite /srv/out/canvas-sync.db';
  const state = {
    output,
    startedAt: '2026-03-04T15:30:00.000Z',
    pageViews: nextWindow(undefined, NOW),
    retry: [
      {
        kind: 'user.page_views',
        path: '/api/v1/users/7/page_views',
        searchParams: { start_time: '2026-02-18T00:00:00Z', end_time: '2026-02-25T00:00:00Z' },
      },
    ],
  };

  it('finds none, an interrupted run, or a torn state file', async () => {
    const dir = await tempDir();
    expect(await findRun(dir, output)).toEqual({ status: 'none' });
    await writeFile(join(dir, 'run.json'), JSON.stringify(state));
    expect(await findRun(dir, output)).toEqual({ status: 'interrupted', state });
    await writeFile(join(dir, 'run.json'), '');
    expect(await findRun(dir, output)).toEqual({ status: 'torn', problem: 'it is empty' });
  });

  it('refuses a run into another output, and a state that is not one, naming the file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'run.json');
    const refused = async (value: unknown, message: RegExp) => {
      await writeFile(path, JSON.stringify(value));
      const error = await findRun(dir, output).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
    };
    await writeFile(path, JSON.stringify(state));
    await expect(findRun(dir, 'jsonl /srv/out')).rejects.toThrow(
      /a run into sqlite \/srv\/out\/canvas-sync\.db was interrupted; run again with the same output flags/,
    );
    await refused({ ...state, pageViews: { startTime: 'x', endTime: 'y' } }, /pageViews/);
    await refused({ ...state, retry: [{ kind: 'user.page_views', path: '/etc/passwd' }] }, /path/);
    await refused({ ...state, extra: 1 }, /not a run state/);
  });
});
