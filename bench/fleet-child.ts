/**
 * One process of `bench/fleet.ts`: `node --import tsx bench/fleet-child.ts '<FleetChildConfig>'`.
 *
 * Gets ready (modules loaded, HTTP and, in shared mode, Redis warmed up on a token and a fleet id
 * of its own), prints `READY`, waits for `GO` on stdin, does its GETs, and prints
 * `RESULT <FleetChildResult as JSON>`. Only its types may be imported (its top level runs it). Times are epoch ms (`timeOrigin + now()`), comparable
 * across the processes of one machine.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Redis } from 'ioredis';
import { CanvasSyncClient, type FleetEvent } from '../src/index.js';
import { sequential } from './pacing-baselines.js';

/** How the process paces its requests. */
export type FleetBenchMode = 'shared' | 'alone' | 'split';

/** What the parent passes as the single argument, as JSON. */
export interface FleetChildConfig {
  readonly mode: FleetBenchMode;
  readonly index: number;
  readonly url: string;
  readonly token: string;
  /** A token only for the warm-up, so it does not touch the measured bucket. */
  readonly warmUpToken: string;
  readonly path: string;
  readonly requests: number;
  /** `shared`: the Redis URL and the fleet's id. */
  readonly redis?: string;
  readonly fleetId?: string;
  /** `split`: requests this process keeps in flight. */
  readonly concurrency?: number;
}

/** A fleet event with when it happened, in ms after GO. */
export interface TimedFleetEvent {
  readonly atMs: number;
  readonly event: FleetEvent;
}

/** What the process reports. */
export interface FleetChildResult {
  readonly index: number;
  readonly done: number;
  readonly failed: number;
  /** Throttled responses this process saw (`split`: its retries, one per throttle). */
  readonly throttled: number;
  readonly retries: number;
  /** Most requests this process had in flight (`split`: its fixed concurrency). */
  readonly maxInFlight: number;
  /** When GO arrived, the first request was handed over, the last response came: epoch ms. */
  readonly goAt: number;
  readonly firstRequestAt: number;
  readonly lastResponseAt: number;
  /** CPU time (user + system) this process used from GO to its last response, in ms. */
  readonly cpuMs: number;
  /** `shared`: the client's `fleet` events, and its fleet snapshot at the end. */
  readonly fleetEvents: readonly TimedFleetEvent[];
  readonly fleet?: unknown;
  /** Client modes: `client.stats()` every {@link TRACE_MS} from GO to the last response, averaged. */
  readonly trace?: StatsTrace;
  /** `shared`: what the fleet budget asked of Redis. */
  readonly redis?: RedisTrace;
}

/** Means of the client's stats over the run (sampled every {@link TRACE_MS}). */
export interface StatsTrace {
  /** Requests admitted by the client's own gate and not yet answered. */
  readonly inFlight: number;
  /** Fleet slots this process held (`shared`), admitted by its gate or not. */
  readonly held: number | undefined;
  /** Requests waiting in the pacer: its queue and its gate. */
  readonly queued: number;
  /** The client's own model of the bucket's headroom, in cost units. */
  readonly headroom: number | undefined;
  readonly samples: number;
  readonly intervalMs: number;
}

/** The Redis commands the fleet budget sent from GO to the last response, by name (scripts by theirs). */
export interface RedisTrace {
  readonly commands: Readonly<Record<string, { readonly count: number; readonly meanMs: number }>>;
  /** Pub/sub messages Bottleneck's subscriber received (`capacity` …). */
  readonly messages: number;
}

/** How often a client's stats are sampled during the run, in ms. */
const TRACE_MS = 5;

/** Epoch ms with sub-ms resolution. */
const epochMs = (): number => performance.timeOrigin + performance.now();

const config = JSON.parse(process.argv[2] ?? '{}') as FleetChildConfig;
const paths = Array.from({ length: config.requests }, () => config.path);

/**
 * An ioredis client for `pacing.redis` whose duplicates (what the budget and Bottleneck use) count
 * their commands and round trips, scripts by their names (from `defineCommand`'s SHA-1), and the
 * pub/sub messages of Bottleneck's subscriber. It never connects itself.
 */
async function countingRedis(url: string): Promise<{ redis: Redis; trace: () => RedisTrace }> {
  const { Redis: RedisClass } = await import('ioredis');
  const base = new RedisClass(url, { lazyConnect: true });
  const scripts = new Map<string, string>();
  const commands = new Map<string, { count: number; totalMs: number }>();
  let messages = 0;
  let counting = false;
  const instrument = (client: Redis): Redis => {
    const define = client.defineCommand.bind(client);
    client.defineCommand = (name, definition) => {
      scripts.set(createHash('sha1').update(definition.lua).digest('hex'), name);
      define(name, definition);
    };
    const send = client.sendCommand.bind(client);
    client.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
      const [command] = args;
      if (counting) {
        const sha = command.name === 'evalsha' ? String(command.args[0]) : '';
        const name = scripts.get(sha) ?? command.name;
        const started = performance.now();
        const record = (): void => {
          const entry = commands.get(name) ?? { count: 0, totalMs: 0 };
          entry.count++;
          entry.totalMs += performance.now() - started;
          commands.set(name, entry);
        };
        command.promise.then(record, record);
      }
      return send(...args);
    };
    client.on('message', () => {
      if (counting) messages++;
    });
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (override) => instrument(duplicate({ ...override, lazyConnect: false }));
    return client;
  };
  instrument(base);
  return {
    redis: base,
    trace: () => {
      counting = !counting;
      return {
        commands: Object.fromEntries(
          [...commands].map(([name, { count, totalMs }]) => [
            name,
            { count, meanMs: totalMs / Math.max(1, count) },
          ]),
        ),
        messages,
      };
    },
  };
}

function clientOf(
  token: string,
  fleetId?: string,
  redis: string | Redis | undefined = config.redis,
): CanvasSyncClient {
  const { url } = config;
  if (config.mode !== 'shared' || redis === undefined || fleetId === undefined) {
    return new CanvasSyncClient({ baseUrl: url, token });
  }
  return new CanvasSyncClient({ baseUrl: url, token, pacing: { redis, id: fleetId } });
}

/**
 * One GET through a client of the process's kind on the warm-up token (in shared mode on a fleet
 * id of its own): loads every module the run needs (Bottleneck, ioredis), opens the HTTP
 * connection pool, and has Redis load Bottleneck's scripts, so none of that is timed.
 */
async function warmUp(): Promise<void> {
  if (config.mode === 'split') {
    const res = await fetch(`${config.url}${config.path}`, {
      headers: { Authorization: `Bearer ${config.warmUpToken}` },
    });
    await res.arrayBuffer();
    return;
  }
  const client = clientOf(config.warmUpToken, `${config.fleetId}-warm-up-${config.index}`);
  try {
    await client.get(config.path);
  } finally {
    await client.close();
  }
}

/** Resolves on the first `GO` line of stdin. */
function go(): Promise<number> {
  const lines = createInterface({ input: process.stdin });
  return new Promise((resolve) => {
    lines.on('line', (line) => {
      if (line.trim() !== 'GO') return;
      lines.close();
      resolve(epochMs());
    });
  });
}

/** CPU ms (user + system) since `start`. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

/** Samples `client.stats()` until stopped; returns the means. */
function traceStats(client: CanvasSyncClient): () => StatsTrace {
  const sums = { inFlight: 0, held: 0, queued: 0, headroom: 0, headroomSamples: 0, samples: 0 };
  let fleet = false;
  const sample = (): void => {
    const stats = client.stats();
    sums.samples++;
    sums.inFlight += stats.inFlight;
    sums.queued += stats.queued;
    if (stats.fleet !== undefined) {
      fleet = true;
      sums.held += stats.fleet.held;
    }
    if (stats.headroom !== undefined) {
      sums.headroom += stats.headroom;
      sums.headroomSamples++;
    }
  };
  const timer = setInterval(sample, TRACE_MS);
  return () => {
    clearInterval(timer);
    const n = Math.max(1, sums.samples);
    return {
      inFlight: sums.inFlight / n,
      held: fleet ? sums.held / n : undefined,
      queued: sums.queued / n,
      headroom: sums.headroomSamples > 0 ? sums.headroom / sums.headroomSamples : undefined,
      samples: sums.samples,
      intervalMs: TRACE_MS,
    };
  };
}

async function runClient(goAt: Promise<number>): Promise<FleetChildResult> {
  const counted =
    config.mode === 'shared' && config.redis !== undefined
      ? await countingRedis(config.redis)
      : undefined;
  const client = clientOf(config.token, config.fleetId, counted?.redis);
  const fleetEvents: TimedFleetEvent[] = [];
  let goTime = Number.NaN;
  client.on('fleet', (event) => fleetEvents.push({ atMs: epochMs() - goTime, event }));
  console.log('READY');
  goTime = await goAt;
  let done = 0;
  let failed = 0;
  let lastResponseAt = Number.NaN;
  const answered = (): void => {
    lastResponseAt = epochMs();
  };
  const cpuAtGo = process.cpuUsage();
  const firstRequestAt = epochMs();
  const stopTrace = traceStats(client);
  // Starts counting Redis commands; the second call stops and reports.
  counted?.trace();
  try {
    await Promise.all(
      paths.map((path) =>
        client.get(path).then(
          () => {
            done++;
            answered();
          },
          () => {
            failed++;
            answered();
          },
        ),
      ),
    );
    const trace = stopTrace();
    const redis = counted?.trace();
    const cpuMs = cpuSince(cpuAtGo);
    const stats = client.stats();
    return {
      index: config.index,
      done,
      failed,
      throttled: stats.throttled,
      retries: stats.retries,
      maxInFlight: stats.maxInFlight,
      goAt: goTime,
      firstRequestAt,
      lastResponseAt,
      cpuMs,
      fleetEvents,
      trace,
      ...(redis === undefined ? {} : { redis }),
      ...(stats.fleet === undefined ? {} : { fleet: stats.fleet }),
    };
  } finally {
    await client.close();
  }
}

/**
 * `pacing-baselines.ts`'s `sequential` is its worker pool at concurrency 1 (naive retry: 1 s
 * after a throttle, up to 10 times); `concurrency` of them side by side, each on its share of
 * the paths, are that pool at `concurrency`.
 */
async function runSplit(goAt: Promise<number>): Promise<FleetChildResult> {
  const concurrency = config.concurrency ?? 1;
  console.log('READY');
  const goTime = await goAt;
  const cpuAtGo = process.cpuUsage();
  const firstRequestAt = epochMs();
  const shares = Array.from({ length: concurrency }, (_, worker) =>
    paths.filter((_path, i) => i % concurrency === worker),
  );
  const results = await Promise.all(
    shares.map((share) =>
      sequential({ url: config.url, token: config.token, paths: share, budgetMs: 120_000 }),
    ),
  );
  const lastResponseAt = epochMs();
  const cpuMs = cpuSince(cpuAtGo);
  const sum = (pick: (r: (typeof results)[number]) => number): number =>
    results.reduce((total, r) => total + pick(r), 0);
  return {
    index: config.index,
    done: sum((r) => r.done),
    failed: sum((r) => r.failed),
    throttled: sum((r) => r.retries),
    retries: sum((r) => r.retries),
    maxInFlight: concurrency,
    goAt: goTime,
    firstRequestAt,
    lastResponseAt,
    cpuMs,
    fleetEvents: [],
  };
}

await warmUp();
const goAt = go();
const result = config.mode === 'split' ? await runSplit(goAt) : await runClient(goAt);
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(0);
