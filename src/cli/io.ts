/**
 * What `canvas-sync sync` takes from its process (the environment, stdout and stderr,
 * the clock, the signals) as values: the script passes the real ones, tests their own, and run
 * the job in-process.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { watchSignals } from './signals.js';

/** Where text goes: `process.stdout`, or a test's collector (which is no terminal). */
export interface Output {
  write(text: string): unknown;
  /** Whether it is a terminal (progress is then a bar redrawn in place). */
  readonly isTTY?: boolean;
  /** Width of the terminal; 0 or absent when unknown. */
  readonly columns?: number;
}

/** The outside world of one run. */
export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  /**
   * The wall clock, epoch ms: it chooses a new run's page-view window and the end of the
   * simulator's page views, and dates the journal, the records and the finished tasks.
   */
  readonly now: () => number;
  /**
   * Aborted to stop gracefully (the tasks in hand finish, no others), with the name of the
   * signal that asked for it as its reason, e.g. `'SIGTERM'`.
   */
  readonly signal?: AbortSignal;
  /**
   * Latency of the embedded simulator, in ms. @defaultValue 30 to 50 ms, 40 on average (tests
   * that run the job in-process use 0: the data, keys and counts are the same)
   */
  readonly simulatorLatencyMs?: number;
  /**
   * Runs the embedded simulator on the job's own thread rather than in a worker thread (tests
   * that run the job in-process: a faster start). @defaultValue false
   */
  readonly simulatorInProcess?: boolean;
}

/**
 * The process's environment, output and clock, and a signal aborted by the first SIGINT or
 * SIGTERM; a second one exits at once (see {@link watchSignals}).
 */
export function processIo(): Io {
  const { signal } = watchSignals({
    source: process,
    now: () => Date.now(),
    exit: (code) => process.exit(code),
    warn: (text) => process.stderr.write(text),
  });
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => Date.now(),
    signal,
  };
}

/** Whether the module at `url` (its `import.meta.url`) is the script Node was asked to run. */
export function isMainModule(url: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // Node gives the main module's URL with symbolic links resolved; argv[1] may keep them.
    return url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}
