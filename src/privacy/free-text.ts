/**
 * Redaction of email addresses inside free text (discussion messages, submission bodies,
 * comments).
 *
 * Caught: `local@domain.tld` addresses, also written `local%40domain.tld` (URL-encoded, as in
 * `mailto:` links) or `local&#64;domain.tld` / `local&#x40;domain.tld` (HTML entities).
 * Not caught: names, phone numbers, student numbers, postal addresses, obfuscated addresses
 * (`jane at example dot edu`), addresses in images or attachments. Use `freeText: 'redact-all'`
 * when free text must not carry any of them.
 *
 * @module
 */

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
