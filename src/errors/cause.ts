import { isRecord, truncate } from './format.js';
import { scrubSecretText } from './secret-patterns.js';

/**
 * The sanitized stand-in for an underlying error: a plain `Error` with the original's name and
 * message, and its `code` if it had one.
 * @category Errors
 */
export interface SanitizedError extends Error {
  /** The original's `code` (e.g. `'ECONNRESET'`), or that of its nearest nested cause. */
  code?: string | number;
}

/** The JSON form of a cause: the name, message and code of its sanitized copy. */
export interface SanitizedErrorJSON {
  /** The original's name (`'TypeError'`, …). */
  name: string;
  /** The original's message and those of up to 3 nested causes, token-redacted. */
  message: string;
  /** The original's code, if it or a nested cause had one. */
  code?: string | number;
}

const MAX_CAUSE_TEXT = 500;

const MAX_CAUSE_DEPTH = 3;

/** Replaces any value by a plain `Error` with only a (redacted) name, message and code. */
export function sanitizeCause(cause: unknown): SanitizedError {
  const top = describe(cause);
  let message = top.message;
  let code = top.code;
  let next = top.cause;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && next !== undefined && next !== null; depth++) {
    const nested = describe(next);
    message += `; caused by ${nested.name}: ${nested.message}`;
    code ??= nested.code;
    next = nested.cause;
  }
  const sanitized: SanitizedError = new Error(truncate(scrubSecretText(message), MAX_CAUSE_TEXT));
  if (top.name !== 'Error') {
    Object.defineProperty(sanitized, 'name', {
      value: top.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (code !== undefined) sanitized.code = code;
  return sanitized;
}

/** The name, message and code of `cause` once sanitized (see {@link sanitizeCause}). */
export function causeToJSON(cause: unknown): SanitizedErrorJSON {
  const sanitized = sanitizeCause(cause);
  const json: SanitizedErrorJSON = { name: sanitized.name, message: sanitized.message };
  if (sanitized.code !== undefined) json.code = sanitized.code;
  return json;
}

interface Described {
  name: string;
  message: string;
  code: string | number | undefined;
  cause: unknown;
}

function describe(value: unknown): Described {
  try {
    if (isRecord(value)) {
      const record = value;
      const name = typeof record.name === 'string' && record.name !== '' ? record.name : 'Error';
      const message =
        typeof record.message === 'string' ? record.message : `Non-error ${typeof value} thrown`;
      const code =
        typeof record.code === 'string' || typeof record.code === 'number'
          ? record.code
          : undefined;
      return {
        name: truncate(scrubSecretText(name), 100),
        message: truncate(scrubSecretText(message), MAX_CAUSE_TEXT),
        code: typeof code === 'string' ? truncate(scrubSecretText(code), 100) : code,
        cause: record.cause,
      };
    }
    const text = typeof value === 'string' ? value : `Non-error ${typeof value} thrown`;
    return {
      name: 'Error',
      message: truncate(scrubSecretText(text), MAX_CAUSE_TEXT),
      code: undefined,
      cause: undefined,
    };
  } catch {
    return { name: 'Error', message: 'Unreadable error', code: undefined, cause: undefined };
  }
}
