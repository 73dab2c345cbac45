/**
 * Parsing of the `Link` response header Canvas uses for pagination. Pure.
 *
 * @module
 */

/**
 * The relation types Canvas sends, in the order it sends them.
 * @category Client
 */
export type CanvasLinkRel = 'current' | 'next' | 'prev' | 'first' | 'last';

/**
 * URLs by relation type, as found in a `Link` header. Canvas sends `current`, `next`, `prev`,
 * `first` and `last` (only the relevant ones; `last` is often missing); other relation types are
 * kept under their lower-cased name. URLs are exactly as sent (not decoded, not resolved).
 * @category Client
 */
export type LinkRels = Partial<Record<CanvasLinkRel, string>> & Record<string, string | undefined>;

/**
 * Parses a `Link` header (RFC 8288) into URLs by relation type.
 *
 * Robust to what Canvas and proxies send: entries joined by `,` with or without spaces, `rel`
 * quoted or not, several relation types in one entry (`rel="next last"`), commas inside the
 * `<…>` URL or inside quoted parameters, other parameters, and garbage entries (skipped). When a
 * relation type appears twice, the first URL wins. Empty URLs (`<>`) are ignored.
 *
 * URLs are opaque: returned byte-identical, never decoded or re-encoded (Canvas bookmarks such as
 * `page=bookmark:WzEyM10` must come back unchanged).
 *
 * @param value - The header value; `null`/`undefined`/empty yield `{}`.
 * @returns The URLs by relation type. Never throws.
 *
 * @example
 * ```ts
 * parseLinkHeader('<https://x/api/v1/courses?page=1>; rel="current",<https://x/api/v1/courses?page=2>; rel="next"');
 * // { current: 'https://x/api/v1/courses?page=1', next: 'https://x/api/v1/courses?page=2' }
 * ```
 */
export function parseLinkHeader(value: string | null | undefined): LinkRels {
  const rels = new Map<string, string>();
  if (value === null || value === undefined) return {};
  const text = value;
  let i = 0;

  while (i < text.length) {
    i = skip(text, i, ' \t\r\n,');
    if (i >= text.length) break;
    if (text[i] !== '<') {
      i = skipEntry(text, i);
      continue;
    }
    const close = text.indexOf('>', i + 1);
    if (close === -1) break;
    const inner = text.slice(i + 1, close);
    const reopen = inner.lastIndexOf('<');
    if (reopen !== -1) {
      // An unterminated `<…` before this one: restart at the last `<`.
      i = i + 1 + reopen;
      continue;
    }
    const url = inner.trim();
    const params = readParams(text, close + 1);
    i = params.end;
    if (!params.valid || url === '' || params.rel === undefined) continue;
    for (const rel of params.rel.toLowerCase().split(/\s+/)) {
      if (rel !== '' && !rels.has(rel)) rels.set(rel, url);
    }
  }
  return Object.fromEntries(rels);
}

interface ParsedParams {
  /** The first `rel` parameter's value, if any. */
  rel: string | undefined;
  /** Whether the entry was well formed up to its end. */
  valid: boolean;
  /** Index after the entry (at its separating comma or the end of the text). */
  end: number;
}

/** Reads `; name=value; name="quoted"` parameters of one entry, starting after its `>`. */
function readParams(text: string, start: number): ParsedParams {
  let rel: string | undefined;
  let i = start;
  for (;;) {
    i = skip(text, i, ' \t\r\n');
    if (i >= text.length || text[i] === ',') return { rel, valid: true, end: i };
    if (text[i] !== ';') return { rel, valid: false, end: skipEntry(text, i) };
    i = skip(text, i + 1, ' \t\r\n');
    const nameStart = i;
    while (i < text.length && !'=;, \t\r\n'.includes(text.charAt(i))) i++;
    const name = text.slice(nameStart, i).toLowerCase();
    i = skip(text, i, ' \t\r\n');
    let paramValue = '';
    if (text[i] === '=') {
      i = skip(text, i + 1, ' \t\r\n');
      if (text[i] === '"') {
        const quoted = readQuoted(text, i);
        if (quoted === undefined) return { rel, valid: false, end: text.length };
        paramValue = quoted.value;
        i = quoted.end;
      } else {
        const valueStart = i;
        while (i < text.length && !';, \t\r\n'.includes(text.charAt(i))) i++;
        paramValue = text.slice(valueStart, i);
      }
    }
    if (name === 'rel' && rel === undefined) rel = paramValue.trim();
  }
}

/** Reads a quoted string starting at the opening quote; `undefined` if it never closes. */
function readQuoted(text: string, start: number): { value: string; end: number } | undefined {
  let result = '';
  for (let i = start + 1; i < text.length; i++) {
    const char = text.charAt(i);
    if (char === '\\' && i + 1 < text.length) {
      i++;
      result += text.charAt(i);
    } else if (char === '"') {
      return { value: result, end: i + 1 };
    } else {
      result += char;
    }
  }
  return undefined;
}

/** Skips to the next top-level comma (outside quotes), or the end. */
function skipEntry(text: string, start: number): number {
  let inQuotes = false;
  for (let i = start; i < text.length; i++) {
    const char = text.charAt(i);
    if (inQuotes && char === '\\') i++;
    else if (char === '"') inQuotes = !inQuotes;
    else if (char === ',' && !inQuotes) return i;
  }
  return text.length;
}

function skip(text: string, start: number, chars: string): number {
  let i = start;
  while (i < text.length && chars.includes(text.charAt(i))) i++;
  return i;
}
