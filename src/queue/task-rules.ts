/**
 * The rules a task's path and parameter names follow beyond their shape (pure): no dot segments
 * or backslashes however they are encoded, no access token under any spelling of its name, no
 * token-shaped value. Used by the task schema; the messages never quote the value.
 *
 * @module
 */

/** How many rounds of percent-decoding are looked through (`%252e` is `%2e` is `.`). */
const MAX_DECODE_ROUNDS = 4;
const DOT_SEGMENT = /^\.{1,2}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL = /[\u0000-\u001f\u007f]/;
/** A Canvas access token: `<digits>~<64 alphanumerics>` (accepting 32 or more). */
const CANVAS_TOKEN = /\d+(?:~|%7e)[A-Za-z0-9]{32,}/i;
const NORMAL_ORIGIN = 'http://normal.invalid';

/** The parameter that carries a token in a query string; never allowed in a task. */
const TOKEN_PARAM = 'access_token';

/**
 * What is wrong with a task path, or `undefined` when nothing is. Looks at every segment as it
 * is and as each round of percent-decoding makes it, since a server (or the URL parser, which
 * treats `%2e` as `.`) may decode it: a `.` or `..` segment, a backslash (a separator for some
 * servers), a control character, an invalid escape or an empty segment (`//`; a single trailing
 * slash is allowed) are refused.
 */
export function pathIssue(path: string): string | undefined {
  const segments = path.split('/').slice(1);
  for (const [index, segment] of segments.entries()) {
    if (segment === '' && index < segments.length - 1) return 'Expected no empty segment (//)';
    let form = segment;
    for (let round = 0; round <= MAX_DECODE_ROUNDS; round++) {
      if (form.includes('\\')) return 'Expected no backslash, also percent-encoded';
      if (CONTROL.test(form)) return 'Expected no control character, also percent-encoded';
      if (form.split('/').some((part) => DOT_SEGMENT.test(part))) {
        return 'Expected no dot segment (. or ..), also percent-encoded';
      }
      if (!form.includes('%')) break;
      let decoded: string;
      try {
        decoded = decodeURIComponent(form);
      } catch {
        // Once decoded, a `%` is a literal character; only the path as given must be valid.
        if (round === 0) return 'Expected valid percent-encoding (%XX)';
        break;
      }
      if (decoded === form) break;
      form = decoded;
    }
  }
  return undefined;
}

/**
 * The path as the WHATWG URL parser writes it (characters such as `"`, `{` or non-ASCII letters
 * percent-encoded), for a path that {@link pathIssue} accepts: it then has no dot segment to
 * resolve, so only the encoding can change. A path with a query, a fragment or whitespace is
 * returned as it is.
 */
export function normalizePath(path: string): string {
  // The parser would drop a query or fragment and remove tabs and newlines: leave those as they
  // are, for the schema to refuse.
  if (/[?#\s]/.test(path)) return path;
  try {
    return new URL(path, NORMAL_ORIGIN).pathname;
  } catch {
    return path;
  }
}

/** Whether a path is already as {@link normalizePath} writes it. */
export function isNormalPath(path: string): boolean {
  return normalizePath(path) === path;
}

/**
 * The plain forms of a parameter or field name: as given and after each round of percent- (and
 * form-) decoding, each in compatibility form (NFKC: full-width letters folded), lower case,
 * without brackets (`access_token[]` gives `access_token`) and trimmed.
 */
export function nameForms(name: string): string[] {
  const forms: string[] = [];
  let form = name;
  for (let round = 0; round <= MAX_DECODE_ROUNDS; round++) {
    forms.push(form.normalize('NFKC').toLowerCase().replace(/\[.*$/s, '').trim());
    let decoded: string;
    try {
      decoded = decodeURIComponent(form.replaceAll('+', ' '));
    } catch {
      break;
    }
    if (decoded === form) break;
    form = decoded;
  }
  return forms;
}

/**
 * Whether a query parameter name is the access token's under some spelling: any letter case,
 * percent-encoded (`access%5Ftoken`, also twice), form-encoded, with brackets (`access_token[]`,
 * `access_token[x]`), padded with spaces or in compatibility forms (full-width letters).
 */
export function isTokenParamName(name: string): boolean {
  return nameForms(name).includes(TOKEN_PARAM);
}

/** Whether text holds something shaped like a Canvas access token (`<digits>~<alphanumerics>`). */
export function holdsCanvasToken(text: string): boolean {
  return CANVAS_TOKEN.test(text);
}
