/**
 * Pure helpers shared by queue adapters: reading a handler's result, updating a task for a retry,
 * and reducing a malformed payload to what a dead letter may keep.
 *
 * @module
 */
import type { HandlerResult, RetryResult } from './adapter.js';
import type { SyncTask } from './task.js';

/** Delay before redelivering a task whose handler threw, in milliseconds. */
export const DEFAULT_HANDLER_ERROR_DELAY_MS = 1000;

/** The most a dead letter keeps of a malformed payload, in UTF-8 bytes. */
export const MAX_DEAD_LETTER_RAW_BYTES = 2048;

/**
 * Checks what a handler resolved to.
 *
 * @returns A clean copy of the result (unknown fields dropped), or `undefined` if it is not a
 *   valid {@link HandlerResult} (then adapters treat it as a thrown error).
 */
export function readHandlerResult(value: unknown): HandlerResult | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const result = value as Record<string, unknown>;
  switch (result.type) {
    case 'ack':
      return { type: 'ack' };
    case 'retry': {
      const { delayMs, countsAsFailure } = result;
      if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) return undefined;
      if (typeof countsAsFailure !== 'boolean') return undefined;
      return { type: 'retry', delayMs, countsAsFailure };
    }
    case 'dead-letter': {
      const { reason, code, detail } = result;
      if (typeof reason !== 'string') return undefined;
      if (code !== undefined && typeof code !== 'string') return undefined;
      const cleanDetail = readDetail(detail);
      if (detail !== undefined && cleanDetail === undefined) return undefined;
      return {
        type: 'dead-letter',
        reason,
        ...(code === undefined ? {} : { code }),
        ...(cleanDetail === undefined ? {} : { detail: cleanDetail }),
      };
    }
    default:
      return undefined;
  }
}

function readDetail(value: unknown): Record<string, string | number | undefined> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const detail: Record<string, string | number | undefined> = {};
  for (const [name, item] of Object.entries(value)) {
    if (item !== undefined && typeof item !== 'string' && typeof item !== 'number') {
      return undefined;
    }
    detail[name] = item;
  }
  return detail;
}

/**
 * The task as it is redelivered after `result`: `attempts.failures` (or, when the retry does not
 * count as a failure, `attempts.throttles`) increased by one, and `notBefore` set to
 * `now + delayMs`.
 *
 * @param task - The task that was delivered.
 * @param result - The retry decision.
 * @param now - The current time.
 */
export function taskForRetry(task: SyncTask, result: RetryResult, now: Date): SyncTask {
  return {
    ...task,
    attempts: {
      failures: task.attempts.failures + (result.countsAsFailure ? 1 : 0),
      throttles: task.attempts.throttles + (result.countsAsFailure ? 0 : 1),
    },
    notBefore: new Date(now.getTime() + result.delayMs).toISOString(),
  };
}

/**
 * What a dead letter keeps of a malformed payload: its JSON text (or `String()` of it when it is
 * not JSON-serializable), truncated to {@link MAX_DEAD_LETTER_RAW_BYTES} UTF-8 bytes without
 * splitting a character. Never throws.
 */
export function rawForDeadLetter(payload: unknown): string {
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? String(payload));
  } catch {
    try {
      text = String(payload);
    } catch {
      text = `[unserializable ${typeof payload}]`;
    }
  }
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_DEAD_LETTER_RAW_BYTES) return text;
  // Cut at a character boundary: back off over UTF-8 continuation bytes (10xxxxxx).
  let end = MAX_DEAD_LETTER_RAW_BYTES;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
