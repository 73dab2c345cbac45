import type { FaultInjector } from './faults.js';
import type { CollectionMutations } from './mutations.js';
import {
  decodeBookmark,
  encodeBookmark,
  formatLinkHeader,
  keysetPage,
  type LinkEntry,
  lastPageNumber,
  numberedPage,
  type Page,
  resolvePageNumber,
  resolvePerPage,
} from './pagination.js';
import type { RouteResult } from './routes.js';

/** What the `invalidBookmarkRate` fault puts in a `next` link. */
const INVALID_BOOKMARK = 'bookmark:not-a-bookmark';

/** The body and `Link` header of one page. */
export interface PageOutcome {
  readonly body: unknown;
  readonly items: number;
  readonly link: string | undefined;
}

/** What {@link paginate} needs to know about the request and the simulator. */
export interface PagingContext {
  /** The request URL, `access_token` already removed. */
  readonly url: URL;
  /** The simulator's own origin, for the links. */
  readonly baseUrl: string;
  readonly perPageDefault: number;
  readonly perPageMax: number;
  readonly mutations: CollectionMutations;
  /** Fault injector, when faults apply to this request. */
  readonly faults: FaultInjector | undefined;
}

function pageUrl(context: PagingContext, origin: string, page: string, perPage: number): string {
  const target = new URL(context.url.pathname, origin);
  for (const [key, value] of context.url.searchParams) {
    if (key !== 'page' && key !== 'per_page') target.searchParams.append(key, value);
  }
  target.searchParams.set('page', page);
  target.searchParams.set('per_page', String(perPage));
  return target.toString();
}

function idOf(record: unknown): number | string | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const id = (record as { id?: unknown }).id;
  return typeof id === 'number' || typeof id === 'string' ? id : undefined;
}

/**
 * Cuts the requested page out of a collection and writes its `Link` header as
 * Canvas does: numbered pages (current, next, prev, first, last) or bookmarks
 * (current, next, first; an invalid bookmark restarts at the first page).
 */
export function paginate(
  result: Extract<RouteResult, { kind: 'collection' }>,
  context: PagingContext,
): PageOutcome {
  const params = context.url.searchParams;
  const perPage = resolvePerPage(
    params.get('per_page'),
    context.perPageDefault,
    context.perPageMax,
  );
  const links: LinkEntry[] = [];
  let page: Page<unknown>;
  let nextPage: string | undefined;

  if (result.style === 'numbered') {
    const key = context.url.pathname;
    const number = resolvePageNumber(params.get('page'));
    const change = number >= 2 ? context.faults?.mutation() : undefined;
    if (change !== undefined) context.mutations.mutate(key, change, result.list.length);
    const view = context.mutations.view(key, result.list);
    page = numberedPage(view, number, perPage);
    links.push({ rel: 'current', url: pageUrl(context, context.baseUrl, String(number), perPage) });
    if (page.hasNext) nextPage = String(number + 1);
    if (number > 1) {
      links.push({
        rel: 'prev',
        url: pageUrl(context, context.baseUrl, String(number - 1), perPage),
      });
    }
    links.push({ rel: 'first', url: pageUrl(context, context.baseUrl, '1', perPage) });
    const last = String(lastPageNumber(view.length, perPage));
    links.push({ rel: 'last', url: pageUrl(context, context.baseUrl, last, perPage) });
  } else {
    const raw = params.get('page');
    const afterId = decodeBookmark(raw);
    page = keysetPage(result.list, afterId, perPage);
    const current = afterId === undefined ? 'first' : (raw ?? 'first');
    links.push({ rel: 'current', url: pageUrl(context, context.baseUrl, current, perPage) });
    const lastId = idOf(page.items.at(-1));
    if (page.hasNext && lastId !== undefined) {
      nextPage = context.faults?.invalidBookmark() ? INVALID_BOOKMARK : encodeBookmark(lastId);
    }
    links.push({ rel: 'first', url: pageUrl(context, context.baseUrl, 'first', perPage) });
  }

  if (nextPage !== undefined) {
    const origin = context.faults?.foreignNext() ?? context.baseUrl;
    links.push({ rel: 'next', url: pageUrl(context, origin, nextPage, perPage) });
  }
  return { body: page.items, items: page.items.length, link: formatLinkHeader(links) };
}
