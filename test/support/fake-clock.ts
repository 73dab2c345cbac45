import type { ClientClock } from '../../src/client/client-options.js';

/** A clock (for a gate, a pacer or a client) whose timers fire only when the test advances it. */
export interface FakeClock extends ClientClock {
  /** Moves time forward by `ms`, firing the timers that fall due (in order, repeatedly). */
  advance(ms: number): void;
  /**
   * Moves time forward to the earliest pending timer and fires it (and those due with it);
   * returns how far time moved, or `undefined` (and stays put) when no timer is pending.
   */
  next(): number | undefined;
  /** Delays of the timers still pending, from now, in the order they were set. */
  pending(): number[];
  /** Every delay ever passed to `setTimeout`, in order (to spot overflow and 0/1 ms spins). */
  readonly requested: number[];
}

/** Where {@link fakeClock}'s `epochNow()` starts unless told: 2026-01-05T00:00:00Z. */
export const FAKE_EPOCH_MS = Date.parse('2026-01-05T00:00:00Z');

/**
 * A clock at 0 whose timers fire only when the test calls `advance` or `next`; its wall clock
 * (`epochNow()`) starts at `epochMs` and moves with it.
 */
export function fakeClock(epochMs = FAKE_EPOCH_MS): FakeClock {
  let now = 0;
  let timers: { due: number; callback: () => void; id: number }[] = [];
  let nextId = 1;
  const requested: number[] = [];
  const advance = (ms: number): void => {
    const end = now + ms;
    // Fire due timers one at a time, so a timer set by a callback and due before `end` fires too.
    for (let fired = 0; ; fired++) {
      if (fired > 10_000) throw new Error(`timer spin: over 10,000 timers fired within ${ms} ms`);
      const next = timers
        .filter((timer) => timer.due <= end)
        .sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (next === undefined) break;
      timers = timers.filter((timer) => timer !== next);
      now = Math.max(now, next.due);
      next.callback();
    }
    now = end;
  };
  return {
    now: () => now,
    epochNow: () => epochMs + now,
    setTimeout: (callback, ms) => {
      requested.push(ms);
      const id = nextId++;
      timers.push({ due: now + ms, callback, id });
      return id;
    },
    clearTimeout: (handle) => {
      timers = timers.filter((timer) => timer.id !== handle);
    },
    advance,
    next() {
      if (timers.length === 0) return undefined;
      const step = Math.max(0, Math.min(...timers.map((timer) => timer.due)) - now);
      advance(step);
      return step;
    },
    pending: () => timers.map((timer) => timer.due - now),
    requested,
  };
}
