/**
 * Submissions: one per student of a course per assignment, with an outcome from the grading
 * model, a score around the student's ability when graded (10% off when late), and optionally
 * the student and a few comments alternating between grader and student.
 *
 * @module
 */
import type { CanvasSubmission, CanvasSubmissionComment } from '../canvas-types.js';
import * as W from '../data-names.js';
import type { Prng } from '../prng.js';
import { type AssignmentMeta, assignmentMeta } from './assignments.js';
import type { AddedStudent } from './changes.js';
import { type Context, rngOf } from './context.js';
import { clamp01, courseUrl, DAY, HOUR, iso, round1, round2 } from './format.js';
import { ability, letterGrade, type SubmissionKind, submissionOutcome } from './grading.js';
import { assignmentId, commentId, courseId, submissionId, submissionIndex, userId } from './ids.js';
import { type LazyList, range } from './lazy-list.js';
import { poolIndex, staffMember, windowStart } from './roster.js';
import { buildDisplay, buildUser } from './users.js';

/**
 * Which optional associations to nest in submissions (Canvas's `include[]`).
 * @category Testing
 */
export interface SubmissionIncludes {
  /** Nest the student as `user`. */
  user?: boolean;
  /** Nest `submission_comments`. */
  submission_comments?: boolean;
}

/** Canvas's `workflow_state` of each outcome. */
const WORKFLOW_STATES: Readonly<Record<SubmissionKind, CanvasSubmission['workflow_state']>> = {
  graded: 'graded',
  excused: 'graded',
  submitted: 'submitted',
  missing: 'unsubmitted',
};

/** Score, displayed grade and late deduction of a graded submission by student `u`. */
export function drawGrade(
  ctx: Context,
  meta: AssignmentMeta,
  u: number,
  late: boolean,
  rng: Prng,
): { score: number; grade: string; deducted: number | null } {
  const raw = meta.points * clamp01(ability(ctx, u) + (rng.float() - 0.55) * 0.3);
  const deducted = late ? round1(meta.points * 0.1) : null;
  const score = Math.max(0, Math.round((raw - (deducted ?? 0)) * 2) / 2);
  return { score, grade: shownGrade(meta, score), deducted };
}

/** A score as the assignment's grading type shows it: `'8.5'`, `'85%'` or `'B'`. */
function shownGrade(meta: AssignmentMeta, score: number): string {
  const percent = (100 * score) / meta.points;
  return meta.gradingType === 'points'
    ? String(score)
    : meta.gradingType === 'percent'
      ? `${round2(percent)}%`
      : letterGrade(percent);
}

/** The 0..M comments of the submission at position `index`, alternating grader and student. */
function buildComments(
  ctx: Context,
  index: number,
  cid: number,
  grader: number,
  student: number,
  after: number,
): CanvasSubmissionComment[] {
  const rng = rngOf(ctx.streams.comment, index);
  const count = rng.int(0, ctx.M);
  const comments: CanvasSubmissionComment[] = [];
  for (let m = 0; m < count; m++) {
    const author = m % 2 === 0 ? grader : student;
    const display = buildDisplay(ctx, author, cid);
    comments.push({
      id: commentId(ctx, index, m),
      author_id: display.id,
      author_name: display.display_name,
      comment: rng.pick(author === student ? W.studentComments : W.staffComments),
      created_at: iso(after + (m + 1) * rng.int(10 * 60, 2 * DAY)),
      edited_at: null,
      author: display,
    });
  }
  return comments;
}

/**
 * The submission of the k-th student of course `c` (whose student window starts at `start`)
 * for assignment `a`.
 */
function buildSubmission(
  ctx: Context,
  c: number,
  a: number,
  k: number,
  start: number,
  include: SubmissionIncludes,
): CanvasSubmission {
  const meta = assignmentMeta(ctx, c, a);
  const u = poolIndex(ctx, start, k);
  const uid = userId(u);
  const cid = courseId(c);
  const aid = assignmentId(ctx, c, a);
  const index = submissionIndex(ctx, c, a, k);
  const { kind, late, rng } = submissionOutcome(ctx, c, a, k);
  const grader = staffMember(ctx, c, rng.chance(0.6) ? 0 : ctx.H - 1);
  const submitted = kind === 'submitted' || kind === 'graded';
  const secondsLate = submitted && late ? rng.int(10 * 60, 3 * DAY) : 0;
  const submittedAt = submitted ? meta.dueAt - rng.int(0, 4 * DAY) + secondsLate : null;
  const gradedAt =
    kind === 'graded' && submittedAt !== null ? submittedAt + rng.int(HOUR, 6 * DAY) : null;
  const graded = kind === 'graded' ? drawGrade(ctx, meta, u, late, rng) : undefined;
  const score = graded?.score ?? null;
  const deducted = graded?.deducted ?? null;
  const type = submitted ? rng.pick(meta.submissionTypes) : null;
  const submission: CanvasSubmission = {
    id: submissionId(index),
    assignment_id: aid,
    user_id: uid,
    grader_id: gradedAt === null ? null : userId(grader),
    score,
    grade: graded?.grade ?? null,
    entered_score: score === null ? null : score + (deducted ?? 0),
    entered_grade: graded?.grade ?? null,
    body:
      type === 'online_text_entry'
        ? `<p>${rng.pick(W.sentences)}</p><p>${rng.pick(W.sentences)}</p>`
        : null,
    url: type === 'online_url' ? `https://docs.example.org/d/${rng.hex(16)}` : null,
    preview_url: courseUrl(cid, `assignments/${aid}/submissions/${uid}?preview=1&version=1`),
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
    workflow_state: WORKFLOW_STATES[kind],
    submission_type: type,
    grade_matches_current_submission: true,
  };
  if (include.user) submission.user = buildUser(ctx, u);
  if (include.submission_comments) {
    const after = gradedAt ?? submittedAt ?? meta.dueAt + DAY;
    submission.submission_comments = buildComments(ctx, index, cid, grader, u, after);
  }
  return submission;
}

/**
 * The submission of a student added to course `c` by a change, for assignment `a`: not submitted,
 * missing when the assignment was already due when the student was enrolled.
 */
export function buildAddedSubmission(
  ctx: Context,
  c: number,
  a: number,
  student: AddedStudent,
  include: SubmissionIncludes = {},
): CanvasSubmission {
  const meta = assignmentMeta(ctx, c, a);
  const uid = userId(student.u);
  const cid = courseId(c);
  const aid = assignmentId(ctx, c, a);
  const submission: CanvasSubmission = {
    id: student.firstSubmissionId + a,
    assignment_id: aid,
    user_id: uid,
    grader_id: null,
    score: null,
    grade: null,
    entered_score: null,
    entered_grade: null,
    body: null,
    url: null,
    preview_url: courseUrl(cid, `assignments/${aid}/submissions/${uid}?preview=1&version=0`),
    submitted_at: null,
    graded_at: null,
    posted_at: null,
    late: false,
    missing: meta.dueAt < student.at,
    excused: false,
    late_policy_status: null,
    seconds_late: 0,
    points_deducted: null,
    attempt: null,
    workflow_state: 'unsubmitted',
    submission_type: null,
    grade_matches_current_submission: true,
  };
  if (include.user) submission.user = buildUser(ctx, student.u);
  if (include.submission_comments) submission.submission_comments = [];
  return submission;
}

/** The changed fields of a submission graded `score` at `at` (epoch seconds) by user `grader`. */
export function gradedFields(
  meta: AssignmentMeta,
  score: number,
  deducted: number | null,
  grader: number,
  at: number,
): Partial<CanvasSubmission> {
  const grade = shownGrade(meta, score);
  return {
    score,
    grade,
    entered_score: score + (deducted ?? 0),
    entered_grade: grade,
    points_deducted: deducted,
    grader_id: grader,
    graded_at: iso(at),
    posted_at: iso(at),
    workflow_state: 'graded',
    missing: false,
    excused: false,
    grade_matches_current_submission: true,
  };
}

/** The submissions of assignment `a` of course `c`, one per student of the course. */
export function buildSubmissions(
  ctx: Context,
  c: number,
  a: number,
  include: SubmissionIncludes = {},
): LazyList<CanvasSubmission> {
  const start = windowStart(ctx, c);
  return range(ctx.K, submissionId(submissionIndex(ctx, c, a, 0)), (k) =>
    buildSubmission(ctx, c, a, k, start, include),
  );
}

/** All submissions of course `c`: by assignment, then by student. */
export function buildCourseSubmissions(
  ctx: Context,
  c: number,
  include: SubmissionIncludes = {},
): LazyList<CanvasSubmission> {
  const { A, K } = ctx;
  const start = windowStart(ctx, c);
  return range(A * K, submissionId(submissionIndex(ctx, c, 0, 0)), (i) =>
    buildSubmission(ctx, c, Math.floor(i / K), i % K, start, include),
  );
}
