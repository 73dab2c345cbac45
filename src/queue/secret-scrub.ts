/**
 * Scrubbing by pattern (pure): what a dead letter keeps of an untrusted payload must not carry an
 * access token, so token-shaped text and the values of secret-named fields are replaced by
 * `[REDACTED]` before anything is stored. Value-based redaction (a client replacing its own
 * token) is applied on top by whoever knows the token; see `scrubDeadLetter`.
 *
 * @module
 */
import { REDACTED, scrubSecretText } from '../errors/secret-patterns.js';
import { nameForms } from './task-rules.js';

export { REDACTED, scrubSecretText };

/** Field and parameter names whose values are secrets, in their plain form (see `nameForms`). */
const SECRET_NAMES: ReadonlySet<string> = new Set([
  'access_token',
  'refresh_token',
  'authorization',
  'client_secret',
]);

/** Nesting walked in a payload; deeper values are replaced whole. */
const MAX_DEPTH = 32;

/** Whether a field or parameter name holds a secret (`access_token`, `ACCESS%5FTOKEN[]` …). */
export function isSecretName(name: string): boolean {
  return nameForms(name).some((form) => SECRET_NAMES.has(form));
}

/**
 * A JSON-like copy of `value` in which every string went through `scrub` (object keys through
 * `scrubKey`), and the value of every secret-named key ({@link isSecretName}) is `[REDACTED]`,
 * whatever its type. Follows `JSON.stringify`'s view of the value (`toJSON()` applied, own
 * enumerable string keys, functions and symbols dropped); a cycle or nesting deeper than 32
 * levels becomes `[REDACTED]`. Never throws: a value that cannot be read becomes `[REDACTED]`.
 */
export function scrubValue(
  value: unknown,
  scrub: (text: string) => string,
  scrubKey: (key: string) => string = scrub,
): unknown {
  return walk(value, { scrub, scrubKey }, new Set(), 0);
}

interface Scrubbers {
  readonly scrub: (text: string) => string;
  readonly scrubKey: (key: string) => string;
}

function walk(input: unknown, scrubbers: Scrubbers, seen: Set<object>, depth: number): unknown {
  const { scrub, scrubKey } = scrubbers;
  try {
    let value = input;
    if (typeof value === 'object' && value !== null && hasToJson(value)) value = value.toJSON();
    if (typeof value === 'string') return scrub(value);
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value) || depth >= MAX_DEPTH) return REDACTED;
    seen.add(value);
    let copy: unknown;
    if (Array.isArray(value)) {
      copy = value.map((item: unknown) => walk(item, scrubbers, seen, depth + 1));
    } else {
      const record: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        if (typeof item === 'function' || typeof item === 'symbol') continue;
        record[scrubKey(key)] = isSecretName(key)
          ? REDACTED
          : walk(item, scrubbers, seen, depth + 1);
      }
      copy = record;
    }
    seen.delete(value);
    return copy;
  } catch {
    return REDACTED;
  }
}

function hasToJson(value: object): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
