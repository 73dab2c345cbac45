/**
 * Sync a whole institution out of Canvas: every course's roster, gradebook and engagement data
 * into a warehouse kept current (one SQLite file by default; JSON Lines change logs, or
 * PostgreSQL), with student identifiers pseudonymized and names redacted.
 *
 * What it shows:
 * - three producers plan small tasks (one per Canvas collection) while a pool of workers
 *   fetches them, all through one CanvasSyncClient paced by Canvas's rate-limit headers;
 * - every record passes a FerpaSanitizer before it reaches the warehouse;
 * - every run brings the warehouse up to date: records compare by version (new ones inserted,
 *   changed ones updated, unchanged ones left alone), full passes tombstone what Canvas no
 *   longer lists, and page views are synced from where the last run's ended;
 * - stopping and restarting are safe: a task journal lets the next run resume an interrupted
 *   one, and nothing is stored twice (press Ctrl-C, then run it again);
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
import { join } from 'node:path';
import {
  CanvasOptionsError,
  CanvasSyncClient,
  type CourseScope,
  createTask,
  type DeadLetter,
  engagementCrawler,
  FerpaSanitizer,
  gradeExporter,
  MemoryQueueAdapter,
  type ProducerProgress,
  type RecordCounts,
  refreshTokenProvider,
  rosterScanner,
  runProducers,
  type SyncState,
  type SyncTask,
  SyncWorker,
  type TokenProvider,
} from '../index.js';
import { startCanvasSimulator } from '../testing/index.js';
import { Backlog } from './backlog.js';
import type { Io, Output } from './io.js';
import { count, printSummary, startProgress } from './progress.js';
import { redactingIo } from './redact.js';
import { ReportRecorder, type RunReport } from './report.js';
import {
  DEAD_LETTERS_FILE,
  describeWindow,
  endRun,
  findRun,
  JOURNAL_FILE,
  RUN_FILE,
  type Run,
  type RunFound,
  startRun,
} from './run-state.js';
import {
  parseEnvironment,
  parseSettings,
  type Settings,
  type Source,
  USAGE,
  UsageError,
} from './settings.js';
import { exitCodeOf } from './signals.js';
import {
  type SimulatorThread,
  type SimulatorThreadOptions,
  startSimulatorThread,
} from './simulator-thread.js';
import { removeFileDurably, writeFileAtomic } from './state-file.js';
import { packageVersion } from './version.js';
import { KINDS, openWarehouse, outputIdentity, type Warehouse } from './warehouse.js';
import { writeReports } from './write-reports.js';

// --- Where the data comes from: the simulator or a real Canvas --------------------------------

interface Target {
  readonly baseUrl: string;
  readonly token: string | TokenProvider;
  readonly scope: CourseScope;
  readonly sanitizer: FerpaSanitizer;
  /** The embedded simulator and its mean latency in ms; `undefined` against a real Canvas. */
  readonly sim: { readonly canvas: SimulatedCanvas; readonly meanLatencyMs: number } | undefined;
}

const SIMULATED_FAULTS = { serverErrorRate: 0.05, resetRate: 0.02, malformedJsonRate: 0.03 };
/** Pseudonym key of simulator runs: anyone can recompute these pseudonyms (fine for fake data). */
const DEMO_KEY = 'canvas-sync demo key: NOT a secret';

/**
 * Pseudonyms the sanitizer remembers (about 120 bytes each, so about 2.4 MB when full). A
 * student's identifiers come back within a course (its roster, submissions, summaries and page
 * views are fetched one after the other), so this holds the courses in hand many times over,
 * whatever the size of the institution; the library's default (200,000, about 24 MB) also hits
 * across courses, for a few µs of hashing saved per identifier.
 */
const PSEUDONYM_CACHE = 20_000;

function makeSanitizer(key: string, keyId?: string): FerpaSanitizer {
  try {
    // 'redact-all': discussion posts and comments can quote names, which no pattern catches.
    return new FerpaSanitizer({
      key,
      freeText: 'redact-all',
      cacheSize: PSEUDONYM_CACHE,
      ...(keyId && { keyId }),
    });
  } catch (error) {
    // The error names the problem (e.g. a key that is too short), never the key.
    if (error instanceof CanvasOptionsError)
      throw new UsageError(`CANVAS_SYNC_HMAC_KEY: ${error.message}`);
    throw error;
  }
}

function realCanvas(source: Extract<Source, { kind: 'canvas' }>, io: Io): Target {
  const { baseUrl, accountId, termId, key } = source;
  const sanitizer = makeSanitizer(key);
  // An OAuth2 refresh token: a new access token each hour, redacted like the first.
  const token =
    typeof source.token === 'string'
      ? source.token
      : refreshTokenProvider({ baseUrl, ...source.token });
  io.stdout.write(`Canvas: ${baseUrl}, account ${accountId}${termId ? `, term ${termId}` : ''}\n`);
  return { baseUrl, token, scope: { accountId, termId }, sanitizer, sim: undefined };
}

/** The embedded simulator, in its own thread or (tests) in this one. */
type SimulatedCanvas = Pick<SimulatorThread, 'url' | 'token' | 'accountId' | 'bucket' | 'close'> & {
  stats(): Promise<{ readonly level: number; readonly peakLevel: number }>;
};

/**
 * Starts the simulator in a worker thread, so that it does not compete with the sync for the
 * event loop (its figures then say what pacing achieves, not what one core can serve); in this
 * thread when `io.simulatorInProcess` (tests: a faster start).
 */
async function startSimulated(io: Io, options: SimulatorThreadOptions): Promise<SimulatedCanvas> {
  if (io.simulatorInProcess !== true) return startSimulatorThread(options);
  const { latencyMs, ...rest } = options;
  const canvas = await startCanvasSimulator({
    ...rest,
    ...(latencyMs !== undefined && {
      latencyMs:
        typeof latencyMs === 'number'
          ? latencyMs
          : (request) => latencyMs.min + (latencyMs.max - latencyMs.min) * request.random(),
    }),
  });
  return {
    url: canvas.url,
    token: canvas.token,
    accountId: canvas.data.account.id,
    bucket: canvas.bucket,
    stats: async () => canvas.stats(),
    close: () => canvas.close(),
  };
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
  // Its page views end now, by the job's clock: the last days hold some.
  const institution = { courses, students, studentsPerCourse: perCourse, pageViewsUntil: io.now() };
  const canvas = await startSimulated(io, {
    seed,
    latencyMs: latency ?? { min: 30, max: 50 },
    institution,
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
    scope: { accountId: canvas.accountId },
    sanitizer,
    sim: { canvas, meanLatencyMs: latency ?? 40 },
  };
}

// --- Dead letters ---------------------------------------------------------------------------

/**
 * Writes this run's dead letters (tasks and reasons, no student data, no token: the worker
 * scrubs them) to `dead-letters.jsonl`, replacing an earlier run's (every run tries the
 * dead-lettered tasks again: the producers plan them again, and the next new run retries those
 * of page views, whose window is behind it) atomically, so that a crash leaves the old file or
 * the new one; no file when there are none. Returns the file's line count. The lines are
 * `{"key", "record"}`: the task's key, or `raw:<n>` for a payload that was not a task.
 */
async function saveDeadLetters(dir: string, letters: readonly DeadLetter[]): Promise<number> {
  const path = join(dir, DEAD_LETTERS_FILE);
  if (letters.length === 0) {
    await removeFileDurably(path);
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
  /** Tasks enqueued besides the producers': dead-lettered page views of earlier windows. */
  readonly earlierWindows: number;
  /** Courses planned, and tasks left out because the interrupted run did them. */
  readonly courses: number;
  readonly skipped: number;
  readonly worker: ReturnType<SyncWorker['stats']>;
  readonly client: ReturnType<CanvasSyncClient['stats']>;
  /** Tasks enqueued but neither done nor dead-lettered. */
  readonly undone: number;
  readonly deadLetters: readonly DeadLetter[];
  readonly elapsedMs: number;
  /** The per-second figures of the run report, from the client's events. */
  readonly figures: ReturnType<ReportRecorder['figures']>;
  /** When the run started, epoch ms by the job's clock. */
  readonly startedAt: number;
  /** The embedded simulator's bucket at the end, if simulated. */
  readonly simBucket: { readonly level: number; readonly peakLevel: number } | undefined;
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

/**
 * The client, the in-process queue (with the backlog of planned tasks that wait for room in it)
 * and the worker pool that fills the warehouse.
 */
function pipeline(settings: Settings, target: Target, warehouse: Warehouse, run: Run, io: Io) {
  const client = new CanvasSyncClient({ baseUrl: target.baseUrl, token: target.token });
  const recorder = new ReportRecorder(client, io.now);
  const queue = new MemoryQueueAdapter();
  // Sixteen ready tasks per worker (256 for the default 16 workers).
  const backlog = new Backlog(queue, 16 * settings.concurrency);
  const worker = new SyncWorker({
    client,
    queue,
    sink: (task) => warehouse.sinkOf(task),
    sanitizer: target.sanitizer,
    concurrency: settings.concurrency,
    now: () => new Date(io.now()),
  });
  worker.on('task', ({ task, outcome }) => {
    // A task ended: room in the queue for the next planned ones.
    void backlog.feed();
    if (outcome !== 'ack') return;
    const entry = { kind: task.kind, doneAt: new Date(io.now()).toISOString() };
    // Not awaited: the journal writes in order, and closing it waits for every write. A lost
    // entry only means that a resumed run fetches the task again (and stores nothing twice).
    run.journal.record(task.key, entry).catch(() => {});
  });
  return { client, recorder, queue, backlog, worker };
}

/** Counts that the producers' own result does not give when planning is stopped. */
interface Tally {
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
async function enqueueEarlierWindows(
  queue: MemoryQueueAdapter,
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
function plannedAsOf(state: SyncState, run: Run): SyncState {
  if (!run.resumed) return state;
  const { startedAt } = run.state;
  return {
    lastFinished: async (scope, stream) => {
      const finished = await state.lastFinished(scope, stream);
      return finished !== undefined && finished.finishedAt < startedAt ? finished : undefined;
    },
  };
}

/** Starts the worker pool, plans meanwhile, and waits until every task is done. */
async function sync(
  settings: Settings,
  target: Target,
  warehouse: Warehouse,
  run: Run,
  io: Io,
): Promise<Report> {
  const { stop, interrupted, dispose } = watchStop(io.signal, io.stdout);
  const { client, recorder, queue, backlog, worker } = pipeline(
    settings,
    target,
    warehouse,
    run,
    io,
  );
  const tally: Tally = { courses: 0, skipped: 0, total: undefined };
  // What makes resuming cheap: a task in the journal was done by the interrupted run.
  const doneEarlier = (task: SyncTask): boolean => {
    const done = run.journal.has(task.key);
    if (done) tally.skipped++;
    return done;
  };
  const started = performance.now();
  const stopProgress = startProgress({
    queue: backlog,
    worker,
    client,
    total: () => tally.total,
    intervalMs: settings.progressMs,
    out: io.stdout,
  });
  let plan: ProducerProgress | undefined;
  let failure: unknown;
  let earlierWindows = 0;
  try {
    await worker.start();
    earlierWindows = await enqueueEarlierWindows(queue, run, tally);
    const pageViews = run.state.pageViews ?? false;
    plan = await runProducers({
      client,
      queue: backlog.producerQueue,
      scope: target.scope,
      producers: [
        rosterScanner(),
        gradeExporter({ incremental: !settings.full }),
        engagementCrawler({ pageViews }),
      ],
      state: plannedAsOf(warehouse.state, run),
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
    if (plan !== undefined) tally.total = plan.enqueued + earlierWindows;
    // Every planned task in the queue (the backlog feeds it as tasks end)…
    await backlog.drained(stop.signal).catch((error: unknown) => {
      if (!stop.signal.aborted) failure ??= error;
      stop.abort();
    });
    // …then, undisturbed, every task is done once the worker is idle. Stopped, the tasks in
    // hand finish, no others.
    await worker.idle({ signal: stop.signal, pollMs: 50 }).catch(() => {});
    await worker.close({ drain: !stop.signal.aborted });
  } finally {
    dispose();
    await stopProgress();
    recorder.stop();
    await client.close();
  }
  // Tasks left: in the queue and in the backlog.
  const { queued, inFlight, delayed } = await backlog.stats();
  return {
    interrupted: interrupted(),
    failure,
    plan,
    earlierWindows,
    courses: tally.courses,
    skipped: tally.skipped,
    worker: worker.stats(),
    client: client.stats(),
    undone: queued + inFlight + delayed,
    deadLetters: await worker.deadLetters(),
    elapsedMs: performance.now() - started,
    figures: recorder.figures(),
    startedAt: recorder.startedAt,
    simBucket: await target.sim?.canvas.stats(),
  };
}

// --- The summary ----------------------------------------------------------------------------

/** The throughput achieved and, against the simulator, the bound it is measured against. */
function throughput(report: Report, settings: Settings, sim: Target['sim']) {
  const rate = report.client.requests / (report.elapsedMs / 1000);
  const lines = [`${count(rate)} req/s, ${count(report.client.throttled)} throttled`];
  // What the bucket leaks is the sustained limit, whatever the latency (a real Canvas too).
  const { costPerSecond, ratioToOutflow } = report.figures.throughput;
  lines.push(
    `= ${(100 * ratioToOutflow).toFixed(0)} % of the bucket's outflow ` +
      `(${costPerSecond.toFixed(1)} of 10 units/s of request cost)`,
  );
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
  const { level, peakLevel } = report.simBucket ?? { level: 0, peakLevel: 0 };
  const room = Math.max(0, Math.ceil((highWaterMark - level) / upFrontCost) - 1);
  lines.push(
    `peak bucket level ${peakLevel.toFixed(0)} of ${highWaterMark}; ` +
      `level now ${level.toFixed(0)}, room for ${room} in flight`,
  );
  return lines;
}

/** The records counts of every kind the producers plan, in planning order (zeros included). */
function byKind(report: Report): [string, RecordCounts][] {
  const zero = { inserted: 0, updated: 0, unchanged: 0, deleted: 0 };
  const counts = report.worker.byKind;
  const kinds = [...KINDS, ...Object.keys(counts).filter((kind) => !KINDS.includes(kind as never))];
  return kinds.map((kind) => [kind, counts[kind] ?? zero]);
}

/** What the run leaves in the output directory besides the records, for the summary. */
interface Leftovers {
  /** Tasks the journal holds, when the run was not complete (it stays, to resume). */
  readonly journal: number | undefined;
  readonly deadLetters: number;
}

/** Whether every task enqueued ended done or dead-lettered, undisturbed. */
function isComplete(report: Report): boolean {
  const { worker, interrupted, failure, plan } = report;
  if (interrupted !== undefined || failure !== undefined || plan === undefined) return false;
  return plan.enqueued + report.earlierWindows === worker.done + worker.deadLettered;
}

/** Tasks enqueued: planning stopped early, those finished and those left undone. */
function enqueuedOf({ plan, worker, undone, earlierWindows }: Report): number {
  return plan === undefined
    ? worker.done + worker.deadLettered + undone
    : plan.enqueued + earlierWindows;
}

/** Prints the summary; checks that every task is accounted for; returns the exit code. */
function summarize(
  report: Report,
  settings: Settings,
  target: Target,
  warehouse: Warehouse,
  run: Run,
  left: Leftovers,
  io: Io,
): number {
  const { plan, worker, client, interrupted, failure } = report;
  const finished = worker.done + worker.deadLettered;
  const enqueued = enqueuedOf(report);
  const stopped = interrupted !== undefined || failure !== undefined;
  const say = (line: string): unknown => io.stdout.write(`${line}\n`);
  const state: string[] = [];
  if (left.journal !== undefined) {
    state.push(`${join(settings.out, JOURNAL_FILE)}: ${count(left.journal)} tasks done, skipped`);
    state.push(`when the run is resumed (with ${RUN_FILE} beside it)`);
  }
  if (left.deadLetters > 0) {
    state.push(`${join(settings.out, DEAD_LETTERS_FILE)}: ${count(left.deadLetters)} tasks`);
  }
  printSummary(io.stdout, {
    title: interrupted ? `interrupted by ${interrupted}` : failure ? 'stopped by an error' : '',
    output: warehouse.description,
    pageViews: describeWindow(run.state.pageViews),
    courses: report.courses,
    tasks: {
      planned: enqueued + report.skipped,
      skipped: report.skipped,
      done: worker.done,
      deadLettered: worker.deadLettered,
    },
    submissionReads: plan && {
      whole: plan.byKind['assignment.submissions'] ?? 0,
      since: plan.byKind['course.submissions'] ?? 0,
    },
    records: worker.records,
    byKind: byKind(report),
    requests: { sent: client.requests, throttled: client.throttled, retries: client.retries },
    deadLetterReasons: report.deadLetters.map((letter) => letter.reason),
    planFailures: plan?.failures.length ?? 0,
    elapsedMs: report.elapsedMs,
    throughput: throughput(report, settings, target.sim),
    state,
  });
  if (failure !== undefined) io.stderr.write(`\nsync stopped: ${describeError(failure)}\n`);
  if (stopped) {
    const planning = plan === undefined ? ' (planning stopped before the end)' : '';
    const [what, advice] = interrupted
      ? ['Interrupted', 'Run again to resume']
      : ['Stopped', 'Fix the error and run again to resume'];
    say(`\n${what}: ${count(report.undone)} planned tasks left undone${planning}.`);
    say(`${advice}: finished tasks are skipped and stored records are never`);
    say('written twice.');
    return interrupted ? exitCodeOf(interrupted) : 1;
  }
  // The identity of a complete run: each task enqueued ended done or dead-lettered.
  const holds = enqueued === finished;
  const identity =
    `${count(enqueued + report.skipped)} planned - ${count(report.skipped)} done earlier ` +
    `${holds ? '=' : '!='} ${count(worker.done)} done + ${count(worker.deadLettered)} dead-lettered`;
  if (holds) say(`\nevery task accounted for: ${identity}`);
  else io.stderr.write(`\nTASKS NOT ACCOUNTED FOR: ${identity}\n`);
  if (!holds) return 1;
  if (worker.deadLettered > 0) {
    say(`${count(worker.deadLettered)} dead-lettered: see canvas-sync dead-letters (exit code 3)`);
    return 3;
  }
  return 0;
}

/** What {@link runReport} needs besides the run's figures. */
interface ReportContext {
  readonly settings: Settings;
  readonly target: Target;
  readonly warehouse: Warehouse;
  readonly run: Run;
  readonly code: number;
  readonly now: () => number;
}

/** The run report of `--report`: the summary's figures, and the client's per second. */
function runReport(report: Report, context: ReportContext): RunReport {
  const { target, warehouse, run, code, now } = context;
  const { plan, worker, client, interrupted } = report;
  const status = interrupted
    ? 'interrupted'
    : code === 3
      ? 'dead-letters'
      : code === 0
        ? 'done'
        : 'failed';
  const byReason: Record<string, number> = {};
  for (const { reason } of report.deadLetters) byReason[reason] = (byReason[reason] ?? 0) + 1;
  return {
    reportVersion: 1,
    tool: { name: 'canvas-sync', version: packageVersion() },
    command: 'sync',
    status,
    exitCode: code,
    interruptedBy: interrupted ?? null,
    startedAt: new Date(report.startedAt).toISOString(),
    endedAt: new Date(now()).toISOString(),
    elapsedMs: report.elapsedMs,
    source: {
      kind: target.sim === undefined ? 'canvas' : 'simulator',
      origin: new URL(target.baseUrl).origin,
    },
    output: warehouse.description,
    resumed: run.resumed,
    pageViews: run.state.pageViews,
    courses: report.courses,
    tasks: {
      planned: enqueuedOf(report) + report.skipped,
      skipped: report.skipped,
      done: worker.done,
      deadLettered: worker.deadLettered,
      undone: report.undone,
    },
    submissionReads: plan
      ? {
          whole: plan.byKind['assignment.submissions'] ?? 0,
          since: plan.byKind['course.submissions'] ?? 0,
        }
      : null,
    records: {
      total: worker.records,
      byKind: Object.fromEntries(byKind(report)),
    },
    deadLetters: { total: report.deadLetters.length, byReason },
    requests: {
      sent: client.requests,
      throttled: client.throttled,
      retries: client.retries,
      failures: client.failures,
    },
    ...report.figures,
  };
}

function describeError(error: unknown): string {
  // canvas-sync's errors never carry the token or response bodies: safe to print (a database
  // password is scrubbed from all output, see redactingIo).
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * One run into an open warehouse: starts or resumes the run, syncs, saves the dead letters and,
 * when the run is complete, records its page views in the warehouse. Closes the warehouse.
 */
async function runInto(
  warehouse: Warehouse,
  found: RunFound,
  settings: Settings,
  target: Target,
  io: Io,
): Promise<number> {
  let run: Run;
  try {
    run = await startRun(settings.out, found, warehouse, io);
  } catch (error) {
    await warehouse.close();
    throw error;
  }
  const say = (line: string): unknown => io.stdout.write(`${line}\n`);
  say(`${run.resumed ? 'Resuming the interrupted run' : 'Syncing'} into ${warehouse.description}`);
  say(`  with ${describeWindow(run.state.pageViews)}`);
  let report: Report;
  let deadLetters: number;
  let complete = false;
  try {
    report = await sync(settings, target, warehouse, run, io);
    deadLetters = await saveDeadLetters(settings.out, report.deadLetters);
    complete = isComplete(report);
    // Where the next run's page views start: recorded in the warehouse, with its records.
    const window = run.state.pageViews;
    if (complete && window !== null) {
      await warehouse.recordPageViews(window, new Date(io.now()).toISOString());
    }
  } finally {
    await warehouse.close();
    if (!complete) await run.journal.close();
  }
  // Everything is stored and closed: the run's state goes, and the next run starts afresh.
  if (complete) await endRun(settings.out, run);
  const left = { journal: complete ? undefined : run.journal.size, deadLetters };
  const code = summarize(report, settings, target, warehouse, run, left, io);
  if (settings.reports.length > 0) {
    const written = runReport(report, { settings, target, warehouse, run, code, now: io.now });
    for (const path of await writeReports(settings.reports, written)) say(`report: ${path}`);
  }
  return code;
}

/** The job: settings, source, warehouse, the run, the summary. */
async function main(args: string[], io: Io): Promise<number> {
  const settings = parseSettings(args, io.stdout.isTTY === true);
  if (settings === undefined) {
    io.stdout.write(USAGE);
    return 0;
  }
  const source = parseEnvironment(io.env, settings);
  // An interrupted run to resume, checked before anything is opened or fetched.
  const found = await findRun(settings.out, outputIdentity(settings.output));
  const target =
    source.kind === 'canvas'
      ? realCanvas(source, io)
      : await simulatedCanvas(settings, source.key, io);
  try {
    const now = () => new Date(io.now());
    const warehouse = await openWarehouse(settings.output, now, io.stderr);
    return await runInto(warehouse, found, settings, target, io);
  } finally {
    await target.sim?.canvas.close();
  }
}

/**
 * Runs the job as the command line `args` and `io` say; returns the exit code: 0 when every task
 * is accounted for, 2 for invalid settings, 130 or 143 when interrupted, 1 otherwise. Nothing it
 * prints holds the password of the `--db` URL.
 */
export async function runSync(args: string[], given: Io): Promise<number> {
  const io = redactingIo(given, args);
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
