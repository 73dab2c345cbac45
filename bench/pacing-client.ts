/** The canvas-sync client as a pacing strategy: every request handed over at once. */
import { setTimeout as sleep } from 'node:timers/promises';
import { CanvasSyncClient } from '../src/index.js';
import type { Strategy } from './pacing-baselines.js';

/**
 * Fires every `client.get` at once and awaits them all: the client queues and
 * paces them itself. `budgetMs` is only a watchdog: past it the run is cut short
 * and reported as such, so a stuck client cannot hang the benchmark.
 */
export const canvasSyncClient: Strategy = async ({ url, token, paths, budgetMs }) => {
  const client = new CanvasSyncClient({ baseUrl: url, token });
  const started = performance.now();
  let done = 0;
  let failed = 0;
  try {
    const all = Promise.all(
      paths.map((path) =>
        client.get(path).then(
          () => void done++,
          () => void failed++,
        ),
      ),
    );
    const finished = await Promise.race([
      all.then(() => true),
      sleep(budgetMs, false, { ref: false }),
    ]);
    const elapsedMs = performance.now() - started;
    const { retries } = client.stats();
    const note = finished ? {} : { note: `stopped after ${(budgetMs / 1000).toFixed(0)} s` };
    return { done, failed, retries, elapsedMs, ...note };
  } finally {
    await client.close();
  }
};
