import { CanvasPaginationError, CanvasResponseError } from '../errors/index.js';
import { type LinkRels, parseLinkHeader } from './link-header.js';
import type { CanvasResponse } from './response.js';
import { redactUrl, sameOrigin } from './urls.js';

/**
 * One page of a Canvas collection.
 * @category Client
 */
export interface CanvasPage<T> {
  /** The records of this page. */
  readonly items: T[];
  /** 1 for the first page. */
  readonly pageNumber: number;
  /** URL of this page, `access_token` removed. */
  readonly url: string;
  /** The page's `Link` header by rel (`next`, `current`, `first`, ...), URLs as Canvas sent them. */
  readonly links: LinkRels;
  /** The response of this page. */
  readonly response: CanvasResponse<unknown>;
}

/** How many `next` URLs are remembered to detect a loop (a reset bookmark). */
export const REMEMBERED_NEXT_LINKS = 1_000;

/**
 * Remembers the `next` links followed so far, within a fixed bound, to catch a
 * collection that starts over (Canvas silently restarts at the first page on
 * an invalid bookmark). The first page's `next` is always remembered, since a
 * restart always passes through it again.
 */
class FollowedLinks {
  #first: string | undefined;
  readonly #recent = new Set<string>();

  /** Records `url`; returns `false` when it was followed before. */
  add(url: string): boolean {
    if (url === this.#first || this.#recent.has(url)) return false;
    if (this.#first === undefined) {
      this.#first = url;
      return true;
    }
    this.#recent.add(url);
    if (this.#recent.size > REMEMBERED_NEXT_LINKS) {
      const oldest = this.#recent.values().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    return true;
  }
}

/**
 * Follows `rel="next"` from page to page, one request at a time, yielding each
 * page as it comes (memory does not grow with the number of pages). Refuses a
 * `next` on another origin (the token would go there) and stops with an error
 * on a `next` it already followed.
 *
 * @param fetchPage - Fetches one page URL (the client adds the token).
 * @param first - URL of the first page, `per_page` included.
 * @param itemsOf - Picks the records out of a page body (an array, by default).
 */
export async function* followPages<T>(
  fetchPage: (url: URL) => Promise<CanvasResponse<unknown>>,
  first: URL,
  itemsOf: (body: unknown) => T[] | undefined = (body) =>
    Array.isArray(body) ? (body as T[]) : undefined,
): AsyncGenerator<CanvasPage<T>, void, undefined> {
  const followed = new FollowedLinks();
  let url: URL | undefined = first;
  let pageNumber = 0;
  while (url !== undefined) {
    const response = await fetchPage(url);
    pageNumber++;
    const items = itemsOf(response.data);
    if (items === undefined) {
      throw new CanvasResponseError({
        status: response.status,
        method: 'GET',
        url: response.url,
        requestContextId: response.requestContextId,
        attempts: response.attempts,
        detail: 'expected a JSON array of records',
      });
    }
    const links = parseLinkHeader(response.headers.get('link'));
    // A repeated `next` is caught before the page is yielded, so that a collection
    // that starts over yields nothing twice; a foreign or broken one after, as its page is sound.
    let next: URL | undefined;
    let refused: CanvasPaginationError | undefined;
    try {
      next = nextUrl(links.next, url, followed);
    } catch (error) {
      if (!(error instanceof CanvasPaginationError) || error.reason === 'loop') throw error;
      refused = error;
    }
    yield { items, pageNumber, url: response.url, links, response };
    if (refused !== undefined) throw refused;
    url = next;
  }
}

function nextUrl(next: string | undefined, current: URL, followed: FollowedLinks): URL | undefined {
  if (next === undefined) return undefined;
  let target: URL;
  try {
    target = new URL(next, current);
  } catch {
    throw new CanvasPaginationError({
      reason: 'invalid-link',
      url: redactUrl(current),
      nextUrl: '[invalid url]',
    });
  }
  if (!sameOrigin(target, current)) {
    throw new CanvasPaginationError({
      reason: 'foreign-origin',
      url: redactUrl(current),
      nextUrl: target.toString(),
    });
  }
  if (!followed.add(loopKey(target))) {
    throw new CanvasPaginationError({
      reason: 'loop',
      url: redactUrl(current),
      nextUrl: redactUrl(target),
    });
  }
  return target;
}

/**
 * What makes two `next` links the same page: the URL without its fragment, its `access_token`
 * and its empty pairs (a trailing `&`), with the parameters decoded, sorted and encoded again. Links that differ
 * only in those ways would otherwise make a loop look like progress.
 */
function loopKey(url: URL): string {
  const copy = new URL(redactUrl(url));
  copy.hash = '';
  const params = new URLSearchParams(copy.search);
  params.sort();
  copy.search = params.toString();
  return copy.href;
}
