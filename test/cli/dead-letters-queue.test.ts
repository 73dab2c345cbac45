/**
 * `canvas-sync dead-letters --queue …`: a fleet's dead letters on its broker, listed (reason,
 * code, task, attempts, safe details; `--json` with the task's key) and, with `--replay`, put
 * back on the queue, leaving the dead-letter queue empty. Against BullMQ on the Redis of
 * `CANVAS_SYNC_REDIS_URL` and RabbitMQ of `CANVAS_SYNC_AMQP_URL` (both started by `.ci/run`;
 * each skipped without its URL, except under CI (`CI=true`), where a missing URL fails), and SQS
 * on fauxqs, started in process on 127.0.0.1 by this file. Each test works on fresh queues,
 * removed when it ends. The command runs in process, through its entry function, with its own
 * `Io`.
 */
import { randomUUID } from 'node:crypto';
import { DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { interceptLocalhostDns } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it, type OnTestFinishedHandler, vi } from 'vitest';
import type { DeadLetter, QueueAdapter, QueueStats } from '../../src/queue/adapter.js';
import { BullMQQueueAdapter } from '../../src/queue/bullmq/index.js';
import { RabbitMQQueueAdapter } from '../../src/queue/rabbitmq/index.js';
import { parseSqsQueueTarget, SqsQueueAdapter } from '../../src/queue/sqs/index.js';
import type { SyncTask } from '../../src/queue/task.js';
import {
  FAUXQS_CREDENTIALS,
  FAUXQS_REGION,
  type FauxqsServer,
  startFauxqsServer,
} from '../queue/support/fauxqs-server.js';
import { freshTasks, until } from '../queue/support/tasks.js';
import { runDeadLettersCommand } from './support.js';

const redisUrl = process.env.CANVAS_SYNC_REDIS_URL || undefined;
const amqpUrl = process.env.CANVAS_SYNC_AMQP_URL || undefined;

describe.runIf(process.env.CI === 'true' && (redisUrl === undefined || amqpUrl === undefined))(
  'canvas-sync dead-letters --queue under CI',
  () => {
    it('has Redis and RabbitMQ (CANVAS_SYNC_REDIS_URL, CANVAS_SYNC_AMQP_URL, exported by .ci/run)', () => {
      expect.fail(
        'CI=true but CANVAS_SYNC_REDIS_URL or CANVAS_SYNC_AMQP_URL is not set: .ci/run starts Redis and RabbitMQ and sets them',
      );
    });
  },
);

/** A Canvas token, as a handler could carry into a dead letter's details by mistake. */
const TOKEN = `7~${'Zq'.repeat(32)}`;

/** Waits for `done` (`until` of support/tasks.ts), at most 8000 ms by default. */
const waitFor = (done: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000) =>
  until(done, what, timeoutMs);

const tasks = (count: number): SyncTask[] => freshTasks(count);

/** The adapters' API beyond the contract that these tests use. */
type Adapter = QueueAdapter &
  Required<Pick<QueueAdapter, 'deadLetters' | 'stats'>> & {
    enqueueRaw(payload: unknown): Promise<void>;
  };

/** A fresh queue on a broker, and how to reach it. */
interface Fixture {
  /** The command line's `--queue` (and `--queue-name`) arguments. */
  readonly args: string[];
  /** The `--queue` URL. */
  readonly url: string;
  /** A new adapter on the queue (closed when the test ends). */
  open(): Promise<Adapter>;
  /** Texts of the URL that no output may show (its password). */
  readonly secrets: string[];
}

type Tracker = (handler: OnTestFinishedHandler) => void;

/** The password of `url` in every form output could show it, if it has one. */
function secretsOf(url: string): string[] {
  const { username, password } = new URL(url);
  return password === '' ? [] : [`${username}:${password}@`, password];
}

/** A fresh BullMQ queue on the Redis of `url`, obliterated when the test ends. */
function bullmqFixture(url: string, onTestFinished: Tracker): Fixture {
  const name = `cs-cli-${randomUUID()}`;
  onTestFinished(async () => {
    const cleaner = new BullMQQueueAdapter({ name, url });
    await cleaner.obliterate();
    await cleaner.close();
  });
  return {
    args: ['--queue', url, '--queue-name', name],
    url,
    secrets: secretsOf(url),
    async open() {
      const adapter = new BullMQQueueAdapter({ name, url, handlerErrorDelayMs: 20 });
      onTestFinished(() => adapter.close());
      return adapter;
    },
  };
}

/** A fresh RabbitMQ queue (and its `.dead` queue) on `url`, deleted when the test ends. */
function rabbitmqFixture(url: string, onTestFinished: Tracker): Fixture {
  const name = `cs-cli-${randomUUID()}`;
  onTestFinished(async () => {
    const cleaner = new RabbitMQQueueAdapter({ name, url });
    await cleaner.deleteQueues();
    await cleaner.close();
  });
  return {
    args: ['--queue', url, '--queue-name', name],
    url,
    secrets: secretsOf(url),
    async open() {
      const adapter = new RabbitMQQueueAdapter({ name, url, handlerErrorDelayMs: 20 });
      onTestFinished(() => adapter.close());
      return adapter;
    },
  };
}

/**
 * A fresh pair of SQS queues on fauxqs (created with a redrive policy, deleted when the test
 * ends), named by an `sqs://` target as the command line takes it: fauxqs knows a queue by the
 * URL `http://sqs.<region>.localhost:<port>/000000000000/<name>`, so the target's endpoint is that
 * host (resolved to 127.0.0.1 in this process; see `interceptLocalhostDns`).
 */
function sqsFixture(server: FauxqsServer, client: SQSClient, onTestFinished: Tracker): Fixture {
  const name = `cs-cli-${randomUUID()}`;
  const { port } = new URL(server.endpoint);
  const host = `sqs.${FAUXQS_REGION}.localhost:${port}`;
  const url = `sqs://${host}/000000000000/${name}?region=${FAUXQS_REGION}&endpoint=http://${host}`;
  const target = parseSqsQueueTarget(url);
  expect(target.queueUrl).toBe(server.queueUrl(name));
  let created: Promise<void> | undefined;
  onTestFinished(async () => {
    for (const queueUrl of [target.queueUrl, target.deadLetterQueueUrl]) {
      await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    }
  });
  return {
    args: ['--queue', url],
    url,
    // Credentials never belong in an sqs:// target (it is refused with them).
    secrets: [],
    async open() {
      const adapter = new SqsQueueAdapter({
        ...target,
        credentials: FAUXQS_CREDENTIALS,
        // Short polls: a long poll that close() abandons could still take a message server-side
        // (hidden for the visibility timeout), as a replayed one.
        waitTimeSeconds: 0,
        visibilityTimeoutSeconds: 5,
        handlerErrorDelayMs: 20,
      });
      onTestFinished(() => adapter.close());
      created ??= adapter.ensureQueues({ maxReceiveCount: 5 });
      await created;
      return adapter;
    },
  };
}

/**
 * Dead-letters `poisoned` through the adapter's own API: a consumer whose handler gives up on
 * every task with reason `http-404` and details that hold the token (which the adapter scrubs);
 * `raw` payloads that are no task are dead-lettered by the adapter itself (`invalid-task`).
 * Resolves once every one is dead and the consumer closed.
 */
async function poison(fixture: Fixture, poisoned: SyncTask[], raw: unknown[] = []): Promise<void> {
  const consumer = await fixture.open();
  await consumer.enqueue(poisoned);
  for (const payload of raw) await consumer.enqueueRaw(payload);
  await consumer.consume(
    async ({ task }) => ({
      type: 'dead-letter',
      reason: 'http-404',
      code: 'HTTP_ERROR',
      detail: {
        status: 404,
        url: `https://canvas.example.edu${task.path}?access_token=${TOKEN}`,
        authorization: `Bearer ${TOKEN}`,
      },
    }),
    { concurrency: 2 },
  );
  const total = poisoned.length + raw.length;
  await waitFor(
    async () => (await consumer.stats()).deadLetters === total,
    `${total} dead letters`,
  );
  await consumer.close();
}

/** The `--json` lines of a listing. */
function jsonLines(stdout: string): { key: string; record: DeadLetter; replay?: boolean }[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

/** The tasks on the queue, taken by a consumer that acks each (it is closed afterwards). */
async function drain(fixture: Fixture, count: number): Promise<SyncTask[]> {
  const consumer = await fixture.open();
  const seen: SyncTask[] = [];
  await consumer.consume(
    async ({ task }) => {
      seen.push(task);
      return { type: 'ack' };
    },
    { concurrency: 1 },
  );
  await waitFor(() => seen.length >= count, `${count} tasks delivered`);
  await consumer.close();
  return seen;
}

const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);

/** The tests every broker runs, on a fresh queue each (`fixture`). */
function deadLetterSuite(fixture: (onTestFinished: Tracker) => Fixture): void {
  it('lists the dead letters (reason, code, task, key; no token, no password), and --replay puts them back on the queue', async ({
    onTestFinished,
  }) => {
    const queue = fixture(onTestFinished);
    const poisoned = tasks(3);
    await poison(queue, poisoned);
    const admin = await queue.open();
    const stats = (): Promise<QueueStats> => admin.stats();
    expect(await stats()).toMatchObject({ queued: 0, deadLetters: 3 });

    const listed = await runDeadLettersCommand(queue.args);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toBe('');
    for (const task of poisoned) {
      expect(listed.stdout).toContain(`task      course.enrollments ${task.path}\n`);
    }
    expect(listed.stdout.match(/^http-404 \(HTTP_ERROR\)$/gm)).toHaveLength(3);
    expect(listed.stdout.match(/^ {2}attempts {2}1, dead at 20\d\d-\d\d-\d\dT/gm)).toHaveLength(3);
    expect(listed.stdout).toMatch(
      /^ {2}detail {4}status=404 url=https:\/\/canvas\.example\.edu\//m,
    );
    expect(listed.stdout).toContain('access_token=[REDACTED]');
    expect(listed.stdout).toMatch(/\n\n3 dead letters\n$/);

    const json = await runDeadLettersCommand([...queue.args, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const lines = jsonLines(json.stdout).sort(byKey);
    expect(lines.map((line) => line.key)).toEqual(poisoned.map((task) => task.key).sort());
    for (const line of lines) {
      expect(line.record).toMatchObject({
        reason: 'http-404',
        code: 'HTTP_ERROR',
        attempts: 1,
        task: { key: line.key, kind: 'course.enrollments' },
        detail: { status: 404 },
      });
      expect(line.replay).toBeUndefined();
    }
    for (const output of [listed.stdout, json.stdout]) {
      expect(output).not.toContain(TOKEN);
      for (const secret of queue.secrets) expect(output).not.toContain(secret);
    }
    // Listing takes nothing away.
    expect(await stats()).toMatchObject({ queued: 0, deadLetters: 3 });

    const replay = await runDeadLettersCommand([...queue.args, '--replay']);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/\n\n3 dead letters\n$/);
    expect(replay.stderr).toBe('3 moved back to the queue: the workers fetch them again\n');
    expect(await stats()).toMatchObject({ queued: 3, deadLetters: 0, delayed: 0 });
    const none = await runDeadLettersCommand(queue.args);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toBe('');
    // The URL without its password (with the password masked wherever it shows, even as the
    // user name of guest:guest@).
    expect(none.stdout).toMatch(/^No dead letters on [a-z]+:\/\/.*\.\n$/);
    expect(none.stdout).toContain(`${new URL(queue.url).host}`);
    for (const secret of queue.secrets) expect(none.stdout).not.toContain(secret);

    // The very tasks, their retry counts reset, for the workers to fetch.
    const delivered = await drain(queue, 3);
    expect(delivered.map((task) => task.key).sort()).toEqual(
      poisoned.map((task) => task.key).sort(),
    );
    for (const task of delivered) {
      const original = poisoned.find((other) => other.key === task.key);
      expect(task).toMatchObject({ kind: original?.kind, path: original?.path });
      expect(task.retries).toEqual({ failures: 0, throttles: 0 });
    }
    await waitFor(async () => {
      const { queued, inFlight, deadLetters: dead } = await stats();
      return queued + inFlight + dead === 0;
    }, 'an empty queue');
  });

  it('lists a payload that is no task as raw, and --replay leaves it dead', async ({
    onTestFinished,
  }) => {
    const queue = fixture(onTestFinished);
    const [task] = tasks(1) as [SyncTask];
    await poison(queue, [task], [{ kind: 'course.enrollments', path: 42, access_token: TOKEN }]);
    const admin = await queue.open();

    const json = await runDeadLettersCommand([...queue.args, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const lines = jsonLines(json.stdout);
    expect(lines).toHaveLength(2);
    const invalid = lines.find((line) => line.record.task === undefined);
    expect(invalid?.key).toMatch(/^raw:[01]$/);
    expect(invalid?.record).toMatchObject({ reason: 'invalid-task', code: 'TASK_VALIDATION' });
    expect(lines.find((line) => line.key === task.key)?.record.reason).toBe('http-404');

    const replay = await runDeadLettersCommand([...queue.args, '--replay']);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain('invalid-task (TASK_VALIDATION)\n  task      (not a task)\n');
    expect(replay.stdout).toContain(
      `http-404 (HTTP_ERROR)\n  task      course.enrollments ${task.path}\n`,
    );
    expect(replay.stdout).toMatch(/\n\n2 dead letters\n$/);
    expect(replay.stderr).toBe('1 moved back to the queue: the workers fetch them again\n');
    for (const output of [json.stdout, replay.stdout]) expect(output).not.toContain(TOKEN);
    expect(await admin.stats()).toMatchObject({ queued: 1, deadLetters: 1 });
    const left = jsonLines((await runDeadLettersCommand([...queue.args, '--json'])).stdout);
    expect(left.map((line) => line.record.reason)).toEqual(['invalid-task']);
  });
}

describe.skipIf(redisUrl === undefined)(
  'canvas-sync dead-letters --queue redis://… (BullMQ; skipped without CANVAS_SYNC_REDIS_URL)',
  () => {
    deadLetterSuite((onTestFinished) => bullmqFixture(redisUrl ?? '', onTestFinished));
  },
);

describe.skipIf(amqpUrl === undefined)(
  'canvas-sync dead-letters --queue amqp://… (RabbitMQ; skipped without CANVAS_SYNC_AMQP_URL)',
  () => {
    deadLetterSuite((onTestFinished) => rabbitmqFixture(amqpUrl ?? '', onTestFinished));
  },
);

describe('canvas-sync dead-letters --queue sqs://… (fauxqs in process, 127.0.0.1)', () => {
  let server: FauxqsServer;
  let client: SQSClient;
  let restoreDns: (() => void) | undefined;

  beforeAll(async () => {
    server = await startFauxqsServer();
    client = server.client();
    // The command's SQS client takes its credentials from the AWS SDK's chain: the environment.
    vi.stubEnv('AWS_ACCESS_KEY_ID', FAUXQS_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', FAUXQS_CREDENTIALS.secretAccessKey);
    restoreDns = interceptLocalhostDns();
  });

  afterAll(async () => {
    restoreDns?.();
    vi.unstubAllEnvs();
    client?.destroy();
    await server?.stop();
  });

  deadLetterSuite((onTestFinished) => sqsFixture(server, client, onTestFinished));
});

describe('canvas-sync dead-letters --queue: usage', () => {
  it('refuses --queue-name without --queue, and a --queue that names no broker, never quoting a password', async () => {
    const alone = await runDeadLettersCommand(['--queue-name', 'jobs']);
    expect(alone).toEqual({
      code: 2,
      stdout: '',
      stderr: '--queue-name: only with --queue\nSee --help for usage.\n',
    });
    const http = await runDeadLettersCommand([
      '--queue',
      'http://canvas:hunter22-mq@mq.example.edu/',
    ]);
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(
      /^--queue http:\/\/canvas:\*\*\*@mq\.example\.edu\/: expected redis:\/\/host:6379 \(BullMQ\)/,
    );
    const name = await runDeadLettersCommand([
      '--queue=amqp://canvas:hunter22-mq@mq.example.edu/',
      '--queue-name',
      'bad name',
    ]);
    expect(name.code).toBe(2);
    expect(name.stderr).toMatch(/^--queue-name must be letters, digits/);
    const sqs = await runDeadLettersCommand([
      '--queue',
      'sqs://AKIAEXAMPLE:hunter22-mq@sqs.us-east-1.amazonaws.com/123456789012/q',
    ]);
    expect(sqs.code).toBe(2);
    expect(sqs.stderr).toMatch(/^--queue: Invalid SQS queue target: credentials: /);
    const fifo = await runDeadLettersCommand([
      '--queue',
      'sqs://sqs.us-east-1.amazonaws.com/123456789012/q.fifo',
    ]);
    expect(fifo.code).toBe(2);
    expect(fifo.stderr).toMatch(/^--queue: Invalid SQS queue target: queue-name: FIFO queues/);
    const out = await runDeadLettersCommand(['--queue', 'redis://127.0.0.1:1', '--out', 'out']);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      '--out and --queue: a fleet keeps its dead letters on the broker, not in a directory\nSee --help for usage.\n',
    );
    const reserved = await runDeadLettersCommand([
      '--queue',
      'amqp://canvas:hunter22-mq@127.0.0.1:1/',
      '--queue-name=amq.jobs',
    ]);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toMatch(/^--queue-name must not start with "amq\." on RabbitMQ/);
    for (const run of [http, name, sqs, fifo, out, reserved]) {
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/\nSee --help for usage\.\n$/);
      expect(run.stderr).not.toContain('hunter22-mq');
    }
    const help = await runDeadLettersCommand(['--help']);
    expect(help.stdout).toContain('--queue URL');
    expect(help.stdout).toContain('--queue-name NAME');
  });
});
