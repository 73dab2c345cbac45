/**
 * Sync a whole institution out of Canvas: every course's roster, gradebook and engagement data
 * into JSON Lines files, with student identifiers pseudonymized and names redacted.
 *
 * What it shows:
 * - three producers plan small tasks (one per Canvas collection) while a pool of workers
 *   fetches them, all through one CanvasSyncClient paced by Canvas's rate-limit headers;
 * - every record passes a FerpaSanitizer before it reaches a file;
 * - stopping and restarting are safe: a task journal skips the tasks already done, and the
 *   files never store a record twice (press Ctrl-C, then run it again);
 * - failures end as retries or dead letters, and every task is accounted for at the end.
 *
 * It runs against an embedded Canvas simulator (40 courses, 3,000 students):
 *
 *   npm run example
 *   npm run example -- --faults     # with server errors, connection resets and broken JSON
 *   npm run example -- --help       # every flag
 *
 * Against your own Canvas, set CANVAS_BASE_URL, CANVAS_ACCESS_TOKEN, CANVAS_ACCOUNT_ID
 * (optionally CANVAS_TERM_ID) and CANVAS_SYNC_HMAC_KEY, your secret pseudonym key.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CanvasOptionsError,
  CanvasSyncClient,
  type CourseScope,
  type DeadLetter,
  engagementCrawler,
  FerpaSanitizer,
  gradeExporter,
  JsonlFileSink,
  MemoryQueueAdapter,
  type PageViewWindow,
  type ProducerProgress,
  rosterScanner,
  runProducers,
  type SyncTask,
  SyncWorker,
  type TaskKind,
} from '../src/index.js';
import { type CanvasSimulator, startCanvasSimulator } from '../src/testing/index.js';
import { count, printSummary, startProgress } from './support/progress.js';
import { parseSettings, type Settings, UsageError } from './support/settings.js';
import { readJsonState, writeFileAtomic } from './support/state-file.js';

// --- Where the data comes from: the simulator or a real Canvas --------------------------------

interface Target {
  readonly baseUrl: string;
  readonly token: string;
  readonly scope: CourseScope;
  readonly sanitizer: FerpaSanitizer;
  /** The embedded simulator; `undefined` against a real Canvas. */
  readonly sim: CanvasSimulator | undefined;
}

/** Simulated request latency: 30 to 50 ms, 40 ms on average. */
const MEAN_LATENCY_MS = 40;
const SIMULATED_FAULTS = { serverErrorRate: 0.05, resetRate: 0.02, malformedJsonRate: 0.03 };
/** Pseudonym key of simulator runs: anyone can recompute these pseudonyms (fine for fake data). */
const DEMO_KEY = 'canvas-sync demo key: NOT a secret';
/** Any of them set means a real Canvas, which needs all three. */
const CANVAS_VARIABLES = ['CANVAS_BASE_URL', 'CANVAS_ACCESS_TOKEN', 'CANVAS_ACCOUNT_ID'] as const;

function makeSanitizer(key: string, keyId?: string): FerpaSanitizer {
  try {
    // 'redact-all': discussion posts and comments can quote names, which no pattern catches.
    return new FerpaSanitizer({ key, freeText: 'redact-all', ...(keyId && { keyId }) });
  } catch (error) {
    // The error names the problem (e.g. a key that is too short), never the key.
    if (error instanceof CanvasOptionsError)
      throw new UsageError(`CANVAS_SYNC_HMAC_KEY: ${error.message}`);
    throw error;
  }
}

function realCanvas(settings: Settings, env: NodeJS.ProcessEnv): Target {
  const missing = CANVAS_VARIABLES.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new UsageError(
      `${missing.join(' and ')} not set: a real Canvas needs ${CANVAS_VARIABLES.join(', ')} ` +
        '(unset them all to use the simulator)',
    );
  }
  const key = env.CANVAS_SYNC_HMAC_KEY;
  if (!key) {
    throw new UsageError(
      'CANVAS_SYNC_HMAC_KEY is not set: against a real Canvas, pseudonyms need your own secret ' +
        'key of at least 32 bytes (e.g. `openssl rand -base64 32`, kept in your secret store)',
    );
  }
  if (settings.simulatorFlags.length > 0) {
    throw new UsageError(`--${settings.simulatorFlags.join(', --')}: for the simulator only`);
  }
  const sanitizer = makeSanitizer(key);
  const baseUrl = env.CANVAS_BASE_URL ?? '';
  const accountId = env.CANVAS_ACCOUNT_ID ?? '';
  const termId = env.CANVAS_TERM_ID || undefined;
  console.log(`Canvas: ${baseUrl}, account ${accountId}${termId ? `, term ${termId}` : ''}`);
  return {
    baseUrl,
    token: env.CANVAS_ACCESS_TOKEN ?? '',
    scope: { accountId, termId },
    sanitizer,
    sim: undefined,
  };
}

async function simulatedCanvas(settings: Settings, env: NodeJS.ProcessEnv): Promise<Target> {
  const key = env.CANVAS_SYNC_HMAC_KEY;
  const sanitizer = key ? makeSanitizer(key) : makeSanitizer(DEMO_KEY, 'demo');
  const { courses, students, seed, faults } = settings;
  const perCourse = Math.min(75, students);
  const sim = await startCanvasSimulator({
    seed,
    latencyMs: (request) => 30 + 20 * request.random(),
    institution: { courses, students, studentsPerCourse: perCourse },
    ...(faults && { faults: SIMULATED_FAULTS }),
  });
  console.log(`Canvas simulator listening on ${sim.url}`);
  console.log(
    `  ${count(courses)} courses, ${count(students)} students (${perCourse} per course), ` +
      `latency 30-50 ms, seed ${seed}` +
      (faults ? ', faults: 5 % 5xx, 2 % connection resets, 3 % malformed JSON' : ''),
  );
  if (!key) {
    console.log('  pseudonyms use a fixed demo key, so they are not secret (fine for simulated');
    console.log('  data); set CANVAS_SYNC_HMAC_KEY to use your own');
  }
  return {
    baseUrl: sim.url,
    token: sim.token,
    scope: { accountId: sim.data.account.id },
    sanitizer,
    sim,
  };
}

// --- Where the data goes: one JSON Lines file per kind of task --------------------------------

/** The kinds of task the three producers plan. */
const KINDS = [
  'course.sections',
  'course.enrollments',
  'course.assignments',
  'assignment.submissions',
  'course.discussions',
  'discussion.entries',
  'course.student_summaries',
  'user.page_views',
] as const satisfies readonly TaskKind[];

interface Store {
  /** The record files, by task kind. */
  readonly records: ReadonlyMap<TaskKind, JsonlFileSink<unknown>>;
  /** The tasks done, by task key: a restart skips them. */
  readonly journal: JsonlFileSink<{ kind: TaskKind; doneAt: string }>;
  /** The page-view window of the sync this directory holds (part of the tasks' keys). */
  readonly pageViews: PageViewWindow;
}

async function openStore(dir: string): Promise<Store> {
  const records = new Map<TaskKind, JsonlFileSink<unknown>>();
  for (const kind of KINDS) records.set(kind, await openJsonl(dir, `${kind}.jsonl`));
  const journal = await openJsonl<{ kind: TaskKind; doneAt: string }>(dir, 'tasks-done.jsonl');
  return { records, journal, pageViews: await pageViewWindow(dir) };
}

/**
 * Opens one of the directory's JSONL files. A last line torn by a crash is removed by the sink
 * (its records, or its tasks, are simply written again), and said on stderr; a damaged line
 * elsewhere stops the run with the file's name and what to do.
 */
async function openJsonl<T>(dir: string, name: string): Promise<JsonlFileSink<T>> {
  const path = join(dir, name);
  let sink: JsonlFileSink<T>;
  try {
    sink = await JsonlFileSink.open<T>(path);
  } catch (error) {
    if (!(error instanceof CanvasOptionsError)) throw error;
    const advice =
      name === 'tasks-done.jsonl'
        ? 'move it away to start the journal afresh (tasks are fetched again, nothing is stored twice)'
        : 'move it and tasks-done.jsonl away to fetch those records again';
    throw new UsageError(`${path}: ${error.message}; ${advice}`);
  }
  const { truncatedBytes } = sink.recovery;
  if (truncatedBytes > 0) {
    process.stderr.write(
      `${path}: removed a last line torn by an interrupted run (${truncatedBytes} bytes); ` +
        `${name === 'tasks-done.jsonl' ? 'the tasks it recorded are' : 'its records are'} fetched again\n`,
    );
  }
  return sink;
}

/**
 * The page-view window of the directory's sync: the one its first run chose (so that a run
 * resumed after midnight plans the same tasks), else the last 7 whole UTC days, remembered
 * (written atomically). A file left empty or torn by a crash is replaced by a new window, and
 * stderr says so; a window that is not one stops the run. A new window wants a new output
 * directory.
 */
async function pageViewWindow(dir: string): Promise<PageViewWindow> {
  const path = join(dir, 'page-view-window.json');
  const state = await readJsonState(path);
  if (state.status === 'ok') return checkedWindow(path, state.value);
  const window = lastWeek();
  if (state.status === 'unreadable') {
    process.stderr.write(
      `${path}: ${state.problem}; the page-view window is recomputed as the last 7 days ` +
        `(${window.startTime} to ${window.endTime}) and saved. Page views synced under an ` +
        'earlier window are fetched again, under new keys.\n',
    );
  }
  await writeFileAtomic(path, `${JSON.stringify(window)}\n`);
  return window;
}

/** The window read from `path`, if the crawler accepts it; a usage error naming the file if not. */
function checkedWindow(path: string, value: unknown): PageViewWindow {
  try {
    engagementCrawler({ pageViews: value as PageViewWindow });
  } catch (error) {
    if (!(error instanceof CanvasOptionsError)) throw error;
    throw new UsageError(
      `${path}: ${error.message}; fix it, or delete it to sync the last 7 days ` +
        "(in a new --out directory: the window is part of the tasks' keys)",
    );
  }
  return value as PageViewWindow;
}

function sinkOf(store: Store, task: SyncTask): JsonlFileSink<unknown> {
  const sink = store.records.get(task.kind);
  if (sink === undefined) throw new Error(`no file for tasks of kind ${task.kind}`);
  return sink;
}

async function closeStore(store: Store): Promise<void> {
  await Promise.all([...store.records.values(), store.journal].map((sink) => sink.close()));
}

/**
 * Writes this run's dead letters (tasks and reasons, no student data, no token: the worker
 * scrubs them) to `dead-letters.jsonl`, replacing an earlier run's (a dead-lettered task is not
 * in the journal, so each run tries it again) atomically, so that a crash leaves the old file or
 * the new one; no file when there are none. Returns the file's line count. The lines have the
 * shape of the other files' (`{"key", "record"}`): the task's key, or `raw:<n>` for a payload
 * that was not a task.
 */
async function saveDeadLetters(dir: string, letters: readonly DeadLetter[]): Promise<number> {
  const path = join(dir, 'dead-letters.jsonl');
  if (letters.length === 0) {
    await rm(path, { force: true });
    return 0;
  }
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const [index, letter] of letters.entries()) {
    const key = letter.task?.key ?? `raw:${index}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(`${JSON.stringify({ key, record: letter })}\n`);
  }
  await writeFileAtomic(path, lines.join(''));
  return lines.length;
}

// --- The job --------------------------------------------------------------------------------

/** What a run did, for the summary. */
interface Report {
  /** The signal that interrupted the run. */
  readonly interrupted: NodeJS.Signals | undefined;
  /** The error that stopped planning (an authentication error, say). */
  readonly failure: unknown;
  /** The producers' counts; `undefined` when planning was stopped. */
  readonly plan: ProducerProgress | undefined;
  /** Courses planned, and tasks left out because an earlier run did them. */
  readonly courses: number;
  readonly skipped: number;
  readonly worker: ReturnType<SyncWorker['stats']>;
  readonly client: ReturnType<CanvasSyncClient['stats']>;
  /** Tasks enqueued but neither done nor dead-lettered. */
  readonly undone: number;
  readonly deadLetters: readonly DeadLetter[];
  readonly elapsedMs: number;
}

/** The 7 whole UTC days before today. */
function lastWeek(now = new Date()): PageViewWindow {
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const start = end - 7 * 86_400_000;
  return { startTime: new Date(start).toISOString(), endTime: new Date(end).toISOString() };
}

/** First SIGINT or SIGTERM: stop gracefully. A second one: exit at once. */
function watchSignals(): { stop: AbortController; received: () => NodeJS.Signals | undefined } {
  const stop = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      process.stderr.write(`\n${signal} again: exiting at once\n`);
      process.exit(1);
    }
    received = signal;
    console.log(`\n${signal}: stopping after the tasks in hand (signal again to exit at once)`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { stop, received: () => received };
}

/** Resolves once no task is queued, in hand or waiting for a retry, or once `signal` aborts. */
async function untilIdle(queue: MemoryQueueAdapter, signal: AbortSignal): Promise<void> {
  for (;;) {
    const { queued, inFlight, delayed } = await queue.stats();
    if (queued + inFlight + delayed === 0 || signal.aborted) return;
    await sleep(50);
  }
}

/** The client, the in-process queue and the worker pool that fills the files. */
function pipeline(settings: Settings, target: Target, store: Store) {
  const client = new CanvasSyncClient({ baseUrl: target.baseUrl, token: target.token });
  const queue = new MemoryQueueAdapter();
  const worker = new SyncWorker({
    client,
    queue,
    sink: (task) => sinkOf(store, task),
    sanitizer: target.sanitizer,
    concurrency: settings.concurrency,
  });
  worker.on('task', ({ task, outcome }) => {
    if (outcome !== 'ack') return;
    const entry = { kind: task.kind, doneAt: new Date().toISOString() };
    // Not awaited: the journal writes in order, and closing it waits for every write. A lost
    // entry only means that the next run fetches the task again (and stores nothing twice).
    store.journal.upsert([entry], { key: () => task.key }).catch(() => {});
  });
  return { client, queue, worker };
}

/** Counts that the producers' own result does not give when planning is stopped. */
interface Tally {
  courses: number;
  skipped: number;
  planning: boolean;
}

/** Starts the worker pool, plans meanwhile, and waits until every task is done. */
async function sync(settings: Settings, target: Target, store: Store): Promise<Report> {
  const { stop, received } = watchSignals();
  const { client, queue, worker } = pipeline(settings, target, store);
  const tally: Tally = { courses: 0, skipped: 0, planning: true };
  // What makes restarts cheap: a task in the journal was done by an earlier run.
  const doneEarlier = (task: SyncTask): boolean => {
    const done = store.journal.has(task.key);
    if (done) tally.skipped++;
    return done;
  };
  const started = performance.now();
  const stopProgress = startProgress({
    queue,
    worker,
    client,
    planning: () => tally.planning,
    intervalMs: settings.progressMs,
    out: process.stdout,
  });
  let plan: ProducerProgress | undefined;
  let failure: unknown;
  try {
    await worker.start();
    plan = await runProducers({
      client,
      queue,
      scope: target.scope,
      producers: [
        rosterScanner(),
        gradeExporter(),
        engagementCrawler({ pageViews: store.pageViews }),
      ],
      skip: doneEarlier,
      onCourse: (progress) => {
        tally.courses = progress.courses;
      },
      signal: stop.signal,
    }).catch((error: unknown) => {
      if (!stop.signal.aborted) failure = error; // an interruption is no failure
      stop.abort();
      return undefined;
    });
    tally.planning = false;
    await untilIdle(queue, stop.signal);
    // Undisturbed, every task is done by now. Stopped, the tasks in hand finish, no others.
    await worker.close({ drain: !stop.signal.aborted });
  } finally {
    await stopProgress();
    await client.close();
  }
  const { queued, inFlight, delayed } = await queue.stats();
  return {
    interrupted: received(),
    failure,
    plan,
    courses: tally.courses,
    skipped: tally.skipped,
    worker: worker.stats(),
    client: client.stats(),
    undone: queued + inFlight + delayed,
    deadLetters: await worker.deadLetters(),
    elapsedMs: performance.now() - started,
  };
}

// --- The summary ----------------------------------------------------------------------------

/** The throughput achieved and, against the simulator, the bound it is measured against. */
function throughput(report: Report, settings: Settings, sim: CanvasSimulator | undefined) {
  const rate = report.client.requests / (report.elapsedMs / 1000);
  const lines = [`${count(rate)} req/s, ${count(report.client.throttled)} throttled`];
  if (sim === undefined) return lines;
  // Each request in flight holds Canvas's up-front cost: ceil(hwm / cost) - 1 fit at once.
  const { highWaterMark, upFrontCost } = sim.bucket;
  const slots = Math.ceil(highWaterMark / upFrontCost) - 1;
  const bound = slots / (MEAN_LATENCY_MS / 1000);
  const share = ((100 * rate) / bound).toFixed(0);
  const bounds = `${slots} in flight / ${MEAN_LATENCY_MS} ms mean latency`;
  lines.push(`= ${share} % of ${count(bound)} req/s, the in-flight bound (${bounds})`);
  const { concurrency } = settings;
  if (concurrency < slots) lines.push(`(${concurrency} workers: at most ${concurrency} in flight)`);
  // Costs that outrun the leak raise the level, leaving room for fewer requests in flight.
  const { level, peakLevel } = sim.stats();
  const room = Math.max(0, Math.ceil((highWaterMark - level) / upFrontCost) - 1);
  lines.push(
    `peak bucket level ${peakLevel.toFixed(0)} of ${highWaterMark}; ` +
      `level now ${level.toFixed(0)}, room for ${room} in flight (see npm run bench pipeline)`,
  );
  return lines;
}

/** The files of the output directory and their line counts. */
function files(store: Store, deadLetters: number): [string, number][] {
  const list = [...store.records].map(([kind, sink]): [string, number] => [
    `${kind}.jsonl`,
    sink.size,
  ]);
  list.push(['tasks-done.jsonl', store.journal.size]);
  if (deadLetters > 0) list.push(['dead-letters.jsonl', deadLetters]);
  return list;
}

/** Prints the summary; checks that every task is accounted for; returns the exit code. */
function summarize(
  report: Report,
  settings: Settings,
  target: Target,
  written: [string, number][],
): number {
  const { plan, worker, client, interrupted, failure } = report;
  const finished = worker.done + worker.deadLettered;
  // Planning stopped early: the tasks enqueued are those finished and those left undone.
  const enqueued = plan?.enqueued ?? finished + report.undone;
  const stopped = interrupted !== undefined || failure !== undefined;
  printSummary({
    title: interrupted ? `interrupted by ${interrupted}` : failure ? 'stopped by an error' : '',
    courses: report.courses,
    tasks: {
      planned: enqueued + report.skipped,
      skipped: report.skipped,
      done: worker.done,
      deadLettered: worker.deadLettered,
    },
    records: { written: worker.recordsWritten, skipped: worker.recordsSkipped },
    requests: { sent: client.requests, throttled: client.throttled, retries: client.retries },
    deadLetterReasons: report.deadLetters.map((letter) => letter.reason),
    planFailures: plan?.failures.length ?? 0,
    elapsedMs: report.elapsedMs,
    throughput: throughput(report, settings, target.sim),
    dir: settings.out,
    files: written,
  });
  if (failure !== undefined) console.error(`\nsync stopped: ${describeError(failure)}`);
  if (stopped) {
    const planning = plan === undefined ? ' (planning stopped before the end)' : '';
    const [what, advice] = interrupted
      ? ['Interrupted', 'Run again to resume']
      : ['Stopped', 'Fix the error and run again'];
    console.log(`\n${what}: ${count(report.undone)} planned tasks left undone${planning}.`);
    console.log(`${advice}: finished tasks are skipped and stored records are never`);
    console.log('written twice.');
    return interrupted === 'SIGINT' ? 130 : interrupted === 'SIGTERM' ? 143 : 1;
  }
  // The identity of a complete run: each task enqueued ended done or dead-lettered.
  const holds = enqueued === finished;
  const identity =
    `${count(enqueued + report.skipped)} planned - ${count(report.skipped)} done earlier ` +
    `${holds ? '=' : '!='} ${count(worker.done)} done + ${count(worker.deadLettered)} dead-lettered`;
  if (holds) console.log(`\nevery task accounted for: ${identity}`);
  else console.error(`\nTASKS NOT ACCOUNTED FOR: ${identity}`);
  return holds ? 0 : 1;
}

function describeError(error: unknown): string {
  // canvas-sync's errors never carry the token or response bodies: safe to print.
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function main(): Promise<number> {
  const settings = parseSettings(process.argv.slice(2));
  if (settings === undefined) return 0;
  const target = CANVAS_VARIABLES.some((name) => process.env[name])
    ? realCanvas(settings, process.env)
    : await simulatedCanvas(settings, process.env);
  try {
    const store = await openStore(settings.out);
    let report: Report;
    let deadLetterLines: number;
    try {
      report = await sync(settings, target, store);
      deadLetterLines = await saveDeadLetters(settings.out, report.deadLetters);
    } finally {
      await closeStore(store);
    }
    return summarize(report, settings, target, files(store, deadLetterLines));
  } finally {
    await target.sim?.close();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  // Invalid settings: the flags or variables, or an output file that is not one of ours.
  if (error instanceof UsageError || error instanceof CanvasOptionsError) {
    console.error(`${error.message}\nSee --help for usage.`);
    return 2;
  }
  console.error(`sync failed: ${describeError(error)}`);
  return 1;
});
