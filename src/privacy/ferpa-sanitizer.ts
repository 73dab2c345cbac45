/**
 * {@link FerpaSanitizer}: removes or pseudonymizes student data in Canvas API responses (or any
 * JSON) before it leaves the process, following the field catalog of `./catalog.ts`.
 *
 * @module
 */
import { CanvasOptionsError } from '../errors/index.js';
import type { PiiAction } from './catalog.js';
import { isUrlFieldName, normalizeFieldName } from './field-names.js';
import { redactEmails, scrubUrl } from './free-text.js';
import { hasCycle, isPlainObject, kindOf } from './json-checks.js';
import { keyIdOf, Pseudonymizer } from './pseudonymizer.js';
import { CanvasSanitizeError } from './sanitize-error.js';
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
// its action inside them (bits 3-5), whether its object values are person objects (bit 6) and
// whether it marks its object as a person object (bit 7).
const KEEP = 0;
const DROP = 1;
const REDACT = 2;
const PSEUDONYMIZE = 3;
const REDACT_EMAILS = 4;
const SCRUB_URL = 5;
const ACTION_MASK = 7;
const HOLDS_PERSON = 64;
const MARKER = 128;

/** Raw field names remembered with their code; the cache is emptied when full. */
const MAX_CACHED_KEYS = 10_000;

const ACTION_CODES: Readonly<Record<PiiAction, number>> = {
  keep: KEEP,
  drop: DROP,
  redact: REDACT,
  pseudonymize: PSEUDONYMIZE,
  'redact-emails': REDACT_EMAILS,
  'scrub-url': SCRUB_URL,
};
const ACTIONS: readonly PiiAction[] = [
  'keep',
  'drop',
  'redact',
  'pseudonymize',
  'redact-emails',
  'scrub-url',
];

type JsonObject = Record<string, unknown>;

/**
 * Sanitizes Canvas records: identifiers pseudonymized with a keyed HMAC, names redacted,
 * contact, profile and network data dropped, emails in free text redacted, identifiers in URLs
 * redacted; Canvas ids kept unless `pseudonymizeCanvasIds`. Field names match in any case and
 * with any separators. See {@link FerpaSanitizerOptions} and `piiCatalog`.
 *
 * @example
 * ```ts
 * const sanitizer = new FerpaSanitizer({ key: process.env.PSEUDONYM_KEY, keyId: 'k2026' });
 * const safe = sanitizer.sanitize(enrollments);
 * // [{ id: 7, user_id: 42, sis_user_id: 'ps_k2026_Xq3…', user: { name: '[REDACTED]', … } }]
 * ```
 * @category Privacy
 */
export class FerpaSanitizer {
  /** Codes by normalized field name (the policy). */
  readonly #byName: Map<string, number>;
  /** Codes by raw field name, filled on first sight (bounded by {@link MAX_CACHED_KEYS}). */
  readonly #byKey = new Map<string, number>();
  readonly #unlisted: number;
  readonly #unlistedUrl: number;
  readonly #pseudonymizer: Pseudonymizer | undefined;
  readonly #mode: 'denylist' | 'allowlist';
  readonly #maxDepth: number;

  /**
   * @throws CanvasOptionsError for unknown options or actions, a key shorter than 32 bytes, an
   * invalid `keyId`, `allow` outside allowlist mode, two spellings of one field with different
   * actions, a `maxDepth` outside 1..1000, or a policy that pseudonymizes without a key. The
   * error never quotes the key or any other value.
   */
  constructor(options: FerpaSanitizerOptions = {}) {
    const resolved = resolveSanitizerOptions(options);
    const policy = buildPolicy(resolved);
    if (resolved.key === undefined) {
      const needing = pseudonymizedFields(policy);
      if (needing.length > 0) throw missingKeyError(needing);
    }
    this.#byName = new Map();
    for (const [name, rule] of policy.rules) {
      const code =
        ACTION_CODES[rule.outside] |
        (ACTION_CODES[rule.inPerson] << 3) |
        (rule.holdsPerson ? HOLDS_PERSON : 0) |
        (rule.marker ? MARKER : 0);
      this.#byName.set(name, code);
      this.#byKey.set(rule.field, code);
    }
    // Same action in and out of persons.
    this.#unlisted = ACTION_CODES[policy.unlisted] * 9;
    this.#unlistedUrl = ACTION_CODES[policy.unlistedUrl] * 9;
    this.#mode = resolved.mode;
    this.#maxDepth = resolved.maxDepth;
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

  /** Levels of nested objects and arrays `sanitize()` accepts (option `maxDepth`). */
  get maxDepth(): number {
    return this.#maxDepth;
  }

  /**
   * The action applied to a field of this name (in any spelling: `sisUserId` is `sis_user_id`),
   * in a person object or elsewhere. Fields the policy does not list get the mode's default
   * (`keep`, `scrub-url` for names ending in `url`, or `drop` in allowlist mode).
   */
  actionFor(field: string, inPerson = false): PiiAction {
    const code = this.#code(field);
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
   * are. A treated field whose value is not of the expected kind (an object under
   * `sis_user_id`, an array under `message`) is replaced whole by `[REDACTED]`. Synchronous
   * and deterministic.
   *
   * @throws CanvasSanitizeError when the value nests objects and arrays deeper than `maxDepth`
   * (`'too-deep'`), refers to itself (`'cycle'`), or holds, where it is walked, a function, a
   * BigInt, a symbol or an object that is not plain data such as a `Date` or a `Map`
   * (`'not-json'`). `JSON.parse` output never does.
   */
  sanitize<T>(value: T): unknown {
    try {
      return this.#value(value, false, 1);
    } catch (error) {
      const tooDeep =
        error instanceof RangeError ||
        (error instanceof CanvasSanitizeError && error.reason === 'too-deep');
      if (!tooDeep) throw error;
      const reason = hasCycle(value) ? 'cycle' : 'too-deep';
      throw new CanvasSanitizeError({ reason, maxDepth: this.#maxDepth });
    }
  }

  /** The code of a raw field name: cached, else looked up by its normalized form. */
  #code(key: string): number {
    let code = this.#byKey.get(key);
    if (code === undefined) {
      const name = normalizeFieldName(key);
      code = this.#byName.get(name) ?? (isUrlFieldName(name) ? this.#unlistedUrl : this.#unlisted);
      if (this.#byKey.size >= MAX_CACHED_KEYS) this.#byKey.clear();
      this.#byKey.set(key, code);
    }
    return code;
  }

  /** `value` at nesting `level` (the level it has if it is an object or an array). */
  #value(value: unknown, person: boolean, level: number): unknown {
    if (typeof value !== 'object' || value === null) return this.#primitive(value);
    if (Array.isArray(value)) {
      this.#enter(level);
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = this.#value(value[i], person, level + 1);
      return out;
    }
    return this.#object(value as JsonObject, person, level);
  }

  #primitive(value: unknown): unknown {
    const type = typeof value;
    if (type === 'function' || type === 'bigint' || type === 'symbol') throw this.#notJson(value);
    return value;
  }

  #enter(level: number): void {
    if (level > this.#maxDepth) {
      throw new CanvasSanitizeError({ reason: 'too-deep', maxDepth: this.#maxDepth });
    }
  }

  #notJson(value: unknown): CanvasSanitizeError {
    return new CanvasSanitizeError({
      reason: 'not-json',
      maxDepth: this.#maxDepth,
      valueType: kindOf(value),
    });
  }

  #object(input: JsonObject, held: boolean, level: number): JsonObject {
    this.#enter(level);
    if (!isPlainObject(input)) throw this.#notJson(input);
    const out: JsonObject = {};
    // Whether this is a person object: decided only when a person-only field needs it.
    let person: boolean | undefined = held ? true : undefined;
    for (const key of Object.keys(input)) {
      const code = this.#code(key);
      let action = code & ACTION_MASK;
      if (action !== ((code >> 3) & ACTION_MASK)) {
        person ??= this.#isPerson(input);
        if (person) action = (code >> 3) & ACTION_MASK;
      }
      if (action === DROP) continue;
      const value = input[key];
      let result: unknown;
      if (action === KEEP) {
        result =
          typeof value === 'object' && value !== null
            ? this.#value(value, (code & HOLDS_PERSON) !== 0, level + 1)
            : this.#primitive(value);
      } else if (value === null || value === undefined) {
        result = value;
      } else if (action === REDACT) {
        result = REDACTED;
      } else if (action === PSEUDONYMIZE) {
        result = this.#pseudonymize(value, (code & HOLDS_PERSON) !== 0, level + 1);
      } else if (typeof value === 'string') {
        result = action === REDACT_EMAILS ? redactEmails(value) : scrubUrl(value);
      } else {
        // Free text or a URL that is not a string: nothing in it can be trusted.
        result = REDACTED;
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

  #isPerson(input: JsonObject): boolean {
    for (const key of Object.keys(input)) {
      if ((this.#code(key) & MARKER) !== 0) return true;
    }
    return false;
  }

  /**
   * A pseudonymized field: strings and numbers become pseudonyms; under a person holder
   * (`user`, `author`) objects are person objects; arrays of those are treated item by item.
   * Anything else (a boolean, an object under an identifier, a nested array) is redacted whole.
   */
  #pseudonymize(value: unknown, holdsPerson: boolean, level: number): unknown {
    // The constructor guarantees a pseudonymizer whenever an action is PSEUDONYMIZE.
    const pseudonymizer = this.#pseudonymizer as Pseudonymizer;
    if (typeof value === 'string' || typeof value === 'number') {
      return pseudonymizer.pseudonym(value);
    }
    if (typeof value !== 'object' || value === null) {
      this.#primitive(value);
      return REDACTED;
    }
    if (!Array.isArray(value)) {
      return holdsPerson ? this.#object(value as JsonObject, true, level) : REDACTED;
    }
    this.#enter(level);
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'string' || typeof item === 'number') {
        out[i] = pseudonymizer.pseudonym(item);
      } else if (item === null || item === undefined) {
        out[i] = item;
      } else if (holdsPerson && typeof item === 'object' && !Array.isArray(item)) {
        out[i] = this.#object(item as JsonObject, true, level + 1);
      } else {
        this.#primitive(item);
        return REDACTED;
      }
    }
    return out;
  }
}
