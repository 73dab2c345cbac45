/**
 * URL helpers for the HTTP client: resolving request paths against the Canvas
 * base URL, appending query parameters, redacting the access token and
 * recognising loopback hosts. Pure functions; query strings are edited as raw
 * text so that everything not touched stays byte-identical (Canvas bookmarks
 * such as `page=bookmark:WzEyM10` must survive untouched).
 *
 * @module
 */

import {
  ABSOLUTE_URL,
  originAndPath,
  redactUrl,
  removeParam,
  TOKEN_PARAM,
} from '../errors/redact-url.js';

export { originAndPath, redactUrl };

/**
 * A value of one query parameter; arrays become repeated keys.
 * @category Client
 */
export type SearchParamValue = string | number | boolean;

/**
 * Query parameters to append to a request URL.
 *
 * - A `URLSearchParams` is appended as is.
 * - In a record, arrays become repeated keys (`{ 'include[]': ['user', 'email'] }` →
 *   `include%5B%5D=user&include%5B%5D=email`), numbers and booleans are
 *   stringified (`true` → `'true'`) and `undefined` values are skipped.
 * @category Client
 */
export type SearchParamsInput =
  | URLSearchParams
  | Record<string, SearchParamValue | readonly SearchParamValue[] | undefined>;

/**
 * Resolves the URL of one request.
 *
 * @param baseUrl - The Canvas base URL, e.g. `https://school.instructure.com` or one with a path
 *   prefix such as `https://example.edu/canvas`, with or without `/api/v1` (a trailing slash is
 *   ignored; its query and fragment are ignored).
 * @param pathOrUrl - Either a path relative to the base (`/api/v1/courses`, or `courses` and
 *   `/courses`, which mean the same; optionally with a query string), appended to the base's
 *   path prefix (with `/api/v1` once, whether the base, the path or both name it), or an
 *   absolute URL (typically a `Link` header URL), which must be on the base's origin and is used
 *   as is.
 * @param searchParams - Parameters appended after those already in the URL (see
 *   {@link SearchParamsInput}).
 * @returns A new URL.
 * @throws TypeError if `pathOrUrl` is an absolute (or protocol-relative) URL on another origin
 *   than `baseUrl`, or cannot be parsed. The token must never be sent to another origin.
 *
 * @example
 * ```ts
 * resolveRequestUrl(new URL('https://example.edu/canvas'), '/api/v1/courses', { per_page: 100 });
 * // → https://example.edu/canvas/api/v1/courses?per_page=100
 * ```
 */
export function resolveRequestUrl(
  baseUrl: URL,
  pathOrUrl: string,
  searchParams?: SearchParamsInput,
): URL {
  let url: URL;
  if (ABSOLUTE_URL.test(pathOrUrl) || pathOrUrl.startsWith('//')) {
    url = parseOrThrow(pathOrUrl, baseUrl);
    if (!sameOrigin(url, baseUrl)) {
      throw new TypeError(
        `Refusing to request ${originAndPath(url)}: it is not on the Canvas origin ${baseUrl.origin}`,
      );
    }
  } else {
    url = parseOrThrow(`${baseUrl.origin}${joinApiPath(baseUrl.pathname, pathOrUrl)}`);
  }
  if (searchParams !== undefined) {
    const extra = toSearchParams(searchParams).toString();
    if (extra !== '') {
      const current = url.search.replace(/^\?/, '');
      url.search = current === '' ? extra : `${current}&${extra}`;
    }
  }
  return url;
}

/**
 * Whether two URLs share scheme, host and port. Unparseable input and opaque origins
 * (`data:`, `file:` …) are never the same origin.
 */
export function sameOrigin(a: URL | string, b: URL | string): boolean {
  const originA = safeOrigin(a);
  const originB = safeOrigin(b);
  return originA !== undefined && originA === originB;
}

/**
 * Whether `hostname` names the local machine: `localhost` and `*.localhost`, any IPv4 address in
 * 127.0.0.0/8 (in any form the WHATWG URL parser accepts, e.g. `127.1`), and the IPv6 loopback
 * `::1` (bracketed or not, compressed or not, or IPv4-mapped `::ffff:127.x.y.z`). Case and a
 * trailing dot are ignored.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('[::1]');     // true
 * isLoopbackHost('canvas.example.edu'); // false
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.trim().toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host.includes(':')) {
    const bare = host.replace(/^\[/, '').replace(/\]$/, '');
    if (!/^[0-9a-f:.]+$/.test(bare)) return false;
    const normalized = safeHostname(`http://[${bare}]/`);
    return (
      normalized === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(normalized ?? '')
    );
  }
  if (!/^[0-9a-fx.]+$/.test(host)) return false;
  const normalized = safeHostname(`http://${host}/`);
  return normalized !== undefined && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(normalized);
}

/**
 * Returns a copy of `url` with the `access_token` query parameter set to `token` (replacing any
 * existing one), for clients that authenticate by query parameter. Canvas strips the parameter
 * from `Link` URLs, so it must be re-added to every page. Other parameters stay byte-identical.
 * Prefer the Bearer header: URLs end up in logs.
 */
export function withAccessToken(url: URL, token: string): URL {
  const copy = new URL(url.href);
  const rest = removeParam(copy.search, TOKEN_PARAM).replace(/^\?/, '');
  const param = `${TOKEN_PARAM}=${encodeURIComponent(token)}`;
  copy.search = rest === '' ? param : `${rest}&${param}`;
  return copy;
}

/** The REST API's own prefix, which users write in the base URL, in their paths, or both. */
const API_PREFIX = '/api/v1';

/**
 * Joins the base URL's path and a request path, however users of other Canvas clients write
 * them: a base with or without `/api/v1`, a path with or without it. A path under `/api/`
 * (`/api/v1/…`, `/api/lti/…`) is taken from the instance root (behind any other prefix of the
 * base); any other path is a REST API path, under `/api/v1`.
 */
function joinApiPath(basePath: string, path: string): string {
  let prefix = basePath.replace(/\/+$/, '');
  if (prefix.endsWith(API_PREFIX)) prefix = prefix.slice(0, -API_PREFIX.length);
  const relative = path.startsWith('/') ? path : `/${path}`;
  const api = relative.startsWith('/api/') ? '' : API_PREFIX;
  return `${prefix}${api}${relative}`;
}

/** Converts {@link SearchParamsInput} to `URLSearchParams`. */
function toSearchParams(input: SearchParamsInput): URLSearchParams {
  if (input instanceof URLSearchParams) return input;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const values: readonly SearchParamValue[] = Array.isArray(value) ? value : [value];
    for (const item of values) params.append(key, String(item));
  }
  return params;
}

function parseOrThrow(text: string, base?: URL): URL {
  try {
    return base === undefined ? new URL(text) : new URL(text, base);
  } catch {
    throw new TypeError(`Invalid request URL: ${redactUrl(text)}`);
  }
}

function safeOrigin(value: URL | string): string | undefined {
  try {
    const origin = (typeof value === 'string' ? new URL(value) : value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

function safeHostname(text: string): string | undefined {
  try {
    return new URL(text).hostname;
  } catch {
    return undefined;
  }
}
