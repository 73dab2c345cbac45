/**
 * The state of a run of `canvas-sync sync` in its output directory, kept only while
 * the run is unfinished, so that an interrupted run can be resumed:
 *
 * - `run.json` (written atomically when a run starts, removed when it completes): where the run
 *   writes, the page-view window it syncs (part of the tasks' keys, so a run resumed after
 *   midnight plans the same tasks), and the dead-lettered page-view tasks of earlier windows it
 *   tries again;
 * - `tasks-done.jsonl`, the journal of the tasks the run finished: a resumed run skips them.
 *
 * Without `run.json` a run starts afresh: it plans and fetches everything (the sinks compare
 * versions, so unchanged records cost a comparison), and its page views start where those of
 * the last completed run end, as recorded in the warehouse itself.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CanvasOptionsError,
  CanvasTaskValidationError,
  type CreateTaskInput,
  createTask,
  engagementCrawler,
  type PageViewWindow,
} from '../index.js';
import type { Io } from './io.js';
import { TaskJournal } from './journal.js';
import { UsageError } from './settings.js';
import { readJsonState, removeFileDurably, writeFileAtomic } from './state-file.js';
import type { Warehouse } from './warehouse.js';

export const RUN_FILE = 'run.json';
export const JOURNAL_FILE = 'tasks-done.jsonl';
export const DEAD_LETTERS_FILE = 'dead-letters.jsonl';

const DAY_MS = 86_400_000;
/** The page views of a first sync: the 7 whole UTC days before the day it starts. */
const FIRST_WINDOW_DAYS = 7;

/** What `run.json` holds. */
export interface RunState {
  /** The output the run writes to (see {@link Warehouse.identity}). */
  readonly output: string;
  /** When the run started, ISO 8601 UTC. */
  readonly startedAt: string;
  /** The page views it syncs; `null` for none (the last run synced up to today already). */
  readonly pageViews: PageViewWindow | null;
  /** Page-view tasks of earlier windows that ended dead-lettered: tried again by this run. */
  readonly retry: readonly CreateTaskInput[];
}

/** The run about to sync. */
export interface Run {
  readonly state: RunState;
  /** Whether it resumes an interrupted run (its journal's tasks are skipped). */
  readonly resumed: boolean;
  readonly journal: TaskJournal;
}

const windowShape = z.strictObject({ startTime: z.string(), endTime: z.string() });
const stateShape = z.strictObject({
  output: z.string().min(1),
  startedAt: z.string(),
  pageViews: windowShape.nullable(),
  retry: z.array(
    z.strictObject({
      kind: z.string(),
      path: z.string(),
      searchParams: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    }),
  ),
});

/** What the output directory says about the run to come, read before anything is opened. */
export type RunFound =
  /** An interrupted run to resume. */
  | { readonly status: 'interrupted'; readonly state: RunState }
  /** No run in progress: a new one starts. */
  | { readonly status: 'none' }
  /** A state file left empty or torn by a crash: a new run starts, keeping the journal. */
  | { readonly status: 'torn'; readonly problem: string };

/**
 * Reads `run.json` of `dir`: an interrupted run to resume (refused, as a {@link UsageError},
 * if it wrote to another output than `output`, a {@link Warehouse.identity}, or if the file is
 * no run state), none, or a torn file.
 */
export async function findRun(dir: string, output: string): Promise<RunFound> {
  const path = join(dir, RUN_FILE);
  const found = await readJsonState(path);
  if (found.status === 'missing') return { status: 'none' };
  if (found.status === 'unreadable') return { status: 'torn', problem: found.problem };
  const state = checkedState(path, found.value);
  if (state.output !== output) {
    throw new UsageError(
      `${path}: a run into ${state.output} was interrupted; run again with the same output ` +
        `flags to resume it, or delete ${path} to start a new run into ${output}`,
    );
  }
  return { status: 'interrupted', state };
}

/**
 * Starts the run `found` describes in `dir`: resumes the interrupted one, or starts a new one (an
 * old journal removed, a new `run.json` written, its page views starting where the warehouse's
 * end). After a torn `run.json`, stderr says so, and the journal is kept: the tasks it records
 * are skipped (the new window covers the interrupted run's).
 */
export async function startRun(
  dir: string,
  found: RunFound,
  warehouse: Warehouse,
  io: Io,
): Promise<Run> {
  const path = join(dir, RUN_FILE);
  const journalPath = join(dir, JOURNAL_FILE);
  let state: RunState;
  if (found.status === 'interrupted') {
    state = found.state;
  } else {
    // No run in progress: a journal left by a completed run (removed at its end, unless a
    // crash came first) belongs to no run.
    if (found.status === 'none') await rm(journalPath, { force: true });
    state = {
      output: warehouse.identity,
      startedAt: new Date(io.now()).toISOString(),
      pageViews: nextWindow(await warehouse.pageViewsSyncedUntil(), io.now()),
      retry: await deadPageViewTasks(join(dir, DEAD_LETTERS_FILE)),
    };
    if (found.status === 'torn') {
      io.stderr.write(
        `${path}: ${found.problem}; the run starts again with ${describeWindow(state.pageViews)}, ` +
          `skipping the tasks ${JOURNAL_FILE} records as done\n`,
      );
    }
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(path, `${JSON.stringify(state)}\n`);
  }
  const journal = await TaskJournal.open(
    journalPath,
    () => new Date(io.now()),
    io.stderr,
    `delete it to start the journal afresh (its tasks are fetched again; nothing is stored twice)`,
  );
  return { state, resumed: found.status !== 'none', journal };
}

/**
 * Ends a completed run: removes `run.json` (durably: the next run starts afresh), then the
 * journal. Call it once the warehouse has recorded the run's page views and is closed.
 */
export async function endRun(dir: string, run: Run): Promise<void> {
  await run.journal.close();
  await removeFileDurably(join(dir, RUN_FILE));
  await rm(join(dir, JOURNAL_FILE), { force: true });
}

/**
 * The page views of a new run: from where the last completed run's end (`syncedUntil`), or the
 * 7 whole UTC days before today for a first sync, to the start of today (UTC, by `now`);
 * `null` when that is no time at all (a second run on the same day).
 */
export function nextWindow(syncedUntil: string | undefined, now: number): PageViewWindow | null {
  const end = Math.floor(now / DAY_MS) * DAY_MS;
  const mark = syncedUntil === undefined ? Number.NaN : Date.parse(syncedUntil);
  const start = Number.isNaN(mark) ? end - FIRST_WINDOW_DAYS * DAY_MS : mark;
  if (!(start < end)) return null;
  return { startTime: new Date(start).toISOString(), endTime: new Date(end).toISOString() };
}

/** `page views from 2026-02-25 to 2026-03-04`, or `no page views`, for people. */
export function describeWindow(window: PageViewWindow | null): string {
  if (window === null) return 'no page views (synced up to today already)';
  const day = (iso: string): string => (iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso);
  return `the page views of ${day(window.startTime)} to ${day(window.endTime)} (UTC, end excluded)`;
}

/** The state read from `path`, if it is one; a usage error naming the file if not. */
function checkedState(path: string, value: unknown): RunState {
  const refuse = (problem: string): never => {
    throw new UsageError(
      `${path}: ${problem}; fix it, or delete it to start a new run (finished tasks are fetched ` +
        'again; nothing is stored twice)',
    );
  };
  const parsed = stateShape.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse(`not a run state (${issue?.path.join('.') || 'the file'}: ${issue?.message})`);
  }
  const { pageViews, retry, ...rest } = parsed.data;
  try {
    // The crawler's own check: ISO 8601 times, start before end.
    if (pageViews !== null) engagementCrawler({ pageViews });
    for (const input of retry) createTask(input as CreateTaskInput);
  } catch (error) {
    if (error instanceof CanvasOptionsError || error instanceof CanvasTaskValidationError) {
      return refuse(error.message);
    }
    throw error;
  }
  return { ...rest, pageViews, retry: retry as CreateTaskInput[] };
}

/**
 * The tasks among the dead letters of the last run (`dead-letters.jsonl`) that the new run
 * fetches again besides what its producers plan: the page-view tasks (their window is behind
 * the new run's, so no producer plans them again) and every task marked by `canvas-sync
 * dead-letters --replay`. Anything else in the file (tasks the producers plan again, lines that
 * are not dead letters) is left out.
 */
async function deadPageViewTasks(path: string): Promise<CreateTaskInput[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const tasks: CreateTaskInput[] = [];
  for (const line of text.split('\n')) {
    let task: Partial<CreateTaskInput> | undefined;
    let replay = false;
    try {
      const parsed = JSON.parse(line) as {
        record?: { task?: Partial<CreateTaskInput> };
        replay?: unknown;
      };
      task = parsed.record?.task;
      replay = parsed.replay === true;
    } catch {
      continue;
    }
    if (!replay && task?.kind !== 'user.page_views') continue;
    if (task?.kind === undefined || typeof task.path !== 'string') continue;
    const input: CreateTaskInput = {
      kind: task.kind,
      path: task.path,
      ...(task.searchParams !== undefined && { searchParams: task.searchParams }),
    };
    try {
      createTask(input);
      tasks.push(input);
    } catch {
      // not a task this canvas-sync can plan: left out
    }
  }
  return tasks;
}
