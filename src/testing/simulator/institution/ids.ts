/**
 * Id formulas of the simulated institution and their inverses. Ids are positive integers
 * computed by formula, unique per object type and ascending with the index in every list; page
 * views have uuid-like string ids that ascend lexicographically instead (see `page-views.ts`).
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
 * - enrollments and submissions added by changes (`changes.ts`) number on from the largest
 *   generated id: `500001 + C·E + n` and `1000001 + C·A·K + n`, n counting from 0.
 *
 * @module
 */
import type { ResolvedInstitutionOptions } from './options.js';

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

/** The counts the id formulas are written in (the letters of the module documentation). */
export interface Sizes {
  /** Students in the pool. */
  readonly S: number;
  /** Students enrolled in each course (at most `S`). */
  readonly K: number;
  /** Courses. */
  readonly C: number;
  /** Teachers in the pool. */
  readonly T: number;
  /** Sections per course. */
  readonly P: number;
  /** Assignments per course. */
  readonly A: number;
  /** Discussion topics per course. */
  readonly D: number;
  /** Top-level entries per discussion topic. */
  readonly N: number;
  /** Page views per user. */
  readonly V: number;
  /** Most comments per submission. */
  readonly M: number;
  /** Staff per course: 1 (a teacher), or 2 (teacher and TA) when `T >= 2`. */
  readonly H: number;
  /** Enrollments per course: `H + K`. */
  readonly E: number;
}

/** The {@link Sizes} of resolved options. */
export function sizesOf(o: ResolvedInstitutionOptions): Sizes {
  const H = o.teachers >= 2 ? 2 : 1;
  return {
    S: o.students,
    K: o.studentsPerCourse,
    C: o.courses,
    T: o.teachers,
    P: o.sectionsPerCourse,
    A: o.assignmentsPerCourse,
    D: o.topicsPerCourse,
    N: o.entriesPerTopic,
    V: o.pageViewsPerUser,
    M: o.commentsPerSubmission,
    H,
    E: H + o.studentsPerCourse,
  };
}

/**
 * Checks that every id (and the student × course product) stays a safe integer.
 *
 * @throws RangeError when the largest id would exceed `Number.MAX_SAFE_INTEGER`, or a page view
 *   id could not encode its user index (or the views per user) in 32 bits; its slot index is
 *   checked with the span (`page-view-slots.ts`).
 */
export function assertIdsFit({ S, K, C, T, P, A, D, N, V, M, E }: Sizes): void {
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
}

// --- index → id ------------------------------------------------------------------------------

/** Id of term `t`. */
export const termId = (t: number): number => TERM_BASE + t;
/** Id of course `c`. */
export const courseId = (c: number): number => COURSE_BASE + c;
/** Id of user `u` (students first, then teachers). */
export const userId = (u: number): number => USER_BASE + u;
/** Id of section `s` of course `c`. */
export const sectionId = (z: Sizes, c: number, s: number): number => SECTION_BASE + c * z.P + s;
/** Id of assignment `a` of course `c`. */
export const assignmentId = (z: Sizes, c: number, a: number): number =>
  ASSIGNMENT_BASE + c * z.A + a;
/** Id of the assignment group of assignment `a` of course `c` (4 groups per course). */
export const assignmentGroupId = (c: number, a: number): number => GROUP_BASE + c * 4 + (a % 4);
/** Id of discussion topic `d` of course `c`. */
export const topicId = (z: Sizes, c: number, d: number): number => TOPIC_BASE + c * z.D + d;
/** Id of enrollment `j` of course `c` (staff first, then students). */
export const enrollmentId = (z: Sizes, c: number, j: number): number =>
  ENROLLMENT_BASE + c * z.E + j;
/** Position of the submission of student `k` for assignment `a` of course `c` among all submissions. */
export const submissionIndex = (z: Sizes, c: number, a: number, k: number): number =>
  (c * z.A + a) * z.K + k;
/** Id of the submission at position `index` (see {@link submissionIndex}). */
export const submissionId = (index: number): number => SUBMISSION_BASE + index;
/** Id of comment `m` of the submission at position `index`. */
export const commentId = (z: Sizes, index: number, m: number): number =>
  COMMENT_BASE + index * z.M + m;
/** Id of discussion entry `n` (reply `r`, 0 for the entry itself) of topic `d` of course `c`. */
export const entryId = (z: Sizes, c: number, d: number, n: number, r: number): number =>
  ENTRY_BASE + ((c * z.D + d) * z.N + n) * 3 + r;

/** Id of the `n`-th enrollment added by changes (after every generated one). */
export const addedEnrollmentId = (z: Sizes, n: number): number =>
  checkedId(ENROLLMENT_BASE + z.C * z.E + n);
/** Id of the `n`-th submission added by changes (after every generated one). */
export const addedSubmissionId = (z: Sizes, n: number): number =>
  checkedId(SUBMISSION_BASE + z.C * z.A * z.K + n);

function checkedId(id: number): number {
  if (!Number.isSafeInteger(id)) throw new RangeError('canvas-sync simulator: ids would overflow');
  return id;
}

// --- id → index ------------------------------------------------------------------------------

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

/** Index of the course with this id, or `undefined`. */
export const courseIndex = (z: Sizes, id: number | string): number | undefined =>
  indexIn(id, COURSE_BASE, z.C);
/** Index of the user with this id, or `undefined`. */
export const userIndex = (z: Sizes, id: number | string): number | undefined =>
  indexIn(id, USER_BASE, z.S + z.T);
/** Index of the assignment with this id within course `c`, or `undefined`. */
export const assignmentIndex = (z: Sizes, c: number, id: number | string): number | undefined =>
  indexIn(id, assignmentId(z, c, 0), z.A);
/** Index of the discussion topic with this id within course `c`, or `undefined`. */
export const topicIndex = (z: Sizes, c: number, id: number | string): number | undefined =>
  indexIn(id, topicId(z, c, 0), z.D);
