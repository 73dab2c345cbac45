/**
 * The sync as a fleet: `canvas-sync plan` puts a run's tasks on a broker, and `canvas-sync worker`
 * processes, on as many machines as wanted, fetch them into one warehouse (PostgreSQL, or SQLite
 * with `--single-host`). `canvas-sync sync --queue` does both in one process, and more workers
 * can join it.
 *
 * ```
 * canvas-sync plan ──▶ broker (Redis, RabbitMQ, SQS) ──▶ N × canvas-sync worker ──▶ Canvas
 *                                                                  │
 *                                                                  ▼
 *                                                         warehouse (PostgreSQL)
 * ```
 */

import { CanvasOptionsError } from '../errors/index.js';
import { type QueueAdapter, runProducers, type SyncTask, SyncWorker } from '../index.js';
import { delay } from '../retry/delay.js';
import { realCanvas, type Target } from './canvas-target.js';
import { fleetClient } from './fleet-pacing.js';
import type { Io } from './io.js';
import { enqueueEarlierWindows, plannedAsOf, producersFor, type Tally } from './planning.js';
import { count } from './progress.js';
import { openQueue, type QueueChoice } from './queue-target.js';
import { redactingIo, redactUrl } from './redact.js';
import { describeWindow, endRun, findRun, startRun } from './run-state.js';
import { parseEnvironment, parseSettings, type Settings, UsageError } from './settings.js';
import { exitCodeOf } from './signals.js';
import { describeError } from './sync-summary.js';
import { openWarehouse, outputIdentity, type Warehouse } from './warehouse.js';

const CANVAS_FLAGS = `Canvas (every process of a fleet reaches the same one):
  --base-url URL     the Canvas (default: CANVAS_BASE_URL); secrets from the environment only:
                     CANVAS_ACCESS_TOKEN (or the CANVAS_CLIENT_ID, CANVAS_CLIENT_SECRET and
                     CANVAS_REFRESH_TOKEN of an OAuth2 refresh token), and CANVAS_SYNC_HMAC_KEY`;

const QUEUE_FLAGS = `Broker:
  --queue URL        redis://host:6379 (BullMQ), amqp://user:password@host/vhost (RabbitMQ) or
                     sqs://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE (Amazon SQS; ?endpoint=URL for
                     a local server, ?region=…, ?dlq=NAME)
  --queue-name NAME  the queue on Redis or RabbitMQ (default: canvas-sync)
  --pacing-redis URL share the token's budget with every process of the fleet through this
                     Redis (default: the Redis of a redis:// --queue; otherwise each process
                     paces alone, and says so)`;

const OUTPUT_FLAGS = `Output (one warehouse every process reaches):
  --db URL           PostgreSQL (postgres://user:password@host/db): the fleet's warehouse
  --db-schema NAME   its schema (default: canvas_sync)
  --out DIR          SQLite in DIR/canvas-sync.db, only with --single-host (every process on
                     this machine); the planner also keeps an interrupted plan's state in DIR
                     (default: out)
  --single-host      allow the SQLite output`;

/** The usage text of `canvas-sync plan`. */
export const PLAN_USAGE = `Usage: canvas-sync plan --queue URL [options]

Plans a sync of every course of a Canvas account onto a broker, for workers (canvas-sync worker)
on any number of machines to fetch, and exits. It plans from the warehouse: what changed since
the last run, and the page views since the last window.

${CANVAS_FLAGS}
  --account-id ID    the account whose courses are synced (default: CANVAS_ACCOUNT_ID)
  --term-id ID       only the courses of this enrollment term (default: CANVAS_TERM_ID)
  --full             read every assignment's submissions whole

${QUEUE_FLAGS}

${OUTPUT_FLAGS}

  --help             this text

Exit codes: 0 planned, 1 failed, 2 usage, 130 stopped by SIGINT, 143 stopped by SIGTERM.
`;

/** The usage text of `canvas-sync worker`. */
export const WORKER_USAGE = `Usage: canvas-sync worker --queue URL [options]

Fetches the tasks on a broker (planned by canvas-sync plan, or canvas-sync sync --queue) into
the warehouse, until stopped (SIGINT or SIGTERM: the tasks in hand finish first) or, with
--exit-when-idle, until the broker has had nothing to do for a while.

${CANVAS_FLAGS}

${QUEUE_FLAGS}
  --lease-ms N       how long a task is held before another worker may take it if this one
                     dies (BullMQ lock, SQS visibility timeout; default 30000); RabbitMQ gives
                     it to another worker as soon as this one's connection drops

${OUTPUT_FLAGS}

  --concurrency N    tasks fetched at once (default: 16)
  --exit-when-idle   exit once nothing is queued, delayed or in hand for --idle-ms
  --idle-ms N        (default: 2000)
  --verbose          a line per task: its outcome, kind and key
  --help             this text

Exit codes: 0 stopped when idle, 1 failed, 2 usage, 130 stopped by SIGINT, 143 stopped by
SIGTERM.
`;

/** The broker as the summary names it: kind, and URL without its password. */
function describeQueue(choice: QueueChoice): string {
  const name = choice.kind === 'sqs' ? '' : ` (queue ${choice.name})`;
  return `${redactUrl(choice.url)}${name}`;
}

/** The command's settings and Canvas, or `undefined` for `--help`. */
function setUp(
  args: string[],
  io: Io,
  command: 'plan' | 'worker',
): { settings: Settings; target: Target } | undefined {
  const settings = parseSettings(args, io.stdout.isTTY === true, command);
  if (settings === undefined) return undefined;
  const source = parseEnvironment(io.env, settings, command);
  if (source.kind !== 'canvas') throw new UsageError('--simulate: not in a fleet');
  return { settings, target: realCanvas(source, io) };
}

/** Runs a fleet command, turning its errors into exit codes (2 for usage, 1 otherwise). */
async function guarded(
  args: string[],
  given: Io,
  usage: string,
  command: 'plan' | 'worker',
  run: (settings: Settings, target: Target, io: Io) => Promise<number>,
): Promise<number> {
  const io = redactingIo(given, args);
  try {
    const ready = setUp(args, io, command);
    if (ready === undefined) {
      io.stdout.write(usage);
      return 0;
    }
    return await run(ready.settings, ready.target, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof CanvasOptionsError) {
      io.stderr.write(`${error.message}\nSee --help for usage.\n`);
      return 2;
    }
    io.stderr.write(`${command} failed: ${describeError(error)}\n`);
    return 1;
  }
}

// --- canvas-sync plan -----------------------------------------------------------------------

/**
 * `canvas-sync plan`: plans a run onto the broker and exits. A complete plan records its page-view
 * window in the warehouse (the next plan starts where it ends: a task of it that fails ends as a
 * dead letter on the broker, to replay with `canvas-sync dead-letters --queue … --replay`); an
 * interrupted one is planned again, whole, by the next `plan` (the broker or the sinks make the
 * tasks planned twice harmless).
 */
export function runPlan(args: string[], io: Io): Promise<number> {
  return guarded(args, io, PLAN_USAGE, 'plan', plan);
}

async function plan(settings: Settings, target: Target, io: Io): Promise<number> {
  const choice = settings.queue as QueueChoice;
  const found = await findRun(settings.out, outputIdentity(settings.output));
  const warehouse = await openWarehouse(settings.output, () => new Date(io.now()), io.stderr);
  let queue: QueueAdapter | undefined;
  const client = fleetClient(settings, target, io);
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  io.signal?.addEventListener('abort', onInterrupt, { once: true });
  try {
    queue = await openQueue(choice, {
      onNotice: (text) => io.stderr.write(`queue: ${text}\n`),
    });
    const run = await startRun(settings.out, found, warehouse, io);
    const say = (line: string): unknown => io.stdout.write(`${line}\n`);
    say(
      `${run.resumed ? 'Planning again the interrupted plan' : 'Planning'} onto ${describeQueue(choice)}`,
    );
    say(`  for ${warehouse.description}, with ${describeWindow(run.state.pageViews)}`);
    const tally: Tally = { courses: 0, skipped: 0, total: undefined };
    const earlier = await enqueueEarlierWindows(queue, run, tally);
    const planned = await runProducers({
      client,
      queue,
      scope: target.scope,
      producers: producersFor(settings, run.state.pageViews ?? false),
      state: plannedAsOf(warehouse.state, run),
      signal: stop.signal,
    });
    const window = run.state.pageViews;
    if (window !== null) await warehouse.recordPageViews(window, new Date(io.now()).toISOString());
    await run.journal.close();
    await endRun(settings.out, run);
    say(
      `planned ${count(planned.enqueued + earlier)} tasks over ${count(planned.courses)} courses` +
        ` (${count(client.stats().requests)} requests): canvas-sync worker --queue … fetches them`,
    );
    return 0;
  } catch (error) {
    const interrupted = io.signal?.aborted ? String(io.signal.reason) : undefined;
    if (interrupted !== undefined && stop.signal.aborted) {
      io.stdout.write(
        `\n${interrupted}: planning stopped; the next canvas-sync plan plans again\n`,
      );
      return exitCodeOf(interrupted);
    }
    throw error;
  } finally {
    io.signal?.removeEventListener('abort', onInterrupt);
    await client.close();
    await queue?.close();
    await warehouse.close();
  }
}

// --- canvas-sync worker ---------------------------------------------------------------------

/**
 * `canvas-sync worker`: fetches the broker's tasks into the warehouse until stopped, or (with
 * `--exit-when-idle`) until the broker has had nothing queued, delayed or in hand for `--idle-ms`.
 */
export function runWorker(args: string[], io: Io): Promise<number> {
  return guarded(args, io, WORKER_USAGE, 'worker', work);
}

async function work(settings: Settings, target: Target, io: Io): Promise<number> {
  const choice = settings.queue as QueueChoice;
  const warehouse: Warehouse = await openWarehouse(
    settings.output,
    () => new Date(io.now()),
    io.stderr,
  );
  const client = fleetClient(settings, target, io);
  let queue: QueueAdapter | undefined;
  let worker: SyncWorker | undefined;
  const say = (line: string): unknown => io.stdout.write(`${line}\n`);
  const stop = new AbortController();
  const onInterrupt = (): void => {
    say(`\n${String(io.signal?.reason)}: stopping after the tasks in hand`);
    stop.abort();
  };
  try {
    queue = await openQueue(choice, {
      leaseMs: settings.leaseMs,
      onNotice: (text) => io.stderr.write(`queue: ${text}\n`),
    });
    worker = new SyncWorker({
      client,
      queue,
      sink: (task: SyncTask) => warehouse.sinkOf(task),
      sanitizer: target.sanitizer,
      concurrency: settings.concurrency,
      now: () => new Date(io.now()),
    });
    if (settings.verbose) {
      worker.on('task', ({ task, outcome, reason }) => {
        say(`${outcome} ${task.kind} ${task.key}${reason === undefined ? '' : ` (${reason})`}`);
      });
    }
    if (io.signal?.aborted) onInterrupt();
    else io.signal?.addEventListener('abort', onInterrupt, { once: true });
    say(
      `Worker on ${describeQueue(choice)}: ${settings.concurrency} at once into ${warehouse.description}`,
    );
    await worker.start();
    if (settings.exitWhenIdle) await idleFor(worker, queue, settings.idleMs, stop.signal);
    else await stopped(stop.signal);
    await worker.close();
    const stats = worker.stats();
    const { inserted, updated, unchanged, deleted } = stats.records;
    say(
      `worker done: ${count(stats.done)} tasks done, ${count(stats.retried)} retried, ` +
        `${count(stats.deadLettered)} dead-lettered; records ${count(inserted)} inserted, ` +
        `${count(updated)} updated, ${count(unchanged)} unchanged, ${count(deleted)} deleted; ` +
        `${count(stats.requests)} requests (throttled: ${count(stats.throttled)})`,
    );
    const interrupted = io.signal?.aborted ? String(io.signal.reason) : undefined;
    return interrupted === undefined ? 0 : exitCodeOf(interrupted);
  } finally {
    io.signal?.removeEventListener('abort', onInterrupt);
    await worker?.close();
    await queue?.close();
    await client.close();
    await warehouse.close();
  }
}

/** Resolves when `signal` aborts. */
function stopped(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Resolves once the broker has had nothing queued, delayed or in flight (this worker's tasks
 * included) for `idleMs`, and no task ended meanwhile; or when `signal` aborts.
 */
async function idleFor(
  worker: SyncWorker,
  queue: QueueAdapter,
  idleMs: number,
  signal: AbortSignal,
): Promise<void> {
  const ended = (): number => {
    const { done, retried, deadLettered } = worker.stats();
    return done + retried + deadLettered;
  };
  try {
    for (;;) {
      await worker.idle({ pollMs: Math.min(idleMs, 1_000), signal });
      const before = ended();
      await delay(idleMs, signal);
      const stats = await (queue.stats?.() ?? Promise.resolve(undefined));
      const empty = stats === undefined || stats.queued + stats.delayed + stats.inFlight === 0;
      if (empty && ended() === before) return;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
