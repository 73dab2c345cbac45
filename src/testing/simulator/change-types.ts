/**
 * Options and report of {@link CanvasSimulator.change}: seeded, deterministic changes to the
 * simulated institution between two sync runs, and exactly what they changed.
 *
 * @module
 */
import { z } from 'zod';
import type { TaskKind } from '../../queue/task-types.js';

/**
 * How many changes of each kind {@link CanvasSimulator.change} makes, and from which seed. Every
 * count is an integer, minimum 0, default 0. A count is a most: when the institution has fewer
 * candidates (e.g. fewer unsubmitted submissions), fewer are made and the report says which.
 * @category Testing
 */
export interface SimulatorChangeOptions {
  /**
   * Submissions to grade (any but excused ones, of students generated in the course): new
   * `score` and `grade`, `entered_*`, `workflow_state: 'graded'`, `graded_at` and `posted_at` at
   * `at`, `grader_id` the course's teacher or TA, `missing: false`.
   */
  grade?: number | undefined;
  /**
   * Unsubmitted submissions to submit: `submitted_at` at `at`, `workflow_state: 'submitted'`,
   * `missing: false`, `late` and `seconds_late` against the due date, `attempt` plus one, a
   * `submission_type` (with `body` or `url`) the assignment accepts.
   */
  submit?: number | undefined;
  /**
   * Students to enroll in a course they are not in (nor were dropped from): a new active
   * `StudentEnrollment` (`created_at` at `at`, no grades yet), and with it the student in the
   * course's users, one unsubmitted submission per assignment (`missing` when already due) and
   * an analytics summary without activity.
   */
  addEnrollments?: number | undefined;
  /**
   * Generated student enrollments to delete: the enrollment leaves the course's enrollments
   * (listed again only with `state[]=deleted`, as `enrollment_state: 'deleted'`), and the student
   * leaves its users, both submission listings and the analytics summaries, as in Canvas.
   */
  dropEnrollments?: number | undefined;
  /**
   * Page views to add, each to a student enrolled in some course, dated `at`; their ids (starting
   * `f`, with `at`) are never those of generated views, of this simulator or of a later one.
   */
  pageViews?: number | undefined;
  /**
   * Top-level discussion entries to edit: a paragraph appended to `message`, `updated_at` at
   * `at`, `editor_id` the author.
   */
  editEntries?: number | undefined;
  /**
   * Seed of the choices: the same seed and counts, on an institution in the same state, make the
   * same changes. Any safe integer.
   * @defaultValue derived from the simulator's `seed` and the number of the call (1, 2, …), so a
   * test's successive calls differ but repeat from one run to the next
   */
  seed?: number | undefined;
  /**
   * When the changes happen, epoch milliseconds; dates are written to the second, as Canvas's.
   * Minimum: 0.
   * @defaultValue the simulator's wall clock now (`clock.epochNow()` for a clock object, else
   * `Date.now()`)
   */
  at?: number | undefined;
}

const count = z.number().int().min(0).optional();

/** Validates {@link SimulatorChangeOptions}; unknown keys are rejected. @internal */
export const changeOptionsSchema = z.strictObject({
  grade: count,
  submit: count,
  addEnrollments: count,
  dropEnrollments: count,
  pageViews: count,
  editEntries: count,
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
  at: z.number().int().min(0).optional(),
});

/**
 * A submission a change graded or submitted.
 * @category Testing
 */
export interface SimulatorSubmissionRef {
  /** The submission's id. */
  readonly id: number;
  /** Its course. */
  readonly courseId: number;
  /** Its assignment. */
  readonly assignmentId: number;
  /** Its student. */
  readonly userId: number;
}

/**
 * An enrollment a change added or dropped.
 * @category Testing
 */
export interface SimulatorEnrollmentRef {
  /** The enrollment's id. */
  readonly id: number;
  /** Its course. */
  readonly courseId: number;
  /** Its student. */
  readonly userId: number;
  /** Its section. */
  readonly sectionId: number;
}

/**
 * A page view a change added.
 * @category Testing
 */
export interface SimulatorPageViewRef {
  /** The page view's id (a string, as Canvas's). */
  readonly id: string;
  /** Whose page view it is. */
  readonly userId: number;
  /** Its `created_at`, ISO 8601 UTC. */
  readonly createdAt: string;
}

/**
 * A discussion entry a change edited.
 * @category Testing
 */
export interface SimulatorEntryRef {
  /** The entry's id. */
  readonly id: number;
  /** Its course. */
  readonly courseId: number;
  /** Its topic. */
  readonly topicId: number;
  /** Its author (and editor). */
  readonly userId: number;
}

/**
 * How many records of a listing (or of every listing of a task kind) a change inserted, updated
 * and deleted.
 * @category Testing
 */
export interface SimulatorChangeCounts {
  /** Records listed now that were not before. */
  readonly inserted: number;
  /** Records listed before and now, with different content. */
  readonly updated: number;
  /** Records listed before that are not now. */
  readonly deleted: number;
}

/**
 * What a change did to one listing, as a sync that reads it whole (all pages, default filters)
 * before and after sees it: the ids (the records' `id` field) of the records inserted, updated
 * and deleted, each ascending.
 * @category Testing
 */
export interface SimulatorCollectionChange {
  /**
   * The task kind that reads this listing (`canvas-sync/queue`'s `taskKinds`), or `null` for the
   * account's course list (`/api/v1/accounts/:id/courses`, whose `total_students` follow the
   * roster), which producers read to plan rather than store.
   */
  readonly kind: TaskKind | null;
  /** The listing's path, e.g. `/api/v1/courses/1001/enrollments`. */
  readonly path: string;
  /** Ids of the records inserted. */
  readonly inserted: readonly (number | string)[];
  /** Ids of the records updated. */
  readonly updated: readonly (number | string)[];
  /** Ids of the records deleted. */
  readonly deleted: readonly (number | string)[];
}

/**
 * What {@link CanvasSimulator.change} did: the changes by kind, and their effect on every listing
 * a sync reads. `byKind` is what a second sync run that reads every listing of every course
 * (page views over a window that contains `at`) should report as inserted, updated and deleted.
 * @category Testing
 */
export interface SimulatorChangeReport {
  /** The seed the choices were drawn from (pass it back to repeat them). */
  readonly seed: number;
  /** When the changes happened, ISO 8601 UTC, to the second: their `graded_at`, `submitted_at`, … */
  readonly at: string;
  /** Submissions graded. */
  readonly graded: readonly SimulatorSubmissionRef[];
  /** Submissions submitted. */
  readonly submitted: readonly SimulatorSubmissionRef[];
  /** Enrollments added (each with the student's submissions and summary). */
  readonly enrollmentsAdded: readonly SimulatorEnrollmentRef[];
  /** Enrollments dropped (each with the student's submissions and summary). */
  readonly enrollmentsDropped: readonly SimulatorEnrollmentRef[];
  /** Page views added. */
  readonly pageViewsAdded: readonly SimulatorPageViewRef[];
  /** Discussion entries edited. */
  readonly entriesEdited: readonly SimulatorEntryRef[];
  /** Every listing that changed, ascending path. */
  readonly collections: readonly SimulatorCollectionChange[];
  /** The sums of `collections` by task kind; every task kind is present (zeros when untouched). */
  readonly byKind: Readonly<Record<TaskKind, SimulatorChangeCounts>>;
}
