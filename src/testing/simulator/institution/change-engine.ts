/**
 * Seeded, deterministic changes to an institution: the simulator's `change()`. They are written
 * to the institution's {@link InstitutionChanges}, so what they change is what every later
 * request, and `sim.data`, sees; the report lists every listing they touch.
 *
 * @module
 */

import type { CanvasSubmission } from '../canvas-types.js';
import type {
  SimulatorChangeReport,
  SimulatorEnrollmentRef,
  SimulatorEntryRef,
  SimulatorPageViewRef,
  SimulatorSubmissionRef,
} from '../change-types.js';
import * as W from '../data-names.js';
import { createPrng, hashSeed, type Prng } from '../prng.js';
import { assignmentMeta } from './assignments.js';
import { basePosition, type InstitutionChanges } from './changes.js';
import { CollectionEffects } from './collection-effects.js';
import type { Context } from './context.js';
import { iso } from './format.js';
import {
  assignmentId,
  courseId,
  enrollmentId,
  entryId,
  sectionId,
  submissionId,
  submissionIndex,
  topicId,
  userId,
} from './ids.js';
import type { ChangeableInstitution } from './institution.js';
import { addedPageViewId } from './page-views.js';
import { poolIndex, staffMember, windowStart } from './roster.js';
import { buildSubmissions, drawGrade, gradedFields } from './submissions.js';

/** {@link SimulatorChangeOptions} resolved: every count, the seed and the time (epoch ms). */
export interface ResolvedChangeOptions {
  readonly grade: number;
  readonly submit: number;
  readonly addEnrollments: number;
  readonly dropEnrollments: number;
  readonly pageViews: number;
  readonly editEntries: number;
  readonly seed: number;
  readonly at: number;
}

/**
 * Draws up to `count` indices of `0..space-1` that `accept` takes (it makes the change and says
 * whether it did): first at random, then, if draws keep missing (few candidates), by scanning
 * from a random start, so that a count is only short when the candidates run out.
 */
function pick(rng: Prng, space: number, count: number, accept: (i: number) => boolean): void {
  if (count <= 0 || space <= 0) return;
  let taken = 0;
  const tries = 20 * count + 200;
  for (let t = 0; t < tries && taken < count; t++) if (accept(rng.int(0, space - 1))) taken++;
  const start = rng.int(0, space - 1);
  for (let j = 0; j < space && taken < count; j++) if (accept((start + j) % space)) taken++;
}

const API = '/api/v1';

/** The listings of course `c` a change can touch. */
function coursePaths(ctx: Context, c: number) {
  const base = `${API}/courses/${courseId(c)}`;
  return {
    enrollments: `${base}/enrollments`,
    users: `${base}/users`,
    sections: `${base}/sections`,
    submissions: `${base}/students/submissions`,
    assignment: (a: number) => `${base}/assignments/${assignmentId(ctx, c, a)}/submissions`,
    summaries: `${base}/analytics/student_summaries`,
    entries: (d: number) => `${base}/discussion_topics/${topicId(ctx, c, d)}/entries`,
  };
}

/** A submission change: the fields to set, or `undefined` when the submission is no candidate. */
type SubmissionChange = (
  c: number,
  a: number,
  k: number,
  submission: CanvasSubmission,
) => Partial<CanvasSubmission> | undefined;

/**
 * One call of `change()`: each kind of change drawn from its own stream of the seed (so the
 * count of one kind does not move the choices of another), in a fixed order: drops, additions,
 * grades, submissions, page views, edits.
 */
class ChangeRun {
  readonly #ctx: Context;
  readonly #target: ChangeableInstitution;
  readonly #changes: InstitutionChanges;
  readonly #seed: number;
  /** When, epoch seconds. */
  readonly #at: number;
  readonly #effects = new CollectionEffects();
  /** Net change of the students of each section, by `c·P + s`. */
  readonly #rosterDelta = new Map<number, number>();
  /** Submissions graded or submitted by this call: each is changed once. */
  readonly #touched = new Set<number>();

  readonly enrollmentsDropped: SimulatorEnrollmentRef[] = [];
  readonly enrollmentsAdded: SimulatorEnrollmentRef[] = [];
  readonly graded: SimulatorSubmissionRef[] = [];
  readonly submitted: SimulatorSubmissionRef[] = [];
  readonly pageViewsAdded: SimulatorPageViewRef[] = [];
  readonly entriesEdited: SimulatorEntryRef[] = [];

  constructor(target: ChangeableInstitution, seed: number, atMs: number) {
    this.#target = target;
    this.#ctx = target.ctx;
    this.#changes = target.changes;
    this.#seed = seed;
    this.#at = Math.floor(atMs / 1000);
  }

  #stream(kind: string): Prng {
    return createPrng(hashSeed(this.#seed, 'changes', kind));
  }

  #isDropped(c: number, k: number): boolean {
    return this.#changes.course(c)?.dropped.has(k) === true;
  }

  #moveStudents(c: number, s: number, by: number): void {
    const key = c * this.#ctx.P + s;
    this.#rosterDelta.set(key, (this.#rosterDelta.get(key) ?? 0) + by);
  }

  /** Deletes up to `count` generated student enrollments, and the student from the course. */
  drop(count: number): void {
    const ctx = this.#ctx;
    const { A, C, H, K, P } = ctx;
    pick(this.#stream('drop'), C * K, count, (i) => {
      const c = Math.floor(i / K);
      const k = i % K;
      if (this.#isDropped(c, k)) return false;
      this.#changes.drop(c, k, this.#at);
      const uid = userId(poolIndex(ctx, windowStart(ctx, c), k));
      const id = enrollmentId(ctx, c, H + k);
      const p = coursePaths(ctx, c);
      this.#effects.delete('course.enrollments', p.enrollments, id);
      this.#effects.delete('course.users', p.users, uid);
      this.#effects.delete('course.student_summaries', p.summaries, uid);
      for (let a = 0; a < A; a++) {
        const sid = submissionId(submissionIndex(ctx, c, a, k));
        this.#effects.delete('course.submissions', p.submissions, sid);
        this.#effects.delete('assignment.submissions', p.assignment(a), sid);
      }
      this.#moveStudents(c, k % P, -1);
      const sectionIdOf = sectionId(ctx, c, k % P);
      this.enrollmentsDropped.push({
        id,
        courseId: courseId(c),
        userId: uid,
        sectionId: sectionIdOf,
      });
      return true;
    });
  }

  /** Enrolls up to `count` students in courses they never were in. */
  add(count: number): void {
    const ctx = this.#ctx;
    const { A, C, S } = ctx;
    pick(this.#stream('add'), C * S, count, (i) => {
      const c = Math.floor(i / S);
      const u = i % S;
      if (basePosition(ctx, c, u) >= 0) return false; // enrolled, or dropped: not re-enrolled
      if (this.#changes.course(c)?.added.some((student) => student.u === u)) return false;
      const student = this.#changes.add(ctx, c, u, this.#at);
      const uid = userId(u);
      const p = coursePaths(ctx, c);
      this.#effects.insert('course.enrollments', p.enrollments, student.enrollmentId);
      this.#effects.insert('course.users', p.users, uid);
      this.#effects.insert('course.student_summaries', p.summaries, uid);
      for (let a = 0; a < A; a++) {
        const sid = student.firstSubmissionId + a;
        this.#effects.insert('course.submissions', p.submissions, sid);
        this.#effects.insert('assignment.submissions', p.assignment(a), sid);
      }
      this.#moveStudents(c, student.section, +1);
      this.enrollmentsAdded.push({
        id: student.enrollmentId,
        courseId: courseId(c),
        userId: uid,
        sectionId: sectionId(ctx, c, student.section),
      });
      return true;
    });
  }

  /** Grades up to `count` submissions (not excused ones) of students generated in the course. */
  grade(count: number): void {
    const ctx = this.#ctx;
    const rng = this.#stream('grade');
    this.#changeSubmissions(rng, count, this.graded, (c, a, k, submission) => {
      if (submission.excused === true) return undefined;
      const meta = assignmentMeta(ctx, c, a);
      const u = poolIndex(ctx, windowStart(ctx, c), k);
      const { score, deducted } = drawGrade(ctx, meta, u, submission.late, rng);
      const grader = userId(staffMember(ctx, c, rng.chance(0.6) ? 0 : ctx.H - 1));
      return gradedFields(meta, score, deducted, grader, this.#at);
    });
  }

  /** Submits up to `count` unsubmitted submissions of students generated in the course. */
  submit(count: number): void {
    const at = this.#at;
    const rng = this.#stream('submit');
    this.#changeSubmissions(rng, count, this.submitted, (c, a, _k, submission) => {
      if (submission.workflow_state !== 'unsubmitted') return undefined;
      const meta = assignmentMeta(this.#ctx, c, a);
      const type = rng.pick(meta.submissionTypes);
      return {
        submitted_at: iso(at),
        workflow_state: 'submitted',
        missing: false,
        late: at > meta.dueAt,
        seconds_late: Math.max(0, at - meta.dueAt),
        attempt: (submission.attempt ?? 0) + 1,
        submission_type: type,
        body: type === 'online_text_entry' ? `<p>${rng.pick(W.sentences)}</p>` : null,
        url: type === 'online_url' ? `https://docs.example.org/d/${rng.hex(16)}` : null,
      };
    });
  }

  /**
   * Applies `change` to up to `count` submissions `(c·A + a)·K + k` of students generated in
   * and still enrolled in their course, not yet changed by this call, whose record it changes.
   */
  #changeSubmissions(
    rng: Prng,
    count: number,
    list: SimulatorSubmissionRef[],
    change: SubmissionChange,
  ): void {
    const ctx = this.#ctx;
    const { A, C, K } = ctx;
    pick(rng, C * A * K, count, (i) => {
      const c = Math.floor(i / (A * K));
      const a = Math.floor(i / K) % A;
      const k = i % K;
      if (this.#isDropped(c, k)) return false;
      const submission = buildSubmissions(ctx, c, a).at(k);
      if (submission === undefined || this.#touched.has(submission.id)) return false;
      Object.assign(submission, this.#changes.course(c)?.submissions.get(submission.id));
      const patch = change(c, a, k, submission);
      if (patch === undefined) return false;
      if (JSON.stringify({ ...submission, ...patch }) === JSON.stringify(submission)) return false;
      this.#changes.patchSubmission(c, submission.id, patch);
      this.#touched.add(submission.id);
      const p = coursePaths(ctx, c);
      this.#effects.update('course.submissions', p.submissions, submission.id);
      this.#effects.update('assignment.submissions', p.assignment(a), submission.id);
      list.push({
        id: submission.id,
        courseId: courseId(c),
        assignmentId: submission.assignment_id,
        userId: submission.user_id,
      });
      return true;
    });
  }

  /** Adds `count` page views, each to a student generated in and still enrolled in a course. */
  pageViews(count: number): void {
    const ctx = this.#ctx;
    const { C, K } = ctx;
    pick(this.#stream('page views'), C * K, count, (i) => {
      const c = Math.floor(i / K);
      const k = i % K;
      if (this.#isDropped(c, k)) return false;
      const u = poolIndex(ctx, windowStart(ctx, c), k);
      const id = addedPageViewId(ctx, u, this.#changes.addPageView(u, this.#at), this.#at);
      this.#effects.insert('user.page_views', `${API}/users/${userId(u)}/page_views`, id);
      this.pageViewsAdded.push({ id, userId: userId(u), createdAt: iso(this.#at) });
      return true;
    });
  }

  /** Edits up to `count` top-level discussion entries (each once). */
  edit(count: number): void {
    const ctx = this.#ctx;
    const { C, D, N } = ctx;
    const rng = this.#stream('edit');
    const edited = new Set<number>();
    pick(rng, C * D * N, count, (i) => {
      const c = Math.floor(i / (D * N));
      const d = Math.floor(i / N) % D;
      const n = i % N;
      const id = entryId(ctx, c, d, n, 0);
      if (edited.has(id)) return false;
      const entry = this.#target.views.discussionEntries(c, d).at(n);
      if (entry === undefined) return false;
      edited.add(id);
      this.#changes.patchEntry(c, id, {
        message: `${entry.message}<p><em>Edit:</em> ${rng.pick(W.sentences)}</p>`,
        updated_at: iso(this.#at),
        editor_id: entry.user_id,
      });
      this.#effects.update('discussion.entries', coursePaths(ctx, c).entries(d), id);
      const topic = topicId(ctx, c, d);
      this.entriesEdited.push({ id, courseId: courseId(c), topicId: topic, userId: entry.user_id });
      return true;
    });
  }

  /** The report: sections and courses whose `total_students` moved (net) are updates too. */
  report(): SimulatorChangeReport {
    const ctx = this.#ctx;
    const byCourse = new Map<number, number>();
    for (const [key, by] of this.#rosterDelta) {
      const c = Math.floor(key / ctx.P);
      byCourse.set(c, (byCourse.get(c) ?? 0) + by);
      const section = sectionId(ctx, c, key % ctx.P);
      if (by !== 0) this.#effects.update('course.sections', coursePaths(ctx, c).sections, section);
    }
    const courses = `${API}/accounts/${ctx.options.accountId}/courses`;
    for (const [c, by] of byCourse) if (by !== 0) this.#effects.update(null, courses, courseId(c));
    const collections = this.#effects.collections();
    return {
      seed: this.#seed,
      at: iso(this.#at),
      graded: this.graded,
      submitted: this.submitted,
      enrollmentsAdded: this.enrollmentsAdded,
      enrollmentsDropped: this.enrollmentsDropped,
      pageViewsAdded: this.pageViewsAdded,
      entriesEdited: this.entriesEdited,
      collections,
      byKind: CollectionEffects.byKind(collections),
    };
  }
}

/** Applies {@link ResolvedChangeOptions} to an institution and reports exactly what changed. */
export function applyChanges(
  target: ChangeableInstitution,
  options: ResolvedChangeOptions,
): SimulatorChangeReport {
  const run = new ChangeRun(target, options.seed, options.at);
  run.drop(options.dropEnrollments);
  run.add(options.addEnrollments);
  run.grade(options.grade);
  run.submit(options.submit);
  run.pageViews(options.pageViews);
  run.edit(options.editEntries);
  return run.report();
}
