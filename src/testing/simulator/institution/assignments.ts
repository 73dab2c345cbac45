/**
 * Assignments: spread evenly over their course's term, each due at 23:59 UTC, in one of four
 * assignment groups per course.
 *
 * @module
 */
import type { CanvasAssignment } from '../canvas-types.js';
import * as W from '../data-names.js';
import type { Prng } from '../prng.js';
import { termOf } from './account.js';
import { type Context, rngOf } from './context.js';
import { courseUrl, DAY, HOUR, iso } from './format.js';
import { assignmentGroupId, assignmentId, courseId } from './ids.js';
import { type LazyList, range } from './lazy-list.js';

/** What submissions need to know of an assignment, and its stream after those draws. */
export interface AssignmentMeta {
  /** Points possible. */
  readonly points: number;
  /** Due date, epoch seconds. */
  readonly dueAt: number;
  /** How scores are shown as grades. */
  readonly gradingType: CanvasAssignment['grading_type'];
  /** Accepted submission types. */
  readonly submissionTypes: string[];
  /** Name template (`{n}` is the assignment's number). */
  readonly template: string;
  /** Creation date, epoch seconds. */
  readonly createdAt: number;
  /** The assignment's stream, after the draws of this metadata. */
  readonly rng: Prng;
}

/** The metadata of assignment `a` of course `c`. */
export function assignmentMeta(ctx: Context, c: number, a: number): AssignmentMeta {
  const rng = rngOf(ctx.streams.assignment, c, a);
  const term = termOf(ctx, c);
  const span = term.end - term.start;
  const dueDay = Math.floor(((a + 1) * span) / (ctx.A + 1) / DAY);
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
}

/** Assignment `a` of course `c`. */
export function buildAssignment(ctx: Context, c: number, a: number): CanvasAssignment {
  const m = assignmentMeta(ctx, c, a);
  const id = assignmentId(ctx, c, a);
  const cid = courseId(c);
  return {
    id,
    name: W.fill(m.template, { n: a + 1 }),
    description: `<p>${m.rng.pick(W.sentences)}</p><p>Submit by the due date; see the rubric.</p>`,
    course_id: cid,
    assignment_group_id: assignmentGroupId(c, a),
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
    has_submitted_submissions: ctx.K > 0,
    html_url: courseUrl(cid, `assignments/${id}`),
    submissions_download_url: courseUrl(cid, `assignments/${id}/submissions?zip=1`),
  };
}

/** The assignments of course `c`. */
export function buildAssignments(ctx: Context, c: number): LazyList<CanvasAssignment> {
  return range(ctx.A, assignmentId(ctx, c, 0), (a) => buildAssignment(ctx, c, a));
}
