/**
 * Regime G of the pacing benchmark: the pipeline of `pipeline.ts` (the main
 * job's institution, at the worker concurrency `canvas-sync sync` uses by
 * default) while two busy loops spin in two worker threads for the whole run,
 * so that on a 2-core machine the client's event loop is starved of CPU: its
 * answers are read late and its timers fire late. Next to it, in the same
 * table, the same pipeline without the loops (each run with its own token on
 * one simulator thread, which the loops starve too).
 *
 * Reported: requests, their rate as a share of the clairvoyant client's for
 * the same number of requests (`idealClientSeconds` of `pacing-limits.ts`,
 * through `pipeline.ts`'s `limitFor`), throttled responses, and the bucket's
 * peak level against the high-water mark as the simulator saw it.
 * Target: 0 throttled with the loops.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { limitFor, type RunResult, runPipeline, SPEC } from './pipeline.js';
import { type SimStats, startSimThread } from './sim-thread.js';
import { formatTable } from './table.js';

/** The regime's name, for `BENCH_REGIMES`. */
export const busyRegime = 'G';

/** `canvas-sync sync --concurrency`'s default (src/cli/settings.ts), also `SyncWorker`'s. */
const SYNC_CONCURRENCY = 16;
const BUSY_LOOPS = 2;
/** Work between two looks at the stop flag, in ms: no yield to the event loop in between. */
const CHUNK_MS = 50;
const TIMEOUT_MS = 180_000;

/**
 * A busy loop's thread: spins on the CPU in chunks of `CHUNK_MS` until the shared flag is set,
 * then posts how many chunks it spun. CommonJS (an eval worker), plain JavaScript.
 */
const busyLoopSource = `
const { parentPort, workerData } = require('node:worker_threads');
const stop = new Int32Array(workerData.stop);
let chunks = 0;
let sink = 0;
while (Atomics.load(stop, 0) === 0) {
  const end = performance.now() + ${CHUNK_MS};
  while (performance.now() < end) sink += Math.sqrt(chunks + sink);
  chunks++;
}
parentPort.postMessage({ chunks, sink });
`;

/** Busy loops running; `stop()` ends them and gives the CPU time each spun, in s. */
interface BusyLoops {
  stop(): Promise<number[]>;
}

async function startBusyLoops(count: number): Promise<BusyLoops> {
  const stop = new SharedArrayBuffer(4);
  const flag = new Int32Array(stop);
  const workers = Array.from(
    { length: count },
    () => new Worker(busyLoopSource, { eval: true, workerData: { stop } }),
  );
  const spun = workers.map(
    (worker) =>
      new Promise<number>((resolve, reject) => {
        worker.once('message', (message: { chunks: number }) =>
          resolve((message.chunks * CHUNK_MS) / 1000),
        );
        worker.once('error', reject);
      }),
  );
  // Running before the measured run starts.
  await Promise.all(
    workers.map((worker) => new Promise((resolve) => worker.once('online', resolve))),
  );
  return {
    stop: async () => {
      Atomics.store(flag, 0, 1);
      const seconds = await Promise.all(spun);
      await Promise.all(workers.map((worker) => worker.terminate()));
      return seconds;
    },
  };
}

interface BusyRow {
  readonly label: string;
  readonly result: RunResult;
  readonly sim: SimStats;
  /** CPU seconds each busy loop spun during the run (none without loops). */
  readonly spun: readonly number[];
}

const percent = (share: number): string => `${(100 * share).toFixed(1)} %`;

function formatRow(row: BusyRow): string[] {
  const { result, sim } = row;
  const rate = result.requests / result.seconds;
  const ended = result.done + result.deadLettered;
  return [
    row.label,
    result.complete ? `${ended}/${result.tasks}` : `${result.done} (cut at ${TIMEOUT_MS / 1000} s)`,
    String(result.requests),
    result.seconds.toFixed(2),
    rate.toFixed(1),
    percent(rate / limitFor(result.requests).ideal),
    `${sim.throttled} (${percent(sim.throttled / Math.max(1, result.requests))})`,
    `${sim.peakLevel.toFixed(1)} / ${SPEC.highWaterMark}`,
    String(sim.maxInFlight),
    percent(result.busy),
  ];
}

/** Runs regime G, prints its table, and returns its verdict line. */
export async function benchBusyPipeline(): Promise<string> {
  const { courses, students, studentsPerCourse } = SPEC.institution ?? {};
  console.log(
    `\nRegime ${busyRegime}, the pipeline benchmark with two busy loops: ${courses} courses, ` +
      `${students} students (${studentsPerCourse} per course), ${SYNC_CONCURRENCY} workers ` +
      `(canvas-sync sync's default); hwm ${SPEC.highWaterMark}, up-front ${SPEC.upFrontCost}, ` +
      `outflow ${SPEC.outflowPerSecond}/s, cost ${SPEC.cost}, latency uniform 30..50 ms; ` +
      `${BUSY_LOOPS} worker threads spinning on the CPU (${CHUNK_MS} ms chunks, no yield) for the ` +
      `whole run, on ${availableParallelism()} cores\n`,
  );
  const tokens = { alone: `pacing-${busyRegime}-alone`, busy: `pacing-${busyRegime}-busy` };
  const sim = await startSimThread({ ...SPEC, tokens: Object.values(tokens) });
  const rows: BusyRow[] = [];
  try {
    const alone = await runPipeline(sim.url, tokens.alone, SYNC_CONCURRENCY, TIMEOUT_MS);
    rows.push({
      label: 'pipeline alone',
      result: alone,
      sim: await sim.stats(tokens.alone),
      spun: [],
    });
    const loops = await startBusyLoops(BUSY_LOOPS);
    let busy: RunResult;
    let spun: number[];
    try {
      busy = await runPipeline(sim.url, tokens.busy, SYNC_CONCURRENCY, TIMEOUT_MS);
    } finally {
      spun = await loops.stop();
    }
    rows.push({
      label: `pipeline + ${BUSY_LOOPS} busy loops`,
      result: busy,
      sim: await sim.stats(tokens.busy),
      spun,
    });
  } finally {
    await sim.close();
  }
  console.log(
    formatTable(
      [
        'run',
        'tasks ended',
        'requests',
        's',
        'req/s',
        'of ideal',
        'throttled',
        'peak level / hwm',
        'max in flight',
        'loop busy',
      ],
      rows.map(formatRow),
    ),
  );
  const busyRow = rows.at(-1);
  if (busyRow !== undefined) {
    const spun = busyRow.spun.map((s) => `${s.toFixed(1)} s`).join(', ');
    console.log(
      `\nof ideal: share of the rate of a clairvoyant client making the same number of requests ` +
        `(idealClientSeconds, pacing-limits.ts).\nBusy loops spun ${spun} of CPU during the ` +
        `${busyRow.result.seconds.toFixed(1)} s run; loop busy: the main thread's event loop ` +
        `utilisation; max in flight and peak level as the simulator saw them.`,
    );
  }
  return verdict(rows.at(-1), rows.at(0));
}

function verdict(busy: BusyRow | undefined, alone: BusyRow | undefined): string {
  if (busy === undefined) return `${busyRegime}: MISS (no run with busy loops)`;
  const { result, sim } = busy;
  const share = result.requests / result.seconds / limitFor(result.requests).ideal;
  const pass = result.complete && sim.throttled === 0;
  const aloneShare =
    alone === undefined
      ? ''
      : `, alone ${percent(alone.result.requests / alone.result.seconds / limitFor(alone.result.requests).ideal)}`;
  const parts = [
    `${sim.throttled} throttled with ${BUSY_LOOPS} busy loops (target 0)`,
    `peak level ${sim.peakLevel.toFixed(1)} of hwm ${SPEC.highWaterMark}`,
    `${percent(share)} of ideal${aloneShare}`,
    result.complete ? '' : 'cut before every task ended',
  ];
  return `${busyRegime}: ${pass ? 'PASS' : 'MISS'}: ${parts.filter((p) => p !== '').join(', ')}`;
}
