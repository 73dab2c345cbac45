/**
 * The lists of an institution as they are now: the generated lists seen through the
 * {@link InstitutionChanges} made since (dropped students gone, added ones listed, patched
 * records patched). A list of a course without changes is the generated list itself.
 *
 * @module
 */
import type {
  CanvasCourse,
  CanvasDiscussionEntry,
  CanvasEnrollment,
  CanvasPageView,
  CanvasSection,
  CanvasStudentSummary,
  CanvasSubmission,
  CanvasUser,
} from '../canvas-types.js';
import { buildAddedSummary, buildSummaries } from './analytics.js';
import type { CourseChanges, InstitutionChanges } from './changes.js';
import type { Context } from './context.js';
import { buildCourse, buildSections } from './courses.js';
import { buildEntries } from './discussions.js';
import { buildAddedEnrollment, buildCourseUsers, buildEnrollments } from './enrollments.js';
import { iso } from './format.js';
import {
  courseIndex,
  enrollmentId,
  sectionId,
  submissionId,
  submissionIndex,
  userId,
} from './ids.js';
import type { LazyList } from './lazy-list.js';
import { type AddedRecord, OverlayList, patchedList } from './overlay-list.js';
import {
  addedPageViewId,
  buildAddedPageView,
  buildPageViews,
  type PageViewRange,
} from './page-views.js';
import { poolIndex, windowStart } from './roster.js';
import {
  buildAddedSubmission,
  buildCourseSubmissions,
  buildSubmissions,
  type SubmissionIncludes,
} from './submissions.js';
import { buildUser } from './users.js';

/** Whether the roster of a course has changed. */
const rosterChanged = (changes: CourseChanges | undefined): changes is CourseChanges =>
  changes !== undefined && (changes.dropped.size > 0 || changes.added.length > 0);

/** User ids of the students dropped from course `c`. */
function droppedUserIds(ctx: Context, c: number, changes: CourseChanges): number[] {
  const start = windowStart(ctx, c);
  return [...changes.dropped.keys()].map((k) => userId(poolIndex(ctx, start, k)));
}

/** Patches a submission with the changes of its course, if it has any. */
function submissionPatch(changes: CourseChanges) {
  return (submission: CanvasSubmission): CanvasSubmission => {
    const patch = changes.submissions.get(submission.id);
    return patch === undefined ? submission : Object.assign(submission, patch);
  };
}

/** The lists of an institution, by record index, with the changes made to it. */
export class InstitutionViews {
  readonly #ctx: Context;
  readonly #changes: InstitutionChanges;

  constructor(ctx: Context, changes: InstitutionChanges) {
    this.#ctx = ctx;
    this.#changes = changes;
  }

  /** Course `c`; its `total_students` counts the students enrolled now. */
  course(c: number): CanvasCourse {
    return this.#withTotal(buildCourse(this.#ctx, c));
  }

  /** All courses, ascending id (`base`: as generated), as they are when each is read. */
  courses(base: LazyList<CanvasCourse>): LazyList<CanvasCourse> {
    return patchedList(base, (course) => this.#withTotal(course));
  }

  #withTotal(course: CanvasCourse): CanvasCourse {
    if (!this.#changes.rosterChanged) return course;
    const c = courseIndex(this.#ctx, course.id);
    const changes = c === undefined ? undefined : this.#changes.course(c);
    if (rosterChanged(changes)) {
      course.total_students = this.#ctx.K - changes.dropped.size + changes.added.length;
    }
    return course;
  }

  /** The sections of course `c`; their `total_students` count the students enrolled now. */
  sections(c: number): LazyList<CanvasSection> {
    const base = buildSections(this.#ctx, c);
    const changes = this.#changes.course(c);
    if (!rosterChanged(changes)) return base;
    const first = sectionId(this.#ctx, c, 0);
    return patchedList(base, (section) => {
      const s = section.id - first;
      let total = section.total_students ?? 0;
      for (const k of changes.dropped.keys()) if (k % this.#ctx.P === s) total--;
      for (const student of changes.added) if (student.section === s) total++;
      section.total_students = total;
      return section;
    });
  }

  /** The enrollments of course `c` listed now: dropped ones gone, added ones last. */
  enrollments(c: number): LazyList<CanvasEnrollment> {
    const ctx = this.#ctx;
    const base = buildEnrollments(ctx, c);
    const changes = this.#changes.course(c);
    if (!rosterChanged(changes)) return base;
    return new OverlayList(base, {
      removed: [...changes.dropped.keys()].map((k) => enrollmentId(ctx, c, ctx.H + k)),
      added: changes.added.map((student) => ({
        id: student.enrollmentId,
        build: () => buildAddedEnrollment(ctx, c, student),
      })),
    });
  }

  /** The enrollments dropped from course `c`, `enrollment_state: 'deleted'`, ascending id. */
  deletedEnrollments(c: number): CanvasEnrollment[] {
    const ctx = this.#ctx;
    const changes = this.#changes.course(c);
    if (changes === undefined) return [];
    const base = buildEnrollments(ctx, c);
    const deleted: CanvasEnrollment[] = [];
    for (const [k, at] of [...changes.dropped].sort(([x], [y]) => x - y)) {
      const enrollment = base.at(ctx.H + k);
      if (enrollment === undefined) continue;
      enrollment.enrollment_state = 'deleted';
      enrollment.updated_at = iso(at);
      deleted.push(enrollment);
    }
    return deleted;
  }

  /** The users enrolled in course `c` now, ascending id. */
  courseUsers(c: number): LazyList<CanvasUser> {
    const ctx = this.#ctx;
    const base = buildCourseUsers(ctx, c);
    const changes = this.#changes.course(c);
    if (!rosterChanged(changes)) return base;
    return new OverlayList(base, {
      removed: droppedUserIds(ctx, c, changes),
      added: changes.added.map((student) => ({
        id: userId(student.u),
        build: () => buildUser(ctx, student.u),
      })),
    });
  }

  /** The submissions of assignment `a` of course `c`: those of the students enrolled now. */
  submissions(c: number, a: number, include?: SubmissionIncludes): LazyList<CanvasSubmission> {
    const ctx = this.#ctx;
    const base = buildSubmissions(ctx, c, a, include);
    const changes = this.#changes.course(c);
    if (changes === undefined) return base;
    return new OverlayList(base, {
      removed: [...changes.dropped.keys()].map((k) => submissionId(submissionIndex(ctx, c, a, k))),
      added: changes.added.map((student) => ({
        id: student.firstSubmissionId + a,
        build: () => buildAddedSubmission(ctx, c, a, student, include),
      })),
      patch: submissionPatch(changes),
    });
  }

  /** All submissions of course `c`: those of the students enrolled now; added students' last. */
  courseSubmissions(c: number, include?: SubmissionIncludes): LazyList<CanvasSubmission> {
    const ctx = this.#ctx;
    const base = buildCourseSubmissions(ctx, c, include);
    const changes = this.#changes.course(c);
    if (changes === undefined) return base;
    const removed: number[] = [];
    const added: AddedRecord<CanvasSubmission>[] = [];
    for (let a = 0; a < ctx.A; a++) {
      for (const k of changes.dropped.keys()) {
        removed.push(submissionId(submissionIndex(ctx, c, a, k)));
      }
      for (const student of changes.added) {
        added.push({
          id: student.firstSubmissionId + a,
          build: () => buildAddedSubmission(ctx, c, a, student, include),
        });
      }
    }
    return new OverlayList(base, { removed, added, patch: submissionPatch(changes) });
  }

  /** The top-level entries of topic `d` of course `c`, as last edited. */
  discussionEntries(c: number, d: number): LazyList<CanvasDiscussionEntry> {
    const base = buildEntries(this.#ctx, c, d);
    const changes = this.#changes.course(c);
    if (changes === undefined || changes.entries.size === 0) return base;
    return patchedList(base, (entry) => {
      const patch = changes.entries.get(entry.id);
      return patch === undefined ? entry : Object.assign(entry, patch);
    });
  }

  /** The page views of user `u` (in `window`), those added by changes last. */
  pageViews(u: number, window: PageViewRange = {}): LazyList<CanvasPageView> {
    const ctx = this.#ctx;
    const base = buildPageViews(ctx, u, window);
    const views = this.#changes.pageViews.get(u);
    if (views === undefined) return base;
    const added: AddedRecord<CanvasPageView>[] = [];
    for (const [n, at] of views.entries()) {
      const ms = at * 1000;
      if (window.start !== undefined && ms < window.start) continue;
      if (window.end !== undefined && ms >= window.end) continue;
      added.push({
        id: addedPageViewId(ctx, u, n, at),
        build: () => buildAddedPageView(ctx, u, n, at),
      });
    }
    return added.length === 0 ? base : new OverlayList(base, { added });
  }

  /** The analytics summaries of the students of course `c` enrolled now, ascending user id. */
  studentSummaries(c: number): LazyList<CanvasStudentSummary> {
    const ctx = this.#ctx;
    const base = buildSummaries(ctx, c);
    const changes = this.#changes.course(c);
    if (!rosterChanged(changes)) return base;
    return new OverlayList(base, {
      removed: droppedUserIds(ctx, c, changes),
      added: changes.added.map((student) => ({
        id: userId(student.u),
        build: () => buildAddedSummary(ctx, c, student),
      })),
    });
  }
}
