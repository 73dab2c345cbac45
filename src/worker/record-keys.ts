/**
 * Where a fetched record goes: its key (kind and Canvas id, independent of the task that
 * fetched it), the scope a task covers, and whether the task read its whole collection.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import type { SyncTask } from '../queue/task.js';
import { canonicalJson } from '../sink/sink.js';

/**
 * Query parameters that make a task read part of its collection: such a task (incremental
 * submissions, a page-view window) never completes a pass, so it retires nothing.
 */
const FILTERS: ReadonlyMap<string, string> = new Map([
  ['graded_since', 'graded'],
  ['submitted_since', 'submitted'],
  ['start_time', 'page-views'],
  ['end_time', 'page-views'],
]);

/**
 * Kinds of task whose records are those of another kind: a course's submissions listing returns
 * the same submissions as its assignments' listings, stored once.
 */
const RECORD_KINDS: ReadonlyMap<string, string> = new Map([
  ['course.submissions', 'assignment.submissions'],
]);

/**
 * The kind a task's records are stored as (the sink's `kind`, the key's prefix): the task's
 * kind, but `assignment.submissions` for `course.submissions`.
 * @internal
 */
export function recordKindOf(taskKind: string): string {
  return RECORD_KINDS.get(taskKind) ?? taskKind;
}

/**
 * Kinds whose records are a course's view of something shared: a user listed by two courses
 * (with each course's enrollments nested) or summarized by each course's analytics is two
 * records, keyed by course too.
 */
const PER_COURSE_KINDS: ReadonlySet<string> = new Set(['course.users', 'course.student_summaries']);

/**
 * The sink key of a record: its kind (see {@link recordKindOf}) and its Canvas `id`
 * (`course.enrollments:500001`; `course.users:courses/42:100001` for the kinds that are a
 * course's view of a user), or, for a record without an id, the SHA-256 of its canonical
 * JSON. Independent of the task's filters, windows and endpoint, so a record fetched again
 * another way updates the stored one; never a pseudonym (ids are kept as Canvas sends them by
 * the sanitizer's `keep` action), so rotating the HMAC key re-versions records instead of
 * duplicating them.
 * @internal
 */
export function recordKey(task: SyncTask, record: unknown): string {
  const kind = recordKindOf(task.kind);
  const prefix = PER_COURSE_KINDS.has(kind)
    ? `${kind}:${/\/(courses\/[^/]+)/.exec(task.path)?.[1] ?? task.path}`
    : kind;
  const id = (record as { id?: unknown } | null)?.id;
  if (typeof id === 'number' || typeof id === 'string') return `${prefix}:${id}`;
  const digest = createHash('sha256').update(canonicalJson(record)).digest('hex');
  return `${prefix}:sha256:${digest}`;
}

/**
 * Query parameters that change how a collection is read, not which records it holds: left out
 * of a scope (as the windows, in {@link FILTERS}, are).
 */
const NOT_MEMBERSHIP: ReadonlySet<string> = new Set(['include[]', 'per_page', 'page']);

/**
 * The scope of a task: its kind and path (`course.enrollments:/api/v1/courses/42/enrollments`),
 * independent of its windows (`graded_since`, `start_time` …), `include[]` and paging; and of its
 * other filters too, which choose the records a full read sees (`state[]`, `type[]` …): those
 * follow the path, sorted (`…/enrollments?state[]=active`), so that a filtered full read
 * retires only records that its own filters would list, never those of an unfiltered one.
 * @internal
 */
export function scopeOf(task: Pick<SyncTask, 'kind' | 'path' | 'searchParams'>): string {
  const filters = Object.entries(task.searchParams ?? {})
    .filter(([name]) => !FILTERS.has(name) && !NOT_MEMBERSHIP.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => `${name}=${encodeURIComponent(v)}`),
    );
  const query = filters.length === 0 ? '' : `?${filters.join('&')}`;
  return `${task.kind}:${task.path}${query}`;
}

/**
 * What a task reads: the whole collection (`'full'`: it completes a pass), or part of it, and
 * which watermark it advances: `'graded'` (`graded_since`), `'submitted'` (`submitted_since`),
 * `'page-views'` (a `start_time`/`end_time` window, whose end is the mark).
 * @internal
 */
export function streamOf(task: SyncTask): { stream: string; windowEnd: string | undefined } {
  const params = task.searchParams ?? {};
  for (const [name, stream] of FILTERS) {
    if (params[name] !== undefined) {
      const end = params.end_time;
      return { stream, windowEnd: typeof end === 'string' ? end : undefined };
    }
  }
  return { stream: 'full', windowEnd: undefined };
}
