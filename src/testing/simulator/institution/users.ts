/**
 * Users: the student pool, then the teacher pool, each person with a stable name, email,
 * avatar and SIS identifiers; and the raw PII strings a leak check should look for.
 *
 * @module
 */
import type { CanvasUser, CanvasUserDisplay } from '../canvas-types.js';
import * as W from '../data-names.js';
import type { Prng } from '../prng.js';
import { type Context, rngOf } from './context.js';
import { courseUrl, DAY, iso, CANVAS_PLACEHOLDER_ORIGIN as ORIGIN, pad, uuidV4 } from './format.js';
import { userId } from './ids.js';
import { network } from './network.js';

/** The word lists and prefixes of one pool of users. */
interface Pool {
  readonly firstNames: readonly string[];
  readonly lastNames: readonly string[];
  readonly emailDomain: string;
  readonly integrationPrefix: string;
  readonly bios: readonly string[];
  readonly titles: readonly string[];
}

const STUDENTS: Pool = {
  firstNames: W.studentFirstNames,
  lastNames: W.studentLastNames,
  emailDomain: 'students.example.edu',
  integrationPrefix: 'int-s',
  bios: W.studentBios,
  titles: W.studentTitles,
};

const STAFF: Pool = {
  firstNames: W.staffFirstNames,
  lastNames: W.staffLastNames,
  emailDomain: 'example.edu',
  integrationPrefix: 'int-t',
  bios: W.staffBios,
  titles: W.staffTitles,
};

/** The identity of a user, and their stream after the draws that made it. */
export interface Person {
  /** Whether the user is a student (else a teacher). */
  readonly student: boolean;
  /** 1-based number of the user within their pool. */
  readonly n: number;
  /** The word lists of their pool. */
  readonly pool: Pool;
  /** First name. */
  readonly first: string;
  /** Last name. */
  readonly last: string;
  /** `first last`. */
  readonly name: string;
  /** Display name: usually the full name, sometimes the first name only. */
  readonly shortName: string;
  /** Email address. */
  readonly email: string;
  /** Avatar URL. */
  readonly avatar: string;
  /** Pronouns. */
  readonly pronouns: string;
  /** The user's stream, after the draws of this identity. */
  readonly rng: Prng;
}

/** The identity of user `u`. */
export function person(ctx: Context, u: number): Person {
  const student = u < ctx.S;
  const pool = student ? STUDENTS : STAFF;
  const n = student ? u + 1 : u - ctx.S + 1;
  const rng = rngOf(ctx.streams.user, u);
  const first = rng.pick(pool.firstNames);
  const last = rng.pick(pool.lastNames);
  const name = `${first} ${last}`;
  return {
    student,
    n,
    pool,
    first,
    last,
    name,
    shortName: rng.chance(0.8) ? name : first,
    email: `${W.asciiFold(first)}.${W.asciiFold(last)}${n}@${pool.emailDomain}`,
    avatar: `${ORIGIN}/images/thumbnails/${userId(u)}/${rng.chars(40, W.alphanumeric)}`,
    pronouns: rng.pick(W.pronounChoices),
    rng,
  };
}

/** SIS id of the student with pool index `p`: a permutation of 7-digit numbers. */
const studentSis = (ctx: Context, p: number): string =>
  p < 10_000_000 ? `S${pad((p * 7_919 + (ctx.root % 10_000_000)) % 10_000_000, 7)}` : `S${p}`;

/** The full user record of user `u`. */
export function buildUser(ctx: Context, u: number): CanvasUser {
  const p = person(ctx, u);
  const { rng, pool } = p;
  const subject = rng.pick(W.subjects)[1];
  const locale = rng.pick(W.locales);
  return {
    id: userId(u),
    name: p.name,
    sortable_name: `${p.last}, ${p.first}`,
    short_name: p.shortName,
    first_name: p.first,
    last_name: p.last,
    sis_user_id: p.student ? studentSis(ctx, u) : `T${pad(p.n, 6)}`,
    integration_id: `${pool.integrationPrefix}${rng.hex(12)}`,
    sis_import_id: 1000 + rng.int(0, 40),
    login_id: `${W.asciiFold(p.first).charAt(0)}${W.asciiFold(p.last)}${p.n}`,
    email: p.email,
    avatar_url: p.avatar,
    pronouns: p.pronouns,
    bio: rng.pick(pool.bios).replace('{s}', subject),
    title: rng.pick(pool.titles),
    locale,
    effective_locale: locale,
    time_zone: rng.pick(W.timeZones),
    last_login: iso(ctx.yearStart + rng.int(0, 280 * DAY)),
    lti_id: uuidV4(rng),
    uuid: rng.chars(40, W.alphanumeric),
    past_uuid: rng.chars(40, W.alphanumeric),
    created_at: iso(ctx.yearStart - rng.int(30 * DAY, 1500 * DAY)),
  };
}

/** The short display form of user `u`, with the URL of their profile in a course (or globally for `null`). */
export function buildDisplay(ctx: Context, u: number, courseId: number | null): CanvasUserDisplay {
  const p = person(ctx, u);
  const id = userId(u);
  return {
    id,
    anonymous_id: id.toString(36),
    display_name: p.shortName,
    avatar_image_url: p.avatar,
    html_url: courseId === null ? `${ORIGIN}/users/${id}` : courseUrl(courseId, `users/${id}`),
    pronouns: p.pronouns,
  };
}

/** The raw PII strings of the first `limit` students (see `Institution.studentPii`). */
export function studentPii(ctx: Context, limit: number): string[] {
  const out = new Set<string>();
  const n = Math.max(0, Math.min(ctx.S, Math.floor(limit)));
  for (let u = 0; u < n; u++) {
    const user = buildUser(ctx, u);
    const net = network(ctx, u);
    for (const value of [
      user.name,
      user.sortable_name,
      user.short_name,
      user.first_name,
      user.last_name,
      user.email,
      user.login_id,
      user.sis_user_id,
      user.integration_id,
      user.lti_id,
      user.uuid,
      user.past_uuid,
      user.avatar_url,
      ...net.ips,
      ...net.agents,
    ]) {
      if (value) out.add(value);
    }
  }
  return [...out];
}
