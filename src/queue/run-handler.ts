/**
 * {@link runHandler}: one delivery handed to a task handler, as every adapter does it.
 *
 * @module
 */
import type { HandlerResult, TaskDelivery, TaskHandler } from './adapter.js';
import { readHandlerResult } from './delivery.js';
import type { SyncTask } from './task.js';

/** How an adapter treats a handler that throws, or resolves to no {@link HandlerResult}. */
export interface HandlerErrorPolicy {
  /** Told of the error (a failing hook never loses the task). */
  readonly onHandlerError?: ((error: unknown, task: SyncTask) => void) | undefined;
  /** The retry's delay, in ms. */
  readonly handlerErrorDelayMs: number;
}

/**
 * Hands `delivery` to `handler` (none yet: an error) and reads what it decides; a throw or an
 * invalid result becomes a retry after `handlerErrorDelayMs` that counts as a failure.
 * @internal
 */
export async function runHandler(
  handler: TaskHandler | undefined,
  delivery: TaskDelivery,
  policy: HandlerErrorPolicy,
): Promise<HandlerResult> {
  let error: unknown;
  try {
    if (handler === undefined) throw new Error('No consumer');
    const result = readHandlerResult(await handler(delivery));
    if (result !== undefined) return result;
    error = new TypeError('The task handler did not resolve to a HandlerResult');
  } catch (thrown) {
    error = thrown;
  }
  try {
    policy.onHandlerError?.(error, delivery.task);
  } catch {
    // A failing error hook must not lose the task.
  }
  return { type: 'retry', delayMs: policy.handlerErrorDelayMs, countsAsFailure: true };
}
