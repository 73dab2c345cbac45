import type { ClientClock } from '../../src/client/client-options.js';

/**
 * A clock whose time and timers move only when the test says so: for a gate, a pacer, a client,
 * the simulator's `clock` option (as an object) and the in-process queue's `now` and `timers`.
 * Tests let simulated time pass instead of sleeping, and assert the delays that were asked for
 * instead of measuring elapsed time.
 */
export interface FakeClock extends ClientClock {
  /** {@link ClientClock.epochNow} as a `Date` (for options that take `() => Date`). */
  date(): Date;
  /**
   * Moves time forward by `ms`, firing the timers that fall due (in order, repeatedly),
   * synchronously: for code that sets its next timer from the callback itself (a gate, a pacer).
   */
  advance(ms: number): void;
  /**
   * Moves time forward by `ms` like {@link FakeClock.advance}, but lets promise and I/O
   * callbacks run before and after each timer it fires, so work that a timer resumes (an HTTP
   * answer, a queue handler) sets its next timer before time moves on.
   */
  advanceSettled(ms: number): Promise<void>;
  /**
   * Moves time forward to the earliest pending timer and fires it (and those due with it);
   * returns how far time moved, or `undefined` (and stays put) when no timer is pending.
   */
  next(): number | undefined;
  /** Delays of the timers still pending, from now, in the order they were set. */
  pending(): number[];
  /** The delay each pending timer was set with, in the order they fall due. */
  pendingDelays(): number[];
  /** Every delay ever passed to `setTimeout`, in order (to spot overflow and 0/1 ms spins). */
  readonly requested: number[];
}

/** Lets pending promise callbacks, and I/O callbacks that are ready, run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Where {@link fakeClock}'s `epochNow()` starts unless told: 2026-01-05T00:00:00Z. */
export const FAKE_EPOCH_MS = Date.parse('2026-01-05T00:00:00Z');

/**
 * A clock at 0 whose timers fire only when the test calls `advance` or `next`; its wall clock
 * (`epochNow()`) starts at `epochMs` and moves with it.
 */
export function fakeClock(epochMs = FAKE_EPOCH_MS): FakeClock {
  let now = 0;
  let timers: { due: number; ms: number; callback: () => void; id: number }[] = [];
  let nextId = 1;
  const requested: number[] = [];
  const byDue = () => [...timers].sort((a, b) => a.due - b.due || a.id - b.id);
  /** Removes and fires the earliest timer due by `end`; false when there is none. */
  const fireNext = (end: number): boolean => {
    const next = byDue()[0];
    if (next === undefined || next.due > end) return false;
    timers = timers.filter((timer) => timer !== next);
    now = Math.max(now, next.due);
    next.callback();
    return true;
  };
  const advance = (ms: number): void => {
    const end = now + ms;
    // Fire due timers one at a time, so a timer set by a callback and due before `end` fires too.
    for (let fired = 0; fireNext(end); fired++) {
      if (fired > 10_000) throw new Error(`timer spin: over 10,000 timers fired within ${ms} ms`);
    }
    now = end;
  };
  return {
    now: () => now,
    epochNow: () => epochMs + now,
    date: () => new Date(epochMs + now),
    setTimeout: (callback, ms) => {
      requested.push(ms);
      const id = nextId++;
      timers.push({ due: now + Math.max(0, ms), ms, callback, id });
      return id;
    },
    clearTimeout: (handle) => {
      timers = timers.filter((timer) => timer.id !== handle);
    },
    advance,
    async advanceSettled(ms) {
      const end = now + ms;
      await settle();
      while (fireNext(end)) await settle();
      now = end;
    },
    next() {
      if (timers.length === 0) return undefined;
      const step = Math.max(0, Math.min(...timers.map((timer) => timer.due)) - now);
      advance(step);
      return step;
    },
    pending: () => timers.map((timer) => timer.due - now),
    pendingDelays: () => byDue().map((timer) => timer.ms),
    requested,
  };
}
