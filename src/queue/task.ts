/**
 * The `SyncTask` contract: the small, versioned message that producers enqueue and workers
 * consume. A task names one Canvas collection to fetch (a `GET` path and its query) and carries
 * no student data: no names, no emails, no response bodies, no token.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { normalizePath, pathIssue } from './task-rules.js';
import { syncTaskSchema, taskFields } from './task-schema.js';
import { type SyncTask, type TaskKind, taskKey, taskKinds } from './task-types.js';
import { CanvasTaskValidationError } from './task-validation-error.js';

export { type SyncTask, type TaskKind, taskKinds };

/** A task's fields but its key, built once: zod compiles a schema on first use. */
const unkeyedTask = taskFields.omit({ key: true });

/**
 * What {@link createTask} needs: the kind and the request.
 * @category Pipeline
 */
export interface CreateTaskInput {
  /** Which collection this is. */
  kind: TaskKind;
  /** The Canvas API path to `GET`, starting with `/api/v1/`, without query or fragment. */
  path: string;
  /** Query parameters; a repeated name (`include[]`) takes an array. Never `access_token`. */
  searchParams?: Record<string, string | string[]> | undefined;
}

/**
 * Builds a valid {@link SyncTask}: a random id (`crypto.randomUUID()`), the idempotency key of
 * `GET path?searchParams`, zero retries and `createdAt` from `now`. The path's encoding is
 * normalized as the URL parser writes it (`/api/v1/courses/sis_course_id:Café` becomes
 * `…:Caf%C3%A9`, which has the same key); a path with dot segments is refused, never resolved.
 *
 * @param input - The kind, path and query of the task.
 * @param now - The creation time. @defaultValue `new Date()`
 * @throws CanvasTaskValidationError if the input does not make a valid task (e.g. a path outside
 *   `/api/v1/` or with a `..` segment, an `access_token` parameter under any spelling, a value
 *   shaped like a Canvas token, an unknown kind, an invalid `now`).
 *
 * @example
 * ```ts
 * const task = createTask({
 *   kind: 'course.users',
 *   path: '/api/v1/courses/42/users',
 *   searchParams: { 'enrollment_type[]': ['student'] },
 * });
 * await queue.enqueue(task);
 * ```
 * @category Pipeline
 */
export function createTask(input: CreateTaskInput, now: Date = new Date()): SyncTask {
  if (typeof input !== 'object' || input === null) {
    throw new CanvasTaskValidationError({
      issues: [{ path: '(root)', message: 'Expected an object with kind and path' }],
    });
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new CanvasTaskValidationError({
      issues: [{ path: 'now', message: 'Expected a valid Date' }],
    });
  }
  const path = input.path;
  const candidate: Record<string, unknown> = {
    v: 1,
    id: randomUUID(),
    kind: input.kind,
    // Only the encoding is normalized, and only of a path with no dot segment to resolve.
    path: typeof path === 'string' && pathIssue(path) === undefined ? normalizePath(path) : path,
    retries: { failures: 0, throttles: 0 },
    createdAt: now.toISOString(),
  };
  if (input.searchParams !== undefined) candidate.searchParams = input.searchParams;
  // Validate before computing the key, so that a bad path or parameter is a
  // CanvasTaskValidationError.
  const parsed = unkeyedTask.safeParse(candidate);
  if (!parsed.success) throw CanvasTaskValidationError.fromZod(parsed.error);
  const key = taskKey(parsed.data);
  if (key === undefined) {
    throw new CanvasTaskValidationError({
      issues: [{ path: 'path', message: 'Expected a path a key can be made of' }],
    });
  }
  return parseTask({ ...parsed.data, key });
}

/**
 * Validates an untrusted payload (a message from a broker, a replayed dead letter) as a
 * {@link SyncTask}.
 *
 * @param input - The payload, already JSON-decoded.
 * @returns A copy of the task (unknown keys are not allowed, so nothing is dropped).
 * @throws CanvasTaskValidationError listing every problem by path; values are never quoted.
 *   Besides each field's shape, it refuses a path that is not normalized or holds a dot segment
 *   or a backslash (also percent-encoded), an `access_token` parameter in any case or encoding
 *   (`ACCESS_TOKEN`, `access%5Ftoken`, `access_token[]`), a value shaped like a Canvas token,
 *   and a `key` that is not the idempotency key of the task's own request (a forged key).
 * @category Pipeline
 */
export function parseTask(input: unknown): SyncTask {
  const parsed = syncTaskSchema.safeParse(input);
  if (!parsed.success) throw CanvasTaskValidationError.fromZod(parsed.error);
  return parsed.data;
}
