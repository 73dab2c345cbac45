/**
 * {@link runProducers}: list the courses of a scope once, let every producer plan each course,
 * and enqueue the tasks in batches.
 *
 * @module
 */
import { z } from 'zod';
import type { CanvasSyncClient } from '../client/client.js';
import {
  CanvasAbortError,
  CanvasAuthError,
  CanvasClientClosedError,
  CanvasHttpError,
  CanvasSyncError,
  parseOptions,
} from '../errors/index.js';
import type { QueueAdapter } from '../queue/adapter.js';
import { createTask, type SyncTask, type TaskKind } from '../queue/task.js';
import {
  type CourseRef,
  type CourseScope,
  courseScopeSchema,
  defaultPlanRetry,
  listCourses,
  type PlanContext,
  type PlanRetry,
  type Producer,
  type SyncState,
} from './producer.js';

/**
 * Options of {@link runProducers}.
 * @category Pipeline
 */
export interface RunProducersOptions {
  /** Lists the courses and serves the producers' metadata requests. */
  client: CanvasSyncClient;
  /** Where the tasks go. */
  queue: QueueAdapter;
  /** Which courses to plan. */
  scope: CourseScope;
  /** The planners; each plans every course. */
  producers: readonly Producer[];
  /** Tasks enqueued per `enqueue` call. @defaultValue 100. Range: 1 to 10,000 */
  batchSize?: number | undefined;
  /** Courses planned at once. @defaultValue 2. Range: 1 to 64 */
  courseConcurrency?: number | undefined;
  /**
   * Priority of the listing and planning requests, above the workers' (0) so that the queue
   * keeps filling while workers fetch. @defaultValue 1
   */
  priority?: number | undefined;
  /**
   * How a failed page of the course list or of a producer's metadata is tried again (after the
   * client's own retries). @defaultValue `{ maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 30000 }`
   */
  planRetry?: Partial<PlanRetry> | undefined;
  /**
   * Leaves a planned task out, e.g. one a previous run finished (see the example's task
   * journal). Counted as `skipped`.
   */
  skip?: ((task: SyncTask) => boolean) | undefined;
  /** Called after each course is planned. */
  onCourse?: ((progress: ProducerProgress) => void) | undefined;
  /**
   * The sync state of the last runs (the sink the worker writes to): producers that can plan
   * incrementally read their watermarks there (see `gradeExporter`). @defaultValue none: full
   * reads only
   */
  state?: SyncState | undefined;
  /** Stops planning: the run rejects with a `CanvasAbortError` once the batch in hand is enqueued. */
  signal?: AbortSignal | undefined;
}

/**
 * A course that could not be planned, and why (no body, no token).
 * @category Pipeline
 */
export interface PlanFailure {
  /** The course id. */
  readonly courseId: string;
  /** The producer whose planning failed. */
  readonly producer: string;
  /** The error's code, e.g. `'HTTP_ERROR'`. */
  readonly code: string;
  /** The HTTP status, for an HTTP error. */
  readonly status?: number | undefined;
}

/**
 * Counts of a {@link runProducers} run, also passed to `onCourse`.
 * @category Pipeline
 */
export interface ProducerProgress {
  /** Courses planned (failed ones included). */
  readonly courses: number;
  /** Tasks enqueued. */
  readonly enqueued: number;
  /** Tasks planned twice in this run (same key), enqueued once. */
  readonly duplicates: number;
  /** Tasks left out by `skip`. */
  readonly skipped: number;
  /** Tasks enqueued, by kind. */
  readonly byKind: Readonly<Partial<Record<TaskKind, number>>>;
  /** Courses (and producers) whose planning failed; their other producers still ran. */
  readonly failures: readonly PlanFailure[];
}

const optionsSchema = z.strictObject({
  client: z.custom<CanvasSyncClient>(
    (value) => typeof (value as CanvasSyncClient | null)?.paginate === 'function',
    'Expected a CanvasSyncClient',
  ),
  queue: z.custom<QueueAdapter>(
    (value) => typeof (value as QueueAdapter | null)?.enqueue === 'function',
    'Expected a QueueAdapter',
  ),
  scope: courseScopeSchema,
  producers: z
    .array(
      z.custom<Producer>(
        (value) =>
          typeof (value as Producer | null)?.plan === 'function' &&
          typeof (value as Producer).name === 'string',
        'Expected a producer (name and plan)',
      ),
    )
    .min(1, 'Expected at least one producer'),
  batchSize: z.number().int().min(1).max(10_000).optional(),
  courseConcurrency: z.number().int().min(1).max(64).optional(),
  priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
  planRetry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(20).optional(),
      baseDelayMs: z.number().int().min(0).max(60_000).optional(),
      maxDelayMs: z.number().int().min(0).max(600_000).optional(),
    })
    .optional(),
  skip: z.function().optional(),
  onCourse: z.function().optional(),
  signal: z.instanceof(AbortSignal).optional(),
  state: z
    .custom<SyncState>(
      (value) => typeof (value as SyncState | null)?.lastFinished === 'function',
      'Expected a sink (lastFinished)',
    )
    .optional(),
});

/** Errors after which planning more courses cannot succeed: stop the run. */
function isFatal(error: unknown): boolean {
  return (
    error instanceof CanvasAuthError ||
    error instanceof CanvasAbortError ||
    error instanceof CanvasClientClosedError ||
    !(error instanceof CanvasSyncError)
  );
}

/**
 * Plans an institution: streams the courses of `scope` once, runs every producer on each
 * course (`courseConcurrency` courses at a time), turns what they yield into tasks and
 * enqueues them in batches. Tasks are created with {@link createTask}, so their keys depend
 * only on the request: a re-run plans the same keys, and a task planned twice in one run is
 * enqueued once.
 *
 * A metadata page that fails is tried again, resuming where it stopped (`planRetry`). A course
 * whose planning still fails, or fails for good (a 404, a 403 on analytics), is recorded in
 * `failures` with the producer's name, and the run goes on (a re-run plans it again); an authentication error, an abort or a closed client stops the run. Memory
 * holds one page of courses per planner, the batch in hand, and the set of planned keys
 * (about 100 bytes per task).
 *
 * @returns The counts of the run.
 * @throws CanvasOptionsError for invalid options (before any request); the error that stopped
 *   the run otherwise (`CanvasAuthError`, `CanvasAbortError` …), after enqueuing the batch in hand.
 *
 * @example
 * ```ts
 * const result = await runProducers({
 *   client, queue,
 *   scope: { accountId: 1, termId: 7 },
 *   producers: [rosterScanner(), gradeExporter(), engagementCrawler()],
 * });
 * console.log(`${result.enqueued} tasks for ${result.courses} courses`);
 * ```
 * @category Pipeline
 */
export async function runProducers(options: RunProducersOptions): Promise<ProducerProgress> {
  const o = parseOptions(optionsSchema, options, 'runProducers options');
  const { client, queue, producers, signal } = options;
  const batchSize = o.batchSize ?? 100;
  const retry: PlanRetry = {
    maxAttempts: o.planRetry?.maxAttempts ?? defaultPlanRetry.maxAttempts,
    baseDelayMs: o.planRetry?.baseDelayMs ?? defaultPlanRetry.baseDelayMs,
    maxDelayMs: o.planRetry?.maxDelayMs ?? defaultPlanRetry.maxDelayMs,
  };
  const context: PlanContext = {
    client,
    priority: o.priority ?? 1,
    retry,
    signal,
    state: options.state,
  };
  const planned = new Set<string>();
  const byKind: Partial<Record<TaskKind, number>> = {};
  const failures: PlanFailure[] = [];
  const counts = { courses: 0, enqueued: 0, duplicates: 0, skipped: 0 };
  let batch: SyncTask[] = [];
  let stop: unknown;

  const progress = (): ProducerProgress => ({
    ...counts,
    byKind: { ...byKind },
    failures: [...failures],
  });

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const tasks = batch;
    batch = [];
    await queue.enqueue(tasks);
    counts.enqueued += tasks.length;
    for (const task of tasks) byKind[task.kind] = (byKind[task.kind] ?? 0) + 1;
  };

  const planCourse = async (course: CourseRef): Promise<void> => {
    for (const producer of producers) {
      try {
        for await (const input of producer.plan(course, context)) {
          const task = createTask(input);
          if (planned.has(task.key)) {
            counts.duplicates++;
            continue;
          }
          planned.add(task.key);
          if (options.skip?.(task) === true) {
            counts.skipped++;
            continue;
          }
          batch.push(task);
          if (batch.length >= batchSize) await flush();
        }
      } catch (error) {
        if (isFatal(error)) throw error;
        const failure = error as CanvasSyncError;
        failures.push({
          courseId: String(course.id),
          producer: producer.name,
          code: failure.code,
          status: failure instanceof CanvasHttpError ? failure.status : undefined,
        });
      }
    }
    counts.courses++;
    options.onCourse?.(progress());
  };

  const courses = listCourses(client, o.scope, { priority: context.priority, retry, signal });
  const lane = async (): Promise<void> => {
    while (stop === undefined) {
      if (signal?.aborted) throw new CanvasAbortError();
      const next = await courses.next();
      if (next.done === true) return;
      await planCourse(next.value);
    }
  };
  const lanes = Array.from({ length: o.courseConcurrency ?? 2 }, () =>
    lane().catch((error: unknown) => {
      stop ??= error;
    }),
  );
  await Promise.all(lanes);
  await courses.return(undefined); // ends the listing if a stop left it unfinished
  await flush();
  if (stop !== undefined) throw stop;
  return progress();
}
