/**
 * Read-only lists whose records are computed on demand from their index, with ids that ascend
 * with the index so that lookups by id are binary searches, never scans.
 *
 * @module
 */

/**
 * A read-only, lazily computed list: records are derived from (seed, index) on demand. Ids ascend with index.
 * @category Testing
 */
export interface LazyList<T> {
  /** Number of records. */
  readonly length: number;
  /** The record at `index`, built fresh on every call (callers may mutate it); `undefined` outside `0..length-1` or for a non-integer index. */
  at(index: number): T | undefined;
  /** index of the record with this id, or -1 (O(1) or O(log n), never a scan). Accepts numbers and strings of digits; anything else gives -1. */
  indexOfId(id: number | string): number;
  /** index of the first record whose id is strictly greater than `id` (length if none); O(log n) — used for keyset (bookmark) pagination. An unparseable id (NaN, a non-digit string for a numeric-id list) gives 0, as Canvas restarts at the first page on a bad bookmark. */
  indexAfterId(id: number | string): number;
}

/** The id of a record: a number, or a string for lists whose ids ascend lexicographically. */
type Key = number | string;

/**
 * A {@link LazyList} of `length` records built by `build(index)`, whose id at each index is
 * `idAt(index)` (strictly ascending). Ids are numbers unless `numeric` is false, in which case
 * they are strings compared by code unit.
 */
export class IdList<T> implements LazyList<T> {
  readonly #idAt: (index: number) => Key;
  readonly #build: (index: number) => T;
  readonly #numeric: boolean;

  constructor(
    readonly length: number,
    idAt: (index: number) => Key,
    build: (index: number) => T,
    numeric = true,
  ) {
    this.#idAt = idAt;
    this.#build = build;
    this.#numeric = numeric;
  }

  at(index: number): T | undefined {
    return Number.isInteger(index) && index >= 0 && index < this.length
      ? this.#build(index)
      : undefined;
  }

  indexOfId(id: number | string): number {
    const key = this.#key(id);
    if (key === undefined) return -1;
    const i = this.#lowerBound(key, false);
    return i < this.length && this.#idAt(i) === key ? i : -1;
  }

  indexAfterId(id: number | string): number {
    const key = this.#key(id);
    return key === undefined ? 0 : this.#lowerBound(key, true);
  }

  #key(id: number | string): Key | undefined {
    if (!this.#numeric) return String(id);
    if (typeof id === 'number') return Number.isNaN(id) ? undefined : id;
    return /^\d+$/.test(id) ? Number(id) : undefined;
  }

  /** First index whose id is >= key (or > key when `strict`). */
  #lowerBound(key: Key, strict: boolean): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const id = this.#idAt(mid);
      if (id < key || (strict && id === key)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A {@link LazyList} of `length` records whose ids are `base + index`. */
export function range<T>(length: number, base: number, build: (index: number) => T): LazyList<T> {
  return new IdList(length, (i) => base + i, build);
}
