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
    h = typeof part === 'number' ? mixHash(mixWord(h, 0x6e), part) : mixString(mixWord(h, 0x73), part);
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

const HEX = '0123456789abcdef';

/**
 * Creates a splitmix32 generator: a Weyl sequence (`+= 0x9e3779b9`) passed through
 * {@link fmix32}-style mixing. Period 2**32 per stream, which is ample since every record gets
 * its own stream from {@link hashSeed}.
 *
 * @param seed - any number; only its low 32 bits are used.
 */
export function createPrng(seed: number): Prng {
  let state = seed | 0;
  const uint32 = (): number => {
    state = (state + 0x9e37_79b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0_aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a_2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  const float = (): number => uint32() / TWO_POW_32;
  const int = (min: number, max: number): number =>
    max <= min ? min : min + Math.floor(float() * (max - min + 1));
  return {
    uint32,
    float,
    int,
    chance: (p) => float() < p,
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(float() * items.length)];
      if (item === undefined) throw new RangeError('pick() needs a non-empty array');
      return item;
    },
    chars(length, alphabet) {
      // Several characters per 32-bit draw (base-`alphabet.length` digits of the word).
      const radix = alphabet.length;
      let perWord = 1;
      for (let acc = radix * radix; acc <= TWO_POW_32; acc *= radix) perWord++;
      let out = '';
      let word = 0;
      for (let i = 0; i < length; i++) {
        if (i % perWord === 0) word = uint32();
        out += alphabet.charAt(word % radix);
        word = Math.floor(word / radix);
      }
      return out;
    },
    hex(length) {
      let out = '';
      let word = 0;
      for (let i = 0; i < length; i++) {
        if (i % 8 === 0) word = uint32();
        out += HEX.charAt(word & 15);
        word >>>= 4;
      }
      return out;
    },
  };
}
