/**
 * Keyed pseudonyms: `ps_<keyId>_<base64url of the first 16 bytes of HMAC-SHA256(key, value)>`.
 *
 * The value is hashed as the UTF-8 bytes of its string form (`String(value)`), so the number
 * `42` and the string `'42'` give the same pseudonym, and anyone holding the key can compute the
 * same pseudonym elsewhere (e.g. in a warehouse, `hmac(sis_user_id, key, 'sha256')`). Without
 * the key a pseudonym cannot be reversed or recomputed, even for low-entropy values such as
 * 7-digit student numbers, which plain SHA-256 would not protect (they can be enumerated).
 *
 * @module
 */
import { createHash, createHmac } from 'node:crypto';

/** Smallest key accepted, in bytes (256 bits, the HMAC-SHA256 block strength). */
export const MIN_KEY_BYTES = 32;

/** Bytes of the HMAC kept in a pseudonym (128 bits: collisions need ~2^64 values). */
export const PSEUDONYM_BYTES = 16;

/** What a key id may contain: no `_`, so `ps_<keyId>_` always parses. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9-]{1,32}$/;

const PSEUDONYM_PATTERN = /^ps_([A-Za-z0-9-]{1,32})_[A-Za-z0-9_-]{22}$/;

/** The key id of a pseudonym made by canvas-sync, or `undefined` if `value` is not one. */
export function keyIdOf(value: string): string | undefined {
  return PSEUDONYM_PATTERN.exec(value)?.[1];
}

/** The UTF-8 bytes of a key given as a string, or a copy of the given bytes. */
export function keyBytes(key: string | Uint8Array): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
}

/**
 * The default key id of a key: 8 hex digits of `SHA-256("canvas-sync/key-id\0" || key)`. A
 * fingerprint, not the key: it reveals nothing usable about a 32-byte key, and differs between
 * keys, so pseudonyms made with a new key never share the old prefix.
 */
export function defaultKeyId(key: Uint8Array): string {
  return createHash('sha256').update('canvas-sync/key-id\0').update(key).digest('hex').slice(0, 8);
}

/**
 * Computes pseudonyms with one key, remembering recent ones in two generations of at most
 * `cacheSize / 2` entries each: lookups hit the young one, then the old one (promoting the entry);
 * when the young one is full it becomes the old one and the previous old one is dropped. O(1)
 * per lookup, about least-recently-used, and never more than `cacheSize` entries.
 */
export class Pseudonymizer {
  /** The key id every pseudonym starts with (`ps_<keyId>_`). */
  readonly keyId: string;
  // A raw Buffer: `createHmac` with a Buffer is ~15% faster than with a KeyObject on Node 20.
  readonly #key: Buffer;
  readonly #prefix: string;
  readonly #generation: number;
  #young = new Map<string, string>();
  #old = new Map<string, string>();

  /**
   * @param key - At least {@link MIN_KEY_BYTES} bytes (checked by the caller); copied.
   * @param keyId - Matches {@link KEY_ID_PATTERN}; default {@link defaultKeyId}.
   * @param cacheSize - Most pseudonyms remembered; 0 = none.
   */
  constructor(key: Uint8Array, keyId: string | undefined, cacheSize: number) {
    this.#key = Buffer.from(key);
    this.keyId = keyId ?? defaultKeyId(key);
    this.#prefix = `ps_${this.keyId}_`;
    this.#generation = Math.floor(cacheSize / 2);
  }

  /** The pseudonym of `value` (numbers hashed as their decimal string). */
  pseudonym(value: string | number | bigint): string {
    const text = typeof value === 'string' ? value : String(value);
    let pseudonym = this.#young.get(text);
    if (pseudonym !== undefined) return pseudonym;
    pseudonym = this.#old.get(text) ?? this.#compute(text);
    if (this.#generation > 0) {
      if (this.#young.size >= this.#generation) {
        this.#old = this.#young;
        this.#young = new Map();
      }
      this.#young.set(text, pseudonym);
    }
    return pseudonym;
  }

  #compute(text: string): string {
    const digest = createHmac('sha256', this.#key).update(text, 'utf8').digest();
    return this.#prefix + digest.toString('base64url', 0, PSEUDONYM_BYTES);
  }
}
