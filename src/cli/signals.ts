/**
 * How the command stops: the first SIGINT or SIGTERM asks for a graceful stop (the tasks in hand
 * finish, nothing new starts); a second one exits at once, with the same code (130 for SIGINT,
 * 143 for SIGTERM).
 *
 * One signal can arrive twice: sent to the process group (Ctrl-C on a terminal, `kill -TERM
 * -PGID`, a container runtime), it reaches the job directly and again through `npm`, which
 * forwards what it receives to its child. So a signal within {@link ECHO_MS} of the first counts
 * as the same one.
 *
 * @module
 */

/** The signals the command handles. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Where signals come from: `process`, or a test's emitter. */
export interface SignalSource {
  on(event: StopSignal, listener: (signal: StopSignal) => void): unknown;
  off(event: StopSignal, listener: (signal: StopSignal) => void): unknown;
}

/** A signal this soon after the first (ms) is the same one, delivered twice. */
export const ECHO_MS = 500;

/** The exit code of a command stopped by `signal`: 128 + its number (130, 143). */
export function exitCodeOf(signal: string): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** What {@link watchSignals} needs. */
export interface SignalWatch {
  readonly source: SignalSource;
  /** The clock, epoch ms. */
  readonly now: () => number;
  /** Exits at once (`process.exit`). */
  readonly exit: (code: number) => void;
  /** Says why it exits at once (stderr). */
  readonly warn: (text: string) => void;
}

/**
 * Listens to SIGINT and SIGTERM: `signal` aborts at the first, with its name as the reason; a
 * later one, {@link ECHO_MS} or more after it, exits at once. `dispose()` stops listening.
 */
export function watchSignals(watch: SignalWatch): { signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  let firstAt = 0;
  const onSignal = (signal: StopSignal): void => {
    if (!stop.signal.aborted) {
      firstAt = watch.now();
      stop.abort(signal);
      return;
    }
    if (watch.now() - firstAt < ECHO_MS) return; // the first one again, through npm
    watch.warn(`\n${signal} again: exiting at once\n`);
    watch.exit(exitCodeOf(signal));
  };
  watch.source.on('SIGINT', onSignal);
  watch.source.on('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    dispose: () => {
      watch.source.off('SIGINT', onSignal);
      watch.source.off('SIGTERM', onSignal);
    },
  };
}
