/** The part of a list that pagination needs. */
export interface PageableList<T> {
  readonly length: number;
  at(index: number): T | undefined;
}

/** A list whose ids ascend, so it can be paged by keyset (Canvas bookmarks). */
export interface KeysetList<T> extends PageableList<T> {
  indexAfterId(id: number | string): number;
}

/** One page cut from a list. */
export interface Page<T> {
  readonly items: T[];
  /** Whether a further page exists. */
  readonly hasNext: boolean;
}

/**
 * Reads `per_page` as Canvas does: absent or unparsable → the default;
 * out of range → clamped to `1..max`, never rejected.
 */
export function resolvePerPage(raw: string | null, fallback: number, max: number): number {
  if (raw === null || raw.trim() === '') return fallback;
  const parsed = Number.parseInt(raw, 10);
  if (!Number.isFinite(parsed)) return fallback;
  return Math.min(max, Math.max(1, parsed));
}

/** Reads a numbered `page` parameter: anything but a positive integer means page 1. */
export function resolvePageNumber(raw: string | null): number {
  if (raw === null) return 1;
  const parsed = Number.parseInt(raw, 10);
  return Number.isFinite(parsed) && parsed >= 1 ? parsed : 1;
}

/** Cuts page `page` (1-based) of `perPage` records; past the end it is empty. */
export function numberedPage<T>(list: PageableList<T>, page: number, perPage: number): Page<T> {
  return cut(list, (page - 1) * perPage, perPage);
}

/** The `perPage` records from `start`, and whether more follow. */
function cut<T>(list: PageableList<T>, start: number, perPage: number): Page<T> {
  const end = Math.min(list.length, start + perPage);
  const items: T[] = [];
  for (let i = start; i < end; i++) {
    const item = list.at(i);
    if (item !== undefined) items.push(item);
  }
  return { items, hasNext: end < list.length };
}

/** Number of the last page of a numbered collection (1 for an empty one). */
export function lastPageNumber(length: number, perPage: number): number {
  return Math.max(1, Math.ceil(length / perPage));
}

const BOOKMARK_PREFIX = 'bookmark:';

/**
 * Encodes a bookmark the way Canvas does: `bookmark:` + url-safe base64 of a JSON array.
 * @category Testing
 */
export function encodeBookmark(lastId: number | string): string {
  return `${BOOKMARK_PREFIX}${Buffer.from(JSON.stringify([lastId])).toString('base64url')}`;
}

/**
 * Decodes a bookmark; `undefined` when it is not a valid one (Canvas then restarts at page 1).
 * @category Testing
 */
export function decodeBookmark(page: string | null): number | string | undefined {
  if (page === null || !page.startsWith(BOOKMARK_PREFIX)) return undefined;
  try {
    const decoded: unknown = JSON.parse(
      Buffer.from(page.slice(BOOKMARK_PREFIX.length), 'base64url').toString('utf8'),
    );
    if (!Array.isArray(decoded) || decoded.length !== 1) return undefined;
    const [id] = decoded as unknown[];
    return typeof id === 'number' || typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Cuts the page that follows the record with id `afterId` (or the first page). */
export function keysetPage<T>(
  list: KeysetList<T>,
  afterId: number | string | undefined,
  perPage: number,
): Page<T> {
  return cut(list, afterId === undefined ? 0 : list.indexAfterId(afterId), perPage);
}

/** One entry of a `Link` header. */
export interface LinkEntry {
  readonly rel: 'current' | 'next' | 'prev' | 'first' | 'last';
  readonly url: string;
}

const relOrder: readonly LinkEntry['rel'][] = ['current', 'next', 'prev', 'first', 'last'];

/**
 * Formats a `Link` header as Canvas does: entries joined by `,` without a
 * space, in the order current, next, prev, first, last.
 */
export function formatLinkHeader(entries: readonly LinkEntry[]): string {
  return [...entries]
    .sort((a, b) => relOrder.indexOf(a.rel) - relOrder.indexOf(b.rel))
    .map((entry) => `<${entry.url}>; rel="${entry.rel}"`)
    .join(',');
}
