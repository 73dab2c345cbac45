/**
 * The error thrown when an optional method of a {@link QueueAdapter} is needed but missing.
 *
 * @module
 */
import { CanvasSyncError } from '../errors/index.js';
import type { QueueAdapter } from './adapter.js';

/**
 * The optional methods of the {@link QueueAdapter} contract.
 * @category Pipeline
 */
export type OptionalQueueMethod = 'deadLetters' | 'replayDeadLetters' | 'stats';

/** Options of the {@link CanvasUnsupportedError} constructor. */
export interface CanvasUnsupportedErrorOptions {
  /** The optional method the queue adapter does not offer. */
  method: OptionalQueueMethod;
}

/**
 * The queue adapter does not offer an optional method of the {@link QueueAdapter} contract that
 * was asked for: `SyncWorker.deadLetters()` on an adapter without `deadLetters()`, or
 * `SyncWorker.replayDeadLetters()` without `replayDeadLetters()`. Nothing was done; use an
 * adapter that keeps dead letters, or read them from the broker itself.
 *
 * Catch it by its code, `UNSUPPORTED`, on any {@link CanvasSyncError}; the class is exported from
 * `canvas-sync/queue`, where an adapter author may throw it too (from an optional method the
 * broker cannot serve in its configuration).
 * @category Errors
 */
export class CanvasUnsupportedError extends CanvasSyncError {
  override readonly name = 'CanvasUnsupportedError';
  override readonly code = 'UNSUPPORTED';
  /** The optional method the queue adapter does not offer, e.g. `'deadLetters'`. */
  readonly method: OptionalQueueMethod;

  constructor(options: CanvasUnsupportedErrorOptions) {
    super({
      code: 'UNSUPPORTED',
      message: `The queue adapter does not offer ${options.method}(), an optional method of QueueAdapter`,
    });
    this.method = options.method;
  }
}
