/**
 * {@link gradeExporter}: a course's assignments, then each assignment's submissions.
 *
 * @module
 */

import { z } from 'zod';
import { parseOptions } from '../errors/index.js';
import type { CreateTaskInput } from '../queue/task.js';
import { scopeOf } from '../worker/record-keys.js';
import { type CourseRef, type PlanContext, type Producer, planningWalk } from './producer.js';

/**
 * Options of {@link gradeExporter}.
 * @category Pipeline
 */
export interface GradeExporterOptions {
  /** Plan a `course.assignments` task, so that the assignments themselves are stored. @defaultValue true */
  assignments?: boolean | undefined;
  /** Ask for each submission's comments (`include[]=submission_comments`). @defaultValue true */
  comments?: boolean | undefined;
  /** Skip unpublished assignments (they have no submissions). @defaultValue true */
  publishedOnly?: boolean | undefined;
  /**
   * Plan only what may have changed since the last run, when the run has a sync state
   * (`runProducers({ state: sink })`): see {@link gradeExporter}. `false` reads every
   * assignment's submissions whole on every run. @defaultValue true
   */
  incremental?: boolean | undefined;
}

const optionsSchema = z.strictObject({
  assignments: z.boolean().optional(),
  comments: z.boolean().optional(),
  publishedOnly: z.boolean().optional(),
  incremental: z.boolean().optional(),
});

interface AssignmentMeta {
  id: number | string;
  published?: boolean;
}

/** What the roster check reads of an enrollment. */
interface EnrollmentMeta {
  updated_at?: string | null;
  created_at?: string | null;
}

/**
 * Every state a student enrollment can be in (`state[]`), `deleted` included: a student dropped
 * since the last run is listed, with the drop's time as `updated_at`.
 */
const ENROLLMENT_STATES = [
  'active',
  'invited',
  'creation_pending',
  'inactive',
  'completed',
  'rejected',
  'deleted',
];

/**
 * How far before a watermark an incremental read starts, in ms: Canvas's `graded_since` and
 * `submitted_since` are strictly after, to the second, so a change in the watermark's own
 * second is read again rather than missed (unchanged records cost a comparison).
 */
const OVERLAP_MS = 1_000;

/** The two incremental reads of a course's submissions: Canvas ANDs the filters, so one each. */
const STREAMS = [
  ['graded', 'graded_since'],
  ['submitted', 'submitted_since'],
] as const;

/**
 * Plans a course's grade export: its assignments (`course.assignments`), then each published
 * assignment's submissions (`assignment.submissions`, a full read that also retires
 * submissions Canvas no longer lists).
 *
 * With a sync state (`runProducers({ state: sink })`) and `incremental` (the default), a course
 * whose assignments were all read whole before plans two filtered reads of the course's
 * submissions instead (`course.submissions`, stored with the assignments' submissions):
 * `graded_since` and `submitted_since`, each from its watermark (the start of the last such read,
 * or of the oldest full read of the course's assignments, less a second). An assignment never
 * read whole (new since the last run) is still read whole.
 *
 * Filtered reads retire nothing, and a student added since has unsubmitted submissions neither
 * filter lists. So before choosing them the exporter walks the course's student enrollments in
 * every state (`deleted` included, about one request per 100 students): when one was created or
 * changed since the watermark, every assignment of the course is read whole, which inserts the
 * new student's submissions and tombstones a dropped one's. What changes a submission without
 * changing `graded_at` or `submitted_at` (a new comment, `missing` or `late` set as a due date
 * passes) reaches the warehouse on the next full read: run with `incremental: false` from time
 * to time (weekly, say).
 *
 * @example
 * ```ts
 * await runProducers({ client, queue, scope, producers: [gradeExporter()], state: sink });
 * ```
 * @category Pipeline
 */
export function gradeExporter(options: GradeExporterOptions = {}): Producer {
  const o = parseOptions(optionsSchema, options, 'gradeExporter options');
  return {
    name: 'grades',
    async *plan(course: CourseRef, context: PlanContext): AsyncGenerator<CreateTaskInput> {
      const base = `/api/v1/courses/${course.id}`;
      if (o.assignments ?? true) yield { kind: 'course.assignments', path: `${base}/assignments` };
      const include = (o.comments ?? true) ? { 'include[]': ['submission_comments'] } : {};
      const state = (o.incremental ?? true) ? context.state : undefined;
      /** The oldest watermark of a full read of this course's assignments, if every one had one. */
      let oldest: string | undefined;
      /** Ids of the assignments read whole before (the others are planned whole already). */
      const readBefore: (number | string)[] = [];
      for await (const assignment of planningWalk<AssignmentMeta>(context, `${base}/assignments`)) {
        if ((o.publishedOnly ?? true) && assignment.published === false) continue;
        const path = `${base}/assignments/${assignment.id}/submissions`;
        const scope = scopeOf({ kind: 'assignment.submissions', path, searchParams: include });
        const full = await state?.lastFinished(scope, 'full');
        if (full === undefined) {
          yield { kind: 'assignment.submissions', path, searchParams: include };
          continue;
        }
        readBefore.push(assignment.id);
        if (oldest === undefined || full.mark < oldest) oldest = full.mark;
      }
      if (state === undefined || oldest === undefined) return;
      // Each filtered read starts at its own watermark, or the oldest full read's if later.
      const path = `${base}/students/submissions`;
      const everyone = { 'student_ids[]': ['all'], ...include };
      const scope = scopeOf({ kind: 'course.submissions', path, searchParams: everyone });
      const marks: string[] = [];
      for (const [stream] of STREAMS) {
        const last = await state.lastFinished(scope, stream);
        marks.push(last !== undefined && last.mark > oldest ? last.mark : oldest);
      }
      const since = marks.map((mark) =>
        new Date(Date.parse(mark) - OVERLAP_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      );
      // A student added or dropped since: the course's submissions are read whole, which inserts
      // the new student's (unsubmitted ones match neither filter) and retires the dropped one's.
      const earliest = since.toSorted()[0] ?? oldest;
      if (await rosterChangedSince(context, base, earliest)) {
        for (const assignment of readBefore) {
          const full = `${base}/assignments/${assignment}/submissions`;
          yield { kind: 'assignment.submissions', path: full, searchParams: include };
        }
        return;
      }
      // Nobody came or left: only what was graded or submitted since.
      for (const [i, [, parameter]] of STREAMS.entries()) {
        yield {
          kind: 'course.submissions',
          path,
          searchParams: { ...everyone, [parameter]: since[i] ?? oldest },
        };
      }
    },
  };
}

/**
 * Whether a student enrollment of the course was created or changed (a drop included) at or
 * after `since` (ISO 8601). Canvas has no filter for it, so the roster is walked whole: about one
 * request per 100 students, against one per assignment and 100 students for a full read. An
 * enrollment changed for another reason (a section move) only costs a full read.
 */
async function rosterChangedSince(
  context: PlanContext,
  base: string,
  since: string,
): Promise<boolean> {
  const at = Date.parse(since);
  const enrollments = planningWalk<EnrollmentMeta>(context, `${base}/enrollments`, {
    'type[]': ['StudentEnrollment'],
    'state[]': ENROLLMENT_STATES,
  });
  for await (const enrollment of enrollments) {
    // A time Canvas did not give, or that does not parse, counts as a change: never a miss.
    const time = enrollment.updated_at ?? enrollment.created_at;
    if (typeof time !== 'string' || !(Date.parse(time) < at)) return true;
  }
  return false;
}
