/**
 * {@link FerpaSanitizer}: removes or pseudonymizes student data in Canvas API responses (or any
 * JSON) before it leaves the process, following the field catalog of `./catalog.ts`.
 *
 * @module
 */
import { CanvasOptionsError } from '../errors.js';
import { type PiiAction, personMarkerFields } from './catalog.js';
import { redactEmails } from './free-text.js';
import { keyIdOf, Pseudonymizer } from './pseudonymizer.js';
import {
  buildPolicy,
  type FerpaSanitizerOptions,
  missingKeyError,
  pseudonymizedFields,
  resolveSanitizerOptions,
} from './sanitizer-options.js';

/** What a redacted value is replaced by. */
export const REDACTED = '[REDACTED]';

// Actions as small integers; a field's code packs its action outside person objects (bits 0-2),
// its action inside them (bits 3-5), and whether its object values are person objects (bit 6).
const KEEP = 0;
const DROP = 1;
const REDACT = 2;
const PSEUDONYMIZE = 3;
const REDACT_EMAILS = 4;
const ACTION_MASK = 7;
const HOLDS_PERSON = 64;

const ACTION_CODES: Readonly<Record<PiiAction, number>> = {
  keep: KEEP,
  drop: DROP,
  redact: REDACT,
  pseudonymize: PSEUDONYMIZE,
  'redact-emails': REDACT_EMAILS,
};
const ACTIONS: readonly PiiAction[] = ['keep', 'drop', 'redact', 'pseudonymize', 'redact-emails'];

type JsonObject = Record<string, unknown>;

/**
 * Sanitizes Canvas records: identifiers pseudonymized with a keyed HMAC, names redacted,
 * contact, profile and network data dropped, emails in free text redacted; Canvas ids kept
 * unless `pseudonymizeCanvasIds`. See {@link FerpaSanitizerOptions} and `piiCatalog`.
 *
 * @example
 * ```ts
 * const sanitizer = new FerpaSanitizer({ key: process.env.PSEUDONYM_KEY, keyId: 'k2026' });
 * const safe = sanitizer.sanitize(enrollments);
 * // [{ id: 7, user_id: 42, sis_user_id: 'ps_k2026_Xq3…', user: { name: '[REDACTED]', … } }]
 * ```
 */
export class FerpaSanitizer {
  readonly #codes: Map<string, number>;
  readonly #unlisted: number;
  readonly #pseudonymizer: Pseudonymizer | undefined;
  readonly #mode: 'denylist' | 'allowlist';

  /**
   * @throws CanvasOptionsError for unknown options or actions, a key shorter than 32 bytes, an
   * invalid `keyId`, `allow` outside allowlist mode, or a policy that pseudonymizes without a
   * key. The error never quotes the key or any other value.
   */
  constructor(options: FerpaSanitizerOptions = {}) {
    const resolved = resolveSanitizerOptions(options);
    const policy = buildPolicy(resolved);
    if (resolved.key === undefined) {
      const needing = pseudonymizedFields(policy);
      if (needing.length > 0) throw missingKeyError(needing);
    }
    this.#codes = new Map();
    for (const [name, rule] of policy.rules) {
      this.#codes.set(
        name,
        ACTION_CODES[rule.outside] |
          (ACTION_CODES[rule.inPerson] << 3) |
          (rule.holdsPerson ? HOLDS_PERSON : 0),
      );
    }
    this.#unlisted = ACTION_CODES[policy.unlisted] * 9; // same action in and out of persons
    this.#mode = resolved.mode;
    this.#pseudonymizer =
      resolved.key === undefined
        ? undefined
        : new Pseudonymizer(resolved.key, resolved.keyId, resolved.cacheSize);
    resolved.key?.fill(0);
  }

  /** The key id carried by every pseudonym (`ps_<keyId>_…`); `undefined` without a key. */
  get keyId(): string | undefined {
    return this.#pseudonymizer?.keyId;
  }

  /** `'denylist'` or `'allowlist'`. */
  get mode(): 'denylist' | 'allowlist' {
    return this.#mode;
  }

  /**
   * The action applied to a field of this name, in a person object or elsewhere. Fields the
   * policy does not list get the mode's default (`keep`, or `drop` in allowlist mode).
   */
  actionFor(field: string, inPerson = false): PiiAction {
    const code = this.#codes.get(field) ?? this.#unlisted;
    return ACTIONS[(inPerson ? code >> 3 : code) & ACTION_MASK] ?? 'drop';
  }

  /**
   * The pseudonym of a value: `ps_<keyId>_` and 22 base64url characters (the first 16 bytes of
   * HMAC-SHA256 of the value's string form, so `42` and `'42'` give the same pseudonym).
   * Stable for one key, unrelated between keys.
   *
   * @throws CanvasOptionsError when the sanitizer has no key.
   * @throws TypeError when `value` is neither a string nor a finite number.
   */
  pseudonym(value: string | number): string {
    const pseudonymizer = this.#pseudonymizer;
    if (pseudonymizer === undefined) {
      throw new CanvasOptionsError({
        what: 'FerpaSanitizer options',
        issues: [{ path: 'key', message: 'Required by pseudonym()' }],
      });
    }
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      throw new TypeError('pseudonym() takes a string or a finite number');
    }
    return pseudonymizer.pseudonym(value);
  }

  /** The key id of a pseudonym this library made (with any key), or `undefined`. */
  static keyIdOf(value: string): string | undefined {
    return keyIdOf(value);
  }

  /**
   * A sanitized deep copy of `value`: objects and arrays at any depth are rebuilt with each
   * field treated by name; the input is never mutated. Strings, numbers, booleans and `null`
   * outside any field (a top-level string, items of a top-level array) are returned as they
   * are. Synchronous, deterministic, and safe on any JSON (`JSON.parse` output); other objects
   * are walked through their own enumerable string keys.
   */
  sanitize<T>(value: T): unknown {
    return this.#value(value, false);
  }

  #value(value: unknown, person: boolean): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = this.#value(value[i], person);
      return out;
    }
    return this.#object(value as JsonObject, person);
  }

  #object(input: JsonObject, held: boolean): JsonObject {
    const out: JsonObject = {};
    // Whether this is a person object: decided only when a person-only field needs it.
    let person: boolean | undefined = held ? true : undefined;
    for (const key of Object.keys(input)) {
      let code = this.#codes.get(key) ?? this.#unlisted;
      let action = code & ACTION_MASK;
      if (action !== ((code >> 3) & ACTION_MASK)) {
        person ??= isPerson(input);
        if (person) action = (code >> 3) & ACTION_MASK;
      }
      if (action === DROP) continue;
      const value = input[key];
      let result: unknown;
      if (action === KEEP) {
        code &= HOLDS_PERSON;
        result =
          typeof value === 'object' && value !== null ? this.#value(value, code !== 0) : value;
      } else if (action === REDACT) {
        result = value === null || value === undefined ? value : REDACTED;
      } else if (action === PSEUDONYMIZE) {
        result = this.#pseudonymize(value, (code & HOLDS_PERSON) !== 0);
      } else {
        result = this.#redactEmails(value);
      }
      if (key === '__proto__') {
        Object.defineProperty(out, key, {
          value: result,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        out[key] = result;
      }
    }
    return out;
  }

  #pseudonymize(value: unknown, person: boolean): unknown {
    switch (typeof value) {
      case 'string':
      case 'number':
      case 'bigint':
        // The constructor guarantees a pseudonymizer whenever an action is PSEUDONYMIZE.
        return (this.#pseudonymizer as Pseudonymizer).pseudonym(value);
      case 'object':
        if (value === null) return null;
        if (Array.isArray(value)) return value.map((item) => this.#pseudonymize(item, person));
        return this.#object(value as JsonObject, person);
      default:
        return value;
    }
  }

  #redactEmails(value: unknown): unknown {
    if (typeof value === 'string') return redactEmails(value);
    if (Array.isArray(value)) return value.map((item) => this.#redactEmails(item));
    return this.#value(value, false);
  }
}

function isPerson(input: JsonObject): boolean {
  for (const marker of personMarkerFields) {
    if (Object.hasOwn(input, marker)) return true;
  }
  return false;
}
