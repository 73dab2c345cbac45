/**
 * The child process of test/pacing/fleet-processes.test.ts: one CanvasSyncClient on the
 * simulator's token, run as `node --import tsx test/pacing/support/fleet-child.ts '<json>'` with a
 * {@link ChildConfig} as its only argument. It speaks one JSON object per stdout line:
 *
 * - `burst`: prints `{"type":"ready"}` once it may start (with `warm`, after a first request,
 *   through which its client joined the fleet), waits for a line `GO` on stdin, sends `count` GETs
 *   of `path` at once, prints `{"type":"done", ok, failed, errors, stats, events}` and exits.
 * - `hold`: sends `count` GETs of `path` at once (a path the simulator answers slowly), prints
 *   `{"type":"holding", held}` once its client holds `count` of the fleet's slots, and waits to be
 *   killed.
 *
 * It never outlives its test: it exits when its stdin closes (the test process is gone) and after
 * `lifetimeMs` in any case.
 */
import { createInterface } from 'node:readline';
import { CanvasSyncClient } from '../../../src/client/client.js';
import type { FleetEvent } from '../../../src/pacing/fleet-budget.js';

/** What the test asks of a child. */
export interface ChildConfig {
  readonly mode: 'burst' | 'hold';
  readonly baseUrl: string;
  readonly token: string;
  /** `pacing.redis`; without it the child paces alone. */
  readonly redis?: string;
  /** `pacing.id`. */
  readonly id?: string;
  /** The client's `timeoutMs` (the fleet's slots expire 5 s after it). */
  readonly timeoutMs?: number;
  readonly path: string;
  /** Requests sent at once. */
  readonly count: number;
  /** `burst`: send one request before `ready`, so that the client has joined the fleet. */
  readonly warm?: boolean;
  /** Longest the child lives, in ms. @defaultValue 25000 */
  readonly lifetimeMs?: number;
}

/** The last line of a `burst` child. */
export interface ChildDone {
  readonly type: 'done';
  /** Requests answered. */
  readonly ok: number;
  /** Requests that failed. */
  readonly failed: number;
  /** The failures' names and codes, at most 5. */
  readonly errors: string[];
  readonly stats: ReturnType<CanvasSyncClient['stats']>;
  readonly events: FleetEvent['type'][];
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const print = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

setTimeout(() => {
  process.stderr.write(`fleet-child: still alive after ${config.lifetimeMs ?? 25_000} ms\n`);
  process.exit(3);
}, config.lifetimeMs ?? 25_000).unref();
const stdin = createInterface({ input: process.stdin });
stdin.on('close', () => process.exit(4));

const client = new CanvasSyncClient({
  baseUrl: config.baseUrl,
  token: config.token,
  ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
  ...(config.redis === undefined
    ? {}
    : { pacing: { redis: config.redis, ...(config.id === undefined ? {} : { id: config.id }) } }),
});
const events: FleetEvent['type'][] = [];
client.on('fleet', (event) => {
  events.push(event.type);
  if (event.type === 'error') process.stderr.write(`fleet error: ${event.message}\n`);
});
const sendAll = (): Promise<PromiseSettledResult<unknown>[]> =>
  Promise.allSettled(Array.from({ length: config.count }, () => client.get(config.path)));

if (config.mode === 'hold') {
  void sendAll();
  const check = setInterval(() => {
    const held = client.stats().fleet?.held ?? 0;
    if (held >= config.count) {
      clearInterval(check);
      print({ type: 'holding', held });
    }
  }, 2);
} else {
  if (config.warm === true) await client.get(config.path);
  print({ type: 'ready', events, fleet: client.stats().fleet });
  await new Promise<void>((resolve) => {
    stdin.on('line', (line) => {
      if (line.trim() === 'GO') resolve();
    });
  });
  const results = await sendAll();
  const failures = results.filter((result) => result.status === 'rejected');
  const done: ChildDone = {
    type: 'done',
    ok: results.length - failures.length,
    failed: failures.length,
    errors: failures.slice(0, 5).map((failure) => {
      const error = failure.reason as { name?: string; code?: string; message?: string };
      return `${error.name ?? 'Error'} ${error.code ?? ''} ${error.message ?? ''}`;
    }),
    stats: client.stats(),
    events,
  };
  await client.close();
  print(done);
  process.exit(0);
}
