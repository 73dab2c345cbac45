/**
 * Pacing: how close each throughput strategy gets to the best rate Canvas's
 * leaky bucket allows, and how often it gets throttled, measured side by side
 * in one run against the simulator (running in its own thread).
 *
 * Four regimes, each with its own simulator:
 * - A, in-flight bound: cheap requests, 40 ms latency; the up-front charge caps
 *   concurrency at 13 on an empty bucket, so the rate at about 13 / 40 ms;
 * - B, outflow bound: expensive requests (1.5 units) on a fast leak (200/s);
 *   the leak caps the rate once the bucket's headroom is used up;
 * - C, shared token: A's parameters with the bucket nearly full (690 of 700),
 *   as when another process uses the same token;
 * - D, a distant Canvas: 25 ms of network each way around 100 ms in Canvas;
 *   the charge is held only while Canvas works, so the in-flight bound is
 *   13 / 100 ms, which a client that counts travelling requests as held cannot
 *   reach (the client learns the round trip from the headers, as in E and F);
 * - E, a far Canvas: 30–50 ms in Canvas, 25 ± 5 ms of network each way (each
 *   direction of each request draws its own), on the hosted bucket: about half
 *   of a request's round trip is travel, so keeping Canvas's 13 slots busy takes
 *   more than 13 requests out at once, and fixed concurrencies show the trade
 *   (13: slots idle while answers travel; 20, 28: throttled);
 * - F, slow requests, far: 150–450 ms in Canvas at a cost of 0.6 × the time in
 *   Canvas (s), 15 ± 3 ms each way: the in-flight bound again, with costly
 *   requests whose cost varies;
 * - G, the pipeline of `pipeline.ts` with two busy loops (`pacing-busy.ts`):
 *   the client's event loop starved of CPU, next to the same pipeline alone.
 *
 * E and F compare the client with fixed concurrencies 13, 20 and 28 (naive
 * retry), each with its own token; the limit's latency is the time in Canvas,
 * where the charge is held, as in D.
 *
 * Strategies run one after the other, each with its own token (so with its own
 * bucket, starting empty except in C). For each: requests done, elapsed, rate,
 * rate as a share of the theoretical limit for that many requests
 * (`pacing-limits.ts`), responses the simulator throttled for that token, and
 * retries. Baselines are slow, so they get a time budget (and sequential a
 * smaller N); their rate is compared with the limit for the N they did.
 *
 * Under each table: the limit's formula with its numbers, the round trip this
 * machine adds to the simulated latency (which no client can avoid), and the
 * client's concurrency as the simulator saw it. The limit follows the formulas
 * of `pacing-limits.ts`; the ideal-client simulation printed next to it also
 * counts the leak of in-flight up-front charges, which lets a 14th request in
 * once the bucket's own level has leaked to zero (hence baselines at ~100 % in A).
 */

import {
  fixedConcurrency,
  type Strategy,
  type StrategyResult,
  sequential,
  sleepWhenLow,
} from './pacing-baselines.js';
import { benchBusyPipeline, busyRegime } from './pacing-busy.js';
import { canvasSyncClient } from './pacing-client.js';
import { describeLimit, type Limit, type LimitParams, theoreticalLimit } from './pacing-limits.js';
import { type SimSpec, type SimStats, type SimThread, startSimThread } from './sim-thread.js';
import { formatTable } from './table.js';

/** A cheap endpoint, so the simulator's CPU is never the bottleneck. */
const PATH = '/api/v1/users/self';
/** Baselines start no new request after this long. */
const BASELINE_BUDGET_MS = 5_000;

interface Regime {
  readonly name: string;
  readonly title: string;
  readonly bucket: Pick<SimSpec, 'highWaterMark' | 'maximum' | 'outflowPerSecond' | 'upFrontCost'>;
  /** Cost of a request; with `costPerSecond`, the mean cost (what the limit uses). */
  readonly cost: number;
  /** Each request costs this × its time in Canvas (s) instead of `cost`. */
  readonly costPerSecond?: number;
  readonly latencyMs: SimSpec['latencyMs'];
  readonly meanLatencyMs: number;
  /** One-way network delay; `latencyMs` is then the time Canvas holds the charge. */
  readonly transitMs?: SimSpec['transitMs'];
  /** Who runs. @defaultValue the client, sequential, fixed 16, sleep when low */
  readonly contenders?: readonly Contender[];
  /** Baselines start no new request after this long. @defaultValue BASELINE_BUDGET_MS */
  readonly baselineBudgetMs?: number;
  /** Print throttled responses also as a share of the requests each row ended. */
  readonly throttledShare?: boolean;
  /** Bucket level set right before each strategy starts (another process's use). */
  readonly startLevel: number;
  /** Requests of the canvas-sync client (and most the baselines may do). */
  readonly requests: number;
  readonly sequentialRequests: number;
  /** What the canvas-sync client should reach. */
  readonly target: {
    readonly minShare?: number;
    readonly maxThrottled: number;
    /** When set, the throttled target is this share of the requests (`maxThrottled` unused). */
    readonly maxThrottledShare?: number;
  };
}

interface Contender {
  readonly name: string;
  /** Part of the token, so each strategy has its own bucket. */
  readonly key: string;
  readonly run: Strategy;
  readonly isClient: boolean;
}

const client: Contender = {
  name: 'canvas-sync client',
  key: 'client',
  run: canvasSyncClient,
  isClient: true,
};

/** A fixed concurrency with the naive retry (1 s after a throttle, up to 10 times). */
const fixed = (concurrency: number): Contender => ({
  name: `fixed ${concurrency} + naive retry`,
  key: `fixed${concurrency}`,
  run: fixedConcurrency(concurrency),
  isClient: false,
});

const defaultContenders: readonly Contender[] = [
  client,
  { name: 'sequential', key: 'sequential', run: sequential, isClient: false },
  fixed(16),
  { name: 'sleep when remaining <= 2', key: 'sleep-low', run: sleepWhenLow, isClient: false },
];

/** A far Canvas: the client next to fixed concurrencies below, at and above what fits. */
const farContenders: readonly Contender[] = [client, fixed(13), fixed(20), fixed(28)];

const defaultBucket = { highWaterMark: 700, maximum: 800, outflowPerSecond: 10, upFrontCost: 50 };

const regimes: readonly Regime[] = [
  {
    name: 'A',
    title: 'in-flight bound',
    bucket: defaultBucket,
    cost: 0.02,
    latencyMs: { min: 30, max: 50 },
    meanLatencyMs: 40,
    startLevel: 0,
    requests: 2_000,
    sequentialRequests: 200,
    target: { minShare: 0.9, maxThrottled: 0 },
  },
  {
    name: 'B',
    title: 'outflow bound',
    bucket: { ...defaultBucket, outflowPerSecond: 200 },
    cost: 1.5,
    latencyMs: 20,
    meanLatencyMs: 20,
    startLevel: 0,
    requests: 3_000,
    sequentialRequests: 300,
    target: { minShare: 0.95, maxThrottled: 0 },
  },
  {
    name: 'C',
    title: 'bucket nearly full (token shared with another process)',
    bucket: defaultBucket,
    cost: 0.02,
    latencyMs: { min: 30, max: 50 },
    meanLatencyMs: 40,
    startLevel: 690,
    requests: 1_000,
    sequentialRequests: 100,
    target: { maxThrottled: 1 },
  },
  {
    name: 'D',
    title: 'a distant Canvas: 25 ms each way, 100 ms in Canvas',
    bucket: defaultBucket,
    cost: 0.02,
    latencyMs: { min: 80, max: 120 },
    meanLatencyMs: 100,
    transitMs: 25,
    startLevel: 0,
    requests: 1_000,
    sequentialRequests: 50,
    // Like E: a throttle is the price of counting on departures it cannot see (≤ 1 %).
    target: { maxThrottled: 10, maxThrottledShare: 0.01 },
  },
  {
    name: 'E',
    title: 'a far Canvas: 30–50 ms in Canvas, 25 ± 5 ms each way',
    bucket: defaultBucket,
    cost: 0.02,
    latencyMs: { min: 30, max: 50 },
    meanLatencyMs: 40,
    transitMs: { meanMs: 25, jitterMs: 5 },
    contenders: farContenders,
    baselineBudgetMs: 30_000,
    throttledShare: true,
    startLevel: 0,
    requests: 2_000,
    sequentialRequests: 0,
    target: { minShare: 0.75, maxThrottled: 20, maxThrottledShare: 0.01 },
  },
  {
    name: 'F',
    title: 'slow requests, far: 150–450 ms in Canvas, cost 0.6 × time, 15 ± 3 ms each way',
    bucket: defaultBucket,
    // Mean cost: 0.6 × 0.3 s of mean time in Canvas.
    cost: 0.18,
    costPerSecond: 0.6,
    latencyMs: { min: 150, max: 450 },
    meanLatencyMs: 300,
    transitMs: { meanMs: 15, jitterMs: 3 },
    contenders: farContenders,
    baselineBudgetMs: 60_000,
    throttledShare: true,
    startLevel: 0,
    requests: 1_000,
    sequentialRequests: 0,
    target: { minShare: 0.96, maxThrottled: 0 },
  },
];

/** BENCH_CONTENDERS=client,fixed13 runs only those contenders (keys as in the tokens). */
const onlyContenders = process.env.BENCH_CONTENDERS?.split(',').map((key) => key.trim());

const contendersOf = (regime: Regime): readonly Contender[] =>
  (regime.contenders ?? defaultContenders).filter(
    (contender) => onlyContenders === undefined || onlyContenders.includes(contender.key),
  );

const baselineBudgetOf = (regime: Regime): number => regime.baselineBudgetMs ?? BASELINE_BUDGET_MS;

/** The most throttled responses the client's target allows. */
const maxThrottledOf = (regime: Regime): number =>
  regime.target.maxThrottledShare === undefined
    ? regime.target.maxThrottled
    : Math.floor(regime.target.maxThrottledShare * regime.requests);

interface Row {
  readonly contender: Contender;
  readonly result: StrategyResult;
  /** What the simulator saw of the strategy's token. */
  readonly sim: SimStats;
  readonly limit: Limit | undefined;
}

const rowOf = (rows: readonly Row[], key: string): Row | undefined =>
  rows.find((row) => row.contender.key === key);

const tokenOf = (regime: Regime, contender: Contender | 'warm-up'): string =>
  `pacing-${regime.name}-${typeof contender === 'string' ? contender : contender.key}`;

function limitParams(regime: Regime, requests: number): LimitParams {
  const { cost, meanLatencyMs, startLevel } = regime;
  return { ...regime.bucket, cost, meanLatencyMs, startLevel, requests };
}

function requestsFor(regime: Regime, contender: Contender): number {
  return contender.key === 'sequential' ? regime.sequentialRequests : regime.requests;
}

/** The client's watchdog: generous against the ideal time, so only a stuck client hits it. */
function clientBudgetMs(regime: Regime): number {
  return 3 * theoreticalLimit(limitParams(regime, regime.requests)).seconds * 1000 + 10_000;
}

async function runContender(sim: SimThread, regime: Regime, contender: Contender): Promise<Row> {
  const token = tokenOf(regime, contender);
  const paths = Array.from({ length: requestsFor(regime, contender) }, () => PATH);
  const budgetMs = contender.isClient ? clientBudgetMs(regime) : baselineBudgetOf(regime);
  if (regime.startLevel > 0) await sim.setBucketLevel(regime.startLevel, token);
  const result = await contender.run({ url: sim.url, token, paths, budgetMs });
  const stats = await sim.stats(token);
  const limit = result.done > 0 ? theoreticalLimit(limitParams(regime, result.done)) : undefined;
  return { contender, result, sim: stats, limit };
}

/** One request outside the measured runs, so connection set-up is not charged to the first. */
async function warmUp(sim: SimThread, regime: Regime): Promise<void> {
  const res = await fetch(`${sim.url}${PATH}`, {
    headers: { Authorization: `Bearer ${tokenOf(regime, 'warm-up')}` },
  });
  await res.arrayBuffer();
}

async function runRegime(regime: Regime): Promise<Row[]> {
  const contenders = contendersOf(regime);
  const sim = await startSimThread({
    ...regime.bucket,
    cost: regime.cost,
    ...(regime.costPerSecond === undefined ? {} : { costPerSecond: regime.costPerSecond }),
    latencyMs: regime.latencyMs,
    ...(regime.transitMs === undefined ? {} : { transitMs: regime.transitMs }),
    tokens: [tokenOf(regime, 'warm-up'), ...contenders.map((c) => tokenOf(regime, c))],
    seed: 1,
  });
  const rows: Row[] = [];
  try {
    await warmUp(sim, regime);
    for (const contender of contenders) rows.push(await runContender(sim, regime, contender));
  } finally {
    await sim.close();
  }
  return rows;
}

const rateOf = (result: StrategyResult): number => result.done / (result.elapsedMs / 1000);

const shareOf = (row: Row): number | undefined =>
  row.limit === undefined ? undefined : rateOf(row.result) / row.limit.rate;

const percent = (share: number | undefined): string =>
  share === undefined ? '—' : `${(share * 100).toFixed(1)} %`;

function formatRow(regime: Regime, row: Row): string[] {
  const { done, failed, retries, elapsedMs, note } = row.result;
  const requests = [
    String(done),
    failed > 0 ? `(+${failed} failed)` : '',
    note === undefined ? '' : `[${note}]`,
  ];
  return [
    row.contender.name,
    requests.filter((part) => part !== '').join(' '),
    (elapsedMs / 1000).toFixed(2),
    rateOf(row.result).toFixed(1),
    percent(shareOf(row)),
    regime.throttledShare === true ? throttledCell(row) : String(row.sim.throttled),
    String(retries),
  ];
}

/**
 * Throttled responses, and as a share of the requests the row ended (done or failed): a
 * request throttled again on each retry counts each time.
 */
function throttledCell(row: Row): string {
  const ended = row.result.done + row.result.failed;
  const { throttled } = row.sim;
  return ended === 0 ? String(throttled) : `${throttled} (${percent(throttled / ended)})`;
}

function describeRegime(regime: Regime): string {
  const { highWaterMark, maximum, upFrontCost, outflowPerSecond } = regime.bucket;
  const latency =
    typeof regime.latencyMs === 'number'
      ? `${regime.latencyMs} ms`
      : `uniform ${regime.latencyMs.min}..${regime.latencyMs.max} ms`;
  const cost =
    regime.costPerSecond === undefined
      ? `${regime.cost}`
      : `${regime.costPerSecond} × latency in s (mean ${regime.cost})`;
  const { transitMs } = regime;
  const transit =
    transitMs === undefined
      ? ''
      : typeof transitMs === 'number'
        ? `, transit ${transitMs} ms each way`
        : `, transit uniform ${transitMs.meanMs} ± ${transitMs.jitterMs} ms each way`;
  const sequentialRuns = contendersOf(regime).some((c) => c.key === 'sequential');
  return (
    `Regime ${regime.name}, ${regime.title}: hwm ${highWaterMark}, maximum ${maximum}, ` +
    `up-front ${upFrontCost}, outflow ${outflowPerSecond}/s, cost ${cost}, ` +
    `latency ${latency}${transit}, start level ${regime.startLevel}; GET ${PATH} ×${regime.requests} ` +
    `(${sequentialRuns ? `sequential ≤ ${regime.sequentialRequests}; ` : ''}baselines start nothing after ` +
    `${baselineBudgetOf(regime) / 1000} s)`
  );
}

/**
 * The limit's formula for the regime's N, then `T*` for the other Ns the rows
 * reached when their limit rate differs (rows are compared with their own N's).
 */
function describeLimits(regime: Regime, rows: readonly Row[]): string[] {
  const full = limitParams(regime, regime.requests);
  const fullLimit = theoreticalLimit(full);
  const lines = [
    `Limit for N=${regime.requests}:`,
    ...describeLimit(full, fullLimit).map((line) => `  ${line}`),
  ];
  const others = [...new Set(rows.map((row) => row.result.done))].filter(
    (n) => n > 0 && n !== regime.requests,
  );
  for (const n of others.sort((a, b) => b - a)) {
    const limit = theoreticalLimit(limitParams(regime, n));
    if (limit.rate.toFixed(1) === fullLimit.rate.toFixed(1)) continue;
    lines.push(
      `  same formulas for N=${n}: T* = ${limit.seconds.toFixed(2)} s → ${limit.rate.toFixed(1)} req/s`,
    );
  }
  return lines;
}

/** How the simulator saw the canvas-sync client: its concurrency and the bucket's peak. */
function describeClient(rows: readonly Row[]): string[] {
  const row = rowOf(rows, 'client');
  if (row === undefined) return [];
  return [
    `canvas-sync client as the simulator saw it: at most ${row.sim.maxInFlight} in flight, ` +
      `bucket peak ${row.sim.peakLevel.toFixed(1)}, ${row.sim.requests} requests received.`,
  ];
}

/**
 * What one round trip costs on this machine beyond the simulated latency (HTTP,
 * timers, scheduling), read off the sequential row when nothing slowed it down.
 * No client can beat `latency / (latency + overhead)` of the in-flight limit.
 */
function describeRoundTrip(regime: Regime, rows: readonly Row[]): string[] {
  const row = rowOf(rows, 'sequential');
  const limit = theoreticalLimit(limitParams(regime, regime.requests));
  const inFlightBound = regime.startLevel === 0 && limit.inFlightSeconds >= limit.outflowSeconds;
  if (!inFlightBound || row === undefined || row.result.done === 0 || row.result.retries > 0) {
    return [];
  }
  const perRequestMs = row.result.elapsedMs / row.result.done;
  const overheadMs = perRequestMs - regime.meanLatencyMs;
  const cap = regime.meanLatencyMs / perRequestMs;
  return [
    `Round trip at one request in flight (sequential row): ${perRequestMs.toFixed(1)} ms for ` +
      `${regime.meanLatencyMs} ms of simulated latency (+${overheadMs.toFixed(1)} ms of HTTP, ` +
      `timers, scheduling): at ${regime.meanLatencyMs} ms per request a client holding kMax ` +
      `in flight reaches at most ≈ ${percent(cap)} of the in-flight limit here.`,
  ];
}

function verdict(regime: Regime, rows: readonly Row[]): string {
  const row = rowOf(rows, 'client');
  if (row === undefined) return `${regime.name}: MISS (no canvas-sync client run)`;
  const { minShare, maxThrottledShare } = regime.target;
  const maxThrottled = maxThrottledOf(regime);
  const share = shareOf(row) ?? 0;
  const complete = row.result.done === regime.requests && row.result.note === undefined;
  const shareOk = minShare === undefined || share >= minShare;
  const pass = complete && shareOk && row.sim.throttled <= maxThrottled;
  const ofRequests =
    maxThrottledShare === undefined ? '' : `, ${percent(maxThrottledShare)} of requests`;
  const parts = [
    `${percent(share)} of limit${minShare === undefined ? '' : ` (target ≥ ${minShare * 100} %)`}`,
    `${row.sim.throttled} throttled (target ≤ ${maxThrottled}${ofRequests})`,
    complete ? '' : `only ${row.result.done} of ${regime.requests} requests done`,
  ];
  return `${regime.name}: ${pass ? 'PASS' : 'MISS'}: ${parts.filter((p) => p !== '').join(', ')}`;
}

export async function benchPacing(): Promise<void> {
  const started = performance.now();
  const verdicts: string[] = [];
  // BENCH_REGIMES=A,C runs only those regimes.
  const only = process.env.BENCH_REGIMES?.split(',').map((name) => name.trim().toUpperCase());
  for (const regime of regimes) {
    if (only !== undefined && !only.includes(regime.name)) continue;
    console.log(`\n${describeRegime(regime)}\n`);
    const rows = await runRegime(regime);
    console.log(
      formatTable(
        ['strategy', 'requests', 'elapsed s', 'req/s', 'of limit', 'throttled', 'retries'],
        rows.map((row) => formatRow(regime, row)),
      ),
    );
    console.log(
      `\n${[
        ...describeLimits(regime, rows),
        ...describeRoundTrip(regime, rows),
        ...describeClient(rows),
      ].join('\n')}`,
    );
    verdicts.push(verdict(regime, rows));
  }
  if (only === undefined || only.includes(busyRegime)) verdicts.push(await benchBusyPipeline());
  console.log('\ncanvas-sync client against its targets (informative only):');
  for (const line of verdicts) console.log(`  ${line}`);
  console.log(`\nPacing benchmark took ${((performance.now() - started) / 1000).toFixed(1)} s.`);
}
