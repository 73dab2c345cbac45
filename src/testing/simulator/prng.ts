/**
 * Small, fast, seeded pseudo-random number generation for the Canvas simulator.
 *
 * Everything here works on 32-bit integers with `Math.imul` and bit operations only, so the
 * output is identical on every platform, process and Node version. There is no global state:
 * each entity of the simulated institution derives its own independent stream from
 * {@link hashSeed}, which is what lets any record be computed by index in O(1).
 *
 * @module
 */

const TWO_POW_32 = 4_294_967_296;

/**
 * MurmurHash3's 32-bit finalizer: an invertible avalanche mix of a 32-bit integer.
 *
 * @param h - any number; only its low 32 bits are used.
 * @returns an unsigned 32-bit integer.
 */
export function fmix32(h: number): number {
  let x = h | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85eb_ca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2_ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Mixes one integer into a running 32-bit hash (a MurmurHash3 block step followed by
 * {@link fmix32}). Use it to derive a sub-stream cheaply in hot paths:
 * `mixHash(mixHash(base, courseIndex), studentIndex)`.
 *
 * Integers outside the 32-bit range are mixed as two 32-bit halves, so every safe integer
 * (negative ones included) hashes distinctly; non-integers are mixed through their
 * (spec-defined, deterministic) string form.
 *
 * @param h - the running hash (unsigned 32-bit integer).
 * @param n - the value to mix in.
 * @returns an unsigned 32-bit integer.
 */
export function mixHash(h: number, n: number): number {
  if (Number.isInteger(n) && n >= 0 && n < TWO_POW_32) return mixWord(h, n);
  if (Number.isSafeInteger(n)) {
    const lo = n >>> 0; // two's complement low word, also right for negatives
    const hi = Math.floor(n / TWO_POW_32) | 0;
    return mixWord(mixWord(mixWord(h, 0x6e65_6721), lo), hi);
  }
  return mixString(mixWord(h, 0x666c_6f74), String(n));
}

function mixWord(h: number, word: number): number {
  let k = Math.imul(word | 0, 0xcc9e_2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b87_3593);
  let x = (h ^ k) | 0;
  x = (x << 13) | (x >>> 19);
  x = (Math.imul(x, 5) + 0xe654_6b64) | 0;
  return fmix32(x);
}

function mixString(h: number, s: string): number {
  // FNV-1a over UTF-16 code units, seeded with the running hash, then length-tagged.
  let x = (h ^ 0x811c_9dc5) >>> 0;
  for (let i = 0; i < s.length; i++) {
    x ^= s.charCodeAt(i);
    x = Math.imul(x, 0x0100_0193);
  }
  return mixWord(x >>> 0, s.length);
}

/**
 * Derives a 32-bit seed from any sequence of strings and numbers, e.g.
 * `hashSeed(seed, 'enrollment', courseIndex, i)`. Different sequences give (with
 * overwhelming probability) unrelated seeds; `'1'` and `1` hash differently, and so do
 * `('ab', 'c')` and `('a', 'bc')`.
 *
 * @param parts - the stream's coordinates; numbers may be any finite or non-finite value.
 * @returns an unsigned 32-bit integer suitable for {@link createPrng}.
 */
export function hashSeed(...parts: readonly (string | number)[]): number {
  let h = 0x9747_b28c;
  for (const part of parts) {
    h =
      typeof part === 'number'
        ? mixHash(mixWord(h, 0x6e), part)
        : mixString(mixWord(h, 0x73), part);
  }
  return fmix32(h ^ parts.length);
}

/** A seeded stream of pseudo-random values (splitmix32). Cheap to create: one per record. */
export interface Prng {
  /** Next unsigned 32-bit integer, uniform in `0 .. 2**32 - 1`. */
  uint32(): number;
  /** Next float, uniform in `[0, 1)`, with 32 bits of precision. */
  float(): number;
  /** Next integer, uniform in `min .. max` inclusive (`max` < `min` returns `min`). */
  int(min: number, max: number): number;
  /** `true` with probability `p` (0 ⇒ never, 1 ⇒ always). */
  chance(p: number): boolean;
  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** `length` characters drawn uniformly from `alphabet`. */
  chars(length: number, alphabet: string): string;
  /** `length` lower-case hex digits. */
  hex(length: number): string;
}

const HEX_BYTES: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
);

/**
 * The 8 lower-case hex digits of a 32-bit word, zero-padded (`0x1f` → `"0000001f"`). A table
 * lookup, much faster than `Number#toString(16)`.
 */
export function hex32(word: number): string {
  const w = word >>> 0;
  return (
    (HEX_BYTES[w >>> 24] ?? '') +
    (HEX_BYTES[(w >>> 16) & 255] ?? '') +
    (HEX_BYTES[(w >>> 8) & 255] ?? '') +
    (HEX_BYTES[w & 255] ?? '')
  );
}

const pairTables = new Map<string, readonly string[]>();

/** All `alphabet.length ** 2` two-character strings of an alphabet (cached; alphabets of up to 256 characters). */
function pairTable(alphabet: string): readonly string[] {
  let table = pairTables.get(alphabet);
  if (table === undefined) {
    const radix = alphabet.length;
    if (radix === 0 || radix > 256)
      throw new RangeError('chars() needs an alphabet of 1..256 characters');
    const pairs: string[] = [];
    for (let i = 0; i < radix * radix; i++) {
      pairs.push(alphabet.charAt(i % radix) + alphabet.charAt(Math.floor(i / radix)));
    }
    table = pairs;
    if (pairTables.size < 16) pairTables.set(alphabet, table);
  }
  return table;
}

/**
 * Creates a splitmix32 generator: a Weyl sequence (`+= 0x9e3779b9`) passed through
 * {@link fmix32}-style mixing. Period 2**32 per stream, which is ample since every record gets
 * its own stream from {@link hashSeed}.
 *
 * @param seed - any number; only its low 32 bits are used.
 */
export function createPrng(seed: number): Prng {
  return new SplitMix32(seed);
}

// A class rather than closures: creating one is a single small allocation, which matters since
// the generator creates one per record (and some transpilers wrap every closure).
class SplitMix32 implements Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed | 0;
  }

  uint32(): number {
    this.#state = (this.#state + 0x9e37_79b9) | 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0_aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a_2d97);
    return (z ^ (z >>> 15)) >>> 0;
  }

  float(): number {
    return this.uint32() / TWO_POW_32;
  }

  int(min: number, max: number): number {
    return max <= min ? min : min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.float() * items.length)];
    if (item === undefined) throw new RangeError('pick() needs a non-empty array');
    return item;
  }

  chars(length: number, alphabet: string): string {
    // Four characters per 32-bit draw: each 16-bit half is scaled (multiply-shift, integer-only
    // arithmetic) to an index into a table of all two-character strings of the alphabet.
    const pairs = pairTable(alphabet);
    const square = pairs.length;
    let out = '';
    while (out.length < length) {
      const word = this.uint32();
      out +=
        (pairs[((word & 0xffff) * square) >>> 16] ?? '') +
        (pairs[((word >>> 16) * square) >>> 16] ?? '');
    }
    return out.length === length ? out : out.slice(0, length);
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += hex32(this.uint32());
    return out.length === length ? out : out.slice(0, length);
  }
}
