/**
 * {@link gradeExporter}: a course's assignments, then each assignment's submissions.
 *
 * @module
 */

import { z } from 'zod';
import { parseOptions } from '../errors/index.js';
import type { CreateTaskInput } from '../queue/task.js';
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
   * assignment's submissions whole on every run, which is also what retires (tombstones) the
   * submissions of dropped students. @defaultValue true
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
 * read whole (new since the last run) is still read whole. Incremental reads retire nothing: run
 * with `incremental: false` from time to time (weekly, say) to capture deleted submissions.
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
      for await (const assignment of planningWalk<AssignmentMeta>(context, `${base}/assignments`)) {
        if ((o.publishedOnly ?? true) && assignment.published === false) continue;
        const path = `${base}/assignments/${assignment.id}/submissions`;
        const full = await state?.lastFinished(`assignment.submissions:${path}`, 'full');
        if (full === undefined) {
          yield { kind: 'assignment.submissions', path, searchParams: include };
          continue;
        }
        if (oldest === undefined || full.mark < oldest) oldest = full.mark;
      }
      if (state === undefined || oldest === undefined) return;
      // Assignments read whole before: only what was graded or submitted since.
      const path = `${base}/students/submissions`;
      for (const [stream, parameter] of STREAMS) {
        const last = await state.lastFinished(`course.submissions:${path}`, stream);
        const mark = last !== undefined && last.mark > oldest ? last.mark : oldest;
        const since = new Date(Date.parse(mark) - OVERLAP_MS)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z');
        yield {
          kind: 'course.submissions',
          path,
          searchParams: { 'student_ids[]': ['all'], ...include, [parameter]: since },
        };
      }
    },
  };
}
