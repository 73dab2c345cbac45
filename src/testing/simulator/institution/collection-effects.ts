/**
 * The effect of a set of changes on the listings a sync reads: which records each listing
 * inserts, updates and deletes, summed by task kind for the report.
 *
 * @module
 */
import { type TaskKind, taskKinds } from '../../../queue/task-types.js';
import type { SimulatorChangeCounts, SimulatorCollectionChange } from '../change-types.js';

/** What happened to the records of one listing. */
interface Listing {
  readonly kind: TaskKind | null;
  readonly inserted: Set<number | string>;
  readonly updated: Set<number | string>;
  readonly deleted: Set<number | string>;
}

/** Ascending ids: numbers numerically, strings by code unit. */
function ascending(ids: Set<number | string>): (number | string)[] {
  return [...ids].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : a < b ? -1 : a > b ? 1 : 0,
  );
}

/** Collects the records each listing inserts, updates and deletes. */
export class CollectionEffects {
  readonly #listings = new Map<string, Listing>();

  #listing(kind: TaskKind | null, path: string): Listing {
    let listing = this.#listings.get(path);
    if (listing === undefined) {
      listing = { kind, inserted: new Set(), updated: new Set(), deleted: new Set() };
      this.#listings.set(path, listing);
    }
    return listing;
  }

  /** Record `id` is new in the listing at `path`. */
  insert(kind: TaskKind | null, path: string, id: number | string): void {
    this.#listing(kind, path).inserted.add(id);
  }

  /** Record `id` of the listing at `path` has changed (unless it is new there). */
  update(kind: TaskKind | null, path: string, id: number | string): void {
    const listing = this.#listing(kind, path);
    if (!listing.inserted.has(id)) listing.updated.add(id);
  }

  /** Record `id` is no longer in the listing at `path`. */
  delete(kind: TaskKind | null, path: string, id: number | string): void {
    const listing = this.#listing(kind, path);
    listing.updated.delete(id);
    if (!listing.inserted.delete(id)) listing.deleted.add(id);
  }

  /** Every listing that changed, ascending path, ids ascending. */
  collections(): SimulatorCollectionChange[] {
    return [...this.#listings]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, listing]) => ({
        kind: listing.kind,
        path,
        inserted: ascending(listing.inserted),
        updated: ascending(listing.updated),
        deleted: ascending(listing.deleted),
      }))
      .filter((c) => c.inserted.length + c.updated.length + c.deleted.length > 0);
  }

  /** The counts of {@link CollectionEffects.collections} summed by task kind, every kind present. */
  static byKind(
    collections: readonly SimulatorCollectionChange[],
  ): Record<TaskKind, SimulatorChangeCounts> {
    const sums = {} as Record<TaskKind, { inserted: number; updated: number; deleted: number }>;
    for (const kind of taskKinds) sums[kind] = { inserted: 0, updated: 0, deleted: 0 };
    for (const collection of collections) {
      if (collection.kind === null) continue;
      const sum = sums[collection.kind];
      sum.inserted += collection.inserted.length;
      sum.updated += collection.updated.length;
      sum.deleted += collection.deleted.length;
    }
    return sums;
  }
}
