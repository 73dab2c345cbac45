import type { GateClock } from '../../src/pacing/bucket-gate.js';

/** A {@link GateClock} whose timers fire only when the test advances it. */
export interface FakeClock extends GateClock {
  /** Moves time forward by `ms`, firing the timers that fall due (in order, repeatedly). */
  advance(ms: number): void;
  /** Delays of the timers still pending, from now. */
  pending(): number[];
  /** Every delay ever passed to `setTimeout`, in order (to spot overflow and 0/1 ms spins). */
  readonly requested: number[];
}

/** A clock at 0 whose timers fire only when the test calls `advance`. */
export function fakeClock(): FakeClock {
  let now = 0;
  let timers: { due: number; callback: () => void; id: number }[] = [];
  let nextId = 1;
  const requested: number[] = [];
  return {
    now: () => now,
    setTimeout: (callback, ms) => {
      requested.push(ms);
      const id = nextId++;
      timers.push({ due: now + ms, callback, id });
      return id;
    },
    clearTimeout: (handle) => {
      timers = timers.filter((timer) => timer.id !== handle);
    },
    advance(ms) {
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
    },
    pending: () => timers.map((timer) => timer.due - now),
    requested,
  };
}
