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
 * `canvas-sync sync --simulate` runs it against the embedded Canvas simulator (40 courses, 3,000
 * students; `npm run example` does, and `npm run example -- --faults` adds server errors,
 * connection resets and broken JSON). Against your own Canvas: `--base-url`, `--account-id`
 * (or CANVAS_BASE_URL, CANVAS_ACCOUNT_ID), CANVAS_ACCESS_TOKEN and CANVAS_SYNC_HMAC_KEY, your
 * secret pseudonym key (see {@link USAGE}).
 *
 * The job is {@link runSync}: `src/cli/main.ts` gives it the process's arguments, environment,
 * output, clock and signals; tests call it in-process with their own. Where the data comes
 * from is in `canvas-target.ts`, the summary and the run report in `sync-summary.ts`.
 */
import { join } from 'node:path';
import {
  CanvasOptionsError,
  CanvasSyncClient,
  type DeadLetter,
  MemoryQueueAdapter,
  type ProducerProgress,
  runProducers,
  type SyncTask,
  SyncWorker,
} from '../index.js';
import { scrubDeadLetter } from '../queue/index.js';
import { Backlog, brokerFeed, type TaskFeed } from './backlog.js';
import { type Broker, openBroker } from './broker.js';
import { realCanvas, simulatedCanvas, type Target } from './canvas-target.js';
import { fleetClient } from './fleet-pacing.js';
import type { Io, Output } from './io.js';
import { enqueueEarlierWindows, plannedAsOf, producersFor, type Tally } from './planning.js';
import { startProgress } from './progress.js';
import { redactingIo } from './redact.js';
import { ReportRecorder } from './report.js';
import {
  DEAD_LETTERS_FILE,
  describeWindow,
  endRun,
  findRun,
  type Run,
  type RunFound,
  startRun,
} from './run-state.js';
import { parseEnvironment, parseSettings, type Settings, USAGE, UsageError } from './settings.js';
import { removeFileDurably, writeFileAtomic } from './state-file.js';
import { describeError, isComplete, type Report, runReport, summarize } from './sync-summary.js';
import { openWarehouse, outputIdentity, type Warehouse } from './warehouse.js';
import { writeReports } from './write-reports.js';

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
 * The client, the queue (in process, with the backlog of planned tasks that wait for room in it;
 * or the broker's) and the worker pool that fills the warehouse.
 */
function pipeline(
  settings: Settings,
  target: Target,
  warehouse: Warehouse,
  run: Run,
  io: Io,
  broker: Broker | undefined,
) {
  const client =
    broker === undefined
      ? new CanvasSyncClient({ baseUrl: target.baseUrl, token: target.token })
      : fleetClient(settings, target, io);
  const recorder = new ReportRecorder(client, io.now);
  const memory = broker === undefined ? new MemoryQueueAdapter() : undefined;
  // Sixteen ready tasks per worker (256 for the default 16 workers); a broker holds them all.
  const backlog: TaskFeed =
    memory === undefined
      ? brokerFeed((broker as Broker).admin)
      : new Backlog(memory, 16 * settings.concurrency);
  const worker = new SyncWorker({
    client,
    queue: memory ?? (broker as Broker).consumer,
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
  /** The dead letters, from the queue (in process: once the worker is closed, it still has them). */
  const deadLetters = async (): Promise<DeadLetter[]> => {
    if (broker === undefined) return worker.deadLetters();
    const letters = (await broker.admin.deadLetters?.()) ?? [];
    return letters.map((letter) => scrubDeadLetter(letter, (text) => client.redact(text)));
  };
  return {
    client,
    recorder,
    queue: memory ?? (broker as Broker).admin,
    backlog,
    worker,
    deadLetters,
  };
}

/** Starts the worker pool, plans meanwhile, and waits until every task is done. */
async function sync(
  settings: Settings,
  target: Target,
  warehouse: Warehouse,
  run: Run,
  io: Io,
  broker: Broker | undefined,
): Promise<Report> {
  const { stop, interrupted, dispose } = watchStop(io.signal, io.stdout);
  const { client, recorder, queue, backlog, worker, deadLetters } = pipeline(
    settings,
    target,
    warehouse,
    run,
    io,
    broker,
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
      producers: producersFor(settings, pageViews),
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
    deadLetters: await deadLetters(),
    elapsedMs: performance.now() - started,
    figures: recorder.figures(),
    startedAt: recorder.startedAt,
    simBucket: await target.sim?.canvas.stats(),
  };
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
  broker: Broker | undefined,
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
    report = await sync(settings, target, warehouse, run, io, broker);
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
  let broker: Broker | undefined;
  try {
    broker = settings.queue === undefined ? undefined : await openBroker(settings, io);
    const now = () => new Date(io.now());
    const warehouse = await openWarehouse(settings.output, now, io.stderr);
    return await runInto(warehouse, found, settings, target, io, broker);
  } finally {
    await broker?.consumer.close();
    await broker?.admin.close();
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
