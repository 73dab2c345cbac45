/**
 * Planning a run, shared by `canvas-sync sync` and `canvas-sync plan`: the tasks of earlier
 * windows to retry, and the sync state the producers plan from.
 */
import {
  createTask,
  engagementCrawler,
  gradeExporter,
  type PageViewWindow,
  type Producer,
  type QueueAdapter,
  rosterScanner,
  type SyncState,
} from '../index.js';
import type { Run } from './run-state.js';
import type { Settings } from './settings.js';

/** The job's producers: rosters, gradebooks (incremental unless `--full`) and engagement. */
export function producersFor(
  settings: Pick<Settings, 'full'>,
  pageViews: PageViewWindow | false,
): Producer[] {
  return [
    rosterScanner(),
    gradeExporter({ incremental: !settings.full }),
    engagementCrawler({ pageViews }),
  ];
}

/** Counts that the producers' own result does not give when planning is stopped. */
export interface Tally {
  courses: number;
  skipped: number;
  /** Tasks enqueued in all, once planning is over (for the progress display). */
  total: number | undefined;
}

/**
 * Enqueues the run's retries: the dead-lettered page-view tasks of earlier windows and the dead
 * letters marked for replay (those the interrupted run finished aside); returns how many were
 * enqueued.
 */
export async function enqueueEarlierWindows(
  queue: QueueAdapter,
  run: Run,
  tally: Tally,
): Promise<number> {
  const window = run.state.pageViews;
  const tasks = run.state.retry
    .map((input) => createTask(input))
    // The producers plan the current window's page views: not twice.
    .filter(
      (task) =>
        window === null ||
        task.kind !== 'user.page_views' ||
        task.searchParams?.end_time !== window.endTime,
    )
    .filter((task) => {
      const done = run.journal.has(task.key);
      if (done) tally.skipped++;
      return !done;
    });
  if (tasks.length > 0) await queue.enqueue(tasks);
  return tasks.length;
}

/**
 * The sync state the producers plan from. A resumed run plans as the interrupted one did, from
 * the state before it started: a task the interrupted run finished replaced the earlier record of
 * its key, so it is hidden (planned whole, it is the same task, skipped by the journal).
 */
export function plannedAsOf(state: SyncState, run: Run): SyncState {
  if (!run.resumed) return state;
  const { startedAt } = run.state;
  return {
    lastFinished: async (scope, stream) => {
      const finished = await state.lastFinished(scope, stream);
      return finished !== undefined && finished.finishedAt < startedAt ? finished : undefined;
    },
  };
}
