/**
 * A stable key for a logical Canvas request ({@link idempotencyKey}).
 *
 * The key functions are pure: no I/O, no clock, no global state. The key of a request depends
 * only on its canonical form ({@link canonicalRequest}), which is built from ECMAScript- and
 * WHATWG-specified operations only, so it is identical across processes, machines and Node
 * versions.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { CanvasOptionsError } from '../errors/index.js';
import type { SearchParamsInput, SearchParamValue } from '../http/urls.js';

/**
 * A logical request, as given to {@link idempotencyKey} and {@link canonicalRequest}.
 * @category Sinks
 */
export interface IdempotencyRequest {
  /** HTTP method, any letter case (`'get'` and `'GET'` are the same). Must be an HTTP token. */
  method: string;
  /**
   * The request path, relative (`/api/v1/courses/1/users`, leading slash optional) or an absolute
   * `http:`/`https:` URL (`https://x.instructure.com/api/v1/courses/1/users`), optionally with a
   * query string. The origin, credentials and fragment of an absolute URL are ignored.
   */
  path: string;
  /** Query parameters merged after those of `path` (see {@link SearchParamsInput}). */
  searchParams?: SearchParamsInput | undefined;
  /**
   * The request body as a JSON value (not pre-serialized text: a string body is a JSON string).
   * `undefined` means no body; `null` is a JSON `null` body and gives another key.
   */
  body?: unknown;
}

/** Version tag of the canonical form; part of every key. */
const VERSION = 'v1';

/** Query parameters that never change the key (compared case-insensitively). */
const IGNORED_PARAMS: ReadonlySet<string> = new Set(['access_token', 'per_page', 'page']);

const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:/i;
const PLACEHOLDER_ORIGIN = 'http://placeholder.invalid';
/** Characters `encodeURIComponent` escapes that RFC 3986 allows unescaped in a path segment. */
const PCHAR_ESCAPES = /%(24|26|2B|2C|3A|3B|3D|40)/g;

/**
 * The idempotency key of a logical request: `'v1:'` followed by the lowercase hex SHA-256 of the
 * UTF-8 bytes of {@link canonicalRequest} (67 characters in all).
 *
 * Two requests get the same key when they are the same logical request, however they are
 * spelled: method case, absolute vs. relative path, trailing slash, parameters in the path or in
 * `searchParams`, parameter order, `access_token`/`page`/`per_page` (so a key names a whole
 * collection scan, not one page of it) and object key order in the body do not matter. The order
 * of the values of one repeated parameter (`include[]=user&include[]=email`) does matter: it is
 * kept as given.
 *
 * @throws CanvasOptionsError if the request is malformed (see {@link canonicalRequest}).
 *
 * @example
 * ```ts
 * idempotencyKey({ method: 'get', path: 'https://x.instructure.com/api/v1/courses/1/users/?page=2',
 *   searchParams: { 'include[]': ['email'], per_page: 100 } })
 *   === idempotencyKey({ method: 'GET', path: '/api/v1/courses/1/users?include[]=email' }); // true
 * ```
 * @category Sinks
 */
export function idempotencyKey(request: IdempotencyRequest): string {
  const digest = createHash('sha256').update(canonicalRequest(request), 'utf8').digest('hex');
  return `${VERSION}:${digest}`;
}

/**
 * The canonical form of a logical request, which {@link idempotencyKey} hashes. Useful to see why
 * two requests get different keys. It never contains an `access_token`.
 *
 * Five lines joined by `\n` (no trailing newline):
 *
 * 1. `v1`, the version of this form.
 * 2. The method, upper-cased (`GET`).
 * 3. The path: for an absolute URL its path only (origin, credentials, query and fragment
 *    dropped); a relative path is resolved as by the WHATWG URL parser (a missing leading slash
 *    added, `.`/`..` segments resolved). Trailing slashes are removed (`/` stays `/`). Each segment
 *    is percent-decoded and re-encoded with `encodeURIComponent`, except that `$ & + , : ; = @`
 *    stay unescaped (so `%41` and `A` are the same, `%2F` stays `%2F`).
 * 4. The query: the parameters of the path's query string (form-decoded, `+` is a space), then
 *    those of `searchParams` (arrays become repeated names, numbers and booleans `String()`-ed,
 *    `undefined` skipped); without `access_token`, `page` and `per_page` (any letter case); stably
 *    sorted by name in UTF-16 code unit order, so the values of a repeated name keep their order;
 *    written as `encodeURIComponent(name)=encodeURIComponent(value)` pairs joined by `&`. Empty
 *    when there are none.
 * 5. The body: empty when `body` is `undefined`; otherwise compact JSON as `JSON.stringify` writes
 *    it (`toJSON()` applied, `undefined`/functions/symbols omitted in objects and `null` in arrays,
 *    strings and numbers in ECMAScript's serialization: shortest round-trip, `-0` as `0`,
 *    `1e+21`), except that object keys are sorted in UTF-16 code unit order at every depth. Array
 *    order is kept.
 *
 * @throws CanvasOptionsError if `method` is not an HTTP token, `path` is empty or not an
 *   `http:`/`https:` URL or path, a search parameter value is not a string, number or boolean,
 *   or the body is not JSON: a non-finite number, a bigint, a cycle, a function or symbol at the
 *   top level, or an object that is neither plain, an array, nor has `toJSON()` (a `Map`, a `Set`,
 *   `URLSearchParams` … would silently serialize as `{}`).
 *
 * @example
 * ```ts
 * canonicalRequest({ method: 'post', path: '/api/v1/courses/1/x/?b=2&a=1', body: { z: 1, a: [2, 1] } });
 * // 'v1\nPOST\n/api/v1/courses/1/x\na=1&b=2\n{"a":[2,1],"z":1}'
 * ```
 * @category Sinks
 */
export function canonicalRequest(request: IdempotencyRequest): string {
  if (typeof request !== 'object' || request === null) {
    throw invalid('(root)', 'Expected an object with method and path');
  }
  const { method, path, searchParams, body } = request;
  if (typeof method !== 'string' || !HTTP_TOKEN.test(method)) {
    throw invalid('method', 'Expected an HTTP method such as GET');
  }
  if (typeof path !== 'string' || path.trim() === '') {
    throw invalid('path', 'Expected a non-empty path or URL');
  }
  const url = parsePath(path);
  const params = [...url.searchParams];
  if (searchParams !== undefined) params.push(...searchParamEntries(searchParams));
  const query = params
    .filter(([name]) => !IGNORED_PARAMS.has(name.toLowerCase()))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  const canonicalBody = body === undefined ? '' : canonicalJson(body, '', 'body', new Set());
  return [VERSION, method.toUpperCase(), canonicalPath(url.pathname), query, canonicalBody].join(
    '\n',
  );
}

function parsePath(path: string): URL {
  const absolute = ABSOLUTE_URL.test(path) || path.startsWith('//');
  let url: URL;
  try {
    url = new URL(absolute ? path : path.replace(/^\/?/, '/'), PLACEHOLDER_ORIGIN);
  } catch {
    throw invalid('path', 'Not a valid URL or path');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('path', 'Expected an http: or https: URL, or a path');
  }
  return url;
}

function canonicalPath(pathname: string): string {
  const trimmed = pathname.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed
    .split('/')
    .map((segment) => {
      let decoded = segment;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        // An invalid escape (`%zz`) is kept as the URL parser left it.
        return segment;
      }
      return encodeURIComponent(decoded).replace(PCHAR_ESCAPES, (escaped) =>
        String.fromCharCode(Number.parseInt(escaped.slice(1), 16)),
      );
    })
    .join('/');
}

function searchParamEntries(input: SearchParamsInput): [string, string][] {
  if (input instanceof URLSearchParams) return [...input];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('searchParams', 'Expected a record or URLSearchParams');
  }
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const values: readonly unknown[] = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (!isSearchParamValue(item)) {
        throw invalid(`searchParams.${name}`, 'Expected a string, number or boolean');
      }
      // Through URLSearchParams, as the transport does: lone surrogates become U+FFFD.
      const [entry] = new URLSearchParams([[name, String(item)]]);
      if (entry !== undefined) entries.push(entry);
    }
  }
  return entries;
}

function isSearchParamValue(value: unknown): value is SearchParamValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * `JSON.stringify` semantics with sorted object keys. `key` is what `toJSON()` receives, `at` the
 * position for error messages; `ancestors` detects cycles.
 */
function canonicalJson(input: unknown, key: string, at: string, ancestors: Set<object>): string {
  let value = input;
  if (typeof value === 'object' && value !== null && hasToJson(value)) value = value.toJSON(key);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw invalid(at, `${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'bigint':
      throw invalid(at, 'A bigint is not a JSON number');
    case 'object':
      break;
    default:
      throw invalid(at, `A ${typeof value} is not a JSON value`);
  }
  if (value === null) return 'null';
  if (ancestors.has(value)) throw invalid(at, 'Circular reference');
  ancestors.add(value);
  let text: string;
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    text = `[${items
      .map((item, index) =>
        isOmitted(item) ? 'null' : canonicalJson(item, String(index), `${at}[${index}]`, ancestors),
      )
      .join(',')}]`;
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw invalid(at, 'Expected a plain object, an array or an object with toJSON()');
    }
    const record = value as Record<string, unknown>;
    const members: string[] = [];
    for (const name of Object.keys(record).sort()) {
      const member = record[name];
      if (isOmitted(member)) continue;
      members.push(
        `${JSON.stringify(name)}:${canonicalJson(member, name, `${at}.${name}`, ancestors)}`,
      );
    }
    text = `{${members.join(',')}}`;
  }
  ancestors.delete(value);
  return text;
}

function hasToJson(value: object): value is { toJSON(key: string): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function invalid(path: string, message: string): CanvasOptionsError {
  return new CanvasOptionsError({ what: 'idempotency request', issues: [{ path, message }] });
}
