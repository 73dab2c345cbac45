/**
 * Course analytics: per-student page view and participation counts (against per-course
 * maximums), and a tardiness breakdown that agrees with the student's submissions.
 *
 * @module
 */
import type { CanvasStudentSummary, CanvasTardinessBreakdown } from '../canvas-types.js';
import { assignmentMeta } from './assignments.js';
import type { AddedStudent } from './changes.js';
import { type Context, rngOf } from './context.js';
import { submissionOutcome } from './grading.js';
import { userId } from './ids.js';
import { IdList, type LazyList } from './lazy-list.js';
import { poolIndex, windowStart } from './roster.js';

/** Activity level 1..3 of `x` out of `max` (0 when `max` is 0). */
const level = (x: number, max: number): number =>
  max === 0 ? 0 : 1 + Math.min(2, Math.floor((3 * x) / (max + 1)));

/** How the k-th student of course `c` submitted its assignments, from their outcomes. */
function tardiness(ctx: Context, c: number, k: number): CanvasTardinessBreakdown {
  const breakdown = { total: ctx.A, on_time: 0, late: 0, missing: 0, floating: 0 };
  for (let a = 0; a < ctx.A; a++) {
    const { kind, late } = submissionOutcome(ctx, c, a, k);
    if (kind === 'missing') breakdown.missing++;
    else if (kind === 'excused') breakdown.floating++;
    else if (late) breakdown.late++;
    else breakdown.on_time++;
  }
  return breakdown;
}

/** The analytics summary of the k-th student of course `c` (whose window starts at `start`). */
function buildSummary(ctx: Context, c: number, k: number, start: number): CanvasStudentSummary {
  const courseRng = rngOf(ctx.streams.summary, c);
  const maxViews = courseRng.int(80, 600);
  const maxParticipations = courseRng.int(10, 60);
  const rng = rngOf(ctx.streams.summary, c, k);
  const views = rng.int(0, maxViews);
  const participations = rng.int(0, Math.min(views, maxParticipations));
  return {
    id: userId(poolIndex(ctx, start, k)),
    page_views: views,
    max_page_views: maxViews,
    page_views_level: level(views, maxViews),
    participations,
    max_participations: maxParticipations,
    participations_level: level(participations, maxParticipations),
    tardiness_breakdown: tardiness(ctx, c, k),
  };
}

/**
 * The analytics summary of a student added to course `c` by a change: no activity yet, and
 * each assignment missing (already due when they were enrolled) or still to come.
 */
export function buildAddedSummary(
  ctx: Context,
  c: number,
  student: AddedStudent,
): CanvasStudentSummary {
  const courseRng = rngOf(ctx.streams.summary, c);
  const maxViews = courseRng.int(80, 600);
  const maxParticipations = courseRng.int(10, 60);
  let missing = 0;
  for (let a = 0; a < ctx.A; a++) if (assignmentMeta(ctx, c, a).dueAt < student.at) missing++;
  return {
    id: userId(student.u),
    page_views: 0,
    max_page_views: maxViews,
    page_views_level: 0,
    participations: 0,
    max_participations: maxParticipations,
    participations_level: 0,
    tardiness_breakdown: { total: ctx.A, on_time: 0, late: 0, missing, floating: ctx.A - missing },
  };
}

/** The analytics summaries of the students of course `c`, ascending user id. */
export function buildSummaries(ctx: Context, c: number): LazyList<CanvasStudentSummary> {
  const start = windowStart(ctx, c);
  return new IdList(
    ctx.K,
    (k) => userId(poolIndex(ctx, start, k)),
    (k) => buildSummary(ctx, c, k, start),
  );
}
