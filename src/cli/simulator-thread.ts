/**
 * A Canvas simulator in its own worker thread (`simulator-worker.ts`), so that a sync and the
 * simulator it runs against do not share one event loop: the sync's figures then measure its
 * pacing, not the simulator's CPU. The two talk by `postMessage`, one reply per request, matched
 * by id.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import type {
  BucketSettings,
  SimulatedInstitutionOptions,
  SimulatorFaults,
  TokenStats,
} from '../testing/index.js';

/**
 * Options of {@link startSimulatorThread}: plain data, since they cross to the thread by
 * structured clone (no functions). The simulator listens on 127.0.0.1 only.
 */
export interface SimulatorThreadOptions {
  /** Seed of the generated data and of every random choice (faults, jitter). @defaultValue 1 */
  readonly seed?: number;
  /**
   * Time the simulator takes to answer a request, in ms: a constant, or uniform in
   * `[min, max)`, drawn from the simulator's seeded stream (so a seed gives the same latencies).
   * @defaultValue 0
   */
  readonly latencyMs?: number | { readonly min: number; readonly max: number };
  /** Size of the generated institution (courses, students, studentsPerCourse, pageViewsUntil…). */
  readonly institution?: SimulatedInstitutionOptions;
  /** Faults injected from the start, each at a rate in `[0, 1]`. @defaultValue none */
  readonly faults?: SimulatorFaults;
  /** Port to listen on; 0 picks a free one. @defaultValue 0 */
  readonly port?: number;
}

/** What the thread reports of the simulator's token: {@link TokenStats} without the samples. */
export type SimulatorThreadStats = Omit<TokenStats, 'samples'>;

/** The main thread's handle on a simulator running in a worker thread. */
export interface SimulatorThread {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  /** The valid access token. */
  readonly token: string;
  /** Id of the institution's root account (its courses: `/api/v1/accounts/<id>/courses`). */
  readonly accountId: number;
  /** The bucket parameters in force (high-water mark, up-front cost…). */
  readonly bucket: BucketSettings;
  /** The token's counters and bucket level (`level`, `peakLevel`, `requests`…), now. */
  stats(): Promise<SimulatorThreadStats>;
  /** Stops the simulator and terminates the thread. Idempotent. */
  close(): Promise<void>;
}

/** Requests to the worker. @internal */
export type SimulatorThreadCommand = { readonly id: number; readonly op: 'stats' | 'close' };

/** Messages from the worker. @internal */
export type SimulatorThreadReply =
  | {
      readonly kind: 'ready';
      readonly url: string;
      readonly token: string;
      readonly accountId: number;
      readonly bucket: BucketSettings;
    }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'result'; readonly id: number; readonly stats?: SimulatorThreadStats }
  | { readonly kind: 'error'; readonly id: number; readonly message: string };

/**
 * How to start the worker. Compiled (`dist/cli/simulator-thread.js`, plain `node`): the sibling
 * `simulator-worker.js`. From source (tsx, vitest: this module's URL ends in `.ts`): a small
 * eval'd bootstrap that registers tsx in the thread, then imports `simulator-worker.ts`. Node 20
 * ignores `execArgv: ['--import', 'tsx']` for a worker's own entry (nodejs/node#47747, fixed
 * in 22.2), and tsx is a dev dependency, resolved only here.
 */
function workerEntry(): [string | URL, { eval?: boolean }] {
  if (!import.meta.url.endsWith('.ts')) {
    return [new URL('./simulator-worker.js', import.meta.url), {}];
  }
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./simulator-worker.ts', import.meta.url).href;
  const [api, worker] = [JSON.stringify(tsx), JSON.stringify(entry)];
  return [`import(${api}).then((tsx) => (tsx.register(), import(${worker})));`, { eval: true }];
}

type Ready = Extract<SimulatorThreadReply, { kind: 'ready' }>;
type Pending = { resolve: (stats?: SimulatorThreadStats) => void; reject: (error: Error) => void };

/**
 * Starts a Canvas simulator in a worker thread; resolves once it listens. Rejects with an
 * `Error` naming the problem when the options are invalid or the thread fails to start.
 */
export async function startSimulatorThread(
  options: SimulatorThreadOptions = {},
): Promise<SimulatorThread> {
  const [entry, extra] = workerEntry();
  let worker: Worker;
  try {
    worker = new Worker(entry, { ...extra, workerData: options });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`Canvas simulator thread: the options must be plain data (${why})`);
  }
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let closing: Promise<void> | undefined;
  let failure: Error | undefined;
  let started: { resolve: (ready: Ready) => void; reject: (error: Error) => void } | undefined;

  const fail = (error: Error): void => {
    failure ??= error;
    started?.reject(error);
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', (error) =>
    fail(new Error(`Canvas simulator thread failed: ${error.message}`)),
  );
  worker.on('exit', (code) => {
    const why = closing === undefined ? `exited (code ${code})` : 'is closed';
    fail(new Error(`The Canvas simulator thread ${why}`));
  });
  worker.on('message', (reply: SimulatorThreadReply) => {
    if (reply.kind === 'ready') {
      started?.resolve(reply);
    } else if (reply.kind === 'failed') {
      fail(new Error(`Canvas simulator thread failed to start: ${reply.message}`));
    } else {
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.kind === 'error') waiter?.reject(new Error(`Canvas simulator: ${reply.message}`));
      else waiter?.resolve(reply.stats);
    }
  });

  let ready: Ready;
  try {
    ready = await new Promise<Ready>((resolve, reject) => {
      started = { resolve, reject };
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  const call = (op: SimulatorThreadCommand['op']): Promise<SimulatorThreadStats | undefined> =>
    new Promise((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op } satisfies SimulatorThreadCommand);
    });
  const { url, token, accountId, bucket } = ready;
  return {
    url,
    token,
    accountId,
    bucket,
    stats: async () => {
      if (closing !== undefined) throw new Error('The Canvas simulator thread is closed');
      const stats = await call('stats');
      if (stats === undefined) throw new Error('The Canvas simulator thread returned no stats');
      return stats;
    },
    close: () => {
      closing ??= call('close')
        .catch(() => undefined) // a thread that failed is terminated all the same
        .then(() => worker.terminate())
        .then(() => undefined);
      return closing;
    },
  };
}
