/**
 * The grading `PUT` of the API, written to the institution's changes so that it sticks.
 *
 * @module
 */
import type { CanvasSubmission } from '../canvas-types.js';
import { iso } from './format.js';
import { assignmentIndex, courseIndex } from './ids.js';
import type { ChangeableInstitution } from './institution.js';

/**
 * Grades a submission as `PUT /courses/:id/assignments/:id/submissions/:user_id` with
 * `submission[posted_grade]` does: `grade` as posted, `score` its number (kept when it is not
 * one), `workflow_state: 'graded'`, `graded_at` and `posted_at` at `atMs`, `grader_id` the
 * caller. Returns the submission as it is now (unchanged without a grade), or `undefined` when
 * the course, assignment or student (enrolled now) is unknown.
 */
export function postGrade(
  target: ChangeableInstitution,
  ids: { courseId: string; assignmentId: string; userId: string },
  posted: unknown,
  graderId: number,
  atMs: number,
): CanvasSubmission | undefined {
  const { ctx, changes, views } = target;
  const c = courseIndex(ctx, ids.courseId);
  const a = c === undefined ? undefined : assignmentIndex(ctx, c, ids.assignmentId);
  if (c === undefined || a === undefined) return undefined;
  const list = views.submissions(c, a);
  let submission: CanvasSubmission | undefined;
  for (let i = 0; i < list.length && submission === undefined; i++) {
    const candidate = list.at(i);
    if (String(candidate?.user_id) === ids.userId) submission = candidate;
  }
  if (submission === undefined) return undefined;
  if (posted === undefined || posted === null || typeof posted === 'object') return submission;
  const grade = String(posted);
  const number = Number(grade);
  const score = grade !== '' && Number.isFinite(number) ? number : submission.score;
  const at = iso(Math.floor(atMs / 1000));
  const patch: Partial<CanvasSubmission> = {
    grade,
    score,
    entered_grade: grade,
    entered_score: score,
    grader_id: graderId,
    graded_at: at,
    posted_at: at,
    workflow_state: 'graded',
    missing: false,
    grade_matches_current_submission: true,
  };
  changes.patchSubmission(c, submission.id, patch);
  return Object.assign(submission, patch);
}
