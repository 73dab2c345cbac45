/**
 * The progress display of `canvas-sync sync` never moves backwards: while the
 * producers plan, the total still grows, so the bar stays empty (a share of a growing total would
 * shrink) and the counts only grow; once the total is known, the bar fills with the tasks
 * finished. Driven by scripted counts on vitest's fake timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ProgressSource, startProgress } from '../../src/cli/progress.js';

afterEach(() => {
  vi.useRealTimers();
});

interface Moment {
  /** Tasks done, and queued + in hand + delayed, as the worker and the queue say. */
  done: number;
  waiting: number;
  /** The total once planning is over. */
  total?: number;
}

/** A progress source whose counts follow `moments`, one per update. */
function scripted(moments: Moment[], out: { write(text: string): unknown; isTTY?: boolean }) {
  let i = 0;
  const now = (): Moment => moments[Math.min(i, moments.length - 1)] as Moment;
  const zero = { inserted: 0, updated: 0, unchanged: 0, deleted: 0 };
  return {
    queue: {
      stats: async () => ({ queued: now().waiting, inFlight: 0, delayed: 0, deadLettered: 0 }),
    },
    worker: {
      stats: () => ({
        done: now().done,
        deadLettered: 0,
        records: { ...zero, inserted: now().done },
      }),
    },
    client: { stats: () => ({ requests: now().done, throttled: 0, retries: 0 }) },
    // Read last by an update: the next update reads the next moment.
    total: () => moments[Math.min(i++, moments.length - 1)]?.total,
    intervalMs: 100,
    out,
  } as unknown as ProgressSource;
}

/** Each update's `[###---] a/b tasks`: filled cells, finished, total, whether it still grows. */
function updates(text: string) {
  return [...text.matchAll(/\[(#*)-*\] ([\d,]+)\/([\d,]+)(\+?) tasks/g)].map((m) => ({
    filled: m[1]?.length ?? 0,
    finished: Number(m[2]?.replaceAll(',', '')),
    planned: Number(m[3]?.replaceAll(',', '')),
    planning: m[4] === '+',
  }));
}

describe('startProgress', () => {
  it('never moves the bar or the counts backwards as the total grows', async () => {
    vi.useFakeTimers();
    let text = '';
    const out = { isTTY: true, write: (chunk: string) => (text += chunk) };
    // The case: 27 of 100 planned so far, then 40 of 300; and a moment when a task is
    // counted done before the queue lets it go (the lower bound of the total dips).
    const stop = startProgress(
      scripted(
        [
          { done: 27, waiting: 73 },
          { done: 40, waiting: 260 },
          { done: 41, waiting: 258 },
          { done: 120, waiting: 180, total: 300 },
          { done: 240, waiting: 60, total: 300 },
          { done: 300, waiting: 0, total: 300 },
        ],
        out,
      ),
    );
    await vi.advanceTimersByTimeAsync(600);
    await stop();
    const seen = updates(text);
    expect(seen.map((u) => [u.finished, u.planned, u.planning])).toEqual([
      [27, 100, true],
      [40, 300, true],
      [41, 300, true], // 41 + 258 = 299: the total shown stays 300
      [120, 300, false],
      [240, 300, false],
      [300, 300, false],
    ]);
    // Empty while planning, then the share of 300.
    expect(seen.map((u) => u.filled)).toEqual([0, 0, 0, 8, 16, 20]);
    expect(text.endsWith('\r\x1b[K')).toBe(true); // cleared for the summary
  });

  it('writes plain lines when the output is no terminal', async () => {
    vi.useFakeTimers();
    let text = '';
    const stop = startProgress(
      scripted([{ done: 1, waiting: 4 }], { write: (chunk: string) => (text += chunk) }),
    );
    await vi.advanceTimersByTimeAsync(100);
    await stop();
    expect(text).toMatch(/^progress [\d.]+ s: 1\/5\+ tasks · 1 records \(1 new or changed\) · /);
    expect(text).not.toContain('\r');
  });
});
