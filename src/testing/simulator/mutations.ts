import type { PageableList } from './pagination.js';

interface Overlay {
  /** Ids of inserted records, newest (head of the collection) first. */
  readonly insertedIds: number[];
  deleted: number;
}

/** First id given to records the simulator inserts into a collection. */
export const INSERTED_ID_BASE = 9_000_000_000;

/**
 * Changes made to numbered collections while a client pages through them: a
 * record inserted at the head shifts every later record one place down (the
 * client sees a duplicate), one deleted from the head shifts them up (the client
 * skips one). Keyed by collection path; shared by every token, as in Canvas.
 */
export class CollectionMutations {
  readonly #overlays = new Map<string, Overlay>();
  #nextId = INSERTED_ID_BASE;

  /** Applies a change to the collection at `key`. */
  mutate(key: string, change: 'insert' | 'delete', baseLength: number): void {
    const overlay = this.#overlays.get(key) ?? { insertedIds: [], deleted: 0 };
    if (change === 'insert') overlay.insertedIds.unshift(this.#nextId++);
    else if (overlay.deleted < baseLength) overlay.deleted++;
    this.#overlays.set(key, overlay);
  }

  /** The collection as it is now, after the changes made to it. */
  view<T>(key: string, base: PageableList<T>): PageableList<T> {
    const overlay = this.#overlays.get(key);
    if (overlay === undefined) return base;
    const { insertedIds, deleted } = overlay;
    const inserted = insertedIds.length;
    return {
      length: base.length - deleted + inserted,
      at: (index) => {
        if (index < 0) return undefined;
        const id = insertedIds[index];
        if (id !== undefined) return synthesize(base.at(0), id);
        return base.at(index - inserted + deleted);
      },
    };
  }

  /** Forgets every change. */
  clear(): void {
    this.#overlays.clear();
  }
}

function synthesize<T>(template: T | undefined, id: number): T | undefined {
  if (template === null || typeof template !== 'object') return template;
  return { ...template, id };
}
