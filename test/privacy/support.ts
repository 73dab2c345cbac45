/** Shared helpers of the privacy tests: keys, an independent pseudonym, records, leak search. */
import { createHmac } from 'node:crypto';
import type { Institution, LazyList } from '../../src/testing/index.js';

/** A fixed 32-byte test key (deterministic runs), and a second one. */
export const KEY = Buffer.from('0123456789abcdef0123456789ABCDEF', 'utf8');
export const KEY2 = Buffer.from('fedcba9876543210FEDCBA9876543210', 'utf8');

/** The pseudonym spec, written independently of `src/privacy`. */
export function expectedPseudonym(key: Uint8Array, keyId: string, value: string | number): string {
  const digest = createHmac('sha256', key).update(String(value), 'utf8').digest();
  return `ps_${keyId}_${digest.subarray(0, 16).toString('base64url')}`;
}

export function all<T>(list: LazyList<T> | undefined): T[] {
  if (list === undefined) throw new Error('unknown list');
  const out: T[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list.at(i);
    if (item === undefined) throw new Error(`hole at ${i}`);
    out.push(item);
  }
  return out;
}

/** Every record every endpoint of the institution serves, by endpoint. */
export function everyEndpoint(inst: Institution): Record<string, unknown[]> {
  const courses = all(inst.courses);
  const users = all(inst.users);
  const per = <T>(each: (courseId: number) => T[]): T[] => courses.flatMap((c) => each(c.id));
  const include = { user: true, submission_comments: true };
  return {
    account: [inst.account],
    terms: [...inst.terms],
    courses,
    users,
    courseUsers: per((c) => all(inst.courseUsers(c))),
    sections: per((c) => all(inst.sections(c))),
    enrollments: per((c) => all(inst.enrollments(c))),
    assignments: per((c) => all(inst.assignments(c))),
    submissions: per((c) =>
      all(inst.assignments(c)).flatMap((a) => all(inst.submissions(c, a.id, include))),
    ),
    courseSubmissions: per((c) => all(inst.courseSubmissions(c, include))),
    topics: per((c) => all(inst.discussionTopics(c))),
    entries: per((c) =>
      all(inst.discussionTopics(c)).flatMap((t) => all(inst.discussionEntries(c, t.id))),
    ),
    pageViews: users.flatMap((u) => all(inst.pageViews(u.id))),
    studentSummaries: per((c) => all(inst.studentSummaries(c))),
  };
}

/** Every string and number leaf of a JSON value, with its path. */
export function leaves(
  value: unknown,
  path = '$',
  out: [string, string][] = [],
): [string, string][] {
  if (typeof value === 'string') out.push([path, value]);
  else if (typeof value === 'number') out.push([path, String(value)]);
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) leaves(value[i], `${path}[${i}]`, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) leaves(item, `${path}.${key}`, out);
  }
  return out;
}

const WORD = /[\p{L}\p{N}]/u;

/**
 * Whether `needle` occurs in `haystack` as a whole token: not glued to a letter or digit on
 * either side. Short PII (first names such as "Li", IPs such as "10.0.3.7") would otherwise be
 * found inside unrelated words and numbers ("Lisbon", "110.0.3.71"); an IP is also not a token
 * when a further `.digit` follows it.
 */
export function containsToken(haystack: string, needle: string): boolean {
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) return false;
    const before = haystack.charAt(at - 1);
    const after = haystack.charAt(at + needle.length);
    const next = haystack.charAt(at + needle.length + 1);
    const glued =
      (before !== '' && (WORD.test(before) || before === '.')) ||
      (after !== '' && WORD.test(after)) ||
      (after === '.' && /\d/.test(next));
    if (!glued) return true;
    from = at + 1;
  }
}

/** The PII strings found in any leaf of `value`: `path: pii` for each hit. */
export function findLeaks(value: unknown, pii: readonly string[]): string[] {
  const list = leaves(value);
  // One scan of all leaves per PII string; newlines separate leaves as token boundaries.
  const text = list.map(([, leaf]) => leaf).join('\n');
  const hits: string[] = [];
  for (const secret of pii) {
    if (!containsToken(text, secret)) continue;
    const where = list.find(([, leaf]) => containsToken(leaf, secret));
    hits.push(`${where?.[0] ?? '?'}: ${secret}`);
  }
  return hits;
}

/** Freezes a value and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
