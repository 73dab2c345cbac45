/**
 * The producer contract: a planner that turns one course into the tasks that sync it, and
 * `listCourses`, which streams the courses of an account or term.
 *
 * @module
 */
import { z } from 'zod';
import type { CanvasSyncClient } from '../client/client.js';
import { CanvasAbortError, parseOptions } from '../errors/index.js';
import type { CreateTaskInput } from '../queue/task.js';
import { delay } from '../retry/delay.js';
import { classifyFailure } from '../retry/failure-class.js';
import { backoffDelay } from '../retry/retry-policy.js';
import type { Sink } from '../sink/sink.js';

/**
 * A course to plan, as `listCourses` yields it: its id and nothing else.
 * @category Pipeline
 */
export interface CourseRef {
  /** The Canvas course id (a number, or a string with `stringIds`). */
  readonly id: number | string;
}

/**
 * What a producer may use while planning one course.
 * @category Pipeline
 */
export interface PlanContext {
  /** The client, for metadata requests (assignments, topics, users). */
  readonly client: CanvasSyncClient;
  /** Priority of metadata requests, so that planning keeps ahead of the workers' fetching. */
  readonly priority: number;
  /** How a failed metadata page is tried again. */
  readonly retry: PlanRetry;
  /** Cancels planning. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Where the last run's finished tasks are (the sink): producers that can plan incrementally
   * read their watermarks there. Absent: every producer plans full reads.
   */
  readonly state?: SyncState | undefined;
}

/**
 * What a producer reads of the sync state: the finished task of a scope and stream with the
 * latest watermark (a {@link Sink} has it).
 * @category Pipeline
 */
export type SyncState = Pick<Sink<unknown>, 'lastFinished'>;

/**
 * How a planning walk (the course list, an assignment list …) recovers from a page that failed
 * after the client's own retries (a throttle, a 408 or 5xx but 501, a network error, a timeout,
 * invalid JSON: the client's own classification): it waits and resumes at that page, so a long
 * listing is not started over and no course is skipped. The wait is the library's one backoff:
 * exponential with full jitter, like the client's and the worker's.
 * @category Pipeline
 */
export interface PlanRetry {
  /** Tries of one page, the first included. @defaultValue 4. Range: 1 to 20 */
  readonly maxAttempts: number;
  /**
   * Ceiling of the wait before the first retry, in ms; it doubles with each failure, and each
   * wait is drawn uniformly below its ceiling. @defaultValue 1000. Range: 0 to 60,000
   */
  readonly baseDelayMs: number;
  /** Cap of that ceiling, in ms. @defaultValue 30000. Range: 0 to 600,000 */
  readonly maxDelayMs: number;
}

/** The defaults of {@link PlanRetry}. */
export const defaultPlanRetry: PlanRetry = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
});

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
 * @category Pipeline
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
 * @internal
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

/**
 * Which courses to plan: those of an account (optionally of one term), or a fixed list.
 * @category Pipeline
 */
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

/**
 * The zod schema of a {@link CourseScope}: an account or a course list, not both.
 * @internal
 */
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

/** Options of `listCourses`. */
export interface ListCoursesOptions {
  /** Priority of the listing requests. @defaultValue 0 */
  priority?: number | undefined;
  /** How a failed page of the listing is tried again. @defaultValue {@link defaultPlanRetry} */
  retry?: PlanRetry | undefined;
  /** Cancels the listing. */
  signal?: AbortSignal | undefined;
}

/**
 * Streams the courses of a scope, a page (100 courses) at a time: an account with 5,000
 * courses is never held in memory. A page that fails is tried again (see {@link PlanRetry}).
 *
 * @throws CanvasOptionsError when the scope is invalid (before any request).
 */
export function listCourses(
  client: CanvasSyncClient,
  scope: CourseScope,
  options: ListCoursesOptions = {},
): AsyncGenerator<CourseRef> {
  const parsed = parseOptions(courseScopeSchema, scope, 'course scope');
  const context: PlanContext = {
    client,
    priority: options.priority ?? 0,
    retry: options.retry ?? defaultPlanRetry,
    signal: options.signal,
  };
  return run();

  async function* run(): AsyncGenerator<CourseRef> {
    if (parsed.courseIds !== undefined) {
      for (const id of parsed.courseIds) yield { id };
      return;
    }
    const searchParams: Record<string, string | string[]> = {};
    if (parsed.termId !== undefined) searchParams.enrollment_term_id = String(parsed.termId);
    if (parsed.states !== undefined) searchParams['state[]'] = parsed.states;
    const path = `/api/v1/accounts/${parsed.accountId}/courses`;
    for await (const course of planningWalk<{ id: number | string }>(context, path, searchParams)) {
      yield { id: course.id };
    }
  }
}

/**
 * The records of a collection read for planning, streamed with the planning priority. Only
 * ids and a few fields are read from them; nothing is kept. A page that fails with a transient
 * error is tried again, resuming at that page, up to `context.retry.maxAttempts` times.
 * @internal
 */
export async function* planningWalk<T>(
  context: PlanContext,
  path: string,
  searchParams: Record<string, string | string[]> = {},
): AsyncGenerator<T> {
  const { client, priority, signal, retry } = context;
  let resumeAt: string | undefined;
  let failures = 0;
  for (;;) {
    const pages = client.pages<T>(resumeAt ?? path, {
      ...(resumeAt === undefined ? { searchParams } : {}),
      priority,
      ...(signal === undefined ? {} : { signal }),
    });
    try {
      for await (const page of pages) {
        failures = 0;
        yield* page.items;
        const next = page.links.next;
        if (next === undefined) return;
        resumeAt = next;
      }
      return;
    } catch (error) {
      failures++;
      const failure = classifyFailure(error);
      const transient = failure === 'throttled' || failure === 'retryable';
      if (!transient || failures >= retry.maxAttempts) throw error;
      // An abort while waiting ends the walk as aborted, whatever the signal's reason.
      await delay(backoffDelay(failures, retry, Math.random), signal).catch(() => {
        throw new CanvasAbortError();
      });
    }
  }
}
