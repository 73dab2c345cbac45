/**
 * Redaction of credentials by their shape (pure, imports nothing): what errors, dead letters and
 * task validation messages keep of untrusted text. The client also redacts its own token by
 * value (`SecretRedactor`), which catches a token of any shape.
 *
 * @module
 */

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/** A Canvas token, `<digits>~<alphanumerics>`, with `~` raw, percent-encoded or JSON-escaped. */
const CANVAS_TOKEN = /\d+(?:~|%7e|%257e|\\u007e)[a-z0-9]{32,}/gi;
/** `Bearer <credential>`, the space raw, percent- or form-encoded. */
const BEARER = /(bearer(?:\s|%20|\+)+)(?!\[REDACTED\])[^\s"'&,;<>\\)}\]]+/gi;
/** A separator between a secret's name and its value: `=`, `:`, quotes, encoded or escaped. */
const SEPARATOR = String.raw`(?:\\?["']|%22|%27)?\s*(?:=|:|%3d|%253d|%3a|%253a)\s*(?:\\?["']|%22|%27)?`;
/** The value after a separator, up to the next delimiter. */
const VALUE = String.raw`(?!\[REDACTED\])[^\s"'&,;}\]\\)<>#]+`;
/**
 * `access_token`, `refresh_token`, `client_secret` or `password` followed by a value, any case,
 * however encoded, also with brackets (`access_token[]=`).
 */
const SECRET_ASSIGNMENT = new RegExp(
  String.raw`((?:(?:access|refresh)(?:_|%5f|%255f|\\u005f)token|client(?:_|%5f|%255f|\\u005f)secret|password)(?:\[[^\]]*\]|%5b[^%]*%5d)?${SEPARATOR})${VALUE}`,
  'gi',
);
/** A bare `token` name: only as `token=…` or `"token": "…"`, so that prose ("access token: the …") is kept. */
const TOKEN_ASSIGNMENT = new RegExp(String.raw`(\btoken(?:=|%3d|["']\s*:\s*["']))${VALUE}`, 'gi');

/**
 * `text` with token-shaped parts replaced by `[REDACTED]`: Canvas tokens
 * (`<digits>~<32+ alphanumerics>`, `~` also as `%7E` or `\u007e`), `Bearer <credential>` (also
 * `Bearer%20…`, `Bearer+…`), the value of `access_token`, `refresh_token`, `client_secret` or
 * `password` written as `name=value`, `name: value` or `"name":"value"` in any letter case,
 * percent-encoded (`access%5Ftoken`, `%3D`) or with brackets (`access_token[]=`), and the value
 * of a bare `token=` or `"token":`.
 */
export function scrubSecretText(text: string): string {
  return text
    .replace(SECRET_ASSIGNMENT, `$1${REDACTED}`)
    .replace(TOKEN_ASSIGNMENT, `$1${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(CANVAS_TOKEN, REDACTED);
}
