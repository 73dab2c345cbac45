/**
 * What `canvas-sync sync` shows while it runs and when it ends: on a terminal, a
 * progress bar redrawn in place; elsewhere (pipes, CI logs), a plain line now and then; and the
 * summary table.
 */
import type { CanvasSyncClient, QueueStats, SyncWorker } from '../index.js';
import type { Output } from './io.js';

/** Formats a count for people: `12,345`. */
export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

// --- Progress --------------------------------------------------------------------------------

/** What the progress display reads, and where it writes. */
export interface ProgressSource {
  /** The tasks waiting (queued, in hand, delayed), as the queue counts them. */
  readonly queue: { stats(): Promise<QueueStats> };
  readonly worker: SyncWorker;
  readonly client: CanvasSyncClient;
  /**
   * The number of tasks enqueued, once planning is over; `undefined` while the producers are
   * still planning (the total may still grow).
   */
  readonly total: () => number | undefined;
  /** Time between two updates, in ms; `undefined` for no progress display. */
  readonly intervalMs: number | undefined;
  readonly out: Output;
}

interface Counts {
  finished: number;
  /** Tasks enqueued so far: the total once planning is over, a lower bound before. */
  planned: number;
  /** Whether `planned` is still growing. */
  planning: boolean;
  /** Records fetched and stored (new, changed or unchanged). */
  records: number;
  /** Of which new or changed. */
  changed: number;
  requests: number;
  throttled: number;
  retries: number;
}

async function read({ queue, worker, client, total }: ProgressSource): Promise<Counts> {
  const { queued, inFlight, delayed } = await queue.stats();
  const { done, deadLettered, records } = worker.stats();
  const { requests, throttled, retries } = client.stats();
  const finished = done + deadLettered;
  const known = total();
  return {
    finished,
    // While planning, every task enqueued is done, dead-lettered, queued, in hand or waiting for
    // a retry (a lower bound: a task can be counted finished before the queue lets it go).
    planned: known ?? finished + queued + inFlight + delayed,
    planning: known === undefined,
    records: records.inserted + records.updated + records.unchanged,
    changed: records.inserted + records.updated,
    requests,
    throttled,
    retries,
  };
}

/**
 * Counts that never move backwards between two updates: each figure is the largest seen so far
 * (the worker's and client's counters only grow; the queue's lower bound of the total may dip
 * for a moment while a task changes hands).
 */
function ratchet(last: Counts | undefined, next: Counts): Counts {
  if (last === undefined) return next;
  return {
    finished: Math.max(last.finished, next.finished),
    planned: Math.max(last.planned, next.planned),
    planning: next.planning,
    records: Math.max(last.records, next.records),
    changed: Math.max(last.changed, next.changed),
    requests: Math.max(last.requests, next.requests),
    throttled: Math.max(last.throttled, next.throttled),
    retries: Math.max(last.retries, next.retries),
  };
}

function describe(counts: Counts, requestsPerSecond: number): string {
  return [
    `${count(counts.finished)}/${count(counts.planned)}${counts.planning ? '+' : ''} tasks`,
    `${count(counts.records)} records (${count(counts.changed)} new or changed)`,
    `${count(requestsPerSecond)} req/s`,
    `${count(counts.throttled)} throttled`,
    `${count(counts.retries)} retries`,
  ].join(' · ');
}

/**
 * The bar: empty while planning (a share of a total that still grows would move backwards when
 * it grows), then the share of tasks finished, which only grows.
 */
function bar(counts: Counts, text: string, columns: number): string {
  const width = 20;
  const share = counts.planning || counts.planned === 0 ? 0 : counts.finished / counts.planned;
  const filled = Math.min(width, Math.round(share * width));
  const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`;
  // `\r` goes back to the start of the line; `\x1b[K` clears what a longer text left there.
  return `\r${line.slice(0, Math.max(10, columns - 1))}\x1b[K`;
}

/**
 * Shows progress every `intervalMs` (in place on a terminal) until the returned function is
 * called; that function clears the bar so the summary can follow. The timer never keeps the
 * process alive.
 */
export function startProgress(source: ProgressSource): () => Promise<void> {
  const { out, intervalMs } = source;
  if (intervalMs === undefined) return async () => {};
  const inPlace = out.isTTY === true;
  const started = performance.now();
  let last = { at: started, requests: 0 };
  let timer: NodeJS.Timeout | undefined;
  let drawing: Promise<void> = Promise.resolve();
  let stopped = false;
  let shown: Counts | undefined;

  const draw = async (): Promise<void> => {
    const counts = ratchet(shown, await read(source));
    if (stopped) return;
    shown = counts;
    const now = performance.now();
    // Requests per second over the last one to two seconds: steady even at 10 updates a second.
    const rate = ((counts.requests - last.requests) * 1000) / Math.max(1, now - last.at);
    if (now - last.at >= 1000) last = { at: now, requests: counts.requests };
    const text = describe(counts, rate);
    const seconds = ((now - started) / 1000).toFixed(1);
    // A terminal of unknown size (`columns` 0 or undefined) gets 100 columns.
    const columns = out.columns || 100;
    out.write(inPlace ? bar(counts, text, columns) : `progress ${seconds} s: ${text}\n`);
  };
  const schedule = (): void => {
    timer = setTimeout(() => {
      drawing = draw()
        .catch(() => {}) // a missed update is no reason to stop the job
        .finally(() => {
          if (!stopped) schedule();
        });
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return async () => {
    stopped = true;
    clearTimeout(timer);
    await drawing;
    if (inPlace) out.write('\r\x1b[K');
  };
}

// --- Summary ---------------------------------------------------------------------------------

/** What a run did to the stored records (the worker's `RecordCounts`). */
export interface RecordFigures {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly deleted: number;
}

/** The figures of the summary. */
export interface Summary {
  /** After "Summary", e.g. `'interrupted by SIGTERM'`; empty for a complete run. */
  readonly title: string;
  readonly courses: number;
  /** Tasks planned, those skipped (done earlier), done and dead-lettered. */
  readonly tasks: { planned: number; skipped: number; done: number; deadLettered: number };
  /**
   * How the submissions were read: assignments read whole, and filtered reads of a course's
   * submissions graded or submitted since the last run; `undefined` when planning was stopped.
   */
  readonly submissionReads?: { readonly whole: number; readonly since: number } | undefined;
  /** What the run did to the stored records, in total and by kind (in the order given). */
  readonly records: RecordFigures;
  readonly byKind: readonly (readonly [string, RecordFigures])[];
  readonly requests: { sent: number; throttled: number; retries: number };
  readonly deadLetterReasons: readonly string[];
  /** Courses whose planning failed. */
  readonly planFailures: number;
  readonly elapsedMs: number;
  /** Lines about the throughput achieved and its bounds. */
  readonly throughput: readonly string[];
  /** Where the records are (a database URL without its password). */
  readonly output: string;
  /** The page views the run synced, for people. */
  readonly pageViews: string;
  /** Lines about the state files left in the output directory, if any. */
  readonly state: readonly string[];
}

function row(out: Output, label: string, value: string): void {
  out.write(`  ${label.padEnd(20)} ${value}\n`);
}

function byReason(reasons: readonly string[]): string {
  if (reasons.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${count(n)} ${reason}`).join(', ');
}

const RECORD_COLUMNS = ['inserted', 'updated', 'unchanged', 'deleted'] as const;

/**
 * The records table: a header row, one row per kind, and the total (a kind is at most 24
 * characters: `course.student_summaries`).
 */
function recordsTable(out: Output, byKind: Summary['byKind'], total: RecordFigures): void {
  const cells = (figures: RecordFigures): string =>
    RECORD_COLUMNS.map((column) => count(figures[column]).padStart(10)).join('');
  out.write(`  ${'records'.padEnd(26)}${RECORD_COLUMNS.map((c) => c.padStart(10)).join('')}\n`);
  for (const [kind, figures] of byKind) out.write(`    ${kind.padEnd(24)}${cells(figures)}\n`);
  out.write(`    ${'total'.padEnd(24)}${cells(total)}\n`);
}

/** Prints the summary table to `out`. */
export function printSummary(out: Output, s: Summary): void {
  out.write(`\nSummary${s.title === '' ? '' : ` (${s.title})`}\n`);
  row(out, 'output', s.output);
  row(out, 'page views', s.pageViews);
  row(out, 'courses', count(s.courses));
  row(
    out,
    'tasks planned',
    `${count(s.tasks.planned)} (skipped, done earlier: ${count(s.tasks.skipped)})`,
  );
  if (s.submissionReads !== undefined) {
    const { whole, since } = s.submissionReads;
    row(
      out,
      'submissions read',
      `${count(whole)} assignments whole, ${count(since)} course reads since the last run`,
    );
  }
  row(out, 'tasks done', count(s.tasks.done));
  row(out, 'tasks dead-lettered', count(s.tasks.deadLettered));
  recordsTable(out, s.byKind, s.records);
  const { sent, throttled, retries } = s.requests;
  row(
    out,
    'requests',
    `${count(sent)} (throttled: ${count(throttled)}, retries: ${count(retries)})`,
  );
  row(out, 'dead letters', byReason(s.deadLetterReasons));
  if (s.planFailures > 0) {
    row(out, 'planning failed', `${count(s.planFailures)} course(s): run again`);
  }
  row(out, 'elapsed', `${(s.elapsedMs / 1000).toFixed(1)} s`);
  for (const [i, line] of s.throughput.entries()) row(out, i === 0 ? 'throughput' : '', line);
  for (const [i, line] of s.state.entries()) row(out, i === 0 ? 'state' : '', line);
}
