/**
 * The public surface of a simulated institution: {@link createInstitution} resolves the shared
 * {@link Context} once and maps ids to the lazily built records of the other modules.
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
  CanvasPageView,
  CanvasSection,
  CanvasStudentSummary,
  CanvasSubmission,
  CanvasTerm,
  CanvasUser,
} from '../canvas-types.js';
import { buildAccount, buildTerms } from './account.js';
import { buildAssignment, buildAssignments } from './assignments.js';
import { InstitutionChanges } from './changes.js';
import { type Context, createContext } from './context.js';
import { buildCourse } from './courses.js';
import { buildTopics } from './discussions.js';
import { assignmentIndex, courseId, courseIndex, topicIndex, userId, userIndex } from './ids.js';
import { type LazyList, range } from './lazy-list.js';
import type { InstitutionOptions, ResolvedInstitutionOptions } from './options.js';
import type { PageViewRange } from './page-views.js';
import type { SubmissionIncludes } from './submissions.js';
import { buildUser, studentPii } from './users.js';
import { InstitutionViews } from './views.js';

/**
 * A simulated Canvas institution: one root account with terms, courses, users and their activity. Ids may be numbers or strings of digits everywhere.
 * @category Testing
 */
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
  /**
   * A user's page views, ids ascending as strings: the generated ones oldest first, then those
   * added by changes; `undefined` for unknown users. With `window`, only those created in it
   * (start inclusive, end exclusive, epoch ms).
   */
  pageViews(userId: number | string, window?: PageViewRange): LazyList<CanvasPageView> | undefined;
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

/** Finds the index of a record by its id (`undefined` if there is none). */
type IndexOf = (ctx: Context, id: number | string) => number | undefined;
/** Finds the index of a record of course `c` by its id (`undefined` if it is not one of the course's). */
type ChildIndexOf = (ctx: Context, c: number, id: number | string) => number | undefined;

/** A lookup by id: `build` applied to the index `indexOf` finds, or `undefined` if it finds none. */
function byId<A extends unknown[], R>(
  ctx: Context,
  indexOf: IndexOf,
  build: (ctx: Context, i: number, ...args: A) => R,
): (id: number | string, ...args: A) => R | undefined {
  return (id, ...args) => {
    const i = indexOf(ctx, id);
    return i === undefined ? undefined : build(ctx, i, ...args);
  };
}

/** An institution with the means to change it (internal: the simulator's `change()`). */
export interface ChangeableInstitution {
  /** The institution, as it is now. */
  readonly institution: Institution;
  /** What its records are derived from. */
  readonly ctx: Context;
  /** The changes made to it so far; its lists consult them. */
  readonly changes: InstitutionChanges;
  /** Its lists by record index, with the changes. */
  readonly views: InstitutionViews;
}

/**
 * Creates a deterministic, lazily computed institution. Cheap: O(terms) work and memory, however
 * large the counts. Throws a `RangeError` for invalid options or when the largest id would
 * exceed `Number.MAX_SAFE_INTEGER`.
 * @category Testing
 */
export function createInstitution(options: InstitutionOptions = {}): Institution {
  return createChangeableInstitution(options).institution;
}

/**
 * {@link createInstitution}, with the store of changes its lists consult (empty until the
 * simulator's `change()` or a graded `PUT` writes to it).
 */
export function createChangeableInstitution(options: InstitutionOptions): ChangeableInstitution {
  const ctx = createContext(options);
  const changes = new InstitutionChanges();
  const views = new InstitutionViews(ctx, changes);
  /** A lookup of a course by id. */
  const inCourse = <A extends unknown[], R>(build: (ctx: Context, c: number, ...args: A) => R) =>
    byId(ctx, courseIndex, build);
  /** A lookup of a course by id, then of one of its records by id. */
  const inCourseById = <A extends unknown[], R>(
    indexOf: ChildIndexOf,
    build: (ctx: Context, c: number, i: number, ...args: A) => R,
  ) =>
    inCourse((_, c, id: number | string, ...args: A) => {
      const i = indexOf(ctx, c, id);
      return i === undefined ? undefined : build(ctx, c, i, ...args);
    });

  const courses = range(ctx.C, courseId(0), (c) => buildCourse(ctx, c));
  const institution: Institution = {
    options: Object.freeze(ctx.options),
    account: buildAccount(ctx),
    terms: buildTerms(ctx),
    courses: views.courses(courses),
    users: range(ctx.S + ctx.T, userId(0), (u) => buildUser(ctx, u)),
    course: inCourse((_, c) => views.course(c)),
    user: byId(ctx, userIndex, buildUser),
    sections: inCourse((_, c) => views.sections(c)),
    enrollments: inCourse((_, c) => views.enrollments(c)),
    courseUsers: inCourse((_, c) => views.courseUsers(c)),
    assignments: inCourse(buildAssignments),
    assignment: inCourseById(assignmentIndex, buildAssignment),
    submissions: inCourseById(assignmentIndex, (_, c, a, include?: SubmissionIncludes) =>
      views.submissions(c, a, include),
    ),
    courseSubmissions: inCourse((_, c, include?: SubmissionIncludes) =>
      views.courseSubmissions(c, include),
    ),
    discussionTopics: inCourse(buildTopics),
    discussionEntries: inCourseById(topicIndex, (_, c, d) => views.discussionEntries(c, d)),
    pageViews: byId(ctx, userIndex, (_, u, window?: PageViewRange) => views.pageViews(u, window)),
    studentSummaries: inCourse((_, c) => views.studentSummaries(c)),
    studentPii: (limit = ctx.S) => studentPii(ctx, limit),
  };
  return { institution, ctx, changes, views };
}
