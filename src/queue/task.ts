/**
 * The `SyncTask` contract: the small, versioned message that producers enqueue and workers
 * consume. A task names one Canvas collection to fetch (a `GET` path and its query) and carries
 * no student data: no names, no emails, no response bodies, no token.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { idempotencyKey } from '../idempotency/index.js';
import {
  holdsCanvasToken,
  isNormalPath,
  isTokenParamName,
  normalizePath,
  pathIssue,
} from './task-rules.js';
import { TaskValidationError } from './task-validation-error.js';

/**
 * The kinds of task, one per Canvas collection a worker knows how to fetch and store. A worker
 * picks its record key, sanitizer rules and sink by kind.
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

/** One of {@link taskKinds}. */
export type TaskKind = (typeof taskKinds)[number];

const MAX_ID_LENGTH = 200;
const MAX_PATH_LENGTH = 2048;
const MAX_PARAM_NAME_LENGTH = 200;
const MAX_PARAM_VALUE_LENGTH = 1024;
const MAX_PARAM_VALUES = 50;

const TOKEN_MESSAGE = 'Expected no access token (this looks like a Canvas token)';

const pathSchema = z
  .string()
  .max(MAX_PATH_LENGTH, `Expected at most ${MAX_PATH_LENGTH} characters`)
  .startsWith('/api/v1/', 'Expected a Canvas API path starting with /api/v1/')
  .refine((path) => !/[?#]/.test(path), 'Expected no query or fragment; use searchParams')
  .refine((path) => !/\s/.test(path), 'Expected no whitespace')
  .superRefine((path, context) => {
    const message = pathIssue(path);
    if (message !== undefined) context.addIssue({ code: 'custom', message });
    else if (!isNormalPath(path)) {
      context.addIssue({
        code: 'custom',
        message: 'Expected a normalized path (non-ASCII and " < > ` { } percent-encoded)',
      });
    }
  })
  .refine((path) => !holdsCanvasToken(path), TOKEN_MESSAGE);

const paramValueSchema = z
  .string()
  .max(MAX_PARAM_VALUE_LENGTH, `Expected at most ${MAX_PARAM_VALUE_LENGTH} characters`)
  .refine((value) => !holdsCanvasToken(value), TOKEN_MESSAGE);

const searchParamsSchema = z
  .record(
    z
      .string()
      .min(1, 'Expected a non-empty parameter name')
      .max(MAX_PARAM_NAME_LENGTH, `Expected at most ${MAX_PARAM_NAME_LENGTH} characters`)
      .refine((name) => !isTokenParamName(name), 'The access token never goes in a task')
      .refine((name) => !holdsCanvasToken(name), TOKEN_MESSAGE),
    z.union(
      [
        paramValueSchema,
        z
          .array(paramValueSchema)
          .max(MAX_PARAM_VALUES, `Expected at most ${MAX_PARAM_VALUES} values`),
      ],
      { error: 'Expected a string or an array of strings' },
    ),
  )
  .refine((params) => Object.keys(params).length <= MAX_PARAM_VALUES, {
    message: `Expected at most ${MAX_PARAM_VALUES} parameters`,
  });

const counterSchema = z.number().int('Expected an integer').min(0, 'Expected at least 0');

const isoSchema = z.iso.datetime({ message: 'Expected an ISO 8601 UTC date-time' });

/** The fields of a task, each checked on its own (the key's match is checked by the schema). */
const taskFields = z.strictObject({
  /** Format version of the task; a future incompatible shape gets a new number. */
  v: z.literal(1),
  /** A unique id of this task (one enqueued unit of work); `createTask` uses a random UUID. */
  id: z.string().min(1).max(MAX_ID_LENGTH),
  /** Which collection this is, see {@link taskKinds}. */
  kind: z.enum(taskKinds),
  /**
   * The Canvas API path to `GET`, starting with `/api/v1/`, without query or fragment,
   * normalized (as the URL parser writes it), without `.`/`..` segments, backslashes or `//`,
   * also percent-encoded ones.
   */
  path: pathSchema,
  /** Query parameters; a repeated name (`include[]`) takes an array. Never `access_token`. */
  searchParams: searchParamsSchema.optional(),
  /**
   * The idempotency key of the request (`idempotencyKey({ method: 'GET', path, searchParams })`):
   * `v1:` and 64 lower-case hex digits. Two tasks with the same key fetch the same data.
   */
  key: z.string().regex(/^v1:[0-9a-f]{64}$/, 'Expected v1: followed by 64 lower-case hex digits'),
  /** Deliveries that ended in a retry so far, split by whether they count against the task. */
  attempts: z.strictObject({
    /** Retries that count as failures (errors, handler throws). */
    failures: counterSchema,
    /** Retries that do not (rate-limit waits, as in BullMQ). */
    throttles: counterSchema,
  }),
  /** When the task was created, ISO 8601 UTC. */
  createdAt: isoSchema,
  /** Not to be delivered before this time, ISO 8601 UTC; set by adapters on delayed work. */
  notBefore: isoSchema.optional(),
});

/**
 * The zod schema of a {@link SyncTask}, version 1. Strict: unknown keys are rejected at every
 * level. Once every field is valid, the `key` must be the one of the task's own request
 * (`taskKey`): a task carrying another request's key would store its records under that
 * request's key. Prefer {@link parseTask}, which throws a {@link TaskValidationError} that never
 * quotes values.
 */
export const syncTaskSchema = taskFields.superRefine(
  (task, context) => {
    const expected = taskKey(task);
    if (expected === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['path'],
        message: 'Expected a path a key can be made of',
      });
    } else if (task.key !== expected) {
      context.addIssue({
        code: 'custom',
        path: ['key'],
        message: "Expected the idempotency key of the task's own request (GET path?searchParams)",
      });
    }
    // Only a task whose fields are all valid has a key to compare with.
  },
  { when: (payload) => payload.issues.length === 0 },
);

/**
 * A unit of sync work: fetch one Canvas collection. Small, JSON-serializable and free of student
 * data; validated by {@link parseTask}. Version 1 of the format.
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
  /** Deliveries that ended in a retry so far, split by whether they count against the task. */
  attempts: {
    /** Retries that count as failures (errors, handler throws). */
    failures: number;
    /** Retries that do not (rate-limit waits, as in BullMQ). */
    throttles: number;
  };
  /** When the task was created, ISO 8601 UTC. */
  createdAt: string;
  /** Not to be delivered before this time, ISO 8601 UTC; set by adapters on delayed work. */
  notBefore?: string | undefined;
}

/**
 * The idempotency key of a task's request: `idempotencyKey({ method: 'GET', path, searchParams })`,
 * or `undefined` if the request has none (a path the key's canonical form cannot parse).
 */
function taskKey(task: Pick<SyncTask, 'path' | 'searchParams'>): string | undefined {
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

/** What {@link createTask} needs: the kind and the request. */
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
 * `GET path?searchParams`, zero attempts and `createdAt` from `now`. The path's encoding is
 * normalized as the URL parser writes it (`/api/v1/courses/sis_course_id:Café` becomes
 * `…:Caf%C3%A9`, which has the same key); a path with dot segments is refused, never resolved.
 *
 * @param input - The kind, path and query of the task.
 * @param now - The creation time. @defaultValue `new Date()`
 * @throws TaskValidationError if the input does not make a valid task (e.g. a path outside
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
 */
export function createTask(input: CreateTaskInput, now: Date = new Date()): SyncTask {
  if (typeof input !== 'object' || input === null) {
    throw new TaskValidationError({
      issues: [{ path: '(root)', message: 'Expected an object with kind and path' }],
    });
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new TaskValidationError({ issues: [{ path: 'now', message: 'Expected a valid Date' }] });
  }
  const path = input.path;
  const candidate: Record<string, unknown> = {
    v: 1,
    id: randomUUID(),
    kind: input.kind,
    // Only the encoding is normalized, and only of a path with no dot segment to resolve.
    path: typeof path === 'string' && pathIssue(path) === undefined ? normalizePath(path) : path,
    attempts: { failures: 0, throttles: 0 },
    createdAt: now.toISOString(),
  };
  if (input.searchParams !== undefined) candidate.searchParams = input.searchParams;
  // Validate before computing the key, so that a bad path or parameter is a TaskValidationError.
  const parsed = taskFields.omit({ key: true }).safeParse(candidate);
  if (!parsed.success) throw TaskValidationError.fromZod(parsed.error);
  const key = taskKey(parsed.data);
  if (key === undefined) {
    throw new TaskValidationError({
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
 * @throws TaskValidationError listing every problem by path; values are never quoted. Besides
 *   each field's shape, it refuses a path that is not normalized or holds a dot segment or a
 *   backslash (also percent-encoded), an `access_token` parameter in any case or encoding
 *   (`ACCESS_TOKEN`, `access%5Ftoken`, `access_token[]`), a value shaped like a Canvas token,
 *   and a `key` that is not the idempotency key of the task's own request (a forged key).
 */
export function parseTask(input: unknown): SyncTask {
  const parsed = syncTaskSchema.safeParse(input);
  if (!parsed.success) throw TaskValidationError.fromZod(parsed.error);
  return parsed.data;
}
