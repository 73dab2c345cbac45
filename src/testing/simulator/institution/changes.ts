/**
 * What has changed in an institution since it was generated, held as overlays: patches by
 * record id, the students dropped from and added to each course, and the page views added to
 * each user. The lists of `institution.ts` consult it, so that unchanged data still costs no
 * memory and is still built on demand.
 *
 * @module
 */
import type { CanvasDiscussionEntry, CanvasSubmission } from '../canvas-types.js';
import type { Context } from './context.js';
import { addedEnrollmentId, addedSubmissionId } from './ids.js';
import { windowStart } from './roster.js';

/** A student enrolled in a course after the institution was generated. */
export interface AddedStudent {
  /** Pool index of the student. */
  readonly u: number;
  /** Id of the new enrollment. */
  readonly enrollmentId: number;
  /** Id of the student's submission for assignment 0; assignment `a`'s is this plus `a`. */
  readonly firstSubmissionId: number;
  /** Section index within the course. */
  readonly section: number;
  /** When the student was enrolled, epoch seconds. */
  readonly at: number;
}

/** The changes made to one course. */
export interface CourseChanges {
  /** Students dropped (their enrollment deleted), by position `k` in the course: when, epoch seconds. */
  readonly dropped: Map<number, number>;
  /** Students enrolled since, ascending enrollment id. */
  readonly added: AddedStudent[];
  /** Changed fields of submissions, by submission id. */
  readonly submissions: Map<number, Partial<CanvasSubmission>>;
  /** Changed fields of top-level discussion entries, by entry id. */
  readonly entries: Map<number, Partial<CanvasDiscussionEntry>>;
}

/** Every change made to an institution; empty for a freshly generated one. */
export class InstitutionChanges {
  readonly #courses = new Map<number, CourseChanges>();
  /** Creation times (epoch seconds) of the page views added to each user, by pool index. */
  readonly pageViews = new Map<number, number[]>();
  #enrollments = 0;
  #submissions = 0;
  #rosterChanges = 0;

  /** The changes of course `c`, or `undefined` when it has none. */
  course(c: number): CourseChanges | undefined {
    return this.#courses.get(c);
  }

  /** The changes of course `c`, created empty if need be. */
  #writable(c: number): CourseChanges {
    let changes = this.#courses.get(c);
    if (changes === undefined) {
      changes = { dropped: new Map(), added: [], submissions: new Map(), entries: new Map() };
      this.#courses.set(c, changes);
    }
    return changes;
  }

  /** Whether any course's roster has changed (so course and section totals may differ). */
  get rosterChanged(): boolean {
    return this.#rosterChanges > 0;
  }

  /** Drops the student at position `k` of course `c` at `at` (epoch seconds). */
  drop(c: number, k: number, at: number): void {
    this.#writable(c).dropped.set(k, at);
    this.#rosterChanges++;
  }

  /** Enrolls student `u` in course `c` at `at` (epoch seconds), with fresh ids. */
  add(ctx: Context, c: number, u: number, at: number): AddedStudent {
    const changes = this.#writable(c);
    const student: AddedStudent = {
      u,
      enrollmentId: addedEnrollmentId(ctx, this.#enrollments++),
      firstSubmissionId: addedSubmissionId(ctx, this.#submissions),
      section: (ctx.K + changes.added.length) % ctx.P,
      at,
    };
    this.#submissions += ctx.A;
    changes.added.push(student);
    this.#rosterChanges++;
    return student;
  }

  /** Sets fields of a submission of course `c` (merged with earlier changes). */
  patchSubmission(c: number, id: number, patch: Partial<CanvasSubmission>): void {
    const submissions = this.#writable(c).submissions;
    submissions.set(id, { ...submissions.get(id), ...patch });
  }

  /** Sets fields of a top-level discussion entry of course `c` (merged with earlier changes). */
  patchEntry(c: number, id: number, patch: Partial<CanvasDiscussionEntry>): void {
    const entries = this.#writable(c).entries;
    entries.set(id, { ...entries.get(id), ...patch });
  }

  /** Adds a page view to user `u`, created at `at` (epoch seconds); returns its number (0, 1, …). */
  addPageView(u: number, at: number): number {
    let views = this.pageViews.get(u);
    if (views === undefined) {
      views = [];
      this.pageViews.set(u, views);
    }
    views.push(at);
    return views.length - 1;
  }
}

/**
 * Position `k` of student `u` among the students course `c` was generated with, or -1 when the
 * student was not one of them (see `roster.ts`: a window of the pool, ascending).
 */
export function basePosition(ctx: Context, c: number, u: number): number {
  const { S, K } = ctx;
  if (K === 0 || u < 0 || u >= S) return -1;
  const start = windowStart(ctx, c);
  const wrapped = start + K - S;
  if (wrapped <= 0) return u >= start && u < start + K ? u - start : -1;
  if (u < wrapped) return u;
  return u >= start ? u - start + wrapped : -1;
}
