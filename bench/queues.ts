/**
 * `npm run bench -- queues`: how many tasks per second go through each queue adapter, as a
 * multiple of the task rate Canvas's bucket allows one token. The target: every broker carries
 * three times that rate or more, so the queue never slows a sync down.
 *
 * Each run enqueues `TASKS` distinct tasks in batches of `BATCH` (as the producers do), then
 * consumes them with a handler that acks at once, at the pipeline's worker concurrencies; each
 * adapter works on a fresh queue. Columns: the enqueue rate, the consume rate (from `consume()`
 * to the last handler call), and the rate through (tasks over both phases).
 *
 * Adapters are a list of `{ name, needs, make, dispose }`: `make` returns a fresh, empty adapter,
 * or `undefined` when its broker is not configured (the row then says "skipped"); `dispose`
 * removes what the run left in the broker once the adapter is closed. The entries: the
 * in-process `MemoryQueueAdapter`; BullMQ on `CANVAS_SYNC_REDIS_URL` (the queue obliterated
 * after); RabbitMQ on `CANVAS_SYNC_AMQP_URL` (`<name>` and `<name>.dead` deleted after); SQS on
 * fauxqs, an emulator this benchmark starts in process on 127.0.0.1 for each run (queues created
 * with `ensureQueues`, deleted, then the server stopped), so it is never skipped. fauxqs shares
 * this process's event loop and has no network latency: its row is not a measure of Amazon SQS.
 * A broker is added with one entry in {@link ADAPTERS}. */
import { randomUUID } from 'node:crypto';
import { createTask, MemoryQueueAdapter, type QueueAdapter, type SyncTask } from '../src/index.js';
import type { FauxqsServer } from '../test/queue/support/fauxqs-server.js';
import { formatTable } from './table.js';

const TASKS = 10_000;
const BATCH = 100;
/** Worker concurrencies like the pipeline's (`bench/pipeline.ts` runs 4 to 32; 13 fit in flight). */
const CONCURRENCIES = [16, 32] as const;
/** Records per page, and the bucket's costs, as in `bench/sinks.ts`. */
const PAGE = 100;

/**
 * Tasks per second the bucket lets one token run, one request (a page of 100) per task: Canvas
 * leaks 10 units a second, and a page of 100 records costs about 0.02 + 0.002 × 100 = 0.22 units
 * (the simulator's default cost model, from Canvas's measured costs); `bench/sinks.ts` counts the
 * same requests as 4,545 records/s.
 */
const BUCKET_TASKS_PER_SECOND = 10 / (0.02 + 0.002 * PAGE);

/** An adapter under measurement. */
interface BenchAdapter {
  /** The row's name. */
  readonly name: string;
  /** What `make` needs, said when it is skipped. */
  readonly needs?: string;
  /** A fresh, empty adapter (e.g. on a fresh queue name), or `undefined` if not configured. */
  readonly make: () => Promise<QueueAdapter | undefined>;
  /** Removes what a run left in the broker, once the adapter is closed. */
  readonly dispose?: (adapter: QueueAdapter) => Promise<void>;
}

/** The broker's URL from the environment, if set and not empty. */
function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

const bullmqNames = new WeakMap<QueueAdapter, string>();

/** The fauxqs server (started in process on 127.0.0.1 by `make`) and queues of an SQS run. */
const sqsRuns = new WeakMap<
  QueueAdapter,
  { server: FauxqsServer; queueUrl: string; deadLetterQueueUrl: string }
>();

const ADAPTERS: readonly BenchAdapter[] = [
  { name: 'MemoryQueueAdapter', make: async () => new MemoryQueueAdapter() },
  {
    name: 'BullMQQueueAdapter',
    needs: 'CANVAS_SYNC_REDIS_URL',
    make: async () => {
      const url = env('CANVAS_SYNC_REDIS_URL');
      if (url === undefined) return undefined;
      const { BullMQQueueAdapter } = await import('../src/queue/bullmq/index.js');
      const name = `cs-bench-${randomUUID()}`;
      const adapter = new BullMQQueueAdapter({ name, url });
      bullmqNames.set(adapter, name);
      return adapter;
    },
    dispose: async (adapter) => {
      const url = env('CANVAS_SYNC_REDIS_URL');
      const name = bullmqNames.get(adapter);
      if (url === undefined || name === undefined) return;
      const { BullMQQueueAdapter } = await import('../src/queue/bullmq/index.js');
      const cleaner = new BullMQQueueAdapter({ name, url });
      await cleaner.obliterate();
      await cleaner.close();
    },
  },
  {
    name: 'RabbitMQQueueAdapter',
    needs: 'CANVAS_SYNC_AMQP_URL',
    make: async () => {
      const url = env('CANVAS_SYNC_AMQP_URL');
      if (url === undefined) return undefined;
      const { RabbitMQQueueAdapter } = await import('../src/queue/rabbitmq/index.js');
      return new RabbitMQQueueAdapter({ name: `cs-bench-${randomUUID()}`, url });
    },
    dispose: async (adapter) => {
      const { RabbitMQQueueAdapter } = await import('../src/queue/rabbitmq/index.js');
      // `<name>`, `<name>.dead` (and retry queues, none here); works once the adapter is closed.
      if (adapter instanceof RabbitMQQueueAdapter) await adapter.deleteQueues();
    },
  },
  {
    name: 'SqsQueueAdapter (fauxqs)',
    make: async () => {
      const { startFauxqsServer, FAUXQS_CREDENTIALS, FAUXQS_REGION } = await import(
        '../test/queue/support/fauxqs-server.js'
      );
      const { SqsQueueAdapter } = await import('../src/queue/sqs/index.js');
      const server = await startFauxqsServer();
      const name = `cs-bench-${randomUUID()}`;
      const queues = {
        queueUrl: server.queueUrl(name),
        deadLetterQueueUrl: server.queueUrl(`${name}-dead`),
      };
      try {
        const adapter = new SqsQueueAdapter({
          ...queues,
          region: FAUXQS_REGION,
          endpoint: server.endpoint,
          credentials: FAUXQS_CREDENTIALS,
        });
        await adapter.ensureQueues();
        sqsRuns.set(adapter, { ...queues, server });
        return adapter;
      } catch (error) {
        await server.stop();
        throw error;
      }
    },
    dispose: async (adapter) => {
      const run = sqsRuns.get(adapter);
      if (run === undefined) return;
      const { DeleteQueueCommand } = await import('@aws-sdk/client-sqs');
      const client = run.server.client();
      try {
        await client.send(new DeleteQueueCommand({ QueueUrl: run.queueUrl }));
        await client.send(new DeleteQueueCommand({ QueueUrl: run.deadLetterQueueUrl }));
      } finally {
        client.destroy();
        await run.server.stop();
      }
    },
  },
];

interface Rates {
  enqueue: number;
  consume: number;
  through: number;
}

/** Enqueues `tasks` in batches, then consumes them at `concurrency`, acking at once. */
async function run(adapter: QueueAdapter, tasks: readonly SyncTask[], concurrency: number) {
  const started = performance.now();
  for (let start = 0; start < tasks.length; start += BATCH) {
    await adapter.enqueue(tasks.slice(start, start + BATCH));
  }
  const enqueued = performance.now();
  let handled = 0;
  let done = (): void => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  await adapter.consume(
    async () => {
      handled++;
      if (handled === tasks.length) done();
      return { type: 'ack' };
    },
    { concurrency },
  );
  await all;
  const consumed = performance.now();
  const rates: Rates = {
    enqueue: tasks.length / ((enqueued - started) / 1000),
    consume: tasks.length / ((consumed - enqueued) / 1000),
    through: tasks.length / ((consumed - started) / 1000),
  };
  return rates;
}

function cell(rate: number): string {
  return `${Math.round(rate).toLocaleString('en-US')} (${(rate / BUCKET_TASKS_PER_SECOND).toFixed(0)}×)`;
}

/** `npm run bench -- queues` */
export async function benchQueues(): Promise<void> {
  console.log(
    "\n== queues: tasks per second through each adapter, and as a multiple of the bucket's rate ==",
  );
  const tasks = Array.from({ length: TASKS }, (_, index) =>
    createTask({ kind: 'course.enrollments', path: `/api/v1/courses/${index + 1}/enrollments` }),
  );
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const entry of ADAPTERS) {
    let slowest = Number.POSITIVE_INFINITY;
    for (const concurrency of CONCURRENCIES) {
      const adapter = await entry.make();
      if (adapter === undefined) {
        rows.push([
          entry.name,
          '',
          `skipped: ${entry.needs ?? 'not configured'} is not set`,
          '',
          '',
        ]);
        break;
      }
      try {
        const rates = await run(adapter, tasks, concurrency);
        slowest = Math.min(slowest, rates.enqueue, rates.consume);
        rows.push([
          entry.name,
          String(concurrency),
          cell(rates.enqueue),
          cell(rates.consume),
          cell(rates.through),
        ]);
      } finally {
        try {
          await adapter.close();
        } finally {
          // Even when close fails: the broker's queues (and fauxqs) must not outlive the run.
          await entry.dispose?.(adapter);
        }
      }
    }
    if (Number.isFinite(slowest)) {
      const ratio = slowest / BUCKET_TASKS_PER_SECOND;
      verdicts.push(
        `${entry.name}: slowest phase ${ratio.toFixed(0)}× the bucket's rate (${ratio >= 3 ? 'meets' : 'BELOW'} the 3× target)`,
      );
    }
  }
  console.log(
    formatTable(['adapter', 'concurrency', 'enqueue', 'consume (ack at once)', 'through'], rows),
  );
  console.log(
    `${TASKS.toLocaleString('en-US')} tasks, enqueued in batches of ${BATCH}; tasks/s (× the bucket's rate). ` +
      `The bucket lets one token make about ${BUCKET_TASKS_PER_SECOND.toFixed(1)} requests/s ` +
      `(10 units/s leak, 0.22 units per page of ${PAGE}: the ${Math.round(BUCKET_TASKS_PER_SECOND * PAGE).toLocaleString('en-US')} ` +
      'records/s of `bench -- sinks`), one request per task (target: 3× or more).',
  );
  for (const verdict of verdicts) console.log(verdict);
}
