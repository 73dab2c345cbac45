import { setTimeout as wait } from 'node:timers/promises';

/**
 * Waits `ms` milliseconds, or less if `signal` aborts first: the one abortable delay of the
 * library (retry backoff, planning retries, the simulator's latency).
 *
 * @param ms - How long, in ms; `0` or less resolves at once.
 * @param signal - Cuts the wait short.
 * @throws The signal's `reason` when it aborts (at once if it already has).
 */
export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw signal.reason;
  if (ms <= 0) return;
  try {
    await wait(ms, undefined, signal === undefined ? undefined : { signal });
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  }
}
