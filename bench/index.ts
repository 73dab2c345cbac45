/**
 * `npm run bench`: every benchmark, one after the other, each printing ratios
 * measured side by side in the same run.
 */
import { benchFleet } from './fleet.js';
import { benchInstitution } from './institution.js';
import { benchPacing } from './pacing.js';
import { benchPipeline } from './pipeline.js';
import { benchQueueStall } from './queue-stall.js';
import { benchQueues } from './queues.js';
import { benchSanitize } from './sanitize.js';
import { benchSimulator } from './simulator.js';
import { benchSinks } from './sinks.js';
import { benchStream } from './stream.js';

const benches: Record<string, () => Promise<void>> = {
  simulator: benchSimulator,
  institution: benchInstitution,
  pacing: benchPacing,
  fleet: benchFleet,
  sanitize: benchSanitize,
  stream: benchStream,
  pipeline: benchPipeline,
  queue: benchQueueStall,
  queues: benchQueues,
  sinks: benchSinks,
};

const only = process.argv.slice(2);
for (const [name, run] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await run();
}
