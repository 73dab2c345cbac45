/**
 * Redaction inside strings: email addresses in free text (discussion messages, submission
 * bodies, comments), and identifiers embedded in URLs (`url`, `html_url`, `preview_url`).
 *
 * Caught: `local@domain.tld` addresses, also written `local%40domain.tld` (URL-encoded, as in
 * `mailto:` links) or `local&#64;domain.tld` / `local&#x40;domain.tld` (HTML entities).
 * Not caught: names, phone numbers, student numbers, postal addresses, obfuscated addresses
 * (`jane at example dot edu`), addresses in images or attachments. Use `freeText: 'redact-all'`
 * when free text must not carry any of them.
 *
 * In URLs ({@link scrubUrl}), also caught: Canvas's SIS and LTI ids in a path or a parameter
 * (`/users/sis_user_id:S123`, `sis_login_id%3Ajdoe`, `lti_1_3_id:…`: every `sis_…`/`lti_…`
 * prefix), and the values of query (or fragment) parameters whose name ends like a catalog
 * identifier, name or contact field, or is `search_term`, `verifier` or `access_token`
 * (`?login_id=jdoe`, `?user[email]=…`, `&verifier=…`). Not caught: login names or names written
 * as plain path segments (`/about/jdoe`), Canvas's numeric ids.
 *
 * @module
 */
import { piiCatalog } from './catalog.js';
import { normalizeFieldName } from './field-names.js';

/** What an email address inside free text is replaced by. */
export const EMAIL_MARKER = '[EMAIL]';

// Bounded repetitions (RFC 5321: local part ≤ 64, label ≤ 63) keep the scan linear: no
// catastrophic backtracking on long runs of letters without an `@`.
const EMAIL =
  /[A-Za-z0-9._%+'-]{1,64}(?:@|%40|&#64;|&#x40;)[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}/gi;

/** `text` with every email address replaced by {@link EMAIL_MARKER}. */
export function redactEmails(text: string): string {
  // Fast path: most text has no `@` in any spelling.
  if (!text.includes('@') && !text.includes('%40') && !text.includes('&#')) return text;
  return text.replace(EMAIL, EMAIL_MARKER);
}

/** What an identifier found in a URL is replaced by. */
const ID_MARKER = '[REDACTED]';

// `sis_user_id:S123`, `lti_1_3_id%3Aabc`: a `sis`/`lti` word, a colon (maybe encoded), the id up
// to the next delimiter. `\b` keeps `thesis:` out; no `.` in the name keeps `sis.example.edu:8080`.
const SPECIAL_ID = /\b((?:sis|lti)[\w-]{0,40}?)(:|%3A)([^/?#&\s"'<>,;]+)/giu;
// A query or fragment parameter: `?name=value`, `&name=value`, `;name=value` (HTML `&amp;`).
const PARAMETER = /([?&;#])([^=&#\s"'<>?]{1,100})=([^&#\s"'<>]+)/gu;
// Anything that could need a rewrite; most URLs have none of it.
const SUSPECT = /[@=]|%40|&#|sis|lti/i;

/** Normalized names whose parameter values are redacted (a name ending like one of them is). */
const SENSITIVE_PARAMETERS: readonly string[] = [
  ...piiCatalog
    .filter((entry) => ['identifier', 'name', 'contact'].includes(entry.category))
    .map((entry) => normalizeFieldName(entry.field)),
  'searchterm',
  'verifier',
  'accesstoken',
];

function sensitiveParameter(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // Malformed escapes: match the raw name.
  }
  const normalized = normalizeFieldName(decoded);
  return SENSITIVE_PARAMETERS.some((sensitive) => normalized.endsWith(sensitive));
}

/**
 * `url` with email addresses replaced by {@link EMAIL_MARKER}, and SIS/LTI ids and identifying
 * parameter values by `[REDACTED]` (see the module doc); everything else is kept. Works on any
 * string, so a relative URL or a URL inside text is scrubbed too.
 */
export function scrubUrl(url: string): string {
  if (!SUSPECT.test(url)) return url;
  return redactEmails(url)
    .replace(SPECIAL_ID, (_match, prefix: string, colon: string) => `${prefix}${colon}${ID_MARKER}`)
    .replace(PARAMETER, (match, separator: string, name: string) =>
      sensitiveParameter(name) ? `${separator}${name}=${ID_MARKER}` : match,
    );
}
