/**
 * `canvas-sync simulator`: the Canvas simulator as a standalone server (written in progress).
 *
 * @module
 */
import type { Io } from './io.js';

/** Runs `canvas-sync simulator`; resolves to the exit code. */
export async function runSimulatorCommand(_args: string[], io: Io): Promise<number> {
  io.stderr.write('canvas-sync simulator: not available yet\n');
  return 1;
}
