/**
 * Options of the simulated institution: their defaults, minimums and validation.
 *
 * @module
 */

/**
 * Shape and size of the simulated institution. Every count must be a safe integer at or above its minimum (else `createInstitution` throws a `RangeError`).
 * @category Testing
 */
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
  /**
   * Page views per user: one in each time slot of `pageViewDays` days / `pageViewsPerUser`, so a
   * span lists this many, or one more or one fewer where its ends cut a slot. Default 20, min 0.
   */
  pageViewsPerUser?: number;
  /** Maximum comments per submission (each has 0..this many). Default 2, min 0. */
  commentsPerSubmission?: number;
  /**
   * Length of the span of time a user's page views are spread over, in days. The time line from
   * the epoch is cut into slots of `pageViewDays` days / `pageViewsPerUser`, each holding one view
   * of each user, at a seeded time in it; the span lists those dated in it, oldest first.
   * Default 280 (the academic year), min 1.
   */
  pageViewDays?: number;
  /**
   * End of the span of page views, exclusive, in epoch milliseconds: every page view is dated
   * in `[pageViewsUntil - pageViewDays days, pageViewsUntil)`. Min 0. Default: 280 days after the
   * start of the seed-derived academic year (so the default span is that academic year, and the
   * data never depends on the clock). The simulator sets it to the time it starts. A view's id and
   * content depend on its slot, never on this, so two institutions whose spans end at different
   * times list the same views where their spans overlap.
   */
  pageViewsUntil?: number;
}

/**
 * {@link InstitutionOptions} with every default applied (`studentsPerCourse` already clamped);
 * `pageViewsUntil` stays absent when it was not given (its default depends on the seed).
 * @category Testing
 */
export type ResolvedInstitutionOptions = Required<Omit<InstitutionOptions, 'pageViewsUntil'>> &
  Pick<InstitutionOptions, 'pageViewsUntil'>;

/**
 * The defaults of {@link InstitutionOptions}.
 * @category Testing
 */
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
  pageViewDays: 280,
});

/** The smallest valid value of each option (validated in this order). */
const minimums: Readonly<Record<keyof InstitutionOptions, number>> = {
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
  pageViewDays: 1,
  pageViewsUntil: 0,
};

/**
 * Applies the defaults to `options` and clamps `studentsPerCourse` to `students`.
 *
 * @throws RangeError naming the first option that is not a safe integer at or above its minimum.
 */
export function resolveOptions(options: InstitutionOptions): ResolvedInstitutionOptions {
  const o: ResolvedInstitutionOptions = { ...defaultInstitutionOptions };
  for (const key of Object.keys(minimums) as (keyof InstitutionOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < minimums[key]) {
      throw new RangeError(`canvas-sync simulator: ${key} must be an integer >= ${minimums[key]}`);
    }
    o[key] = value;
  }
  o.studentsPerCourse = Math.min(o.studentsPerCourse, o.students);
  return o;
}
