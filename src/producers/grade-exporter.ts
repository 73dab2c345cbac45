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
}

const optionsSchema = z.strictObject({
  assignments: z.boolean().optional(),
  comments: z.boolean().optional(),
  publishedOnly: z.boolean().optional(),
});

interface AssignmentMeta {
  id: number | string;
  published?: boolean;
}

/**
 * The gradebook producer: for each course, a `course.assignments` task, then (reading the
 * course's assignment list, a page of 100 at a time) one `assignment.submissions` task per
 * assignment, with the submission comments. Small tasks: a failed assignment is retried alone,
 * not the whole gradebook.
 *
 * @throws CanvasOptionsError for an unknown option.
 *
 * @example
 * ```ts
 * await runProducers({
 *   client: canvas,
 *   queue,
 *   scope: { accountId: 1, termId: 117 },
 *   producers: [gradeExporter({ comments: true })],
 * });
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
      const searchParams = (o.comments ?? true) ? { 'include[]': ['submission_comments'] } : {};
      for await (const assignment of planningWalk<AssignmentMeta>(context, `${base}/assignments`)) {
        if ((o.publishedOnly ?? true) && assignment.published === false) continue;
        yield {
          kind: 'assignment.submissions',
          path: `${base}/assignments/${assignment.id}/submissions`,
          searchParams,
        };
      }
    },
  };
}
