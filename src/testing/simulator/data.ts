/**
 * Deterministic, lazily computed Canvas institution for the simulator.
 *
 * Nothing is materialized: every record is derived on demand from `(seed, indices)` through its
 * own {@link hashSeed}-style random stream, so any record of a million-record collection costs
 * O(1) to build and the same seed yields the same data in every process and Node version (no
 * `Math.random`, no clock). Ids are positive integers computed by formula (unique per object
 * type, ascending with the index in every {@link LazyList}); page views have uuid-like string
 * ids that ascend lexicographically instead.
 *
 * Id formulas (c = course index, P/K/H/E/A/D/N/M = sections, students, staff (1 or 2) and
 * enrollments (H + K) per course, assignments, topics, entries per topic, comments per
 * submission):
 * - term `1 + t`; course `1001 + c`; section `2001 + c·P + s`; assignment `3001 + c·A + a`;
 *   topic `4001 + c·D + d`; user `100001 + u` (students `u = 0..S-1`, then teachers);
 * - enrollment `500001 + c·E + j` (j < H: teacher, then TA; then students by ascending user id);
 * - submission `1000001 + (c·A + a)·K + k` (k = student's position in the course);
 * - comment `1 + ((c·A + a)·K + k)·M + m`; discussion entry `6001 + ((c·D + d)·N + n)·3 + r`
 *   (r = 0 top-level entry, 1..2 its replies).
 *
 * @module
 */
import type {
  CanvasAccount,
  CanvasAssignment,
  CanvasCourse,
  CanvasDiscussionEntry,
  CanvasDiscussionTopic,
  CanvasEnrollment,
  CanvasGrades,
  CanvasPageView,
  CanvasSection,
  CanvasStudentSummary,
  CanvasSubmission,
  CanvasSubmissionComment,
  CanvasTerm,
  CanvasUser,
  CanvasUserDisplay,
} from './canvas-types.js';
import * as W from './data-names.js';
import { createPrng, hashSeed, hex32, mixHash, type Prng } from './prng.js';

/** A read-only, lazily computed list: records are derived from (seed, index) on demand. Ids ascend with index. */
export interface LazyList<T> {
  /** Number of records. */
  readonly length: number;
  /** The record at `index`, built fresh on every call (callers may mutate it); `undefined` outside `0..length-1` or for a non-integer index. */
  at(index: number): T | undefined;
  /** index of the record with this id, or -1 (O(1) or O(log n), never a scan). Accepts numbers and strings of digits; anything else gives -1. */
  indexOfId(id: number | string): number;
  /** index of the first record whose id is strictly greater than `id` (length if none); O(log n) — used for keyset (bookmark) pagination. An unparseable id (NaN, a non-digit string for a numeric-id list) gives 0, as Canvas restarts at the first page on a bad bookmark. */
  indexAfterId(id: number | string): number;
}

/** Shape and size of the simulated institution. Every count must be a safe integer at or above its minimum (else `createInstitution` throws a `RangeError`). */
export interface InstitutionOptions {
  /** Seed of all generated data; any safe integer. Default 1. */
  seed?: number;
  /** Id of the (root) account. Default 1, min 1. */
  accountId?: number;
  /** Number of enrollment terms; courses are spread round-robin over them. Default 2, min 1. */
  terms?: number;
  /** Number of courses. Default 12, min 0. */
  courses?: number;
  /** Sections per course; students are assigned to them round-robin. Default 2, min 1. */
  sectionsPerCourse?: number;
  /** Size of the student pool. Default 300, min 0. */
  students?: number;
  /** Students enrolled in each course; clamped to `students`. Default 30, min 0. */
  studentsPerCourse?: number;
  /** Size of the teacher pool; each course gets one teacher, plus one TA when there are at least 2. Default 8, min 1. */
  teachers?: number;
  /** Assignments per course. Default 5, min 0. */
  assignmentsPerCourse?: number;
  /** Discussion topics per course. Default 2, min 0. */
  topicsPerCourse?: number;
  /** Top-level entries per discussion topic (each with 0..2 replies). Default 10, min 0. */
  entriesPerTopic?: number;
  /** Page views per user. Default 20, min 0. */
  pageViewsPerUser?: number;
  /** Maximum comments per submission (each has 0..this many). Default 2, min 0. */
  commentsPerSubmission?: number;
}

/** {@link InstitutionOptions} with every default applied (`studentsPerCourse` already clamped). */
export type ResolvedInstitutionOptions = Required<InstitutionOptions>;

/** The defaults of {@link InstitutionOptions}. */
export const defaultInstitutionOptions: ResolvedInstitutionOptions = Object.freeze({
  seed: 1,
  accountId: 1,
  terms: 2,
  courses: 12,
  sectionsPerCourse: 2,
  students: 300,
  studentsPerCourse: 30,
  teachers: 8,
  assignmentsPerCourse: 5,
  topicsPerCourse: 2,
  entriesPerTopic: 10,
  pageViewsPerUser: 20,
  commentsPerSubmission: 2,
});

/** Which optional associations to nest in submissions (Canvas's `include[]`). */
export interface SubmissionIncludes {
  /** Nest the student as `user`. */
  user?: boolean;
  /** Nest `submission_comments`. */
  submission_comments?: boolean;
}

/** A simulated Canvas institution: one root account with terms, courses, users and their activity. Ids may be numbers or strings of digits everywhere. */
export interface Institution {
  /** The options it was built from, defaults applied. */
  readonly options: ResolvedInstitutionOptions;
  /** The root account. */
  readonly account: CanvasAccount;
  /** The enrollment terms, ascending id. */
  readonly terms: readonly CanvasTerm[];
  /** All courses, ascending id. */
  readonly courses: LazyList<CanvasCourse>;
  /** All users: all students, then all teachers. */
  readonly users: LazyList<CanvasUser>;
  /** The course with this id, or `undefined`. */
  course(id: number | string): CanvasCourse | undefined;
  /** The user with this id, or `undefined`. */
  user(id: number | string): CanvasUser | undefined;
  /** The sections of a course (`undefined` = unknown course). */
  sections(courseId: number | string): LazyList<CanvasSection> | undefined;
  /** Teacher, TA (if any) and student enrollments of a course, with nested `user`; `grades` on student enrollments only. */
  enrollments(courseId: number | string): LazyList<CanvasEnrollment> | undefined;
  /** The users enrolled in a course, ascending id (students, then staff). */
  courseUsers(courseId: number | string): LazyList<CanvasUser> | undefined;
  /** The assignments of a course. */
  assignments(courseId: number | string): LazyList<CanvasAssignment> | undefined;
  /** One assignment of a course (`undefined` if either is unknown or it belongs to another course). */
  assignment(
    courseId: number | string,
    assignmentId: number | string,
  ): CanvasAssignment | undefined;
  /** submissions of one assignment, one per student of the course */
  submissions(
    courseId: number | string,
    assignmentId: number | string,
    include?: SubmissionIncludes,
  ): LazyList<CanvasSubmission> | undefined;
  /** all submissions of all students for all assignments of the course (GET /courses/:id/students/submissions?student_ids[]=all) */
  courseSubmissions(
    courseId: number | string,
    include?: SubmissionIncludes,
  ): LazyList<CanvasSubmission> | undefined;
  /** The discussion topics of a course. */
  discussionTopics(courseId: number | string): LazyList<CanvasDiscussionTopic> | undefined;
  /** Top-level entries of a topic of the course, each with `recent_replies` when it has replies (0..2). */
  discussionEntries(
    courseId: number | string,
    topicId: number | string,
  ): LazyList<CanvasDiscussionEntry> | undefined;
  /** A user's page views, oldest first (ids ascend as strings); `undefined` for unknown users. */
  pageViews(userId: number | string): LazyList<CanvasPageView> | undefined;
  /** Analytics summaries of the students of a course, ascending user id. */
  studentSummaries(courseId: number | string): LazyList<CanvasStudentSummary> | undefined;
  /**
   * Every raw PII string value of a student the institution contains that a leak check should look for: names (name, sortable_name, short_name, first/last), emails, sis_user_id, integration_id, login_id, lti_id, uuid, remote_ip, user_agent... for the first `limit` students (default all). Used later by tests asserting sanitized output contains none of them.
   *
   * Concretely, per student: `name`, `sortable_name`, `short_name`, `first_name`, `last_name`,
   * `email`, `login_id`, `sis_user_id`, `integration_id`, `lti_id`, `uuid`, `past_uuid`,
   * `avatar_url`, and the two IP addresses and two user agents its page views use. Deduplicated;
   * first and last names are shared by many students, IPs are short (`10.x.x.x`, `172.16.x.x`).
   */
  studentPii(limit?: number): string[];
}

/** Placeholder origin of every `html_url` / `avatar_url` the generator emits. */
export const CANVAS_PLACEHOLDER_ORIGIN = 'https://canvas.example.edu';
const ORIGIN = CANVAS_PLACEHOLDER_ORIGIN;

const TERM_BASE = 1;
const COURSE_BASE = 1001;
const SECTION_BASE = 2001;
const ASSIGNMENT_BASE = 3001;
const TOPIC_BASE = 4001;
const ENTRY_BASE = 6001;
const GROUP_BASE = 7001;
const USER_BASE = 100_001;
const ENROLLMENT_BASE = 500_001;
const SUBMISSION_BASE = 1_000_001;
const COMMENT_BASE = 1;
const DAY = 86_400;
const HOUR = 3_600;
/** Size of the Chrome version space used for user agents: 9 majors · 1100 builds · 221 patches. */
const UA_SPACE = 9 * 1100 * 221;

// ---------------------------------------------------------------------------------------------
// LazyList

type Key = number | string;

class IdList<T> implements LazyList<T> {
  readonly #idAt: (index: number) => Key;
  readonly #build: (index: number) => T;
  readonly #numeric: boolean;

  constructor(
    readonly length: number,
    idAt: (index: number) => Key,
    build: (index: number) => T,
    numeric = true,
  ) {
    this.#idAt = idAt;
    this.#build = build;
    this.#numeric = numeric;
  }

  at(index: number): T | undefined {
    return Number.isInteger(index) && index >= 0 && index < this.length
      ? this.#build(index)
      : undefined;
  }

  indexOfId(id: number | string): number {
    const key = this.#key(id);
    if (key === undefined) return -1;
    const i = this.#lowerBound(key, false);
    return i < this.length && this.#idAt(i) === key ? i : -1;
  }

  indexAfterId(id: number | string): number {
    const key = this.#key(id);
    return key === undefined ? 0 : this.#lowerBound(key, true);
  }

  #key(id: number | string): Key | undefined {
    if (!this.#numeric) return String(id);
    if (typeof id === 'number') return Number.isNaN(id) ? undefined : id;
    return /^\d+$/.test(id) ? Number(id) : undefined;
  }

  /** First index whose id is >= key (or > key when `strict`). */
  #lowerBound(key: Key, strict: boolean): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const id = this.#idAt(mid);
      if (id < key || (strict && id === key)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function range<T>(length: number, base: number, build: (index: number) => T): LazyList<T> {
  return new IdList(length, (i) => base + i, build);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function parseId(id: number | string): number | undefined {
  if (typeof id === 'number') return Number.isSafeInteger(id) ? id : undefined;
  return /^\d{1,15}$/.test(id) ? Number(id) : undefined;
}

/** Index `id - base` if it lies in `0..count-1`. */
function indexIn(id: number | string, base: number, count: number): number | undefined {
  const n = parseId(id);
  if (n === undefined) return undefined;
  const i = n - base;
  return i >= 0 && i < count ? i : undefined;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, i) => pad(i, 2));
const pad2 = (n: number): string => TWO_DIGITS[n] ?? pad(n, 2);

/** ISO 8601 UTC (`2026-09-01T14:03:00Z`) from epoch seconds, without `Date`. */
function iso(epochSeconds: number): string {
  const t = Math.floor(epochSeconds);
  const days = Math.floor(t / DAY);
  let rem = t - days * DAY;
  const hh = Math.floor(rem / HOUR);
  rem -= hh * HOUR;
  const mi = Math.floor(rem / 60);
  const ss = rem - mi * 60;
  // Howard Hinnant's civil_from_days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${pad2(m)}-${pad2(d)}T${pad2(hh)}:${pad2(mi)}:${pad2(ss)}Z`;
}

function uuidV4(rng: Prng): string {
  const b = hex32(rng.uint32());
  const c = hex32(rng.uint32());
  const variant = '89ab'.charAt(rng.uint32() & 3);
  return `${hex32(rng.uint32())}-${b.slice(0, 4)}-4${b.slice(5)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${hex32(rng.uint32())}`;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;
const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

function letterGrade(percent: number): string {
  if (percent >= 93) return 'A';
  if (percent >= 90) return 'A-';
  if (percent >= 87) return 'B+';
  if (percent >= 83) return 'B';
  if (percent >= 80) return 'B-';
  if (percent >= 77) return 'C+';
  if (percent >= 73) return 'C';
  if (percent >= 70) return 'C-';
  if (percent >= 67) return 'D+';
  if (percent >= 60) return 'D';
  return 'F';
}

function resolveOptions(options: InstitutionOptions): ResolvedInstitutionOptions {
  const o: ResolvedInstitutionOptions = { ...defaultInstitutionOptions };
  const mins: Record<keyof InstitutionOptions, number> = {
    seed: Number.MIN_SAFE_INTEGER,
    accountId: 1,
    terms: 1,
    courses: 0,
    sectionsPerCourse: 1,
    students: 0,
    studentsPerCourse: 0,
    teachers: 1,
    assignmentsPerCourse: 0,
    topicsPerCourse: 0,
    entriesPerTopic: 0,
    pageViewsPerUser: 0,
    commentsPerSubmission: 0,
  };
  for (const key of Object.keys(mins) as (keyof InstitutionOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < mins[key]) {
      throw new RangeError(`canvas-sync simulator: ${key} must be an integer >= ${mins[key]}`);
    }
    o[key] = value;
  }
  o.studentsPerCourse = Math.min(o.studentsPerCourse, o.students);
  return o;
}

// Relative weights of submission outcomes.
const P_EXCUSED = 0.03;
const P_MISSING = 0.11; // cumulative
const P_UNGRADED = 0.21; // cumulative: submitted, not graded yet
const P_LATE = 0.12; // of submitted ones

type SubmissionKind = 'excused' | 'missing' | 'submitted' | 'graded';

interface AssignmentMeta {
  readonly points: number;
  readonly dueAt: number;
  readonly gradingType: CanvasAssignment['grading_type'];
  readonly submissionTypes: string[];
  readonly template: string;
  readonly createdAt: number;
  readonly rng: Prng;
}

const REPLY_PATTERN = [0, 1, 0, 2, 1] as const; // sums to 4 over any 5 consecutive entries

// ---------------------------------------------------------------------------------------------

/**
 * Creates a deterministic, lazily computed institution. Cheap: O(terms) work and memory, however
 * large the counts. Throws a `RangeError` for invalid options or when the largest id would
 * exceed `Number.MAX_SAFE_INTEGER`.
 */
export function createInstitution(options: InstitutionOptions = {}): Institution {
  const o = resolveOptions(options);
  const S = o.students;
  const K = o.studentsPerCourse;
  const C = o.courses;
  const T = o.teachers;
  const P = o.sectionsPerCourse;
  const A = o.assignmentsPerCourse;
  const D = o.topicsPerCourse;
  const N = o.entriesPerTopic;
  const V = o.pageViewsPerUser;
  const M = o.commentsPerSubmission;
  const H = T >= 2 ? 2 : 1;
  const E = H + K;

  for (const max of [
    COURSE_BASE + C,
    SECTION_BASE + C * P,
    ENROLLMENT_BASE + C * E,
    ASSIGNMENT_BASE + C * A,
    SUBMISSION_BASE + C * A * K,
    COMMENT_BASE + C * A * K * M,
    ENTRY_BASE + C * D * N * 3,
    USER_BASE + S + T,
    GROUP_BASE + C * 4,
    S * K,
  ]) {
    if (!Number.isSafeInteger(max))
      throw new RangeError('canvas-sync simulator: ids would overflow');
  }
  if (V > 0xffff_ffff || S + T > 0xffff_ffff) {
    throw new RangeError('canvas-sync simulator: page view ids would overflow');
  }

  const root = hashSeed(o.seed, 'canvas-sync simulator');
  const stream = (tag: string): number => hashSeed(root, tag);
  const sUser = stream('user');
  const sNet = stream('net');
  const sCourse = stream('course');
  const sSection = stream('section');
  const sEnrollment = stream('enrollment');
  const sAbility = stream('ability');
  const sAssignment = stream('assignment');
  const sSubmission = stream('submission');
  const sComment = stream('comment');
  const sTopic = stream('topic');
  const sEntry = stream('entry');
  const sPageView = stream('page view');
  const sSummary = stream('summary');
  const rngOf = (s: number, a: number, b?: number, c?: number): Prng => {
    let h = mixHash(s, a);
    if (b !== undefined) h = mixHash(h, b);
    if (c !== undefined) h = mixHash(h, c);
    return createPrng(h);
  };

  const year = 2024 + (stream('year') % 4);
  const yearStart = Date.UTC(year, 7, 24) / 1000; // Aug 24 00:00 UTC; Date.UTC is a pure function
  const windowOffset = S > 0 ? stream('window') % S : 0;

  // --- terms ---------------------------------------------------------------------------------
  const seasons = [
    { name: 'Fall', code: 'FA', startDay: 0, days: 116, year },
    { name: 'Spring', code: 'SP', startDay: 141, days: 117, year: year + 1 },
    { name: 'Summer', code: 'SU', startDay: 274, days: 75, year: year + 1 },
  ];
  const termSpans: { start: number; end: number; name: string; sis: string }[] = [];
  for (let t = 0; t < o.terms; t++) {
    const season = o.terms <= 3 ? seasons[t] : undefined;
    if (season) {
      const start = yearStart + season.startDay * DAY;
      termSpans.push({
        start,
        end: start + season.days * DAY - 60,
        name: `${season.name} ${season.year}`,
        sis: `${season.year}${season.code}`,
      });
    } else {
      const days = Math.max(1, Math.floor(350 / o.terms));
      const start = yearStart + t * days * DAY;
      termSpans.push({
        start,
        end: start + days * DAY - 60,
        name: `Term ${t + 1} ${year}-${year + 1}`,
        sis: `${year}T${pad(t + 1, 2)}`,
      });
    }
  }
  const termOf = (c: number) => {
    const span = termSpans[c % o.terms];
    if (!span) throw new Error('unreachable: term');
    return span;
  };
  const terms: CanvasTerm[] = termSpans.map((span, t) => ({
    id: TERM_BASE + t,
    name: span.name,
    start_at: iso(span.start),
    end_at: iso(span.end),
    created_at: iso(yearStart - 120 * DAY + t * DAY),
    workflow_state: 'active',
    sis_term_id: span.sis,
    sis_import_id: 1000 + t,
    grading_period_group_id: null,
  }));

  const accountRng = createPrng(stream('account'));
  const account: CanvasAccount = {
    id: o.accountId,
    name: accountRng.pick(W.institutionNames),
    uuid: accountRng.chars(40, W.alphanumeric),
    parent_account_id: null,
    root_account_id: null,
    workflow_state: 'active',
    default_time_zone: 'America/New_York',
    sis_account_id: `ACCT-${pad(o.accountId, 4)}`,
    integration_id: null,
    sis_import_id: 1000,
    lti_guid: `${accountRng.chars(40, W.alphanumeric)}:canvas-lms`,
  };

  // --- users ---------------------------------------------------------------------------------
  const userId = (u: number): number => USER_BASE + u;
  const studentSis = (p: number): string =>
    p < 10_000_000 ? `S${pad((p * 7_919 + (root % 10_000_000)) % 10_000_000, 7)}` : `S${p}`;

  interface Person {
    first: string;
    last: string;
    name: string;
    shortName: string;
    email: string;
    avatar: string;
    pronouns: string;
    rng: Prng;
  }
  const person = (u: number): Person => {
    const student = u < S;
    const rng = rngOf(sUser, u);
    const first = rng.pick(student ? W.studentFirstNames : W.staffFirstNames);
    const last = rng.pick(student ? W.studentLastNames : W.staffLastNames);
    const name = `${first} ${last}`;
    const local = `${W.asciiFold(first)}.${W.asciiFold(last)}${student ? u + 1 : u - S + 1}`;
    return {
      first,
      last,
      name,
      shortName: rng.chance(0.8) ? name : first,
      email: `${local}@${student ? 'students.' : ''}example.edu`,
      avatar: `${ORIGIN}/images/thumbnails/${userId(u)}/${rng.chars(40, W.alphanumeric)}`,
      pronouns: rng.pick(W.pronounChoices),
      rng,
    };
  };

  const buildUser = (u: number): CanvasUser => {
    const student = u < S;
    const p = person(u);
    const rng = p.rng;
    const n = student ? u + 1 : u - S + 1;
    const subject = rng.pick(W.subjects)[1];
    const locale = rng.pick(W.locales);
    return {
      id: userId(u),
      name: p.name,
      sortable_name: `${p.last}, ${p.first}`,
      short_name: p.shortName,
      first_name: p.first,
      last_name: p.last,
      sis_user_id: student ? studentSis(u) : `T${pad(n, 6)}`,
      integration_id: `${student ? 'int-s' : 'int-t'}${rng.hex(12)}`,
      sis_import_id: 1000 + rng.int(0, 40),
      login_id: `${W.asciiFold(p.first).charAt(0)}${W.asciiFold(p.last)}${n}`,
      email: p.email,
      avatar_url: p.avatar,
      pronouns: p.pronouns,
      bio: rng.pick(student ? W.studentBios : W.staffBios).replace('{s}', subject),
      title: rng.pick(student ? W.studentTitles : W.staffTitles),
      locale,
      effective_locale: locale,
      time_zone: rng.pick(W.timeZones),
      last_login: iso(yearStart + rng.int(0, 280 * DAY)),
      lti_id: uuidV4(rng),
      uuid: rng.chars(40, W.alphanumeric),
      past_uuid: rng.chars(40, W.alphanumeric),
      created_at: iso(yearStart - rng.int(30 * DAY, 1500 * DAY)),
    };
  };

  const buildDisplay = (u: number, courseId: number | null): CanvasUserDisplay => {
    const p = person(u);
    const id = userId(u);
    return {
      id,
      anonymous_id: id.toString(36),
      display_name: p.shortName,
      avatar_image_url: p.avatar,
      html_url:
        courseId === null ? `${ORIGIN}/users/${id}` : `${ORIGIN}/courses/${courseId}/users/${id}`,
      pronouns: p.pronouns,
    };
  };

  /**
   * Home and campus IPs and laptop and phone user agents of a user. Each is unique per user
   * (affine bijections of the user index; IPs for up to 16M users, agents for up to 2M).
   */
  const network = (u: number): { ips: [string, string]; agents: [string, string] } => {
    const rng = rngOf(sNet, u);
    const home = (u * 40_503 + (root % 16_646_144)) % 16_646_144; // 256·256·254
    const campus = (u * 40_503 + (sNet % 1_040_384)) % 1_040_384; // 16·256·254
    const octets = (x: number) =>
      `${Math.floor(x / 65_024)}.${Math.floor(x / 254) % 256}.${1 + (x % 254)}`;
    const chrome = (x: number) =>
      `${118 + (x % 9)}.0.${5900 + (Math.floor(x / 9) % 1100)}.${Math.floor(x / 9900) % 221}`;
    const laptopVersion = chrome((u * 7_919 + (sSection % UA_SPACE)) % UA_SPACE);
    const phoneVersion = chrome((u * 104_729 + (sEntry % UA_SPACE)) % UA_SPACE);
    const laptop = `Mozilla/5.0 (${rng.pick(W.desktopPlatforms)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${laptopVersion} ${rng.chance(0.3) ? `Safari/537.36 Edg/${laptopVersion}` : 'Safari/537.36'}`;
    const phone = rng.chance(0.5)
      ? `Mozilla/5.0 (iPhone; CPU iPhone OS 17_${rng.int(0, 6)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/${phoneVersion} Mobile/15E148 Safari/604.1`
      : `Mozilla/5.0 (Linux; Android ${rng.int(12, 14)}; ${rng.pick(W.phoneModels)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${phoneVersion} Mobile Safari/537.36`;
    const campusOctets = octets(campus);
    const dot = campusOctets.indexOf('.');
    const campusIp = `172.${16 + Number(campusOctets.slice(0, dot))}${campusOctets.slice(dot)}`;
    return { ips: [`10.${octets(home)}`, campusIp], agents: [laptop, phone] };
  };

  // --- courses -------------------------------------------------------------------------------
  const courseIndex = (id: number | string): number | undefined => indexIn(id, COURSE_BASE, C);
  const courseId = (c: number): number => COURSE_BASE + c;

  interface CourseMeta {
    code: string;
    subject: string;
    title: string;
    sis: string;
    integration: string;
    rng: Prng;
  }
  const courseMeta = (c: number): CourseMeta => {
    const rng = rngOf(sCourse, c);
    const [code, subject] = rng.pick(W.subjects);
    const number = rng.int(100, 499);
    return {
      code: `${code} ${number}`,
      subject,
      title: W.fill(rng.pick(W.courseTitleTemplates), { s: subject }),
      sis: `${code}${number}-${termOf(c).sis}-${pad(c + 1, 4)}`,
      integration: `crs-${rng.hex(10)}`,
      rng,
    };
  };

  const buildCourse = (c: number): CanvasCourse => {
    const m = courseMeta(c);
    const rng = m.rng;
    const term = termOf(c);
    return {
      id: courseId(c),
      name: m.title,
      course_code: m.code,
      uuid: rng.chars(40, W.alphanumeric),
      workflow_state: 'available',
      account_id: o.accountId,
      root_account_id: o.accountId,
      enrollment_term_id: TERM_BASE + (c % o.terms),
      sis_course_id: m.sis,
      integration_id: m.integration,
      sis_import_id: 1000 + rng.int(0, 40),
      start_at: iso(term.start),
      end_at: iso(term.end),
      created_at: iso(term.start - rng.int(20 * DAY, 90 * DAY)),
      default_view: rng.pick(['modules', 'wiki', 'syllabus', 'feed', 'assignments'] as const),
      is_public: false,
      public_syllabus: rng.chance(0.3),
      license: 'private',
      time_zone: 'America/New_York',
      course_format: rng.pick(['on_campus', 'online', 'blended'] as const),
      total_students: K,
      grading_standard_id: null,
      apply_assignment_group_weights: rng.chance(0.5),
      hide_final_grades: false,
      restrict_enrollments_to_course_dates: false,
      blueprint: false,
    };
  };

  /** Pool index of the k-th student (ascending) of course c: window of K starting at `start`. */
  const windowStart = (c: number): number => (S === 0 ? 0 : (windowOffset + (c % S) * K) % S);
  const poolIndex = (start: number, k: number): number => {
    const wrapped = start + K - S; // how many pool indices wrapped around to 0..wrapped-1
    if (wrapped <= 0) return start + k;
    return k < wrapped ? k : start + (k - wrapped);
  };
  /** Staff of course c: teacher, then TA (if any). */
  const staff = (c: number): number[] => (H === 2 ? [c % T, (c + 1) % T] : [c % T]);

  const sectionSis = (m: CourseMeta, s: number): string => `${m.sis}-S${pad(s + 1, 2)}`;
  const sectionIntegration = (c: number, s: number): string => {
    const h = mixHash(sSection, c * P + s);
    return `sec-${hex32(h)}${hex32(mixHash(h, 1)).slice(0, 2)}`;
  };

  const sections = (c: number): LazyList<CanvasSection> => {
    const m = courseMeta(c);
    const term = termOf(c);
    return range(P, SECTION_BASE + c * P, (s) => ({
      id: SECTION_BASE + c * P + s,
      name: `${m.code} Section ${pad(s + 1, 2)}`,
      course_id: courseId(c),
      sis_section_id: sectionSis(m, s),
      sis_course_id: m.sis,
      integration_id: sectionIntegration(c, s),
      sis_import_id: 1000 + (c % 40),
      nonxlist_course_id: null,
      start_at: iso(term.start),
      end_at: iso(term.end),
      created_at: iso(term.start - 30 * DAY),
      restrict_enrollments_to_section_dates: false,
      total_students: K > s ? Math.ceil((K - s) / P) : 0,
    }));
  };

  const ability = (p: number): number => 0.55 + 0.45 * createPrng(mixHash(sAbility, p)).float();

  const enrollments = (c: number): LazyList<CanvasEnrollment> => {
    const m = courseMeta(c);
    const term = termOf(c);
    const start = windowStart(c);
    const team = staff(c);
    const cid = courseId(c);
    return range(E, ENROLLMENT_BASE + c * E, (j) => {
      const isStaff = j < H;
      const k = j - H;
      const u = isStaff ? S + (team[j] ?? 0) : poolIndex(start, k);
      const section = isStaff ? 0 : k % P;
      const user = buildUser(u);
      const rng = rngOf(sEnrollment, c, j);
      const type = isStaff ? (j === 0 ? 'TeacherEnrollment' : 'TaEnrollment') : 'StudentEnrollment';
      const r = rng.float();
      const state = isStaff || r < 0.94 ? 'active' : r < 0.97 ? 'inactive' : 'invited';
      const created = term.start - rng.int(DAY, 20 * DAY);
      const lastActivity = term.start + rng.int(DAY, term.end - term.start);
      const enrollment: CanvasEnrollment = {
        id: ENROLLMENT_BASE + c * E + j,
        user_id: user.id,
        course_id: cid,
        course_section_id: SECTION_BASE + c * P + section,
        root_account_id: o.accountId,
        type,
        enrollment_state: state,
        role: type,
        role_id: isStaff ? (j === 0 ? 4 : 5) : 3,
        limit_privileges_to_course_section: false,
        associated_user_id: null,
        sis_user_id: user.sis_user_id,
        sis_course_id: m.sis,
        sis_section_id: sectionSis(m, section),
        sis_account_id: account.sis_account_id,
        sis_import_id: 1000 + (c % 40),
        course_integration_id: m.integration,
        section_integration_id: sectionIntegration(c, section),
        created_at: iso(created),
        updated_at: iso(created + rng.int(0, 10 * DAY)),
        start_at: null,
        end_at: null,
        last_activity_at: state === 'invited' ? null : iso(lastActivity),
        last_attended_at: rng.chance(0.3) ? iso(lastActivity - rng.int(0, 10 * DAY)) : null,
        total_activity_time: state === 'invited' ? 0 : rng.int(600, 400_000),
        html_url: `${ORIGIN}/courses/${cid}/users/${user.id}`,
        user,
      };
      if (!isStaff) {
        const current = round2(100 * clamp01(ability(u) + (rng.float() - 0.5) * 0.2));
        const final = round2(current * (0.85 + 0.15 * rng.float()));
        const unposted = round2(Math.min(100, current + rng.float() * 3));
        const grades: CanvasGrades = {
          html_url: `${ORIGIN}/courses/${cid}/grades/${user.id}`,
          current_score: current,
          final_score: final,
          current_grade: letterGrade(current),
          final_grade: letterGrade(final),
          unposted_current_score: unposted,
          unposted_final_score: round2(Math.min(100, final + (unposted - current))),
        };
        enrollment.grades = grades;
      }
      return enrollment;
    });
  };

  const courseUsers = (c: number): LazyList<CanvasUser> => {
    const start = windowStart(c);
    const team = [...staff(c)].sort((x, y) => x - y);
    const userAt = (i: number): number => (i < K ? poolIndex(start, i) : S + (team[i - K] ?? 0));
    return new IdList(
      K + H,
      (i) => userId(userAt(i)),
      (i) => buildUser(userAt(i)),
    );
  };

  // --- assignments and submissions -------------------------------------------------------------
  const assignmentMeta = (c: number, a: number): AssignmentMeta => {
    const rng = rngOf(sAssignment, c, a);
    const term = termOf(c);
    const span = term.end - term.start;
    const dueDay = Math.floor(((a + 1) * span) / (A + 1) / DAY);
    const r = rng.float();
    return {
      points: rng.pick([10, 20, 25, 50, 100]),
      dueAt: term.start + dueDay * DAY + 23 * HOUR + 59 * 60,
      gradingType: r < 0.7 ? 'points' : r < 0.85 ? 'letter_grade' : 'percent',
      submissionTypes: rng.pick([
        ['online_text_entry'],
        ['online_upload'],
        ['online_url'],
        ['online_text_entry', 'online_upload'],
      ]),
      template: rng.pick(W.assignmentTemplates),
      createdAt: term.start - rng.int(DAY, 15 * DAY),
      rng,
    };
  };

  const buildAssignment = (c: number, a: number): CanvasAssignment => {
    const m = assignmentMeta(c, a);
    const id = ASSIGNMENT_BASE + c * A + a;
    const cid = courseId(c);
    return {
      id,
      name: W.fill(m.template, { n: a + 1 }),
      description: `<p>${m.rng.pick(W.sentences)}</p><p>Submit by the due date; see the rubric.</p>`,
      course_id: cid,
      assignment_group_id: GROUP_BASE + c * 4 + (a % 4),
      position: a + 1,
      created_at: iso(m.createdAt),
      updated_at: iso(m.createdAt + m.rng.int(0, 5 * DAY)),
      due_at: iso(m.dueAt),
      unlock_at: iso(m.dueAt - 14 * DAY),
      lock_at: iso(m.dueAt + 7 * DAY),
      points_possible: m.points,
      grading_type: m.gradingType,
      submission_types: m.submissionTypes,
      allowed_attempts: -1,
      published: true,
      muted: false,
      omit_from_final_grade: false,
      has_submitted_submissions: K > 0,
      html_url: `${ORIGIN}/courses/${cid}/assignments/${id}`,
      submissions_download_url: `${ORIGIN}/courses/${cid}/assignments/${id}/submissions?zip=1`,
    };
  };

  const submissionKind = (rng: Prng): { kind: SubmissionKind; late: boolean } => {
    const r = rng.float();
    const late = rng.float() < P_LATE;
    if (r < P_EXCUSED) return { kind: 'excused', late: false };
    if (r < P_MISSING) return { kind: 'missing', late: false };
    return { kind: r < P_UNGRADED ? 'submitted' : 'graded', late };
  };

  const buildSubmission = (
    c: number,
    a: number,
    k: number,
    start: number,
    include: SubmissionIncludes,
  ): CanvasSubmission => {
    const meta = assignmentMeta(c, a);
    const u = poolIndex(start, k);
    const uid = userId(u);
    const cid = courseId(c);
    const aid = ASSIGNMENT_BASE + c * A + a;
    const index = (c * A + a) * K + k;
    const rng = rngOf(sSubmission, c, a, k);
    const { kind, late } = submissionKind(rng);
    const team = staff(c);
    const grader = S + (rng.chance(0.6) ? (team[0] ?? 0) : (team[H - 1] ?? 0));
    const submitted = kind === 'submitted' || kind === 'graded';
    const secondsLate = submitted && late ? rng.int(10 * 60, 3 * DAY) : 0;
    const submittedAt = submitted ? meta.dueAt - rng.int(0, 4 * DAY) + secondsLate : null;
    const gradedAt =
      kind === 'graded' && submittedAt !== null ? submittedAt + rng.int(HOUR, 6 * DAY) : null;
    let score: number | null = null;
    let grade: string | null = null;
    let deducted: number | null = null;
    if (kind === 'graded') {
      const raw = meta.points * clamp01(ability(u) + (rng.float() - 0.55) * 0.3);
      deducted = late ? round1(meta.points * 0.1) : null;
      score = Math.max(0, Math.round((raw - (deducted ?? 0)) * 2) / 2);
      const percent = (100 * score) / meta.points;
      grade =
        meta.gradingType === 'points'
          ? String(score)
          : meta.gradingType === 'percent'
            ? `${round2(percent)}%`
            : letterGrade(percent);
    }
    const type = submitted ? rng.pick(meta.submissionTypes) : null;
    const submission: CanvasSubmission = {
      id: SUBMISSION_BASE + index,
      assignment_id: aid,
      user_id: uid,
      grader_id: gradedAt === null ? null : userId(grader),
      score,
      grade,
      entered_score: score === null ? null : score + (deducted ?? 0),
      entered_grade: grade,
      body:
        type === 'online_text_entry'
          ? `<p>${rng.pick(W.sentences)}</p><p>${rng.pick(W.sentences)}</p>`
          : null,
      url: type === 'online_url' ? `https://docs.example.org/d/${rng.hex(16)}` : null,
      preview_url: `${ORIGIN}/courses/${cid}/assignments/${aid}/submissions/${uid}?preview=1&version=1`,
      submitted_at: submittedAt === null ? null : iso(submittedAt),
      graded_at: gradedAt === null ? null : iso(gradedAt),
      posted_at: gradedAt === null ? null : iso(gradedAt),
      late: submitted && late,
      missing: kind === 'missing',
      excused: kind === 'excused',
      late_policy_status: null,
      seconds_late: secondsLate,
      points_deducted: deducted,
      attempt: submitted ? rng.int(1, 2) : null,
      workflow_state:
        kind === 'graded' || kind === 'excused'
          ? 'graded'
          : kind === 'submitted'
            ? 'submitted'
            : 'unsubmitted',
      submission_type: type,
      grade_matches_current_submission: true,
    };
    if (include.user) submission.user = buildUser(u);
    if (include.submission_comments) {
      const crng = rngOf(sComment, index);
      const count = crng.int(0, M);
      const base = gradedAt ?? submittedAt ?? meta.dueAt + DAY;
      const comments: CanvasSubmissionComment[] = [];
      for (let m = 0; m < count; m++) {
        const author = m % 2 === 0 ? grader : u;
        const display = buildDisplay(author, cid);
        comments.push({
          id: COMMENT_BASE + index * M + m,
          author_id: display.id,
          author_name: display.display_name,
          comment: crng.pick(author === u ? W.studentComments : W.staffComments),
          created_at: iso(base + (m + 1) * crng.int(10 * 60, 2 * DAY)),
          edited_at: null,
          author: display,
        });
      }
      submission.submission_comments = comments;
    }
    return submission;
  };

  // --- discussions -----------------------------------------------------------------------------
  const topicMeta = (c: number, d: number) => {
    const rng = rngOf(sTopic, c, d);
    const term = termOf(c);
    const posted = term.start + rng.int(0, Math.max(0, term.end - term.start - 30 * DAY));
    const offset = rng.int(0, 4);
    return { rng, posted, offset };
  };
  const replyCount = (offset: number, n: number): number => REPLY_PATTERN[(n + offset) % 5] ?? 0;
  const replyTotal = (offset: number): number => {
    let total = Math.floor(N / 5) * 4;
    for (let n = N - (N % 5); n < N; n++) total += replyCount(offset, n);
    return total;
  };

  const buildTopic = (c: number, d: number): CanvasDiscussionTopic => {
    const { rng, posted, offset } = topicMeta(c, d);
    const cid = courseId(c);
    const id = TOPIC_BASE + c * D + d;
    const author = buildDisplay(S + (staff(c)[0] ?? 0), cid);
    const replies = N + replyTotal(offset);
    return {
      id,
      title: W.fill(rng.pick(W.topicTemplates), { n: d + 1 }),
      message: `<p>${rng.pick(W.sentences)}</p><p>Reply to at least two classmates.</p>`,
      html_url: `${ORIGIN}/courses/${cid}/discussion_topics/${id}`,
      posted_at: iso(posted),
      created_at: iso(posted - rng.int(HOUR, 3 * DAY)),
      last_reply_at: N > 0 ? iso(posted + N * 6 * HOUR + 3 * HOUR) : null,
      require_initial_post: rng.chance(0.3),
      discussion_subentry_count: replies,
      read_state: 'read',
      unread_count: rng.int(0, replies),
      assignment_id: null,
      published: true,
      locked: false,
      pinned: d === 0,
      position: d + 1,
      discussion_type: 'threaded',
      user_name: author.display_name,
      author,
    };
  };

  const buildEntry = (c: number, d: number, n: number, r: number): CanvasDiscussionEntry => {
    const { posted, offset } = topicMeta(c, d);
    const cid = courseId(c);
    const start = windowStart(c);
    const topicIndex = c * D + d;
    const rng = rngOf(sEntry, topicIndex, n, r);
    const team = staff(c);
    const byStaff = K === 0 || (r > 0 && rng.chance(0.25));
    const k = K === 0 ? 0 : rng.int(0, K - 1);
    const u = byStaff ? S + (team[rng.int(0, H - 1)] ?? 0) : poolIndex(start, k);
    const user = buildDisplay(u, cid);
    const id = ENTRY_BASE + (topicIndex * N + n) * 3 + r;
    const created = posted + n * 6 * HOUR + r * HOUR + rng.int(0, 50 * 60);
    const edited = rng.chance(0.15);
    let message = `<p>${rng.pick(W.sentences)}</p>`;
    if (K > 1 && rng.chance(0.2)) {
      const other = byStaff ? rng.int(0, K - 1) : (k + rng.int(1, K - 1)) % K;
      const quoted = person(poolIndex(start, other));
      message =
        `<p>Replying to <strong>${quoted.name}</strong> ` +
        `(<a href="mailto:${quoted.email}">${quoted.email}</a>):</p>${message}`;
    }
    const entry: CanvasDiscussionEntry = {
      id,
      user_id: user.id,
      user_name: user.display_name,
      message,
      created_at: iso(created),
      updated_at: iso(edited ? created + rng.int(60, DAY) : created),
      editor_id: edited ? user.id : null,
      parent_id: r === 0 ? null : id - r,
      read_state: rng.chance(0.7) ? 'read' : 'unread',
      rating_count: null,
      rating_sum: null,
      user,
      has_more_replies: false,
    };
    if (r === 0) {
      const replies = replyCount(offset, n);
      if (replies > 0) {
        entry.recent_replies = [];
        for (let x = replies; x >= 1; x--) entry.recent_replies.push(buildEntry(c, d, n, x));
      }
    }
    return entry;
  };

  // --- page views ------------------------------------------------------------------------------
  const userIndex = (id: number | string): number | undefined => indexIn(id, USER_BASE, S + T);

  /** Course of a user's v-th page view (or -1 when the user has no course). */
  const pickCourse = (u: number, rng: Prng): number => {
    if (u < S) {
      if (K === 0 || C === 0) return -1;
      const q = (((u - windowOffset) % S) + S) % S; // position of u in the unrolled window sequence
      const count = C * K > q ? Math.ceil((C * K - q) / S) : 0;
      if (count === 0) return -1;
      return Math.floor((q + rng.int(0, count - 1) * S) / K);
    }
    const t = u - S;
    const count = t < C ? Math.ceil((C - t) / T) : 0;
    return count === 0 ? -1 : t + rng.int(0, count - 1) * T;
  };

  const pageViewId = (u: number, v: number): string => {
    const h1 = mixHash(mixHash(sPageView, u), v);
    const h2 = mixHash(h1, 1);
    const h3 = hex32(mixHash(h1, 2));
    const user = hex32(u);
    return `${hex32(v)}-${user.slice(0, 4)}-${user.slice(4)}-${hex32(h1).slice(0, 4)}-${hex32(h2)}${h3.slice(0, 4)}`;
  };

  const buildPageView = (u: number, v: number): CanvasPageView => {
    const rng = rngOf(sPageView, u, v);
    const net = network(u);
    const uid = userId(u);
    const span = 280 * DAY;
    const created = yearStart + Math.floor(((v + rng.float()) * span) / Math.max(V, 1));
    const c = pickCourse(u, rng);
    const mobile = rng.chance(0.3);
    let url = `${ORIGIN}/`;
    let contextType: CanvasPageView['context_type'] = 'User';
    let context: number | null = uid;
    let assetType: string | null = null;
    let asset: number | null = null;
    let controller = 'users';
    let action = 'user_dashboard';
    let participated = false;
    if (c >= 0) {
      const cid = courseId(c);
      contextType = 'Course';
      context = cid;
      const kind = rng.int(0, 3);
      if (kind === 0 && A > 0) {
        asset = ASSIGNMENT_BASE + c * A + rng.int(0, A - 1);
        assetType = 'Assignment';
        controller = 'assignments';
        action = 'show';
        url = `${ORIGIN}/courses/${cid}/assignments/${asset}`;
        participated = rng.chance(0.2);
      } else if (kind === 1 && D > 0) {
        asset = TOPIC_BASE + c * D + rng.int(0, D - 1);
        assetType = 'DiscussionTopic';
        controller = 'discussion_topics';
        action = 'show';
        url = `${ORIGIN}/courses/${cid}/discussion_topics/${asset}`;
        participated = rng.chance(0.15);
      } else if (kind === 2) {
        controller = 'gradebooks';
        action = 'grade_summary';
        url = `${ORIGIN}/courses/${cid}/grades`;
      } else {
        controller = 'courses';
        action = 'show';
        url = `${ORIGIN}/courses/${cid}`;
      }
    }
    return {
      id: pageViewId(u, v),
      url,
      context_type: contextType,
      asset_type: assetType,
      controller,
      action,
      interaction_seconds: rng.chance(0.1) ? null : rng.int(1, 900),
      created_at: iso(created),
      updated_at: iso(created),
      user_agent: net.agents[mobile ? 1 : 0],
      remote_ip: net.ips[rng.chance(0.6) ? 0 : 1],
      http_method: participated ? 'post' : 'get',
      render_time: round2(0.05 + rng.float() * 2),
      participated,
      contributed: false,
      summarized: null,
      app_name: null,
      links: { user: uid, context, asset, real_user: null, account: o.accountId },
    };
  };

  // --- analytics -------------------------------------------------------------------------------
  const buildSummary = (c: number, k: number, start: number): CanvasStudentSummary => {
    const courseRng = rngOf(sSummary, c);
    const maxViews = courseRng.int(80, 600);
    const maxParticipations = courseRng.int(10, 60);
    const rng = rngOf(sSummary, c, k);
    const views = rng.int(0, maxViews);
    const participations = rng.int(0, Math.min(views, maxParticipations));
    const breakdown = { total: A, on_time: 0, late: 0, missing: 0, floating: 0 };
    for (let a = 0; a < A; a++) {
      const { kind, late } = submissionKind(rngOf(sSubmission, c, a, k));
      if (kind === 'missing') breakdown.missing++;
      else if (kind === 'excused') breakdown.floating++;
      else if (late) breakdown.late++;
      else breakdown.on_time++;
    }
    const level = (x: number, max: number) =>
      max === 0 ? 0 : 1 + Math.min(2, Math.floor((3 * x) / (max + 1)));
    return {
      id: userId(poolIndex(start, k)),
      page_views: views,
      max_page_views: maxViews,
      page_views_level: level(views, maxViews),
      participations,
      max_participations: maxParticipations,
      participations_level: level(participations, maxParticipations),
      tardiness_breakdown: breakdown,
    };
  };

  // --- public surface --------------------------------------------------------------------------
  const withCourse =
    <R>(f: (c: number) => R) =>
    (id: number | string): R | undefined => {
      const c = courseIndex(id);
      return c === undefined ? undefined : f(c);
    };
  const assignmentIndex = (c: number, id: number | string): number | undefined =>
    indexIn(id, ASSIGNMENT_BASE + c * A, A);

  return {
    options: Object.freeze(o),
    account,
    terms,
    courses: range(C, COURSE_BASE, buildCourse),
    users: range(S + T, USER_BASE, buildUser),
    course: withCourse(buildCourse),
    user: (id) => {
      const u = userIndex(id);
      return u === undefined ? undefined : buildUser(u);
    },
    sections: withCourse(sections),
    enrollments: withCourse(enrollments),
    courseUsers: withCourse(courseUsers),
    assignments: withCourse((c) => range(A, ASSIGNMENT_BASE + c * A, (a) => buildAssignment(c, a))),
    assignment: (courseIdArg, assignmentId) => {
      const c = courseIndex(courseIdArg);
      const a = c === undefined ? undefined : assignmentIndex(c, assignmentId);
      return c === undefined || a === undefined ? undefined : buildAssignment(c, a);
    },
    submissions: (courseIdArg, assignmentId, include = {}) => {
      const c = courseIndex(courseIdArg);
      const a = c === undefined ? undefined : assignmentIndex(c, assignmentId);
      if (c === undefined || a === undefined) return undefined;
      const start = windowStart(c);
      return range(K, SUBMISSION_BASE + (c * A + a) * K, (k) =>
        buildSubmission(c, a, k, start, include),
      );
    },
    courseSubmissions: (courseIdArg, include = {}) => {
      const c = courseIndex(courseIdArg);
      if (c === undefined) return undefined;
      const start = windowStart(c);
      return range(A * K, SUBMISSION_BASE + c * A * K, (i) =>
        buildSubmission(c, Math.floor(i / K), i % K, start, include),
      );
    },
    discussionTopics: withCourse((c) => range(D, TOPIC_BASE + c * D, (d) => buildTopic(c, d))),
    discussionEntries: (courseIdArg, topicId) => {
      const c = courseIndex(courseIdArg);
      const d = c === undefined ? undefined : indexIn(topicId, TOPIC_BASE + c * D, D);
      if (c === undefined || d === undefined) return undefined;
      const base = ENTRY_BASE + (c * D + d) * N * 3;
      return new IdList(
        N,
        (n) => base + n * 3,
        (n) => buildEntry(c, d, n, 0),
      );
    },
    pageViews: (id) => {
      const u = userIndex(id);
      if (u === undefined) return undefined;
      return new IdList(
        V,
        (v) => pageViewId(u, v),
        (v) => buildPageView(u, v),
        false,
      );
    },
    studentSummaries: withCourse((c) => {
      const start = windowStart(c);
      return new IdList(
        K,
        (k) => userId(poolIndex(start, k)),
        (k) => buildSummary(c, k, start),
      );
    }),
    studentPii: (limit = S) => {
      const out = new Set<string>();
      const n = Math.max(0, Math.min(S, Math.floor(limit)));
      for (let u = 0; u < n; u++) {
        const user = buildUser(u);
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
          ...network(u).ips,
          ...network(u).agents,
        ]) {
          if (value) out.add(value);
        }
      }
      return [...out];
    },
  };
}
