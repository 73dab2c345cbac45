/**
 * Redacting URLs (pure, imports nothing): every URL an error, event or log line holds loses its
 * `access_token` parameter and its credentials. Query strings are edited as raw text, so that
 * everything else stays byte-identical.
 *
 * @module
 */

/** The query parameter Canvas accepts as an alternative to the Bearer header. */
export const TOKEN_PARAM = 'access_token';

/** Returned by {@link redactUrl} for input that is not a URL. */
const INVALID_URL = '[invalid url]';

/** Placeholder origin used to parse relative paths. */
const PLACEHOLDER_ORIGIN = 'http://placeholder.invalid';

/** A URL with a scheme. */
export const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Returns the URL as a string with every `access_token` query parameter removed (in any letter
 * case, also one whose name is percent-encoded, and also from a query-like fragment) and any `user:password@`
 * credentials dropped. All other parameters are kept byte-identical.
 *
 * Never throws: a relative path (`/api/v1/x?access_token=…`) is redacted and returned as a path;
 * anything else that is not a URL yields `'[invalid url]'`.
 *
 * @example
 * ```ts
 * redactUrl('https://x/api/v1/courses?access_token=SECRET&page=2'); // 'https://x/api/v1/courses?page=2'
 * ```
 */
export function redactUrl(url: URL | string): string {
  // Fast path (every request goes through here): a URL without credentials whose query and
  // fragment hold neither `access` nor a percent-escape cannot hold an `access_token` pair.
  if (
    typeof url !== 'string' &&
    url.username === '' &&
    url.password === '' &&
    !mayNameToken(url.search) &&
    !mayNameToken(url.hash)
  ) {
    return url.href;
  }
  try {
    const text = typeof url === 'string' ? url : url.href;
    const isPath = !ABSOLUTE_URL.test(text) && text.startsWith('/') && !text.startsWith('//');
    const parsed = isPath ? new URL(text, PLACEHOLDER_ORIGIN) : new URL(text);
    parsed.username = '';
    parsed.password = '';
    parsed.search = removeParam(parsed.search, TOKEN_PARAM);
    if (parsed.hash.includes('=')) parsed.hash = removeParam(parsed.hash, TOKEN_PARAM);
    return isPath ? `${parsed.pathname}${parsed.search}${parsed.hash}` : parsed.href;
  } catch {
    return INVALID_URL;
  }
}

/**
 * The origin and path of a URL, without credentials, query or fragment: what may be shown of a
 * URL that is not trusted (a foreign `next` link). Never throws; unparseable input yields
 * `'[invalid url]'`.
 *
 * @example
 * ```ts
 * originAndPath('https://evil.example/steal?page=2'); // 'https://evil.example/steal'
 * ```
 */
export function originAndPath(url: URL | string): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return INVALID_URL;
  }
}

/** Whether a raw query or fragment could hold a pair whose name decodes to `access_token`. */
function mayNameToken(raw: string): boolean {
  return raw !== '' && (raw.includes('%') || raw.toLowerCase().includes('access'));
}

/**
 * Removes every `name=…` pair from a raw query (or fragment) string, keeping the other pairs
 * byte-identical. The leading `?`/`#` is kept if anything remains.
 */
export function removeParam(raw: string, name: string): string {
  const lead = raw.startsWith('?') || raw.startsWith('#') ? raw.charAt(0) : '';
  const body = raw.slice(lead.length);
  if (body === '') return '';
  const kept = body.split('&').filter((pair) => decodeName(pair) !== name);
  return kept.length === 0 ? '' : `${lead}${kept.join('&')}`;
}

/** The decoded name of a raw `name=value` pair, as a form decoder would read it. */
function decodeName(pair: string): string {
  const eq = pair.indexOf('=');
  const rawName = (eq === -1 ? pair : pair.slice(0, eq)).replaceAll('+', ' ');
  try {
    return decodeURIComponent(rawName).toLowerCase();
  } catch {
    return rawName.toLowerCase();
  }
}
