/**
 * Pure helpers shared by queue adapters: reading a handler's result, updating a task for a retry,
 * and reducing a malformed payload to what a dead letter may keep.
 *
 * @module
 */
import type { DeadLetter, HandlerResult, RetryResult } from './adapter.js';
import { scrubSecretText, scrubValue } from './secret-scrub.js';
import type { SyncTask } from './task.js';

/**
 * Delay before redelivering a task whose handler threw, in milliseconds.
 * @category Pipeline
 */
export const DEFAULT_HANDLER_ERROR_DELAY_MS = 1000;

/**
 * The most a dead letter keeps of a malformed payload, in UTF-8 bytes.
 * @category Pipeline
 */
export const MAX_DEAD_LETTER_RAW_BYTES = 2048;

/**
 * Checks what a handler resolved to.
 *
 * @returns A clean copy of the result (unknown fields dropped), or `undefined` if it is not a
 *   valid {@link HandlerResult} (then adapters treat it as a thrown error).
 * @category Pipeline
 */
export function readHandlerResult(value: unknown): HandlerResult | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const result = value as Record<string, unknown>;
  switch (result.type) {
    case 'ack':
      return { type: 'ack' };
    case 'retry': {
      const { delayMs, countsAsFailure, cursor } = result;
      if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) return undefined;
      if (typeof countsAsFailure !== 'boolean') return undefined;
      if (cursor !== undefined && typeof cursor !== 'string') return undefined;
      return {
        type: 'retry',
        delayMs,
        countsAsFailure,
        ...(cursor === undefined ? {} : { cursor }),
      };
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
 * The task as it is redelivered after `result`: `retries.failures` (or, when the retry does not
 * count as a failure, `retries.throttles`) increased by one, `notBefore` set to
 * `now + delayMs`, and `cursor` set to the result's (or removed when it has none). Adapters store
 * this task whole, so the cursor travels with it.
 *
 * @param task - The task that was delivered.
 * @param result - The retry decision.
 * @param now - The current time.
 * @category Pipeline
 */
export function taskForRetry(task: SyncTask, result: RetryResult, now: Date): SyncTask {
  const { cursor: _previous, ...rest } = task;
  return {
    ...rest,
    retries: {
      failures: task.retries.failures + (result.countsAsFailure ? 1 : 0),
      throttles: task.retries.throttles + (result.countsAsFailure ? 0 : 1),
    },
    notBefore: new Date(now.getTime() + result.delayMs).toISOString(),
    ...(result.cursor === undefined ? {} : { cursor: result.cursor }),
  };
}

/**
 * The task as a replay of its dead letter enqueues it: retries reset to zero, `notBefore` and
 * `cursor` removed (a replay starts from the first page).
 *
 * @param task - The dead-lettered task.
 * @category Pipeline
 */
export function taskForReplay(task: SyncTask): SyncTask {
  const { notBefore: _notBefore, cursor: _cursor, ...rest } = task;
  return { ...rest, retries: { failures: 0, throttles: 0 } };
}

/** Text looked at before truncation, in UTF-16 code units: far more than is kept. */
const MAX_SCRUBBED_CHARS = 64 * 1024;

/**
 * What a dead letter keeps of a malformed payload: its JSON text (or `String()` of it when it is
 * not JSON-serializable), scrubbed of secrets, then truncated to
 * {@link MAX_DEAD_LETTER_RAW_BYTES} UTF-8 bytes without splitting a character. Scrubbing (see
 * `scrubSecretText` and `scrubValue`) replaces with `[REDACTED]` the values of `access_token`,
 * `refresh_token` and `authorization` fields and parameters (any case, percent-encoded, with
 * brackets, as object keys or inside strings), `Bearer` credentials and Canvas-token-shaped text;
 * it runs before truncation, so no half token survives the cut. Never throws.
 *
 * @param payload - The payload as the broker handed it over.
 * @param redact - Value-based redaction applied to the text after the pattern scrub, e.g. a
 *   client's `redact` that replaces its own token. @defaultValue none
 * @category Pipeline
 */
export function rawForDeadLetter(
  payload: unknown,
  redact: (text: string) => string = (text) => text,
): string {
  let text: string;
  try {
    // Serialized as is first: what JSON cannot hold (a cycle, a bigint) falls back to String().
    const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const scrubbed = json === undefined ? undefined : scrubValue(payload, shortScrub);
    text = typeof scrubbed === 'string' ? scrubbed : (JSON.stringify(scrubbed) ?? String(payload));
  } catch {
    try {
      text = String(payload);
    } catch {
      text = `[unserializable ${typeof payload}]`;
    }
  }
  text = scrubText(text.slice(0, MAX_SCRUBBED_CHARS), redact);
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_DEAD_LETTER_RAW_BYTES) return text;
  // Cut at a character boundary: back off over UTF-8 continuation bytes (10xxxxxx).
  let end = MAX_DEAD_LETTER_RAW_BYTES;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * A copy of a dead letter with every string in it (the raw payload, the reason, the code, the
 * details' names and values, the issues, the task's fields) scrubbed of secrets by pattern (see
 * {@link rawForDeadLetter}) and then passed through `redact`. The one place a dead letter is
 * cleaned before it is stored or handed out. Never throws.
 *
 * A task holds no token (`parseTask` refuses one), so its fields come out unchanged unless they
 * carried a credential in another form (a `Bearer …` search term, say), in which case the
 * scrubbed task no longer matches its key and a replay dead-letters it as `invalid-task`.
 *
 * @param letter - The dead letter.
 * @param redact - Value-based redaction applied after the pattern scrub, e.g. a client's
 *   `redact` that replaces its own token in every encoding. @defaultValue none
 * @category Pipeline
 */
export function scrubDeadLetter(
  letter: DeadLetter,
  redact: (text: string) => string = (text) => text,
): DeadLetter {
  return scrubValue(
    letter,
    (text) => scrubText(text, redact),
    (key) => scrubKey(key, redact),
  ) as DeadLetter;
}

/**
 * A copy of a handler's result whose strings (reason, code, details) are scrubbed as in
 * {@link scrubDeadLetter}: what a dead-letter result carries ends up stored in the dead letter.
 */
export function scrubHandlerResult(
  result: HandlerResult,
  redact: (text: string) => string = (text) => text,
): HandlerResult {
  if (result.type !== 'dead-letter') return result;
  return scrubValue(
    result,
    (text) => scrubText(text, redact),
    (key) => scrubKey(key, redact),
  ) as HandlerResult;
}

/** A field name: like a value, except that a failing redactor leaves the pattern scrub's result. */
function scrubKey(key: string, redact: (text: string) => string): string {
  const scrubbed = scrubSecretText(key);
  try {
    return redact(scrubbed);
  } catch {
    return scrubbed;
  }
}

function shortScrub(text: string): string {
  return scrubSecretText(text.slice(0, MAX_SCRUBBED_CHARS));
}

function scrubText(text: string, redact: (text: string) => string): string {
  const scrubbed = scrubSecretText(text);
  try {
    return redact(scrubbed);
  } catch {
    // A failing redactor must not lose the dead letter, nor let the text through unredacted.
    return '[REDACTED]';
  }
}
