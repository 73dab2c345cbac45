/**
 * {@link rosterScanner}: a course's sections and enrollments.
 *
 * @module
 */
import { z } from 'zod';
import { parseOptions } from '../errors/index.js';
import type { CreateTaskInput } from '../queue/task.js';
import type { CourseRef, Producer } from './producer.js';

/**
 * Options of {@link rosterScanner}.
 * @category Pipeline
 */
export interface RosterScannerOptions {
  /** Plan a `course.sections` task. @defaultValue true */
  sections?: boolean | undefined;
  /** Plan a `course.enrollments` task. @defaultValue true */
  enrollments?: boolean | undefined;
  /** Plan a `course.users` task (the course's people). @defaultValue false */
  users?: boolean | undefined;
  /**
   * Only enrollments of these types (`type[]`: `StudentEnrollment`, `TeacherEnrollment`,
   * `TaEnrollment`, `DesignerEnrollment`, `ObserverEnrollment`). @defaultValue all
   */
  enrollmentTypes?: readonly string[] | undefined;
  /**
   * Only enrollments in these states (`state[]`: `active`, `invited`, `creation_pending`,
   * `deleted`, `rejected`, `completed`, `inactive`, `current_and_invited`,
   * `current_and_future`, `current_and_concluded`). @defaultValue Canvas's default
   */
  enrollmentStates?: readonly string[] | undefined;
}

const optionsSchema = z.strictObject({
  sections: z.boolean().optional(),
  enrollments: z.boolean().optional(),
  users: z.boolean().optional(),
  enrollmentTypes: z
    .array(
      z.enum([
        'StudentEnrollment',
        'TeacherEnrollment',
        'TaEnrollment',
        'DesignerEnrollment',
        'ObserverEnrollment',
      ]),
    )
    .optional(),
  enrollmentStates: z
    .array(
      z.enum([
        'active',
        'invited',
        'creation_pending',
        'deleted',
        'rejected',
        'completed',
        'inactive',
        'current_and_invited',
        'current_and_future',
        'current_and_concluded',
      ]),
    )
    .optional(),
});

/**
 * The roster producer: for each course, a `course.sections` task and a `course.enrollments`
 * task (the enrollment records carry the user, section and grades summary), and optionally a
 * `course.users` task. It makes no request of its own: the tasks' paths follow from the course
 * id.
 *
 * @throws CanvasOptionsError for an unknown option, enrollment type or state.
 *
 * @example
 * ```ts
 * await runProducers({ client, queue, scope: { accountId: 1, termId: 7 },
 *   producers: [rosterScanner({ enrollmentTypes: ['StudentEnrollment'] })] });
 * ```
 * @category Pipeline
 */
export function rosterScanner(options: RosterScannerOptions = {}): Producer {
  const o = parseOptions(optionsSchema, options, 'rosterScanner options');
  return {
    name: 'roster',
    async *plan(course: CourseRef): AsyncGenerator<CreateTaskInput> {
      const base = `/api/v1/courses/${course.id}`;
      if (o.sections ?? true) yield { kind: 'course.sections', path: `${base}/sections` };
      if (o.enrollments ?? true) {
        const searchParams: Record<string, string[]> = {};
        if (o.enrollmentTypes !== undefined) searchParams['type[]'] = o.enrollmentTypes;
        if (o.enrollmentStates !== undefined) searchParams['state[]'] = o.enrollmentStates;
        yield { kind: 'course.enrollments', path: `${base}/enrollments`, searchParams };
      }
      if (o.users ?? false) yield { kind: 'course.users', path: `${base}/users` };
    },
  };
}
