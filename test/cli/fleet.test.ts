/**
 * `canvas-sync plan` and `canvas-sync worker` as processes, on each broker, into PostgreSQL:
 *
 * - a fleet: one plan, then three workers (`--exit-when-idle`) that share its tasks, leave the
 *   warehouse exactly as one `canvas-sync sync` process does, each doing some of the work and
 *   no task twice;
 * - a crash: a worker killed (SIGKILL) with tasks in hand, and a second worker that takes them
 *   over once the broker gives them back (BullMQ when the dead worker's lock expires, SQS when
 *   its visibility timeout ends: both `--lease-ms`; RabbitMQ as soon as its connection drops),
 *   leaves the warehouse as one process does, every planned task done.
 *
 * The Canvas is a simulator in this process, each process with a token of its own (so that what
 * each has in flight is known) and a gate that holds its answers: the workers are shown to have
 * tasks in hand by their requests waiting at the gate, never by waiting for some time. Each test
 * compares the warehouse with that of a `canvas-sync sync` run (in-process) into another schema,
 * by the plan's page-view window. The services come from `.ci/run` (CANVAS_SYNC_PG_URL,
 * CANVAS_SYNC_REDIS_URL, CANVAS_SYNC_AMQP_URL): a test is skipped without them, and fails without
 * them under CI; SQS is fauxqs, started in this process.
 */
import { describe, expect, it, type OnTestFinishedHandler, vi } from 'vitest';
import {
  bullmq,
  type Command,
  DEADLINE_MS,
  type GatedSimulator,
  plannedCount,
  rabbitmq,
  requireService,
  runCommand,
  sqs,
  startCommand,
  startGatedSimulator,
  type TestBroker,
  taskLines,
  windowEnd,
  workerDone,
} from './fleet-support.js';
import {
  identity,
  postgresState,
  readPostgres,
  runExample,
  tempDirs,
  tempSchema,
} from './support.js';

const tempDir = tempDirs();
const PG_URL = process.env.CANVAS_SYNC_PG_URL || undefined;
const REDIS_URL = process.env.CANVAS_SYNC_REDIS_URL || undefined;
const AMQP_URL = process.env.CANVAS_SYNC_AMQP_URL || undefined;
const UNDER_CI = process.env.CI === 'true';

/** A lease short enough that a dead worker's tasks come back within seconds (BullMQ, SQS). */
const LEASE_MS = '1500';

/** Whether a test on `broker` cannot run here (a missing service; never under CI). */
function missing(broker: TestBroker): boolean {
  return (PG_URL === undefined || broker.url === undefined) && !UNDER_CI;
}

/** A run planned onto a fresh queue, and the warehouse of a single process beside it. */
interface Planned {
  readonly gated: GatedSimulator;
  readonly pgUrl: string;
  /** The fleet's schema, and the single process's. */
  readonly schema: string;
  readonly referenceSchema: string;
  /** The number of tasks the plan says it planned. */
  readonly planned: number;
  /** Tasks the single process dead-lettered. */
  readonly referenceDead: number;
  /** Starts a worker with the token `token` and these flags besides the broker's and output's. */
  worker(token: string, flags: string[]): Command;
}

/**
 * Starts the simulator (tokens: `plan`, `reference` and `workers`), plans a run onto a fresh
 * queue of `broker` into a fresh schema, and syncs the same Canvas in-process into another,
 * by the plan's clock (its page-view window).
 */
async function plan(
  broker: TestBroker,
  workers: readonly string[],
  onTestFinished: (handler: OnTestFinishedHandler) => void,
): Promise<Planned> {
  const pgUrl = requireService(PG_URL, 'CANVAS_SYNC_PG_URL');
  if (broker.variable !== undefined) requireService(broker.url, broker.variable);
  const gated = await startGatedSimulator(['plan', 'reference', ...workers]);
  const [schema, referenceSchema] = [
    tempSchema(pgUrl, onTestFinished),
    tempSchema(pgUrl, onTestFinished),
  ];
  const queue = await broker.fresh();
  const output = ['--db', pgUrl, '--db-schema', schema, '--out', await tempDir()];
  const planning = await runCommand(['plan', ...queue.flags, ...output], {
    ...gated.env('plan'),
    ...queue.env,
  });
  expect(planning.code, planning.stdout + planning.stderr).toBe(0);
  const planned = plannedCount(planning.stdout);

  const reference = await runExample(
    ['--quiet', '--db', pgUrl, '--db-schema', referenceSchema, '--out', await tempDir()],
    { env: gated.env('reference'), now: () => windowEnd(planning.stdout) + 1 },
  );
  expect(reference.code, reference.stdout + reference.stderr).toBe(0);
  const [referencePlanned, , , referenceDead] = identity(reference.stdout);
  expect(referencePlanned).toBe(planned);
  expect(windowEnd(reference.stdout)).toBe(windowEnd(planning.stdout));
  return {
    gated,
    pgUrl,
    schema,
    referenceSchema,
    planned,
    referenceDead,
    worker: (token, flags) =>
      startCommand(['worker', ...queue.flags, ...output, ...flags], {
        ...gated.env(token),
        ...queue.env,
      }),
  };
}

/**
 * The fleet's warehouse holds exactly the records of the single process, every pass closed and
 * the same tasks finished.
 */
async function expectSameWarehouse(run: Planned): Promise<void> {
  const [records, reference] = await Promise.all([
    readPostgres(run.pgUrl, run.schema),
    readPostgres(run.pgUrl, run.referenceSchema),
  ]);
  expect(records.size).toBeGreaterThan(300);
  expect(records.size).toBe(reference.size);
  expect(records).toEqual(reference);
  const [state, referenceState] = await Promise.all([
    postgresState(run.pgUrl, run.schema),
    postgresState(run.pgUrl, run.referenceSchema),
  ]);
  expect(state.openPasses).toEqual([]);
  expect(state).toEqual(referenceState);
}

/** Every planned task done or dead-lettered, each once (by key), as the single process did. */
function expectEveryTaskOnce(run: Planned, acked: string[], dead: string[]): void {
  const done = new Set(acked);
  const deadLettered = new Set(dead);
  for (const key of deadLettered) expect(done.has(key), key).toBe(false);
  expect(done.size + deadLettered.size).toBe(run.planned);
  expect(deadLettered.size).toBe(run.referenceDead);
}

const FLEET_BROKERS = [bullmq(REDIS_URL), rabbitmq(AMQP_URL)];
const CRASH_BROKERS = [bullmq(REDIS_URL), rabbitmq(AMQP_URL), sqs()];

describe('canvas-sync plan, then three canvas-sync workers', () => {
  for (const broker of FLEET_BROKERS) {
    it.skipIf(missing(broker))(
      `${broker.name}: the workers share the tasks and leave the warehouse of a single process`,
      async ({ onTestFinished }) => {
        const names = ['first', 'second', 'third'];
        const run = await plan(broker, names, onTestFinished);
        // Answers held until each worker has a request waiting: each has a task in hand.
        run.gated.close();
        run.gated.setLatency(5);
        const flags = ['--exit-when-idle', '--idle-ms', '1000', '--verbose', '--concurrency', '2'];
        const workers = names.map((name) => run.worker(name, flags));
        await vi.waitFor(
          () => {
            for (const [i, name] of names.entries()) {
              expect(workers[i]?.child.exitCode, workers[i]?.stderr()).toBeNull();
              expect(run.gated.sim.stats(name).inFlight, name).toBeGreaterThan(0);
            }
          },
          { timeout: DEADLINE_MS, interval: 20 },
        );
        run.gated.open();
        const exits = await Promise.all(workers.map((worker) => worker.exit));

        const acked: string[] = [];
        const dead: string[] = [];
        for (const [i, exit] of exits.entries()) {
          expect(exit.code, `${names[i]}: ${exit.stdout}${exit.stderr}`).toBe(0);
          // Pacing: shared through the Redis of a BullMQ queue; alone on RabbitMQ, and said so.
          expect(exit.stderr).toContain(
            broker.name === 'bullmq'
              ? 'pacing: shared with every process of this token through redis://'
              : 'pacing: this process paces alone (no Redis for pacing',
          );
          const lines = taskLines(exit.stdout);
          expect(lines.ack.length, names[i]).toBeGreaterThan(0);
          // Its summary counts what its lines say.
          expect(workerDone(exit.stdout)).toMatchObject({
            done: lines.ack.length,
            dead: lines.deadLetter.length,
          });
          acked.push(...lines.ack);
          dead.push(...lines.deadLetter);
        }
        // No task done twice: a healthy fleet gets each delivery once.
        expect(new Set(acked).size).toBe(acked.length);
        expectEveryTaskOnce(run, acked, dead);
        await expectSameWarehouse(run);
      },
      60_000,
    );
  }
});

describe('canvas-sync worker killed with tasks in hand, and another that takes them over', () => {
  for (const broker of CRASH_BROKERS) {
    it.skipIf(missing(broker))(
      `${broker.name}: every task is done, and the warehouse is that of a single process`,
      async ({ onTestFinished }) => {
        const run = await plan(broker, ['killed', 'survivor'], onTestFinished);
        const lease = broker.leased ? ['--lease-ms', LEASE_MS] : [];
        run.gated.setLatency(20);
        const killed = run.worker('killed', ['--verbose', '--concurrency', '4', ...lease]);
        await killed.printed((out) => taskLines(out).ack.length >= 3, 'three tasks done');
        // From now on its requests wait at the gate: killed while one waits, it has a task in
        // hand (the kill falls in the same turn as the look at what it has in flight).
        run.gated.close();
        let inFlightAtKill = 0;
        await vi.waitFor(
          () => {
            expect(killed.child.exitCode, killed.stderr()).toBeNull();
            inFlightAtKill = run.gated.sim.stats('killed').inFlight;
            expect(inFlightAtKill).toBeGreaterThan(0);
            killed.child.kill('SIGKILL');
          },
          { timeout: DEADLINE_MS, interval: 10 },
        );
        const dead = await killed.exit;
        expect(dead.signal, dead.stderr).toBe('SIGKILL');
        expect(dead.stdout).not.toContain('worker done');
        const first = taskLines(dead.stdout);
        expect(first.ack.length).toBeGreaterThanOrEqual(3);
        expect(first.ack.length + inFlightAtKill).toBeLessThanOrEqual(run.planned);

        run.gated.setLatency(1);
        run.gated.open();
        const survivor = await run.worker('survivor', [
          '--exit-when-idle',
          '--idle-ms',
          '1000',
          '--verbose',
          ...lease,
        ]).exit;
        expect(survivor.code, survivor.stdout + survivor.stderr).toBe(0);
        const second = taskLines(survivor.stdout);
        expect(workerDone(survivor.stdout)).toMatchObject({
          done: second.ack.length,
          dead: second.deadLetter.length,
        });
        // The survivor ended every task the killed worker did not, those it had in hand too.
        expect(second.ack.length + second.deadLetter.length).toBeGreaterThanOrEqual(
          run.planned - first.ack.length - first.deadLetter.length,
        );
        expectEveryTaskOnce(
          run,
          [...first.ack, ...second.ack],
          [...first.deadLetter, ...second.deadLetter],
        );
        await expectSameWarehouse(run);
      },
      60_000,
    );
  }
});
