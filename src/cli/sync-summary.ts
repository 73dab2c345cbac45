/**
 * What `canvas-sync sync` says when a run ends: the summary (figures, throughput against the
 * bucket's limits, the check that every task is accounted for, the exit code) and the run report.
 *
 * @module
 */
import { join } from 'node:path';
import type {
  CanvasSyncClient,
  DeadLetter,
  ProducerProgress,
  RecordCounts,
  SyncWorker,
} from '../index.js';
import type { Target } from './canvas-target.js';
import type { Io } from './io.js';
import { count, printSummary } from './progress.js';
import type { ReportRecorder, RunReport } from './report.js';
import {
  DEAD_LETTERS_FILE,
  describeWindow,
  JOURNAL_FILE,
  RUN_FILE,
  type Run,
} from './run-state.js';
import type { Settings } from './settings.js';
import { exitCodeOf } from './signals.js';
import { packageVersion } from './version.js';
import { KINDS, type Warehouse } from './warehouse.js';

/** What a run did, for the summary. */
export interface Report {
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
export interface Leftovers {
  /** Tasks the journal holds, when the run was not complete (it stays, to resume). */
  readonly journal: number | undefined;
  readonly deadLetters: number;
}

/** Whether every task enqueued ended done or dead-lettered, undisturbed. */
export function isComplete(report: Report): boolean {
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
export function summarize(
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
export interface ReportContext {
  readonly settings: Settings;
  readonly target: Target;
  readonly warehouse: Warehouse;
  readonly run: Run;
  readonly code: number;
  readonly now: () => number;
}

/** The run report of `--report`: the summary's figures, and the client's per second. */
export function runReport(report: Report, context: ReportContext): RunReport {
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

export function describeError(error: unknown): string {
  // canvas-sync's errors never carry the token or response bodies: safe to print (a database
  // password is scrubbed from all output, see redactingIo).
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
