/**
 * Worker-thread entry of `sim-thread.ts`: starts a Canvas simulator from the
 * `SimSpec` in `workerData`, posts its URL, then answers commands.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  type CanvasSimulator,
  type RequestModel,
  type SimulatedRequest,
  startCanvasSimulator,
} from '../src/testing/index.js';
import type { SimCommand, SimReply, SimSpec, SimStats } from './sim-thread.js';

/**
 * The latency and cost models of a spec. With `costPerSecond`, a request's cost depends on its
 * latency: the simulator asks for the cost first, then the latency, of the same request object,
 * so the latency is drawn once per request (at whichever call comes first) and remembered.
 */
function requestModels(spec: SimSpec): { latencyMs: RequestModel; cost: RequestModel } {
  const { latencyMs, costPerSecond } = spec;
  if (typeof latencyMs === 'number') {
    const cost = costPerSecond === undefined ? spec.cost : (costPerSecond * latencyMs) / 1000;
    return { latencyMs, cost };
  }
  const { min, max } = latencyMs;
  if (costPerSecond === undefined) {
    return { latencyMs: (request) => min + (max - min) * request.random(), cost: spec.cost };
  }
  const drawn = new WeakMap<SimulatedRequest, number>();
  const latencyOf = (request: SimulatedRequest): number => {
    let ms = drawn.get(request);
    if (ms === undefined) {
      ms = min + (max - min) * request.random();
      drawn.set(request, ms);
    }
    return ms;
  };
  return {
    latencyMs: latencyOf,
    cost: (request) => (costPerSecond * latencyOf(request)) / 1000,
  };
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
  ...requestModels(spec),
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
