/**
 * Pipeline: a whole institution synced by the producers and a pool of
 * `SyncWorker`s on the in-process queue, against the simulator in its own
 * thread, measured against the best rate the bucket allows for the same
 * number of requests and against a cautious one-task-at-a-time crawl.
 *
 * The institution is the example's: 40 courses, 3,000 students, 75 per
 * course, 40 ms mean latency, cheap requests (so the limit is the in-flight
 * one, about 13 / 40 ms, at first; the costs outrun the leak, so the level
 * rises and fewer requests fit as the run goes on, which the clairvoyant
 * client of `pacing-limits.ts` counts). Every record goes through the FERPA
 * sanitizer into a memory sink. Rows: worker concurrency 4, 8, 16, 32; the
 * sequential baseline gets a time budget and its rate is compared with the
 * limit for the requests it made. A pipeline cannot quite reach the limit: planning must read
 * metadata before the tasks that depend on it exist, and the last tasks end
 * one by one.
 */

import {
  CanvasSyncClient,
  engagementCrawler,
  FerpaSanitizer,
  gradeExporter,
  MemoryQueueAdapter,
  MemorySink,
  rosterScanner,
  runProducers,
  SyncWorker,
} from '../src/index.js';
import { type LimitParams, theoreticalLimit } from './pacing-limits.js';
import { type SimSpec, startSimThread } from './sim-thread.js';
import { formatTable } from './table.js';

export const INSTITUTION = { courses: 40, students: 3_000, studentsPerCourse: 75 } as const;
const WINDOW = { startTime: '2026-11-21T00:00:00Z', endTime: '2026-11-28T00:00:00Z' };
const CONCURRENCIES = [4, 8, 16, 32] as const;
const SEQUENTIAL_BUDGET_MS = 8_000;
const TIMEOUT_MS = 180_000;

export const SPEC: Omit<SimSpec, 'tokens'> = {
  highWaterMark: 700,
  maximum: 800,
  outflowPerSecond: 10,
  upFrontCost: 50,
  cost: 0.1,
  latencyMs: { min: 30, max: 50 },
  seed: 7,
  institution: INSTITUTION,
};
export const MEAN_LATENCY_MS = 40;

export interface RunResult {
  readonly label: string;
  readonly tasks: number;
  readonly done: number;
  readonly deadLettered: number;
  readonly records: number;
  readonly requests: number;
  readonly seconds: number;
  readonly throttled: number;
  readonly complete: boolean;
  /** Share of the run the main thread's event loop was busy (client, workers, sanitizer). */
  readonly busy: number;
}

/** Producers and `concurrency` workers until every planned task ended (or the budget ran out). */
export async function runPipeline(
  url: string,
  token: string,
  concurrency: number,
  budgetMs: number,
): Promise<RunResult> {
  const client = new CanvasSyncClient({ baseUrl: url, token });
  const queue = new MemoryQueueAdapter();
  const sink = new MemorySink<unknown>();
  const worker = new SyncWorker({
    client,
    queue,
    sink,
    concurrency,
    sanitizer: new FerpaSanitizer({ key: 'b'.repeat(32), keyId: 'bench', freeText: 'redact-all' }),
  });
  const started = performance.now();
  const loopBefore = performance.eventLoopUtilization();
  await worker.start();
  const planning = runProducers({
    client,
    queue,
    scope: { accountId: 1 },
    producers: [rosterScanner(), gradeExporter(), engagementCrawler({ pageViews: WINDOW })],
  });
  let planned: number | undefined;
  void planning.then((result) => {
    planned = result.enqueued;
  });
  const deadline = started + budgetMs;
  const finished = (): boolean => {
    const stats = worker.stats();
    return planned !== undefined && stats.done + stats.deadLettered === planned;
  };
  while (!finished() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  const busy = performance.eventLoopUtilization(loopBefore).utilization;
  const complete = finished();
  await worker.close();
  await planning.catch(() => undefined);
  const stats = worker.stats();
  await client.close();
  return {
    label: concurrency === 1 ? 'one task at a time' : `pipeline, ${concurrency} workers`,
    tasks: planned ?? stats.done + stats.deadLettered,
    done: stats.done,
    deadLettered: stats.deadLettered,
    records: stats.records.inserted + stats.records.updated + stats.records.unchanged,
    requests: stats.requests,
    seconds,
    throttled: stats.throttled,
    complete,
    busy,
  };
}

/** The in-flight bound's rate, and the clairvoyant client's (which also counts the level rising). */
export function limitFor(requests: number): { bound: number; ideal: number } {
  const params: LimitParams = {
    highWaterMark: SPEC.highWaterMark,
    maximum: SPEC.maximum,
    upFrontCost: SPEC.upFrontCost,
    outflowPerSecond: SPEC.outflowPerSecond,
    cost: SPEC.cost,
    meanLatencyMs: MEAN_LATENCY_MS,
    startLevel: 0,
    requests,
  };
  const limit = theoreticalLimit(params);
  return { bound: (limit.kMax * 1000) / MEAN_LATENCY_MS, ideal: requests / limit.simulatedSeconds };
}

/** `npm run bench pipeline` */
export async function benchPipeline(): Promise<void> {
  const tokens = [...CONCURRENCIES.map((c) => `pipeline-${c}`), 'pipeline-sequential'];
  const sim = await startSimThread({ ...SPEC, tokens });
  const results: RunResult[] = [];
  try {
    for (const concurrency of CONCURRENCIES) {
      results.push(await runPipeline(sim.url, `pipeline-${concurrency}`, concurrency, TIMEOUT_MS));
    }
    results.push(await runPipeline(sim.url, 'pipeline-sequential', 1, SEQUENTIAL_BUDGET_MS));
    for (const [index, token] of tokens.entries()) {
      const result = results[index];
      if (result === undefined) continue;
      const simStats = await sim.stats(token);
      results[index] = { ...result, throttled: simStats.throttled };
    }
  } finally {
    await sim.close();
  }
  const rows = results.map((r) => {
    const rate = r.requests / r.seconds;
    return [
      r.label,
      r.complete ? `${r.done + r.deadLettered}/${r.tasks}` : `${r.done} (budget)`,
      String(r.deadLettered),
      String(r.records),
      String(r.requests),
      r.seconds.toFixed(2),
      rate.toFixed(1),
      `${((100 * rate) / limitFor(r.requests).ideal).toFixed(1)} %`,
      `${((100 * rate) / limitFor(r.requests).bound).toFixed(1)} %`,
      String(r.throttled),
      `${(100 * r.busy).toFixed(0)} %`,
    ];
  });
  console.log(
    `\nPipeline: ${INSTITUTION.courses} courses, ${INSTITUTION.students} students, ` +
      `${INSTITUTION.studentsPerCourse} per course; ${MEAN_LATENCY_MS} ms mean latency, cost ${SPEC.cost}\n`,
  );
  console.log(
    formatTable(
      [
        'run',
        'tasks ended',
        'dead',
        'records',
        'requests',
        's',
        'req/s',
        'of ideal',
        'of bound',
        'throttled',
        'loop busy',
      ],
      rows,
    ),
  );
  const best = results.slice(0, CONCURRENCIES.length).reduce((a, b) => {
    return b.requests / b.seconds > a.requests / a.seconds ? b : a;
  });
  const sequential = results.at(-1);
  if (sequential !== undefined) {
    const ratio = best.requests / best.seconds / (sequential.requests / sequential.seconds);
    console.log(`\nbest pipeline vs one task at a time: ${ratio.toFixed(1)}× the request rate`);
  }
  const { bound, ideal } = limitFor(3_600);
  console.log(
    `of ideal: share of the rate of a clairvoyant client with no overhead making the same number of\n` +
      `  requests against the same bucket (idealClientSeconds in pacing-limits.ts): ${ideal.toFixed(0)} req/s for 3,600.\n` +
      `  Costs (0.1 each) outrun the leak (10/s), so the level rises and fewer requests fit in flight\n` +
      `  as a run goes on. of bound: share of the in-flight bound on an empty bucket, ${bound.toFixed(0)} req/s.`,
  );
}
