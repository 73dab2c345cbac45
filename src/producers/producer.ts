/**
 * The producer contract: a planner that turns one course into the tasks that sync it, and
 * {@link listCourses}, which streams the courses of an account or term.
 *
 * @module
 */
import { z } from 'zod';
import type { CanvasSyncClient } from '../client.js';
import { CanvasOptionsError } from '../errors.js';
import type { CreateTaskInput } from '../queue/task.js';

/** A course to plan, as {@link listCourses} yields it: its id and nothing else. */
export interface CourseRef {
  /** The Canvas course id (a number, or a string with `stringIds`). */
  readonly id: number | string;
}

/** What a producer may use while planning one course. */
export interface PlanContext {
  /** The client, for metadata requests (assignments, topics, users). */
  readonly client: CanvasSyncClient;
  /** Priority of metadata requests, so that planning keeps ahead of the workers' fetching. */
  readonly priority: number;
  /** Cancels planning. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * A task planner: given a course, it streams the tasks that sync one part of it. It may read
 * metadata through the client (an assignment list, a topic list) but never holds a whole
 * collection: it yields task inputs as it reads. Planning is deterministic, so a re-run plans
 * tasks with the same idempotency keys.
 *
 * A producer object may keep state across courses for one run (the engagement crawler
 * remembers which users it has planned); make a new one for each run.
 *
 * @example A producer of one task per course:
 * ```ts
 * const quizzes: Producer = {
 *   name: 'quizzes',
 *   async *plan(course) {
 *     yield { kind: 'course.assignments', path: `/api/v1/courses/${course.id}/assignments`,
 *             searchParams: { 'include[]': ['quiz'] } };
 *   },
 * };
 * ```
 */
export interface Producer {
  /** A short name, for progress and errors. */
  readonly name: string;
  /** Streams the tasks of one course. */
  plan(course: CourseRef, context: PlanContext): AsyncIterable<CreateTaskInput>;
}

/**
 * A Canvas id as it may appear in a path: a positive integer, its decimal string, or an SIS
 * form such as `sis_course_id:BIO-101-F26`.
 */
export const canvasIdSchema = z.union(
  [
    z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    z
      .string()
      .regex(
        /^(?:[1-9]\d{0,19}|[a-z_]+:[^\s/?#%]{1,200})$/,
        'Expected a decimal id or an SIS form like sis_course_id:ABC',
      ),
  ],
  { error: 'Expected a positive integer id or an id string' },
);

/** Which courses to plan: those of an account (optionally of one term), or a fixed list. */
export interface CourseScope {
  /** The account whose courses are listed (sub-accounts' courses included, as Canvas does). */
  accountId?: number | string | undefined;
  /** Only courses of this enrollment term (`enrollment_term_id`). */
  termId?: number | string | undefined;
  /**
   * Only courses in these states (`state[]`: `created`, `claimed`, `available`, `completed`,
   * `deleted`, `all`). @defaultValue Canvas's default (all but deleted)
   */
  states?: readonly string[] | undefined;
  /** Plan exactly these courses instead of listing an account's. */
  courseIds?: readonly (number | string)[] | undefined;
}

/** The zod schema of a {@link CourseScope}: an account or a course list, not both. */
export const courseScopeSchema = z
  .strictObject({
    accountId: canvasIdSchema.optional(),
    termId: canvasIdSchema.optional(),
    states: z
      .array(z.enum(['created', 'claimed', 'available', 'completed', 'deleted', 'all']))
      .optional(),
    courseIds: z.array(canvasIdSchema).optional(),
  })
  .refine((scope) => (scope.accountId === undefined) !== (scope.courseIds === undefined), {
    message: 'Give either accountId or courseIds',
  })
  .refine((scope) => scope.courseIds === undefined || scope.termId === undefined, {
    message: 'termId applies to an account, not to courseIds',
    path: ['termId'],
  });

/**
 * Throws a {@link CanvasOptionsError} listing zod's issues (paths and messages, never values).
 * @internal
 */
export function parseOptions<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new CanvasOptionsError({
    what,
    issues: parsed.error.issues.map((issue) => ({
      path: issue.path.length === 0 ? '(root)' : issue.path.join('.'),
      message: issue.message,
    })),
  });
}

/** Options of {@link listCourses}. */
export interface ListCoursesOptions {
  /** Priority of the listing requests. @defaultValue 0 */
  priority?: number | undefined;
  /** Cancels the listing. */
  signal?: AbortSignal | undefined;
}

/**
 * Streams the courses of a scope, a page (100 courses) at a time: an account with 5,000
 * courses is never held in memory.
 *
 * @throws CanvasOptionsError when the scope is invalid (before any request).
 */
export function listCourses(
  client: CanvasSyncClient,
  scope: CourseScope,
  options: ListCoursesOptions = {},
): AsyncGenerator<CourseRef> {
  const parsed = parseOptions(courseScopeSchema, scope, 'course scope');
  return run();

  async function* run(): AsyncGenerator<CourseRef> {
    if (parsed.courseIds !== undefined) {
      for (const id of parsed.courseIds) yield { id };
      return;
    }
    const searchParams: Record<string, string | string[]> = {};
    if (parsed.termId !== undefined) searchParams.enrollment_term_id = String(parsed.termId);
    if (parsed.states !== undefined) searchParams['state[]'] = parsed.states;
    const courses = client.paginate<{ id: number | string }>(
      `/api/v1/accounts/${parsed.accountId}/courses`,
      {
        searchParams,
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    for await (const course of courses) yield { id: course.id };
  }
}

/**
 * The metadata records of a course collection, streamed with the planning priority. Only ids
 * and a few fields are read from them; nothing is kept.
 * @internal
 */
export function planningWalk<T>(
  context: PlanContext,
  path: string,
  searchParams: Record<string, string | string[]> = {},
): AsyncGenerator<T> {
  return context.client.paginate<T>(path, {
    searchParams,
    priority: context.priority,
    ...(context.signal === undefined ? {} : { signal: context.signal }),
  });
}
