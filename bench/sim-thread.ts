/**
 * A Canvas simulator running in its own worker thread (`sim-worker.ts`), so a
 * benchmark's client and the simulator do not share one event loop. Talks to
 * the worker by `postMessage`: one request, one reply, matched by id.
 */

import { Worker } from 'node:worker_threads';
import type {
  SimulatedInstitutionOptions,
  TokenStats,
  TransitJitter,
} from '../src/testing/index.js';

/** Simulator settings that can cross a thread boundary (no functions). */
export interface SimSpec {
  readonly highWaterMark: number;
  readonly maximum: number;
  readonly outflowPerSecond: number;
  readonly upFrontCost: number;
  /** Cost of every request (unless `costPerSecond` is given). */
  readonly cost: number;
  /**
   * Cost proportional to the time in Canvas: each request costs this × its latency in seconds
   * (its own drawn latency, the one it is held for), instead of `cost`.
   * @defaultValue none: every request costs `cost`
   */
  readonly costPerSecond?: number;
  /** Latency in ms: constant, or uniform in `[min, max)` drawn from the seeded jitter stream. */
  readonly latencyMs: number | { readonly min: number; readonly max: number };
  /**
   * One-way network delay in ms, as the simulator's `transitMs`: constant, or
   * `{ meanMs, jitterMs }` drawn per direction of each request. @defaultValue 0
   */
  readonly transitMs?: number | TransitJitter;
  readonly tokens: readonly string[];
  readonly seed: number;
  /** Size of the generated institution. @defaultValue one course of ten students */
  readonly institution?: SimulatedInstitutionOptions;
  /** Tokens never throttled. */
  readonly allowlistedTokens?: readonly string[];
}

/** A token's stats without the level series (kept small for `postMessage`). */
export type SimStats = Omit<TokenStats, 'samples'>;

/** What the worker is asked to do. */
export type SimOp =
  | { readonly op: 'stats'; readonly token: string }
  | { readonly op: 'setBucketLevel'; readonly token: string; readonly level: number }
  | { readonly op: 'close' };

/** Messages to the worker: an operation and the id its reply carries. */
export type SimCommand = SimOp & { readonly id: number };

/** Messages from the worker. */
export type SimReply =
  | { readonly kind: 'ready'; readonly url: string }
  | { readonly kind: 'result'; readonly id: number; readonly value?: SimStats | undefined }
  | { readonly kind: 'error'; readonly id: number; readonly message: string };

/** The main thread's handle on a simulator thread. */
export interface SimThread {
  readonly url: string;
  stats(token: string): Promise<SimStats>;
  setBucketLevel(level: number, token: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The worker's entry: registers tsx, then imports `sim-worker.ts`. On Node 20 a
 * worker ignores `execArgv: ['--import', 'tsx']` for its own entry
 * (nodejs/node#47747, fixed in 22.2), hence this small ESM bootstrap.
 */
const tsxApi = JSON.stringify(import.meta.resolve('tsx/esm/api'));
const workerEntry = JSON.stringify(import.meta.resolve('./sim-worker.ts'));
const bootstrap = `import(${tsxApi}).then(({ register }) => (register(), import(${workerEntry})));`;

type Pending = { resolve: (value: SimStats | undefined) => void; reject: (error: Error) => void };

/** Starts a simulator in a worker thread and resolves once it listens. */
export async function startSimThread(spec: SimSpec): Promise<SimThread> {
  const worker = new Worker(bootstrap, { eval: true, workerData: spec });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  const failAll = (error: Error): void => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', failAll);
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (reply: SimReply) => {
      if (reply.kind === 'ready') {
        worker.off('error', reject);
        resolve(reply.url);
        return;
      }
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.kind === 'error') waiter?.reject(new Error(reply.message));
      else waiter?.resolve(reply.value);
    });
  });
  const call = (op: SimOp): Promise<SimStats | undefined> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...op, id } satisfies SimCommand);
    });
  return {
    url,
    stats: async (token) => {
      const stats = await call({ op: 'stats', token });
      if (stats === undefined) throw new Error('The simulator thread returned no stats');
      return stats;
    },
    setBucketLevel: async (level, token) => {
      await call({ op: 'setBucketLevel', level, token });
    },
    close: async () => {
      await call({ op: 'close' });
      await worker.terminate();
    },
  };
}
