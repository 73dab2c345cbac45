/**
 * Retry cursors: where a task that failed part way through a long collection resumes (see
 * `SyncTask.cursor`).
 *
 * @module
 */
import { CanvasPaginationError } from '../errors/index.js';
import type { HandlerResult } from '../queue/adapter.js';
import { parseTask, type SyncTask } from '../queue/task.js';
import { isTokenParamName } from '../queue/task-rules.js';

/**
 * The cursor of a page URL for `task`: the task's own path and the URL's query (any token
 * parameter removed), or `undefined` when a retry must start from the first page, which is
 * always safe:
 * - the URL is not a page of the task's collection, or the cursor would not be a valid one;
 * - the page is a numbered one (`page=4`), not a bookmark (`page=bookmark:…`): records deleted
 *   from earlier pages while the task waits for its retry shift the numbered pages, so page 4
 *   would skip records, which the pass would then tombstone. A bookmark is a position in the
 *   collection's order (a keyset), which deletions do not move.
 *
 * @param task - The task being fetched.
 * @param pageUrl - The absolute URL of a page (a page's own URL, or its `next` link resolved
 *   against it); the paginator has already refused a link to another origin.
 */
export function cursorOf(task: SyncTask, pageUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(pageUrl);
  } catch {
    return undefined;
  }
  // The same collection: the base URL's prefix (`/canvas`) may come before the task's path.
  if (!url.pathname.endsWith(task.path)) return undefined;
  const params = new URLSearchParams(url.search);
  for (const name of [...params.keys()]) if (isTokenParamName(name)) params.delete(name);
  if (!(params.get('page') ?? '').startsWith('bookmark:')) return undefined;
  const query = params.toString();
  if (query === '') return undefined;
  const cursor = `${task.path}?${query}`;
  try {
    return parseTask({ ...task, cursor }).cursor;
  } catch {
    return undefined;
  }
}

/**
 * The handler result of a failed task, with where its retry resumes: at `resumeAt` (the first
 * page not yet written), unless the failure was the pagination itself (a `next` link that loops
 * or leaves the origin), which starts over.
 *
 * @param result - What the failure alone decides (see `resultOfFailure`).
 * @param error - The failure.
 * @param resumeAt - The cursor of the first page not yet written, if any.
 */
export function resumeResult(
  result: HandlerResult,
  error: unknown,
  resumeAt: string | undefined,
): HandlerResult {
  if (result.type !== 'retry' || resumeAt === undefined) return result;
  if (error instanceof CanvasPaginationError) return result;
  return { ...result, cursor: resumeAt };
}
