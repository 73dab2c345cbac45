/**
 * The zod schema of a {@link SyncTask} (internal: `parseTask` is the public way to validate).
 *
 * @module
 */
import { z } from 'zod';
import { holdsCanvasToken, isNormalPath, isTokenParamName, pathIssue } from './task-rules.js';
import { type SyncTask, taskKey, taskKinds } from './task-types.js';

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

const MAX_CURSOR_LENGTH = 4096;

const cursorSchema = z
  .string()
  .max(MAX_CURSOR_LENGTH, `Expected at most ${MAX_CURSOR_LENGTH} characters`)
  .refine((cursor) => !/[#\s]/.test(cursor), 'Expected no fragment and no whitespace')
  .refine((cursor) => !holdsCanvasToken(cursor), TOKEN_MESSAGE)
  .refine(
    (cursor) => ![...new URLSearchParams(cursor.split('?')[1] ?? '').keys()].some(isTokenParamName),
    'The access token never goes in a task',
  );

const counterSchema = z.number().int('Expected an integer').min(0, 'Expected at least 0');

const isoSchema = z.iso.datetime({ message: 'Expected an ISO 8601 UTC date-time' });

/** The fields of a task, each checked on its own (the key's match is checked by the schema). */
export const taskFields = z.strictObject({
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
  retries: z.strictObject({
    /** Retries that count as failures (errors, handler throws). */
    failures: counterSchema,
    /** Retries that do not (rate-limit waits, as in BullMQ). */
    throttles: counterSchema,
  }),
  /** When the task was created, ISO 8601 UTC. */
  createdAt: isoSchema,
  /** Not to be delivered before this time, ISO 8601 UTC; set by adapters on delayed work. */
  notBefore: isoSchema.optional(),
  /**
   * Where a retry resumes: the path and query of the next page (the task's own path, `?`, a
   * query without the token). Checked against the path by the schema.
   */
  cursor: cursorSchema.optional(),
});

/**
 * The zod schema of a {@link SyncTask}, version 1. Strict: unknown keys are rejected at every
 * level. Once every field is valid, the `key` must be the one of the task's own request
 * (`taskKey`): a task carrying another request's key would store its records under that
 * request's key. Prefer `parseTask`, which throws a `CanvasTaskValidationError` that never quotes
 * values.
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
    } else if (task.cursor !== undefined && !task.cursor.startsWith(`${task.path}?`)) {
      context.addIssue({
        code: 'custom',
        path: ['cursor'],
        message: "Expected the task's own path followed by a query (the next page to fetch)",
      });
    }
    if (expected !== undefined && task.key !== expected) {
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
