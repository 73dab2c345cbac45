/**
 * `canvas-sync dead-letters`: the last run's dead letters (written in progress).
 *
 * @module
 */
import type { Io } from './io.js';

/** Runs `canvas-sync dead-letters`; resolves to the exit code. */
export async function runDeadLetters(_args: string[], io: Io): Promise<number> {
  io.stderr.write('canvas-sync dead-letters: not available yet\n');
  return 1;
}
