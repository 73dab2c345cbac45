/**
 * Keeping a database password out of everything the job prints: the URL given to `--db` is shown
 * without it, and every text written to stdout or stderr is scrubbed of it, whatever wrote it (a
 * driver's error message, say).
 */
import type { Io, Output } from './io.js';

const MASK = '***';
/** The password of any URL: `scheme://user:password@` (the user name is kept). */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^/?#@\s:]*:)[^/?#@\s]*@/gi;
/** A `password=` parameter of a connection string, which libpq also reads. */
const PASSWORD_PARAM = /([?&]password=)[^&#\s]*/gi;
/**
 * Passwords shorter than this are masked where they appear in a URL only: masking every
 * occurrence of a one- or two-character string would mangle every number printed.
 */
const MIN_LITERAL = 4;

/** `url` without its password (the user name, host, port, database and parameters kept). */
export function redactUrl(url: string): string {
  return url.replace(USERINFO, `$1${MASK}@`).replace(PASSWORD_PARAM, `$1${MASK}`);
}

/**
 * The forms of a connection string's password that output must never hold: `user:password@` as
 * written (whatever the password's length), and the password alone, as written and decoded, when
 * it is at least 4 characters long (also as a `password=` parameter).
 */
export function urlSecrets(url: string): { text: string; mask: string }[] {
  const secrets = new Map<string, string>();
  const alone = (value: string): void => {
    if (value.length < MIN_LITERAL) return;
    secrets.set(value, MASK);
    try {
      secrets.set(decodeURIComponent(value), MASK);
    } catch {
      // not percent-encoded: the raw form is enough
    }
  };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return []; // Not a URL: the flag is refused, and its value never printed.
  }
  // As written, and as the URL parser normalizes it (it may percent-encode more).
  const written = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@:]*):([^/?#]*)@/i.exec(url);
  const userinfos = [[parsed.username, parsed.password]];
  if (written?.[1] !== undefined && written[2] !== undefined)
    userinfos.push([written[1], written[2]]);
  for (const [user = '', password = ''] of userinfos) {
    if (password === '') continue;
    secrets.set(`${user}:${password}@`, `${user}:${MASK}@`);
    alone(password);
  }
  for (const value of parsed.searchParams.getAll('password')) {
    alone(value);
    alone(encodeURIComponent(value));
  }
  // Longest first, so that a form containing another is masked whole.
  return [...secrets]
    .map(([text, mask]) => ({ text, mask }))
    .sort((a, b) => b.text.length - a.text.length);
}

/** A function that masks the given secrets in a text. */
export function redactor(
  secrets: readonly { text: string; mask: string }[],
): (text: string) => string {
  return (text) => {
    let out = text;
    for (const { text: secret, mask } of secrets) out = out.replaceAll(secret, mask);
    return out;
  };
}

/** The flags whose URL may hold a password: the database and the broker. */
const URL_FLAGS = ['--db', '--queue'] as const;

/**
 * The value of `flag` in a command line, if any (`--db URL` or `--db=URL`), read before the
 * flags are parsed, so that even a message about the flags cannot show its password.
 */
export function urlArgument(
  args: readonly string[],
  flag: (typeof URL_FLAGS)[number] = '--db',
): string | undefined {
  let value: string | undefined;
  for (const [i, arg] of args.entries()) {
    if (arg === flag) value = args[i + 1] ?? value;
    else if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1);
  }
  return value;
}

/** The value of `--db` in a command line (see {@link urlArgument}). */
export function dbArgument(args: readonly string[]): string | undefined {
  return urlArgument(args, '--db');
}

function scrubbed(output: Output, redact: (text: string) => string): Output {
  return {
    write: (text: string) => output.write(redact(text)),
    ...(output.isTTY !== undefined && { isTTY: output.isTTY }),
    ...(output.columns !== undefined && { columns: output.columns }),
  };
}

/**
 * `io` with stdout and stderr scrubbed of the passwords of the `--db` and `--queue` URLs in
 * `args`, so that no message, from this job or a library, prints them.
 */
export function redactingIo(io: Io, args: readonly string[]): Io {
  const secrets = URL_FLAGS.flatMap((flag) => {
    const url = urlArgument(args, flag);
    return url === undefined ? [] : urlSecrets(url);
  }).sort((a, b) => b.text.length - a.text.length);
  const redact = redactor(secrets);
  return { ...io, stdout: scrubbed(io.stdout, redact), stderr: scrubbed(io.stderr, redact) };
}
