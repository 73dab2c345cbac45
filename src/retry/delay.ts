/**
 * The timer pair {@link delay} waits with: Node's by default, or those of an injected clock so
 * that tests control time (a client's `clock` option).
 */
export interface Timers {
  /** Calls `callback` once, `ms` milliseconds from now; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer that has not fired yet (a handle of a fired one is ignored). */
  clearTimeout(handle: unknown): void;
}

/** Node's timers. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Waits `ms` milliseconds, or less if `signal` aborts first: the one abortable delay of the
 * library (retry backoff, planning retries, the simulator's latency). An abort clears the
 * pending timer.
 *
 * @param ms - How long, in ms; `0` or less resolves at once.
 * @param signal - Cuts the wait short.
 * @param timers - Whose timer to wait on. @defaultValue {@link systemTimers}
 * @throws The signal's `reason` when it aborts (at once if it already has).
 */
export function delay(
  ms: number,
  signal?: AbortSignal,
  timers: Timers = systemTimers,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let handle: unknown;
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      reject(signal?.reason);
    };
    // Listening first: a clock whose timer fires at once still removes the listener.
    signal?.addEventListener('abort', onAbort, { once: true });
    handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
  });
}
