/**
 * `npm run bench -- fleet`: four processes on one token against one simulator, as a fleet of
 * workers would be, measured side by side in one run:
 *
 * - (a) shared budget: each process's client with `pacing.redis` on one fleet id, fresh for the
 *   run (its keys deleted after); `pacing.redis` is an ioredis client on `CANVAS_SYNC_REDIS_URL`
 *   that counts the commands of its duplicates (the budget only ever uses duplicates of it, with
 *   the options it would give a URL); skipped, with the reason, without that variable;
 * - (b) each process pacing alone: today's client, no Redis;
 * - (c) a fixed concurrency split four ways: `floor(kMax / 4)` requests in flight per process
 *   (pacing-baselines' pool, naive retry), no pacer.
 *
 * The simulator runs here (hosted defaults: hwm 700, maximum 800, up-front 50, outflow 10 units/s;
 * cost 0.05; latency uniform 40..80 ms); each mode has a token of its own (so an empty bucket).
 * The processes are `node --import tsx bench/fleet-child.ts`, `REQUESTS_PER_PROCESS` GETs each.
 * Each warms up on a token of its own, prints READY; once all have, this process writes GO to
 * every stdin at once, and each reports its counts and times. The rate is the requests done over
 * the time from GO to the last response of any process, compared with the one-token limit of
 * `pacing-limits.ts` for that many requests (all processes share the token's bucket).
 *
 * Under the table, to tell where a rate below the limit comes from:
 * - the limit's formula;
 * - per mode, the time split (GO → first request at the simulator, first → last there, then the
 *   last response) and the mean in flight at the simulator over its span (Little's law: served ×
 *   mean latency / span); for the shared mode the fleet's `running` slots in Redis (polled by
 *   this process every 5 ms); for the clients the means of `client.stats()` (in flight past
 *   their gates, fleet slots held; sampled by each process every 5 ms); from these, how long a
 *   request holds a slot, the client's gate and the simulator's charge; the CPU every process
 *   used (the machine is shared: its load average is printed first);
 * - each process's own figures;
 * - for the shared mode: the Redis commands its budget sent per request, with their round trips
 *   (counted on the ioredis client given as `pacing.redis`), and the fleet events (joined,
 *   resized from → to) of every process.
 * The sampling costs the processes a little CPU, the same in both client modes.
 *
 * `BENCH_FLEET_MODES=shared,alone` runs only those modes.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type CanvasSimulator, startCanvasSimulator } from '../src/testing/index.js';
import type {
  FleetBenchMode,
  FleetChildConfig,
  FleetChildResult,
  TimedFleetEvent,
} from './fleet-child.js';
import { describeLimit, type LimitParams, maxInFlight, theoreticalLimit } from './pacing-limits.js';
import { formatTable } from './table.js';

const PROCESSES = 4;
const REQUESTS_PER_PROCESS = 500;
/** A cheap endpoint, as in `bench/pacing.ts`. */
const PATH = '/api/v1/users/self';
const BUCKET = { highWaterMark: 700, maximum: 800, upFrontCost: 50, outflowPerSecond: 10 };
const COST = 0.05;
const LATENCY_MS = { min: 40, max: 80 };
const MEAN_LATENCY_MS = (LATENCY_MS.min + LATENCY_MS.max) / 2;
/** A mode whose processes are not all done by then is stopped (its children killed). */
const MODE_TIMEOUT_MS = 120_000;
/** The issue's target for the shared budget. */
const TARGET = { minShare: 0.9, maxThrottledPerProcess: 1 };
const PREVIOUSLY =
  'previously measured without sharing: 0.86–0.91 of the limit, up to 27 throttled';

const KMAX = maxInFlight(BUCKET.highWaterMark, BUCKET.upFrontCost);
const SPLIT_CONCURRENCY = Math.floor(KMAX / PROCESSES);

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fleet-child.ts', import.meta.url));

const epochMs = (): number => performance.timeOrigin + performance.now();

interface Mode {
  readonly key: FleetBenchMode;
  readonly name: string;
  readonly token: string;
}

const MODES: readonly Mode[] = [
  { key: 'shared', name: '(a) shared budget (pacing.redis)', token: 'fleet-shared' },
  { key: 'alone', name: '(b) each process pacing alone', token: 'fleet-alone' },
  {
    key: 'split',
    name: `(c) fixed ${SPLIT_CONCURRENCY} in flight per process`,
    token: 'fleet-split',
  },
];
const WARM_UP_TOKEN = 'fleet-warm-up';

/** What one mode did. */
interface ModeRun {
  readonly mode: Mode;
  readonly goAt: number;
  readonly children: readonly FleetChildResult[];
  readonly throttled: number;
  readonly maxInFlight: number;
  readonly served: number;
  /** First admission and last end at the simulator, epoch ms. */
  readonly simFirstAt: number | undefined;
  readonly simLastAt: number | undefined;
  /** CPU ms this process (the simulator's) used from GO to the last result. */
  readonly parentCpuMs: number;
  /** `shared`: the cluster's `running` and `maxConcurrent` in Redis, polled during the run. */
  readonly cluster?: ClusterTrace;
  readonly error?: string;
}

/** What Redis said of the fleet during the run, polled every {@link CLUSTER_POLL_MS}. */
interface ClusterTrace {
  readonly meanRunning: number;
  /** Share of the polls that found `running ≥ maxConcurrent` (every slot taken). */
  readonly full: number;
  readonly polls: number;
}

const CLUSTER_POLL_MS = 5;

/** Polls the fleet's `running` and `maxConcurrent` (Bottleneck's settings hash) until stopped. */
async function pollCluster(redis: string, fleetId: string): Promise<() => Promise<ClusterTrace>> {
  const { Redis } = await import('ioredis');
  const client = new Redis(redis);
  let running = 0;
  let full = 0;
  let polls = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    client
      .hmget(`b_${fleetId}_settings`, 'running', 'maxConcurrent')
      .then(([r, max]) => {
        if (r === null || r === undefined) return;
        polls++;
        running += Number(r);
        if (max !== null && max !== undefined && Number(r) >= Number(max)) full++;
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, CLUSTER_POLL_MS);
  return async () => {
    clearInterval(timer);
    client.disconnect();
    const n = Math.max(1, polls);
    return { meanRunning: running / n, full: full / n, polls };
  };
}

type Child = ChildProcessByStdio<Writable, Readable, null>;

/** The simulator, with its clock's origin in epoch ms (its samples are relative to it). */
interface Sim {
  readonly sim: CanvasSimulator;
  readonly epochOfStart: number;
}

async function startSim(): Promise<Sim> {
  let startPerf: number | undefined;
  const sim = await startCanvasSimulator({
    ...BUCKET,
    cost: COST,
    latencyMs: (request) => LATENCY_MS.min + (LATENCY_MS.max - LATENCY_MS.min) * request.random(),
    tokens: [WARM_UP_TOKEN, ...MODES.map((mode) => mode.token)],
    seed: 1,
    // Every level change of a run (2 per request): the first and last give the span served.
    maxSamples: 4 * PROCESSES * REQUESTS_PER_PROCESS,
    institution: { courses: 1, students: 10, studentsPerCourse: 10 },
    // The simulator's first clock read is its start, from which its samples count.
    clock: () => {
      const now = performance.now();
      startPerf ??= now;
      return now;
    },
  });
  return { sim, epochOfStart: performance.timeOrigin + (startPerf ?? 0) };
}

/** Starts a child; resolves its lines in order. */
function startChild(config: FleetChildConfig): { child: Child; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { child, lines };
}

/** The next line starting with `prefix` (others are echoed), or an error if the child ends. */
async function expectLine(
  lines: AsyncIterator<string>,
  prefix: string,
  index: number,
): Promise<string> {
  for (;;) {
    const next = await lines.next();
    if (next.done === true) throw new Error(`process ${index} ended before ${prefix}`);
    if (next.value.startsWith(prefix)) return next.value.slice(prefix.length).trim();
    console.log(`  [process ${index}] ${next.value}`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runMode(
  { sim, epochOfStart }: Sim,
  mode: Mode,
  redis: string | undefined,
  fleetId: string,
): Promise<ModeRun> {
  const started = Array.from({ length: PROCESSES }, (_, index) =>
    startChild({
      mode: mode.key,
      index,
      url: sim.url,
      token: mode.token,
      warmUpToken: WARM_UP_TOKEN,
      path: PATH,
      requests: REQUESTS_PER_PROCESS,
      ...(mode.key === 'shared' && redis !== undefined ? { redis, fleetId } : {}),
      ...(mode.key === 'split' ? { concurrency: SPLIT_CONCURRENCY } : {}),
    }),
  );
  const exited = started.map(
    ({ child }) => new Promise<void>((resolve) => child.once('exit', () => resolve())),
  );
  let goAt = Number.NaN;
  let stopPolling: (() => Promise<ClusterTrace>) | undefined;
  try {
    await withTimeout(
      Promise.all(started.map(({ lines }, i) => expectLine(lines, 'READY', i))),
      MODE_TIMEOUT_MS,
      'READY',
    );
    if (mode.key === 'shared' && redis !== undefined) {
      stopPolling = await pollCluster(redis, fleetId);
    }
    const cpuAtGo = process.cpuUsage();
    goAt = epochMs();
    for (const { child } of started) child.stdin.write('GO\n');
    const results = await withTimeout(
      Promise.all(started.map(({ lines }, i) => expectLine(lines, 'RESULT', i))),
      MODE_TIMEOUT_MS,
      'RESULT',
    );
    const cpu = process.cpuUsage(cpuAtGo);
    const cluster = await stopPolling?.();
    stopPolling = undefined;
    const children = results.map((json) => JSON.parse(json) as FleetChildResult);
    const stats = sim.stats(mode.token);
    const first = stats.samples.at(0)?.timeMs;
    const last = stats.samples.at(-1)?.timeMs;
    return {
      mode,
      goAt,
      children,
      throttled: stats.throttled,
      maxInFlight: stats.maxInFlight,
      served: stats.served,
      simFirstAt: first === undefined ? undefined : epochOfStart + first,
      simLastAt: last === undefined ? undefined : epochOfStart + last,
      parentCpuMs: (cpu.user + cpu.system) / 1000,
      ...(cluster === undefined ? {} : { cluster }),
    };
  } catch (error) {
    const stats = sim.stats(mode.token);
    return {
      mode,
      goAt,
      children: [],
      throttled: stats.throttled,
      maxInFlight: stats.maxInFlight,
      served: stats.served,
      simFirstAt: undefined,
      simLastAt: undefined,
      parentCpuMs: 0,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    await stopPolling?.();
    for (const { child } of started) {
      child.stdin.end();
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
    await Promise.all(exited);
  }
}

/** Deletes every key of the fleet (and of its processes' warm-up fleets). */
async function forgetFleet(redis: string, fleetId: string): Promise<number> {
  const { Redis } = await import('ioredis');
  const client = new Redis(redis);
  try {
    const keys = await client.keys(`b_${fleetId}*`);
    if (keys.length > 0) await client.del(...keys);
    return keys.length;
  } finally {
    client.disconnect();
  }
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;
const ms = (value: number): string => `${value.toFixed(0)} ms`;

function limitParams(requests: number): LimitParams {
  return { ...BUCKET, cost: COST, meanLatencyMs: MEAN_LATENCY_MS, startLevel: 0, requests };
}

/** Requests done, time from GO to the last response, rate, share of the limit. */
function figures(run: ModeRun) {
  const done = sum(run.children.map((c) => c.done));
  const failed = sum(run.children.map((c) => c.failed));
  const lastResponseAt = Math.max(...run.children.map((c) => c.lastResponseAt));
  const elapsedMs = lastResponseAt - run.goAt;
  const rate = done / (elapsedMs / 1000);
  const limit = done > 0 ? theoreticalLimit(limitParams(done)) : undefined;
  const share = limit === undefined ? 0 : rate / limit.rate;
  return { done, failed, lastResponseAt, elapsedMs, rate, share };
}

function row(run: ModeRun): string[] {
  if (run.error !== undefined) {
    return [run.mode.name, `failed: ${run.error}`, '', '', '', String(run.throttled), '', ''];
  }
  const { done, failed, elapsedMs, rate, share } = figures(run);
  return [
    run.mode.name,
    failed > 0 ? `${done} (+${failed} failed)` : String(done),
    (elapsedMs / 1000).toFixed(2),
    rate.toFixed(1),
    percent(share),
    String(run.throttled),
    run.children.map((c) => c.throttled).join('/'),
    String(run.maxInFlight),
  ];
}

/** Where the time went: before the first request reached the simulator, there, and after. */
function timeSplit(run: ModeRun): string {
  const { lastResponseAt, elapsedMs } = figures(run);
  if (run.simFirstAt === undefined || run.simLastAt === undefined) return '';
  const simSpanMs = run.simLastAt - run.simFirstAt;
  const meanInFlight = (run.served * MEAN_LATENCY_MS) / simSpanMs;
  return (
    `${run.mode.name}: GO → first request at the simulator ${ms(run.simFirstAt - run.goAt)}, ` +
    `served for ${ms(simSpanMs)} (mean ${meanInFlight.toFixed(2)} in flight of ${KMAX}), ` +
    `last end → last response ${ms(lastResponseAt - run.simLastAt)}; total ${ms(elapsedMs)}`
  );
}

/** CPU used during the run by the children and by this process (the simulator), against the machine's. */
function cpuLine(run: ModeRun): string {
  const { elapsedMs } = figures(run);
  const children = sum(run.children.map((c) => c.cpuMs));
  const cores = availableParallelism();
  const used = (children + run.parentCpuMs) / (elapsedMs * cores);
  return (
    `CPU: processes ${(children / 1000).toFixed(2)} s ` +
    `(${((children * 1000) / Math.max(1, run.served)).toFixed(0)} µs per request), ` +
    `simulator ${(run.parentCpuMs / 1000).toFixed(2)} s, over ${(elapsedMs / 1000).toFixed(2)} s ` +
    `on ${cores} cores: ${percent(used)} of the machine`
  );
}

/**
 * How long each request held what bounds it, by Little's law (mean held / rate): a fleet slot in
 * Redis, the client's gate (and the fleet slot, as the client counts it), and the simulator's
 * up-front charge; and the rate 13 slots allow at that hold.
 */
function holdLine(run: ModeRun): string {
  const { rate } = figures(run);
  const traces = run.children.flatMap((c) => (c.trace === undefined ? [] : [c.trace]));
  if (traces.length === 0 || run.simFirstAt === undefined || run.simLastAt === undefined) return '';
  const perRequest = (mean: number): number => (mean / rate) * 1000;
  const atSim = (run.served * MEAN_LATENCY_MS) / (run.simLastAt - run.simFirstAt);
  const gate = sum(traces.map((t) => t.inFlight));
  const parts = [
    ...(run.cluster === undefined
      ? []
      : [`a fleet slot in Redis ${ms(perRequest(run.cluster.meanRunning))}`]),
    `admitted by its client's gate ${ms(perRequest(gate))}`,
    `at the simulator ${ms(perRequest(atSim))}`,
  ];
  const slotHold = run.cluster === undefined ? undefined : perRequest(run.cluster.meanRunning);
  const cap =
    slotHold === undefined
      ? ''
      : `; ${KMAX} slots held ${ms(slotHold)} each allow at most ` +
        `${((KMAX / slotHold) * 1000).toFixed(1)} req/s = ` +
        `${percent(((KMAX / slotHold) * 1000) / theoreticalLimit(limitParams(figures(run).done)).rate)} of the limit`;
  return `Per request (Little's law): ${parts.join(', ')}${cap}`;
}

/** What Redis said of the fleet's slots during the shared run. */
function clusterLine(run: ModeRun): string {
  const { cluster } = run;
  if (cluster === undefined) return '';
  return (
    `Redis (${cluster.polls} polls every ${CLUSTER_POLL_MS} ms): mean ${cluster.meanRunning.toFixed(2)} ` +
    `slots running, every slot taken in ${percent(cluster.full)} of the polls`
  );
}

/**
 * The client modes' means over the run, all processes together: requests their own gates
 * admitted, and (shared) fleet slots held; the simulator's mean is in {@link timeSplit}.
 */
function traceTotals(run: ModeRun): string {
  const traces = run.children.flatMap((c) => (c.trace === undefined ? [] : [c.trace]));
  if (traces.length === 0) return '';
  const inFlight = sum(traces.map((t) => t.inFlight));
  const held = traces.every((t) => t.held !== undefined)
    ? `, fleet slots held ${sum(traces.map((t) => t.held ?? 0)).toFixed(2)}`
    : '';
  return (
    `Clients, all processes together: mean admitted by their own gates ` +
    `${inFlight.toFixed(2)}${held} (client stats every ${traces[0]?.intervalMs} ms)`
  );
}

function perProcess(runs: readonly ModeRun[]): string {
  const rows = runs.flatMap((run) =>
    run.children.map((c) => [
      run.mode.key,
      String(c.index),
      String(c.done),
      String(c.throttled),
      String(c.retries),
      String(c.maxInFlight),
      ms(c.firstRequestAt - run.goAt),
      ms(c.lastResponseAt - run.goAt),
      (c.done / ((c.lastResponseAt - c.firstRequestAt) / 1000)).toFixed(1),
      c.trace === undefined ? '—' : c.trace.inFlight.toFixed(2),
      c.trace?.held === undefined ? '—' : c.trace.held.toFixed(2),
      c.trace?.headroom === undefined ? '—' : c.trace.headroom.toFixed(0),
      ((c.cpuMs * 1000) / Math.max(1, c.done)).toFixed(0),
    ]),
  );
  return formatTable(
    [
      'mode',
      'process',
      'done',
      'throttled',
      'retries',
      'max in flight',
      'first request',
      'last response',
      'own req/s',
      'mean in flight',
      'mean slots held',
      'mean own headroom',
      'CPU µs/req',
    ],
    rows,
  );
}

function describeEvent({ atMs, event }: TimedFleetEvent): string {
  const at = `${atMs.toFixed(0).padStart(6)} ms`;
  switch (event.type) {
    case 'joined':
      return `${at}  joined (${event.maxConcurrent} slots)`;
    case 'resized':
      return `${at}  resized ${event.from} → ${event.to}  (${event.message})`;
    default:
      return `${at}  ${event.type}: ${event.message}`;
  }
}

/** The shared mode's Redis commands per request (all processes), with their mean round trips. */
function redisCommands(run: ModeRun): string[] {
  const traces = run.children.flatMap((c) => (c.redis === undefined ? [] : [c.redis]));
  if (traces.length === 0) return [];
  const done = Math.max(1, sum(run.children.map((c) => c.done)));
  const totals = new Map<string, { count: number; totalMs: number }>();
  for (const trace of traces) {
    for (const [name, { count, meanMs }] of Object.entries(trace.commands)) {
      const entry = totals.get(name) ?? { count: 0, totalMs: 0 };
      entry.count += count;
      entry.totalMs += count * meanMs;
      totals.set(name, entry);
    }
  }
  const parts = [...totals]
    .sort((a, b) => b[1].count - a[1].count)
    .map(
      ([name, { count, totalMs }]) =>
        `${name} ${(count / done).toFixed(2)} (${(totalMs / Math.max(1, count)).toFixed(1)} ms)`,
    );
  const messages = sum(traces.map((t) => t.messages));
  return [
    `Redis commands per request, all processes (mean round trip): ${parts.join(', ')}; ` +
      `pub/sub messages received ${(messages / done).toFixed(2)} per request`,
  ];
}

/** The shared mode's fleet events: every process's summary, then one process's in full. */
function fleetEvents(run: ModeRun): string[] {
  const lines = ['Fleet events of the shared mode (times after GO):'];
  for (const child of run.children) {
    const joined = child.fleetEvents.find((e) => e.event.type === 'joined');
    const resized = child.fleetEvents.filter((e) => e.event.type === 'resized');
    const others = child.fleetEvents.filter(
      (e) => e.event.type !== 'joined' && e.event.type !== 'resized',
    );
    const path = resized.map((e) => (e.event.type === 'resized' ? e.event.to : 0));
    lines.push(
      `  process ${child.index}: joined ${joined === undefined ? 'never' : `at ${ms(joined.atMs)}`}` +
        `, ${resized.length} resizes (to: ${path.join(' ') || '—'})` +
        (others.length > 0 ? `, ${others.length} other (${others.map((e) => e.event.type)})` : '') +
        `; at the end ${JSON.stringify(child.fleet)}`,
    );
  }
  const first = run.children[0];
  if (first !== undefined) {
    lines.push(`  process ${first.index} in full:`);
    for (const event of first.fleetEvents) lines.push(`    ${describeEvent(event)}`);
  }
  return lines;
}

function verdict(run: ModeRun | undefined, skipped: string | undefined): string {
  const target =
    `target: shared ≥ ${TARGET.minShare * 100} % of the limit, ≤ ${TARGET.maxThrottledPerProcess} ` +
    `throttled per process (${PREVIOUSLY})`;
  if (run === undefined) return `(a) shared: SKIPPED (${skipped}); ${target}`;
  if (run.error !== undefined) return `(a) shared: MISS (${run.error}); ${target}`;
  const { share, done } = figures(run);
  const worst = Math.max(...run.children.map((c) => c.throttled));
  const complete = done === PROCESSES * REQUESTS_PER_PROCESS;
  const pass = complete && share >= TARGET.minShare && worst <= TARGET.maxThrottledPerProcess;
  return (
    `(a) shared: ${pass ? 'PASS' : 'MISS'}: ${percent(share)} of the limit, at most ${worst} ` +
    `throttled per process (${run.throttled} in all)${complete ? '' : `, only ${done} done`}; ${target}`
  );
}

export async function benchFleet(): Promise<void> {
  const began = performance.now();
  const redis = process.env.CANVAS_SYNC_REDIS_URL || undefined;
  const fleetId = `canvas-sync-bench:fleet:${randomUUID()}`;
  const total = PROCESSES * REQUESTS_PER_PROCESS;
  console.log(
    `\nFleet: ${PROCESSES} processes × ${REQUESTS_PER_PROCESS} GET ${PATH} on one token; ` +
      `hwm ${BUCKET.highWaterMark}, maximum ${BUCKET.maximum}, up-front ${BUCKET.upFrontCost}, ` +
      `outflow ${BUCKET.outflowPerSecond}/s, cost ${COST}, latency uniform ` +
      `${LATENCY_MS.min}..${LATENCY_MS.max} ms; timed from GO (every process ready) to the last response.\n` +
      `Machine: ${availableParallelism()} cores, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} before the run.\n`,
  );
  const sim = await startSim();
  const runs: ModeRun[] = [];
  let skipped: string | undefined;
  // BENCH_FLEET_MODES=shared,alone runs only those modes.
  const only = process.env.BENCH_FLEET_MODES?.split(',').map((key) => key.trim().toLowerCase());
  try {
    for (const mode of MODES) {
      if (only !== undefined && !only.includes(mode.key)) continue;
      if (mode.key === 'shared' && redis === undefined) {
        skipped = 'CANVAS_SYNC_REDIS_URL is not set';
        console.log(`${mode.name}: skipped, ${skipped}.`);
        continue;
      }
      try {
        runs.push(await runMode(sim, mode, redis, fleetId));
      } finally {
        if (mode.key === 'shared' && redis !== undefined) await forgetFleet(redis, fleetId);
      }
    }
  } finally {
    await sim.sim.close();
  }
  console.log(
    formatTable(
      [
        'mode',
        'requests',
        'elapsed s',
        'req/s',
        'of limit',
        'throttled',
        'per process',
        'max in flight',
      ],
      runs.map(row),
    ),
  );
  const params = limitParams(total);
  console.log(`\nOne-token limit for N=${total} (every process on the same bucket):`);
  for (const line of describeLimit(params, theoreticalLimit(params))) console.log(`  ${line}`);
  console.log(
    `  (c) holds ${SPLIT_CONCURRENCY * PROCESSES} of ${KMAX} in flight: at most ` +
      `${percent((SPLIT_CONCURRENCY * PROCESSES) / KMAX)} of the in-flight limit.`,
  );
  console.log('\nWhere the time went:');
  for (const run of runs) {
    const line = run.error === undefined ? timeSplit(run) : '';
    if (line !== '') console.log(`  ${line}`);
    if (run.error !== undefined) continue;
    for (const extra of [clusterLine(run), traceTotals(run), holdLine(run), cpuLine(run)]) {
      if (extra !== '') console.log(`    ${extra}`);
    }
  }
  console.log(`\nEach process (times after GO; split's throttled = its retries):\n`);
  console.log(perProcess(runs));
  const shared = runs.find((run) => run.mode.key === 'shared');
  if (shared !== undefined && shared.children.length > 0) {
    console.log(`\n${[...redisCommands(shared), ...fleetEvents(shared)].join('\n')}`);
  }
  console.log(`\n${verdict(shared, skipped)}`);
  console.log(`\nFleet benchmark took ${((performance.now() - began) / 1000).toFixed(1)} s.`);
}
