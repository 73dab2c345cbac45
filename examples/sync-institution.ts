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
 *
 * The job is {@link runSync}; run as a script, it gets the process's arguments, environment,
 * output, clock and signals (see the end of this file). Tests call it in-process with their own.
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
import { type Io, isMainModule, type Output, processIo } from './support/io.js';
import { count, printSummary, startProgress } from './support/progress.js';
import {
  parseEnvironment,
  parseSettings,
  type Settings,
  type Source,
  USAGE,
  UsageError,
} from './support/settings.js';
import { readJsonState, writeFileAtomic } from './support/state-file.js';

// --- Where the data comes from: the simulator or a real Canvas --------------------------------

interface Target {
  readonly baseUrl: string;
  readonly token: string;
  readonly scope: CourseScope;
  readonly sanitizer: FerpaSanitizer;
  /** The embedded simulator and its mean latency in ms; `undefined` against a real Canvas. */
  readonly sim: { readonly canvas: CanvasSimulator; readonly meanLatencyMs: number } | undefined;
}

const SIMULATED_FAULTS = { serverErrorRate: 0.05, resetRate: 0.02, malformedJsonRate: 0.03 };
/** Pseudonym key of simulator runs: anyone can recompute these pseudonyms (fine for fake data). */
const DEMO_KEY = 'canvas-sync demo key: NOT a secret';

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

function realCanvas(source: Extract<Source, { kind: 'canvas' }>, io: Io): Target {
  const { baseUrl, token, accountId, termId, key } = source;
  const sanitizer = makeSanitizer(key);
  io.stdout.write(`Canvas: ${baseUrl}, account ${accountId}${termId ? `, term ${termId}` : ''}\n`);
  return { baseUrl, token, scope: { accountId, termId }, sanitizer, sim: undefined };
}

async function simulatedCanvas(
  settings: Settings,
  key: string | undefined,
  io: Io,
): Promise<Target> {
  const sanitizer = key ? makeSanitizer(key) : makeSanitizer(DEMO_KEY, 'demo');
  const { courses, students, seed, faults } = settings;
  const perCourse = Math.min(75, students);
  // Simulated request latency: 30 to 50 ms, 40 ms on average, unless the caller sets one.
  const latency = io.simulatorLatencyMs;
  const canvas = await startCanvasSimulator({
    seed,
    latencyMs: latency ?? ((request) => 30 + 20 * request.random()),
    // Its page views end now, by the job's clock: the last days hold some.
    institution: { courses, students, studentsPerCourse: perCourse, pageViewsUntil: io.now() },
    ...(faults && { faults: SIMULATED_FAULTS }),
  });
  const say = (line: string): unknown => io.stdout.write(`${line}\n`);
  say(`Canvas simulator listening on ${canvas.url}`);
  say(
    `  ${count(courses)} courses, ${count(students)} students (${perCourse} per course), ` +
      `latency ${latency ?? '30-50'} ms, seed ${seed}` +
      (faults ? ', faults: 5 % 5xx, 2 % connection resets, 3 % malformed JSON' : ''),
  );
  if (!key) {
    say('  pseudonyms use a fixed demo key, so they are not secret (fine for simulated');
    say('  data); set CANVAS_SYNC_HMAC_KEY to use your own');
  }
  return {
    baseUrl: canvas.url,
    token: canvas.token,
    scope: { accountId: canvas.data.account.id },
    sanitizer,
    sim: { canvas, meanLatencyMs: latency ?? 40 },
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

async function openStore(dir: string, io: Io): Promise<Store> {
  const records = new Map<TaskKind, JsonlFileSink<unknown>>();
  let journal: JsonlFileSink<{ kind: TaskKind; doneAt: string }> | undefined;
  try {
    for (const kind of KINDS) records.set(kind, await openJsonl(dir, `${kind}.jsonl`, io.stderr));
    journal = await openJsonl(dir, 'tasks-done.jsonl', io.stderr);
    return { records, journal, pageViews: await pageViewWindow(dir, io) };
  } catch (error) {
    // A file or the window refused: close what is open (the run stops with the error).
    await Promise.all([...records.values(), journal].map((sink) => sink?.close()));
    throw error;
  }
}

/**
 * Opens one of the directory's JSONL files. A last line torn by a crash is removed by the sink
 * (its records, or its tasks, are simply written again), and said on stderr; a damaged line
 * elsewhere stops the run with the file's name and what to do.
 */
async function openJsonl<T>(dir: string, name: string, stderr: Output): Promise<JsonlFileSink<T>> {
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
    stderr.write(
      `${path}: removed a last line torn by an interrupted run (${truncatedBytes} bytes); ` +
        `${name === 'tasks-done.jsonl' ? 'the tasks it recorded are' : 'its records are'} fetched again\n`,
    );
  }
  return sink;
}

/**
 * The page-view window of the directory's sync: the one its first run chose (so that a run
 * resumed after midnight plans the same tasks), else the 7 whole UTC days before today (by
 * `io.now`), remembered (written atomically). A file left empty or torn by a crash is replaced
 * by a new window, and stderr says so; a window that is not one stops the run. A new window
 * wants a new output directory.
 */
async function pageViewWindow(dir: string, io: Io): Promise<PageViewWindow> {
  const path = join(dir, 'page-view-window.json');
  const state = await readJsonState(path);
  if (state.status === 'ok') return checkedWindow(path, state.value);
  const window = lastWeek(io.now());
  if (state.status === 'unreadable') {
    io.stderr.write(
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
  /** The signal that interrupted the run, e.g. `'SIGTERM'`. */
  readonly interrupted: string | undefined;
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

/** The 7 whole UTC days before the day of `now` (epoch ms). */
function lastWeek(now: number): PageViewWindow {
  const day = 86_400_000;
  const end = Math.floor(now / day) * day;
  const start = end - 7 * day;
  return { startTime: new Date(start).toISOString(), endTime: new Date(end).toISOString() };
}

/**
 * A signal that aborts when the run is asked to stop (`interrupt`: SIGINT or SIGTERM, say) or
 * when planning fails; `interrupted()` names the signal that asked. `dispose()` stops listening.
 */
function watchStop(interrupt: AbortSignal | undefined, stdout: Output) {
  const stop = new AbortController();
  const onInterrupt = (): void => {
    const name = String(interrupt?.reason);
    stdout.write(`\n${name}: stopping after the tasks in hand (signal again to exit at once)\n`);
    stop.abort();
  };
  if (interrupt?.aborted) onInterrupt();
  else interrupt?.addEventListener('abort', onInterrupt, { once: true });
  return {
    stop,
    interrupted: (): string | undefined =>
      interrupt?.aborted ? String(interrupt.reason) : undefined,
    dispose: (): void => interrupt?.removeEventListener('abort', onInterrupt),
  };
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
function pipeline(settings: Settings, target: Target, store: Store, io: Io) {
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
    const entry = { kind: task.kind, doneAt: new Date(io.now()).toISOString() };
    // Not awaited: the journal writes in order, and closing it waits for every write. A lost
    // entry only means that the next run fetches the task again (and stores nothing twice).
    store.journal.write([entry], { key: () => task.key }).catch(() => {});
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
async function sync(settings: Settings, target: Target, store: Store, io: Io): Promise<Report> {
  const { stop, interrupted, dispose } = watchStop(io.signal, io.stdout);
  const { client, queue, worker } = pipeline(settings, target, store, io);
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
    out: io.stdout,
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
    dispose();
    await stopProgress();
    await client.close();
  }
  const { queued, inFlight, delayed } = await queue.stats();
  return {
    interrupted: interrupted(),
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
function throughput(report: Report, settings: Settings, sim: Target['sim']) {
  const rate = report.client.requests / (report.elapsedMs / 1000);
  const lines = [`${count(rate)} req/s, ${count(report.client.throttled)} throttled`];
  // Without latency (as in tests), the in-flight bound is no bound.
  if (sim === undefined || sim.meanLatencyMs === 0) return lines;
  // Each request in flight holds Canvas's up-front cost: ceil(hwm / cost) - 1 fit at once.
  const { highWaterMark, upFrontCost } = sim.canvas.bucket;
  const slots = Math.ceil(highWaterMark / upFrontCost) - 1;
  const bound = slots / (sim.meanLatencyMs / 1000);
  const share = ((100 * rate) / bound).toFixed(0);
  const bounds = `${slots} in flight / ${sim.meanLatencyMs} ms mean latency`;
  lines.push(`= ${share} % of ${count(bound)} req/s, the in-flight bound (${bounds})`);
  const { concurrency } = settings;
  if (concurrency < slots) lines.push(`(${concurrency} workers: at most ${concurrency} in flight)`);
  // Costs that outrun the leak raise the level, leaving room for fewer requests in flight.
  const { level, peakLevel } = sim.canvas.stats();
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
  io: Io,
): number {
  const { plan, worker, client, interrupted, failure } = report;
  const finished = worker.done + worker.deadLettered;
  // Planning stopped early: the tasks enqueued are those finished and those left undone.
  const enqueued = plan?.enqueued ?? finished + report.undone;
  const stopped = interrupted !== undefined || failure !== undefined;
  const say = (line: string): unknown => io.stdout.write(`${line}\n`);
  printSummary(io.stdout, {
    title: interrupted ? `interrupted by ${interrupted}` : failure ? 'stopped by an error' : '',
    courses: report.courses,
    tasks: {
      planned: enqueued + report.skipped,
      skipped: report.skipped,
      done: worker.done,
      deadLettered: worker.deadLettered,
    },
    records: worker.records,
    requests: { sent: client.requests, throttled: client.throttled, retries: client.retries },
    deadLetterReasons: report.deadLetters.map((letter) => letter.reason),
    planFailures: plan?.failures.length ?? 0,
    elapsedMs: report.elapsedMs,
    throughput: throughput(report, settings, target.sim),
    dir: settings.out,
    files: written,
  });
  if (failure !== undefined) io.stderr.write(`\nsync stopped: ${describeError(failure)}\n`);
  if (stopped) {
    const planning = plan === undefined ? ' (planning stopped before the end)' : '';
    const [what, advice] = interrupted
      ? ['Interrupted', 'Run again to resume']
      : ['Stopped', 'Fix the error and run again'];
    say(`\n${what}: ${count(report.undone)} planned tasks left undone${planning}.`);
    say(`${advice}: finished tasks are skipped and stored records are never`);
    say('written twice.');
    return interrupted === 'SIGINT' ? 130 : interrupted === 'SIGTERM' ? 143 : 1;
  }
  // The identity of a complete run: each task enqueued ended done or dead-lettered.
  const holds = enqueued === finished;
  const identity =
    `${count(enqueued + report.skipped)} planned - ${count(report.skipped)} done earlier ` +
    `${holds ? '=' : '!='} ${count(worker.done)} done + ${count(worker.deadLettered)} dead-lettered`;
  if (holds) say(`\nevery task accounted for: ${identity}`);
  else io.stderr.write(`\nTASKS NOT ACCOUNTED FOR: ${identity}\n`);
  return holds ? 0 : 1;
}

function describeError(error: unknown): string {
  // canvas-sync's errors never carry the token or response bodies: safe to print.
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The job: settings, source, files, the sync, the summary. */
async function main(args: string[], io: Io): Promise<number> {
  const settings = parseSettings(args, io.stdout.isTTY === true);
  if (settings === undefined) {
    io.stdout.write(USAGE);
    return 0;
  }
  const source = parseEnvironment(io.env, settings);
  const target =
    source.kind === 'canvas'
      ? realCanvas(source, io)
      : await simulatedCanvas(settings, source.key, io);
  try {
    const store = await openStore(settings.out, io);
    let report: Report;
    let deadLetterLines: number;
    try {
      report = await sync(settings, target, store, io);
      deadLetterLines = await saveDeadLetters(settings.out, report.deadLetters);
    } finally {
      await closeStore(store);
    }
    return summarize(report, settings, target, files(store, deadLetterLines), io);
  } finally {
    await target.sim?.canvas.close();
  }
}

/**
 * Runs the job as the command line `args` and `io` say; returns the exit code: 0 when every task
 * is accounted for, 2 for invalid settings, 130 or 143 when interrupted, 1 otherwise.
 */
export async function runSync(args: string[], io: Io): Promise<number> {
  try {
    return await main(args, io);
  } catch (error) {
    // Invalid settings: the flags or variables, or an output file that is not one of ours.
    if (error instanceof UsageError || error instanceof CanvasOptionsError) {
      io.stderr.write(`${error.message}\nSee --help for usage.\n`);
      return 2;
    }
    io.stderr.write(`sync failed: ${describeError(error)}\n`);
    return 1;
  }
}

// --- As a script: `npm run example` --------------------------------------------------------

if (isMainModule(import.meta.url)) {
  process.exitCode = await runSync(process.argv.slice(2), processIo());
}
