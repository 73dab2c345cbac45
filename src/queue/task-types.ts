/**
 * The `SyncTask` contract's types (pure, no zod): the task kinds, the task itself and the key of
 * its request. The schema that validates it is internal (`task-schema.ts`), so that no zod type
 * appears in the public declarations.
 *
 * @module
 */
import { idempotencyKey } from '../idempotency/index.js';

/**
 * The kinds of task, one per Canvas collection a worker knows how to fetch and store. A worker
 * picks its record key, sanitizer rules and sink by kind.
 * @category Pipeline
 */
export const taskKinds = [
  'course.enrollments',
  'course.sections',
  'course.users',
  'course.assignments',
  'course.submissions',
  'assignment.submissions',
  'course.discussions',
  'discussion.entries',
  'user.page_views',
  'course.student_summaries',
] as const;

/**
 * One of {@link taskKinds}.
 * @category Pipeline
 */
export type TaskKind = (typeof taskKinds)[number];

/**
 * A unit of sync work: fetch one Canvas collection. Small, JSON-serializable and free of student
 * data; validated by `parseTask` (`canvas-sync/queue`). Version 1 of the format.
 * @category Pipeline
 */
export interface SyncTask {
  /** Format version of the task; a future incompatible shape gets a new number. */
  v: 1;
  /** A unique id of this task (one enqueued unit of work); `createTask` uses a random UUID. */
  id: string;
  /** Which collection this is, one of `taskKinds`. */
  kind: TaskKind;
  /**
   * The Canvas API path to `GET`, starting with `/api/v1/`, without query or fragment,
   * normalized (as the URL parser writes it), without `.`/`..` segments, backslashes or `//`,
   * also percent-encoded ones.
   */
  path: string;
  /** Query parameters; a repeated name (`include[]`) takes an array. Never `access_token`. */
  searchParams?: Record<string, string | string[]> | undefined;
  /**
   * The idempotency key of the request (`idempotencyKey({ method: 'GET', path, searchParams })`):
   * `v1:` and 64 lower-case hex digits. Two tasks with the same key fetch the same data; a task
   * whose key is not its own request's is refused.
   */
  key: string;
  /**
   * Deliveries that ended in a retry so far, split by whether they count against the task.
   * (A delivery is an attempt: `TaskDelivery.attempt` numbers them, `DeadLetter.attempts` counts
   * them.)
   */
  retries: {
    /** Retries that count as failures (errors, handler throws). */
    failures: number;
    /** Retries that do not (rate-limit waits, as in BullMQ). */
    throttles: number;
  };
  /** When the task was created, ISO 8601 UTC. */
  createdAt: string;
  /** Not to be delivered before this time, ISO 8601 UTC; set by adapters on delayed work. */
  notBefore?: string | undefined;
  /**
   * Where a retried task resumes: the path and query of the next page to fetch
   * (`<path>?page=…&per_page=…`), set by the worker when a task failed part way through a long
   * collection, so that the retry does not start again at page 1. Always the task's own `path`
   * followed by a query; not part of the {@link SyncTask.key | key}; dropped by a replay.
   */
  cursor?: string | undefined;
}

/**
 * The idempotency key of a task's request: `idempotencyKey({ method: 'GET', path, searchParams })`,
 * or `undefined` if the request has none (a path the key's canonical form cannot parse).
 */
export function taskKey(task: Pick<SyncTask, 'path' | 'searchParams'>): string | undefined {
  const { path, searchParams } = task;
  try {
    return idempotencyKey({
      method: 'GET',
      path,
      ...(searchParams === undefined ? {} : { searchParams }),
    });
  } catch {
    return undefined;
  }
}
