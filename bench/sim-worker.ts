/**
 * Worker-thread entry of `sim-thread.ts`: starts a Canvas simulator from the
 * `SimSpec` in `workerData`, posts its URL, then answers commands.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type CanvasSimulator, startCanvasSimulator } from '../src/testing/index.js';
import type { SimCommand, SimReply, SimSpec, SimStats } from './sim-thread.js';

function latencyModel(
  spec: SimSpec['latencyMs'],
): number | ((r: { random: () => number }) => number) {
  if (typeof spec === 'number') return spec;
  const { min, max } = spec;
  return (request) => min + (max - min) * request.random();
}

async function execute(sim: CanvasSimulator, command: SimCommand): Promise<SimStats | undefined> {
  switch (command.op) {
    case 'stats': {
      const { samples: _samples, ...stats } = sim.stats(command.token);
      return stats;
    }
    case 'setBucketLevel':
      sim.setBucketLevel(command.level, command.token);
      return undefined;
    case 'close':
      await sim.close();
      return undefined;
  }
}

const port = parentPort;
if (port === null) throw new Error('sim-worker.ts must run in a worker thread');
const spec = workerData as SimSpec;
const sim = await startCanvasSimulator({
  highWaterMark: spec.highWaterMark,
  maximum: spec.maximum,
  outflowPerSecond: spec.outflowPerSecond,
  upFrontCost: spec.upFrontCost,
  cost: spec.cost,
  latencyMs: latencyModel(spec.latencyMs),
  transitMs: spec.transitMs ?? 0,
  tokens: [...spec.tokens],
  seed: spec.seed,
  maxSamples: 1,
  allowlistedTokens: [...(spec.allowlistedTokens ?? [])],
  institution: spec.institution ?? { courses: 1, students: 10, studentsPerCourse: 10 },
});
port.on('message', (command: SimCommand) => {
  execute(sim, command).then(
    (value) => port.postMessage({ kind: 'result', id: command.id, value } satisfies SimReply),
    (error: unknown) =>
      port.postMessage({
        kind: 'error',
        id: command.id,
        message: error instanceof Error ? error.message : String(error),
      } satisfies SimReply),
  );
});
port.postMessage({ kind: 'ready', url: sim.url } satisfies SimReply);
