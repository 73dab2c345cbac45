/**
 * Worker-thread entry of `simulator-thread.ts`: starts a Canvas simulator from the
 * {@link SimulatorThreadOptions} in `workerData`, posts its URL, token, account and bucket (or
 * why it could not start), then answers `stats` and `close`.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type CanvasSimulator, type RequestModel, startCanvasSimulator } from '../testing/index.js';
import type {
  SimulatorThreadCommand,
  SimulatorThreadOptions,
  SimulatorThreadReply,
  SimulatorThreadStats,
} from './simulator-thread.js';

/** The simulator's latency model for `latencyMs`: a constant, or uniform in `[min, max)`. */
function latencyModel(latency: SimulatorThreadOptions['latencyMs']): RequestModel {
  if (latency === undefined || typeof latency === 'number') return latency ?? 0;
  const { min, max } = latency;
  if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && min <= max)) {
    throw new TypeError(`latencyMs: min and max must be finite, 0 <= min <= max (${min}, ${max})`);
  }
  return (request) => min + (max - min) * request.random();
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Starts the simulator as `options` say, on 127.0.0.1 only. */
function start(options: SimulatorThreadOptions): Promise<CanvasSimulator> {
  const { seed, latencyMs, institution, faults, port, ...rest } = options;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new TypeError(`unknown option(s): ${unknown.join(', ')}`);
  return startCanvasSimulator({
    host: '127.0.0.1',
    port: port ?? 0,
    latencyMs: latencyModel(latencyMs),
    maxSamples: 1, // the samples never cross to the main thread
    ...(seed !== undefined && { seed }),
    ...(institution !== undefined && { institution }),
    ...(faults !== undefined && { faults }),
  });
}

async function execute(
  sim: CanvasSimulator,
  command: SimulatorThreadCommand,
): Promise<SimulatorThreadStats | undefined> {
  switch (command.op) {
    case 'stats': {
      const { samples: _samples, ...stats } = sim.stats();
      return stats;
    }
    case 'close':
      await sim.close();
      return undefined;
  }
}

const port = parentPort;
if (port === null) throw new Error('simulator-worker must run in a worker thread');
const post = (reply: SimulatorThreadReply): void => port.postMessage(reply);

let sim: CanvasSimulator | undefined;
try {
  sim = await start((workerData ?? {}) as SimulatorThreadOptions);
} catch (error) {
  post({ kind: 'failed', message: message(error) });
}
if (sim !== undefined) {
  const running = sim;
  port.on('message', (command: SimulatorThreadCommand) => {
    execute(running, command).then(
      (stats) => post({ kind: 'result', id: command.id, ...(stats && { stats }) }),
      (error: unknown) => post({ kind: 'error', id: command.id, message: message(error) }),
    );
  });
  const { url, token, bucket, data } = running;
  post({ kind: 'ready', url, token, accountId: data.account.id, bucket: { ...bucket } });
}
