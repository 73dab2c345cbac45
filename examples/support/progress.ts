/**
 * What `examples/sync-institution.ts` shows while it runs and when it ends: on a terminal, a
 * progress bar redrawn in place; elsewhere (pipes, CI logs), a plain line now and then; and the
 * summary table.
 */
import type { CanvasSyncClient, MemoryQueueAdapter, SyncWorker } from '../../src/index.js';
import type { Output } from './io.js';

/** Formats a count for people: `12,345`. */
export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

// --- Progress --------------------------------------------------------------------------------

/** What the progress display reads, and where it writes. */
export interface ProgressSource {
  readonly queue: MemoryQueueAdapter;
  readonly worker: SyncWorker;
  readonly client: CanvasSyncClient;
  /** Whether the producers are still planning (the total may still grow). */
  readonly planning: () => boolean;
  /** Time between two updates, in ms; `undefined` for no progress display. */
  readonly intervalMs: number | undefined;
  readonly out: Output;
}

interface Counts {
  finished: number;
  planned: number;
  records: number;
  requests: number;
  throttled: number;
  retries: number;
}

async function read({ queue, worker, client }: ProgressSource): Promise<Counts> {
  const { queued, inFlight, delayed } = await queue.stats();
  const { done, deadLettered, records } = worker.stats();
  const { requests, throttled, retries } = client.stats();
  const finished = done + deadLettered;
  // Every task enqueued is done, dead-lettered, queued, in hand or waiting for a retry.
  const planned = finished + queued + inFlight + delayed;
  return {
    finished,
    planned,
    records: records.inserted + records.updated,
    requests,
    throttled,
    retries,
  };
}

function describe(counts: Counts, planning: boolean, requestsPerSecond: number): string {
  return [
    `${count(counts.finished)}/${count(counts.planned)}${planning ? '+' : ''} tasks`,
    `${count(counts.records)} records`,
    `${count(requestsPerSecond)} req/s`,
    `${count(counts.throttled)} throttled`,
    `${count(counts.retries)} retries`,
  ].join(' · ');
}

function bar(counts: Counts, text: string, columns: number): string {
  const width = 20;
  const share = counts.planned === 0 ? 0 : counts.finished / counts.planned;
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

  const draw = async (): Promise<void> => {
    const counts = await read(source);
    if (stopped) return;
    const now = performance.now();
    // Requests per second over the last one to two seconds: steady even at 10 updates a second.
    const rate = ((counts.requests - last.requests) * 1000) / Math.max(1, now - last.at);
    if (now - last.at >= 1000) last = { at: now, requests: counts.requests };
    const text = describe(counts, source.planning(), rate);
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

/** The figures of the summary. */
export interface Summary {
  /** After "Summary", e.g. `'interrupted by SIGTERM'`; empty for a complete run. */
  readonly title: string;
  readonly courses: number;
  /** Tasks planned, those skipped (done earlier), done and dead-lettered. */
  readonly tasks: { planned: number; skipped: number; done: number; deadLettered: number };
  /** What the run did to the stored records. */
  readonly records: { inserted: number; updated: number; unchanged: number; deleted: number };
  readonly requests: { sent: number; throttled: number; retries: number };
  readonly deadLetterReasons: readonly string[];
  /** Courses whose planning failed. */
  readonly planFailures: number;
  readonly elapsedMs: number;
  /** Lines about the throughput achieved and its bounds. */
  readonly throughput: readonly string[];
  readonly dir: string;
  /** File names and their line counts. */
  readonly files: readonly (readonly [string, number])[];
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

/** Prints the summary table to `out`. */
export function printSummary(out: Output, s: Summary): void {
  out.write(`\nSummary${s.title === '' ? '' : ` (${s.title})`}\n`);
  row(out, 'courses', count(s.courses));
  row(
    out,
    'tasks planned',
    `${count(s.tasks.planned)} (skipped, done earlier: ${count(s.tasks.skipped)})`,
  );
  row(out, 'tasks done', count(s.tasks.done));
  row(out, 'tasks dead-lettered', count(s.tasks.deadLettered));
  row(
    out,
    'records written',
    `${count(s.records.inserted + s.records.updated)} (${count(s.records.inserted)} new, ${count(s.records.updated)} changed; unchanged: ${count(s.records.unchanged)}, deleted: ${count(s.records.deleted)})`,
  );
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
  row(out, 'output', s.dir);
  for (const [name, lines] of s.files) {
    out.write(`    ${name.padEnd(32)} ${count(lines).padStart(9)} lines\n`);
  }
}
