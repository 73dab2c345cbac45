/**
 * Lists seen through the changes made to them: a lazily computed base list with some of its
 * records removed, records added among them by id, and records patched. Only the changes are
 * held in memory; every other record is still built on demand from the base.
 *
 * @module
 */
import type { LazyList } from './lazy-list.js';

/** A record added to a list: its id (which places it among the base records) and its builder. */
export interface AddedRecord<T> {
  /** The record's id; it must not be the id of a base record that is still listed. */
  readonly id: number | string;
  /** Builds the record, fresh on every call. */
  readonly build: () => T;
}

/** The changes seen through an {@link OverlayList}. */
export interface Overlay<T> {
  /** Ids of base records that are no longer listed (unknown ids are ignored). */
  readonly removed?: readonly (number | string)[];
  /** Records listed in addition to the base's, each placed by its id. */
  readonly added?: readonly AddedRecord<T>[];
  /** Applied to every record listed (base and added), fresh ones: it may modify its argument. */
  readonly patch?: ((record: T) => T) | undefined;
}

/** An added record with its place: before base index `pos`, at merged index `merged`. */
interface Placed<T> extends AddedRecord<T> {
  readonly key: number | string;
  readonly pos: number;
  readonly merged: number;
}

/** Orders ids as the lists do: numbers numerically, strings by code unit. */
function compareKeys(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Number of entries of the ascending array `xs` for which `below(x)` holds (a prefix). */
function countWhile<X>(xs: readonly X[], below: (x: X) => boolean): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (below(xs[mid] as X)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A {@link LazyList} made of a base list and an {@link Overlay}. Ids still ascend with the index
 * (added records are placed by id), so lookups by id and keyset pagination keep working; every
 * operation is O(log n + log changes), construction O(changes · log n).
 */
export class OverlayList<T> implements LazyList<T> {
  readonly length: number;
  readonly #base: LazyList<T>;
  /** Base indices removed, ascending. */
  readonly #removed: number[];
  /** For each removed index, how many base records survive before it (non-decreasing). */
  readonly #survivorsBefore: number[];
  readonly #added: Placed<T>[];
  readonly #numeric: boolean;
  readonly #patch: (record: T) => T;

  constructor(base: LazyList<T>, overlay: Overlay<T>) {
    this.#base = base;
    this.#patch = overlay.patch ?? ((record) => record);
    const removed = new Set<number>();
    for (const id of overlay.removed ?? []) {
      const index = base.indexOfId(id);
      if (index >= 0) removed.add(index);
    }
    this.#removed = [...removed].sort((a, b) => a - b);
    this.#survivorsBefore = this.#removed.map((index, i) => index - i);
    const added = [...(overlay.added ?? [])].sort((a, b) => compareKeys(a.id, b.id));
    this.#numeric = added.every((record) => typeof record.id === 'number');
    this.#added = added.map((record, k) => {
      const pos = base.indexAfterId(record.id);
      return { ...record, key: record.id, pos, merged: k + pos - this.#removedBefore(pos) };
    });
    this.length = base.length - this.#removed.length + this.#added.length;
  }

  at(index: number): T | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    const before = countWhile(this.#added, (record) => record.merged < index);
    const added = this.#added[before];
    if (added !== undefined && added.merged === index) return this.#patch(added.build());
    const survivor = index - before;
    const skipped = countWhile(this.#survivorsBefore, (count) => count <= survivor);
    const record = this.#base.at(survivor + skipped);
    return record === undefined ? undefined : this.#patch(record);
  }

  indexOfId(id: number | string): number {
    const key = this.#key(id);
    if (key !== undefined) {
      const k = countWhile(this.#added, (record) => compareKeys(record.key, key) < 0);
      const added = this.#added[k];
      if (added !== undefined && added.key === key) return added.merged;
    }
    const b = this.#base.indexOfId(id);
    if (b < 0 || this.#isRemoved(b)) return -1;
    const addedBefore = countWhile(this.#added, (record) => record.pos <= b);
    return b - this.#removedBefore(b) + addedBefore;
  }

  indexAfterId(id: number | string): number {
    const key = this.#key(id);
    if (key === undefined) return 0;
    const p = this.#base.indexAfterId(id);
    const addedUpTo = countWhile(this.#added, (record) => compareKeys(record.key, key) <= 0);
    return p - this.#removedBefore(p) + addedUpTo;
  }

  /** `id` as the added records' ids are compared, or `undefined` when it cannot be one. */
  #key(id: number | string): number | string | undefined {
    if (!this.#numeric) return String(id);
    if (typeof id === 'number') return Number.isNaN(id) ? undefined : id;
    return /^\d+$/.test(id) ? Number(id) : undefined;
  }

  #removedBefore(index: number): number {
    return countWhile(this.#removed, (removed) => removed < index);
  }

  #isRemoved(index: number): boolean {
    const i = this.#removedBefore(index);
    return this.#removed[i] === index;
  }
}

/** `base` with `patch` applied to every record it builds; lookups by id are the base's. */
export function patchedList<T>(base: LazyList<T>, patch: (record: T) => T): LazyList<T> {
  return {
    length: base.length,
    at: (index) => {
      const record = base.at(index);
      return record === undefined ? undefined : patch(record);
    },
    indexOfId: (id) => base.indexOfId(id),
    indexAfterId: (id) => base.indexAfterId(id),
  };
}
