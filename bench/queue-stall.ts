/**
 * `npm run bench -- queue`: how long the event loop stalls while many requests are queued
 * behind the bucket and then cancelled. A client against a server that never answers keeps
 * `maxConcurrent` requests in flight and queues the rest, 1,000 per turn of the event loop (as
 * a producer would); the longest stall of the loop (the longest gap between ticks of a 1 ms
 * timer) is measured while queueing, and again while `close()` rejects them all. The
 * baseline is p-queue alone queueing as many jobs the same way: the client's cost per turn
 * should stay a constant factor over it, not grow with the queue.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import PQueue from 'p-queue';
import { CanvasSyncClient } from '../src/index.js';
import { formatTable } from './table.js';

const SIZES = [10_000, 100_000] as const;
const BATCH = 1_000;

/** Calls `add(i)` for `i` in `[0, size)`, `BATCH` per turn of the event loop. */
async function inBatches(size: number, add: (i: number) => void): Promise<void> {
  for (let start = 0; start < size; start += BATCH) {
    for (let i = start; i < Math.min(size, start + BATCH); i++) add(i);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Longest event-loop stall, in ms, while `work` runs: the longest gap between two ticks of a
 * 1 ms interval timer, less the 1 ms it asks for.
 */
async function longestStall(work: () => Promise<void>): Promise<number> {
  let longest = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 1);
    last = now;
  }, 1);
  try {
    await work();
    // One more tick, so that a stall at the very end is recorded.
    await new Promise((resolve) => setTimeout(resolve, 5));
  } finally {
    clearInterval(ticker);
  }
  return longest;
}

/** A server that accepts requests and never answers them. */
async function silentServer(): Promise<{ url: string; server: Server }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

async function clientStalls(url: string, size: number, shared: AbortSignal | undefined) {
  const client = new CanvasSyncClient({ baseUrl: url, token: 'bench-token', timeoutMs: 600_000 });
  const pending: Promise<unknown>[] = [];
  const options = shared === undefined ? {} : { signal: shared };
  const queueing = await longestStall(() =>
    inBatches(size, (i) => {
      pending.push(client.get(`/api/v1/courses/${i}`, options).catch(() => undefined));
    }),
  );
  const closing = await longestStall(async () => {
    await client.close();
    await Promise.all(pending);
  });
  return { queueing, closing };
}

async function baselineStall(size: number): Promise<number> {
  const queue = new PQueue({ concurrency: 68 });
  const never = new Promise<void>(() => undefined);
  const stall = await longestStall(() =>
    inBatches(size, () => {
      void queue.add(() => never).catch(() => undefined);
    }),
  );
  queue.clear();
  return stall;
}

/** Runs the benchmark and prints one row per queue size and signal kind. */
export async function benchQueueStall(): Promise<void> {
  const { url, server } = await silentServer();
  const rows: string[][] = [];
  try {
    for (const size of SIZES) {
      const baseline = await baselineStall(size);
      for (const kind of ['no signal', 'one shared signal'] as const) {
        const shared = kind === 'no signal' ? undefined : new AbortController().signal;
        const { queueing, closing } = await clientStalls(url, size, shared);
        rows.push([
          size.toLocaleString('en-US'),
          kind,
          queueing.toFixed(0),
          closing.toFixed(0),
          baseline.toFixed(0),
          (queueing / Math.max(baseline, 1)).toFixed(1),
        ]);
      }
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  console.log('\n== queueing: longest event-loop stall ==');
  console.log(
    formatTable(
      ['queued', 'requests', 'queueing ms', 'closing ms', 'p-queue alone ms', 'queueing / p-queue'],
      rows,
    ),
  );
}
