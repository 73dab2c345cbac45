/**
 * The two connections of a fleet's broker (`--queue`).
 */

import type { QueueAdapter } from '../index.js';
import type { Io } from './io.js';
import { openQueue, type QueueChoice } from './queue-target.js';
import type { Settings } from './settings.js';

/**
 * The broker of a fleet (`--queue`): one connection consumes (the worker's, closed with it), the
 * other enqueues and counts (the producers' and the summary's, closed last).
 */
export interface Broker {
  readonly consumer: QueueAdapter;
  readonly admin: QueueAdapter;
}

/** The two connections of a fleet's broker (see {@link Broker}); notices go to stderr. */
export async function openBroker(settings: Settings, io: Io): Promise<Broker> {
  const choice = settings.queue as QueueChoice;
  const options = {
    leaseMs: settings.leaseMs,
    onNotice: (text: string) => io.stderr.write(`queue: ${text}\n`),
  };
  const admin = await openQueue(choice, options);
  try {
    return { admin, consumer: await openQueue(choice, options) };
  } catch (error) {
    await admin.close();
    throw error;
  }
}
