/**
 * A clock whose time and timers move only when the test says so, for the simulator's `clock`
 * option (as an object) and the in-process queue's `now` and `timers`: tests let simulated time
 * pass instead of sleeping, and assert the delays that were asked for instead of measuring
 * elapsed time. Unlike `fakeClock` (synchronous, for pacing), `advance` lets promise and I/O
 * callbacks run after each timer it fires, so work that a timer resumes (an HTTP answer, a
 * handler) sets its next timer before time moves on.
 */
export interface ManualTime {
  /** The current time, in ms (starts at 0). */
  readonly now: () => number;
  /** The current time in epoch ms: `epochMs` plus {@link ManualTime.now}. */
  readonly epochNow: () => number;
  /** {@link ManualTime.epochNow} as a `Date` (for options that take `() => Date`). */
  readonly date: () => Date;
  /** Sets a timer that fires only inside {@link ManualTime.advance}. */
  readonly setTimeout: (callback: () => void, ms: number) => unknown;
  /** Cancels a pending timer. */
  readonly clearTimeout: (handle: unknown) => void;
  /** The delay each pending timer was set with, in ms, in the order they fall due. */
  pending(): number[];
  /**
   * Moves the clock forward by `ms`, firing every timer that falls due on the way (those set
   * while advancing included) at its own time, in due order, and letting promise and I/O
   * callbacks run after each.
   */
  advance(ms: number): Promise<void>;
}

interface Timer {
  readonly at: number;
  readonly ms: number;
  readonly order: number;
  readonly callback: () => void;
}

/** Lets pending promise callbacks, and I/O callbacks that are ready, run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A {@link ManualTime} at 0, whose wall clock starts at `epochMs`. */
export function manualTime(epochMs = Date.parse('2026-01-05T00:00:00Z')): ManualTime {
  let current = 0;
  let order = 0;
  const timers = new Set<Timer>();
  const due = (): Timer[] => [...timers].sort((a, b) => a.at - b.at || a.order - b.order);
  return {
    now: () => current,
    epochNow: () => epochMs + current,
    date: () => new Date(epochMs + current),
    setTimeout: (callback, ms) => {
      const timer: Timer = { at: current + Math.max(0, ms), ms, order: order++, callback };
      timers.add(timer);
      return timer;
    },
    clearTimeout: (handle) => {
      timers.delete(handle as Timer);
    },
    pending: () => due().map((timer) => timer.ms),
    async advance(ms) {
      const target = current + ms;
      await settle();
      for (let next = due()[0]; next !== undefined && next.at <= target; next = due()[0]) {
        timers.delete(next);
        current = Math.max(current, next.at);
        next.callback();
        await settle();
      }
      current = target;
    },
  };
}
