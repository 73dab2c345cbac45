/**
 * Redaction by value: the client knows its token, so instead of recognising token-shaped text
 * it replaces every occurrence of the token itself, in every form it can take in a message
 * (raw, percent-encoded, form-encoded, JSON-escaped), in errors, their causes and events.
 *
 * @module
 */

import { REDACTED } from './secret-patterns.js';

/** Nested objects walked in an error or event; deeper values are left as they are. */
const MAX_DEPTH = 8;

/**
 * The forms a secret takes once written into a URL, a form body, a header or a JSON string. A
 * server echoing the token back, or a `fetch` wrapper quoting its request, uses one of these.
 */
function formsOf(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const add = (encode: () => string): void => {
    try {
      forms.add(encode());
    } catch {
      // A lone surrogate cannot be percent-encoded: that form cannot occur.
    }
  };
  add(() => encodeURIComponent(secret));
  add(() => encodeURI(secret));
  add(() => new URLSearchParams({ s: secret }).toString().slice(2));
  add(() => JSON.stringify(secret).slice(1, -1));
  // Percent-encoding with lower-case hex digits, as some encoders write it.
  add(() => encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
  // Longest first, so that a form containing another is replaced whole.
  return [...forms].filter((form) => form !== '').sort((a, b) => b.length - a.length);
}

/**
 * Holds the secrets of one client (its token, and every token a token provider has returned)
 * and removes them from text, errors and event payloads.
 */
export class SecretRedactor {
  #forms: string[] = [];
  readonly #secrets = new Set<string>();

  /** Adds a secret; every later {@link SecretRedactor.redact} replaces it. Idempotent. */
  add(secret: string): void {
    if (secret === '' || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    this.#forms = [...new Set([...this.#forms, ...formsOf(secret)])].sort(
      (a, b) => b.length - a.length,
    );
  }

  /** `text` with every form of every secret replaced by `[REDACTED]`. */
  redact(text: string): string {
    let out = text;
    for (const form of this.#forms) {
      if (out.includes(form)) out = out.replaceAll(form, REDACTED);
    }
    return out;
  }

  /** Whether `text` holds a form of a secret. */
  occursIn(text: string): boolean {
    return this.#forms.some((form) => text.includes(form));
  }

  /**
   * Redacts, in place, every string an error carries: its message, stack and own fields, and
   * those of nested objects (its `cause`, its `body`), then returns it. Never throws.
   */
  redactError<E>(error: E): E {
    if (this.#forms.length > 0) this.#redactObject(error, new Set(), 0);
    return error;
  }

  /**
   * A copy of an event payload with every string field redacted, or the payload itself when
   * it holds no secret (the usual case, which costs one scan of its strings).
   */
  redactEvent<T>(payload: T): T {
    if (this.#forms.length === 0 || typeof payload !== 'object' || payload === null) {
      return payload;
    }
    const record = payload as Record<string, unknown>;
    const tainted = Object.keys(record).filter((key) => {
      const value = record[key];
      return typeof value === 'string' && this.occursIn(value);
    });
    if (tainted.length === 0) return payload;
    const copy: Record<string, unknown> = { ...record };
    for (const key of tainted) copy[key] = this.redact(record[key] as string);
    return copy as T;
  }

  /**
   * Redacts the string fields of `value` and of the objects under it, and their stacks when
   * they held a secret; returns whether it found one.
   */
  #redactObject(value: unknown, seen: Set<object>, depth: number): boolean {
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > MAX_DEPTH) {
      return false;
    }
    seen.add(value);
    let found = false;
    try {
      for (const key of Reflect.ownKeys(value)) {
        if (key === 'stack') continue;
        const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
        if (descriptor === undefined || !('value' in descriptor)) continue;
        const field = descriptor.value as unknown;
        if (typeof field === 'string') {
          if (!this.occursIn(field)) continue;
          found = true;
          const redacted = this.redact(field);
          if (descriptor.writable) (value as Record<PropertyKey, unknown>)[key] = redacted;
          else if (descriptor.configurable) {
            Object.defineProperty(value, key, { ...descriptor, value: redacted });
          }
        } else if (this.#redactObject(field, seen, depth + 1)) {
          found = true;
        }
      }
      // A stack starts with the message as it was at construction: read it (formatting a
      // stack trace is costly) only when this object, or one under it, held a secret.
      if (found && Object.hasOwn(value, 'stack')) {
        const stack: unknown = Reflect.get(value, 'stack');
        if (typeof stack === 'string' && this.occursIn(stack)) {
          Reflect.set(value, 'stack', this.redact(stack));
        }
      }
    } catch {
      // A frozen or exotic object: nothing more can be done to it.
    }
    return found;
  }
}
