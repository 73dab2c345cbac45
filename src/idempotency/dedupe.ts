/**
 * A streaming de-duplicator for the records of one scan ({@link dedupe}): bounded memory,
 * first occurrence wins.
 *
 * @module
 */
import { CanvasOptionsError } from '../errors/index.js';

/**
 * Options of {@link dedupe}.
 * @category Sinks
 */
export interface DedupeOptions<T> {
  /**
   * How many keys to remember, for bounded memory. When more distinct keys have been seen, the
   * least recently seen ones are forgotten (a duplicate refreshes its key). A duplicate is always
   * dropped when fewer than `maxKeys` other distinct keys occurred since the previous occurrence
   * of its key; farther apart, it can slip through. Minimum: 1.
   * @defaultValue `Infinity` (remember every key of the scan: memory grows with its size)
   */
  maxKeys?: number | undefined;
  /**
   * Called with each dropped record and its key (as a string), e.g. to count duplicates. It runs
   * before the next record is read; if it throws, the iteration fails with that error.
   */
  onDuplicate?: ((record: T, key: string) => void) | undefined;
}

/**
 * Streams the records of `source`, dropping those whose key was already seen in this scan.
 * Canvas numbered pagination is offset-based: a record inserted or deleted during a scan shifts
 * the pages, and the same record comes back on the next page. The first occurrence is kept, and
 * the order of the records is kept.
 *
 * Keys are compared as strings: `42` and `'42'` are the same key. Every call has its own memory
 * of keys; nothing is shared between scans.
 *
 * Ending the iteration early (`break`) closes `source`.
 *
 * @param source - The records, sync or async iterable.
 * @param keyOf - The key of a record, typically `(record) => record.id`. Must return a string or
 *   a finite number; anything else fails the iteration with a `CanvasOptionsError` (naming the
 *   record's position, never its content).
 * @param options - See {@link DedupeOptions}.
 * @throws CanvasOptionsError at once if `source` is not iterable, `keyOf` is not a function or
 *   `maxKeys` is not a positive integer (or `Infinity`).
 *
 * @example
 * ```ts
 * let dropped = 0;
 * for await (const user of dedupe(canvas.paginate(url), (user) => user.id, {
 *   onDuplicate: () => dropped++,
 * })) { … }
 * ```
 * @category Sinks
 */
export function dedupe<T>(
  source: AsyncIterable<T> | Iterable<T>,
  keyOf: (record: T) => string | number,
  options: DedupeOptions<T> = {},
): AsyncGenerator<T, void, undefined> {
  if (!isIterable(source)) throw dedupeInvalid('source', 'Expected an iterable or async iterable');
  if (typeof keyOf !== 'function') throw dedupeInvalid('keyOf', 'Expected a function');
  const maxKeys = options.maxKeys ?? Number.POSITIVE_INFINITY;
  if (!(maxKeys === Number.POSITIVE_INFINITY || (Number.isInteger(maxKeys) && maxKeys >= 1))) {
    throw dedupeInvalid('maxKeys', 'Expected a positive integer or Infinity');
  }
  const onDuplicate = options.onDuplicate;
  if (onDuplicate !== undefined && typeof onDuplicate !== 'function') {
    throw dedupeInvalid('onDuplicate', 'Expected a function');
  }
  return run();

  async function* run(): AsyncGenerator<T, void, undefined> {
    // A Set iterates in insertion order: deleting and re-adding a key makes it the newest.
    const seen = new Set<string>();
    let index = 0;
    for await (const record of source) {
      const raw: unknown = keyOf(record);
      if (!(typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw)))) {
        throw dedupeInvalid(
          'keyOf',
          `Returned ${raw === null ? 'null' : typeof raw} for record #${index}; expected a string or a finite number`,
        );
      }
      index++;
      const key = String(raw);
      if (seen.has(key)) {
        seen.delete(key);
        seen.add(key);
        onDuplicate?.(record, key);
        continue;
      }
      seen.add(key);
      if (seen.size > maxKeys) {
        const oldest = seen.values().next();
        if (oldest.done !== true) seen.delete(oldest.value);
      }
      yield record;
    }
  }
}

function isIterable(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  if (value === null || value === undefined) return false;
  const candidate = value as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  return (
    typeof candidate[Symbol.asyncIterator] === 'function' ||
    typeof candidate[Symbol.iterator] === 'function'
  );
}

function dedupeInvalid(path: string, message: string): CanvasOptionsError {
  return new CanvasOptionsError({ what: 'dedupe arguments', issues: [{ path, message }] });
}
