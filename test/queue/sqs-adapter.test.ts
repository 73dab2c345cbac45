/**
 * SqsQueueAdapter against fauxqs, an SQS emulator started in process on 127.0.0.1 (a free port)
 * by this file and stopped after it: no external server, so it also runs under CI. Each adapter
 * works on a fresh pair of queues (`cs-<uuid>` and its `-dead` queue, with a redrive policy); the
 * queues disappear with the server.
 */
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import {
  parseSqsQueueTarget,
  SqsQueueAdapter,
  type SqsQueueAdapterOptions,
} from '../../src/queue/sqs/index.js';
import { createTask, type SyncTask } from '../../src/queue/task.js';
import { runQueueAdapterConformance } from '../../src/testing/queue-conformance.js';
import {
  FAUXQS_CREDENTIALS,
  FAUXQS_REGION,
  type FauxqsServer,
  startFauxqsServer,
} from './support/fauxqs-server.js';
import { freshTasks, until } from './support/tasks.js';

const queues = {
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
  deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q-dead',
};

describe('SqsQueueAdapter options', () => {
  it('refuses invalid options before connecting', () => {
    const bad: unknown[] = [
      {},
      { ...queues },
      { ...queues, queueUrl: 'not a url', region: 'us-east-1' },
      { ...queues, queueUrl: 'ftp://example.com/1/q', region: 'us-east-1' },
      { ...queues, queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q.fifo', region: 'x' },
      { ...queues, deadLetterQueueUrl: queues.queueUrl, region: 'us-east-1' },
      { ...queues, deadLetterQueueUrl: undefined, region: 'us-east-1' },
      { ...queues, region: 'us-east-1', waitTimeSeconds: 21 },
      { ...queues, region: 'us-east-1', waitTimeSeconds: 0.5 },
      { ...queues, region: 'us-east-1', visibilityTimeoutSeconds: 0 },
      { ...queues, region: 'us-east-1', visibilityTimeoutSeconds: 43_201 },
      { ...queues, region: 'us-east-1', maxDelaySeconds: 901 },
      { ...queues, region: 'us-east-1', handlerErrorDelayMs: -1 },
      { ...queues, region: 'us-east-1', onError: 'log' },
      { ...queues, region: 'us-east-1', endpoint: 'localhost:4566' },
      { ...queues, client: {} },
      { ...queues, client: { send() {} }, region: 'us-east-1' },
    ];
    for (const options of bad) {
      expect(
        () => new SqsQueueAdapter(options as SqsQueueAdapterOptions),
        JSON.stringify(options),
      ).toThrow(CanvasOptionsError);
    }
    expect(() => new SqsQueueAdapter({ ...queues })).toThrow(/client, or region/);
    expect(
      () => new SqsQueueAdapter({ ...queues, region: 'us-east-1', waitTimeSeconds: 30 }),
    ).toThrow(/waitTimeSeconds/);
  });

  it('accepts a client, or a region with an endpoint', async () => {
    const owned = new SqsQueueAdapter({
      ...queues,
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
    });
    expect(owned.capabilities).toEqual({ fifo: false });
    await owned.close();
    await owned.close();
  });
});

describe('parseSqsQueueTarget', () => {
  it('reads an AWS queue, with the dead-letter queue <name>-dead by default', () => {
    expect(
      parseSqsQueueTarget('sqs://sqs.eu-west-1.amazonaws.com/123456789012/canvas-sync'),
    ).toEqual({
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/canvas-sync',
      deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/canvas-sync-dead',
      region: 'eu-west-1',
      accountId: '123456789012',
      queueName: 'canvas-sync',
      deadLetterQueueName: 'canvas-sync-dead',
    });
  });

  it('takes region, endpoint and dlq parameters', () => {
    expect(
      parseSqsQueueTarget(
        'sqs://sqs.us-east-1.amazonaws.com/000000000000/jobs?endpoint=http://127.0.0.1:4566&dlq=jobs_dlq',
      ),
    ).toEqual({
      queueUrl: 'http://127.0.0.1:4566/000000000000/jobs',
      deadLetterQueueUrl: 'http://127.0.0.1:4566/000000000000/jobs_dlq',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:4566',
      accountId: '000000000000',
      queueName: 'jobs',
      deadLetterQueueName: 'jobs_dlq',
    });
    expect(
      parseSqsQueueTarget(
        'sqs://localhost/000000000000/jobs?region=eu-north-1&endpoint=http://localhost:9324/',
      ),
    ).toMatchObject({
      queueUrl: 'http://localhost:9324/000000000000/jobs',
      region: 'eu-north-1',
      endpoint: 'http://localhost:9324',
    });
    expect(
      parseSqsQueueTarget('sqs://sqs.us-east-1.amazonaws.com/123456789012/q?region=us-west-2'),
    ).toMatchObject({
      region: 'us-west-2',
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
    });
    // A private host (a VPC endpoint) is the endpoint itself.
    expect(
      parseSqsQueueTarget(
        'sqs://vpce-1.sqs.us-east-1.vpce.amazonaws.com/123456789012/q?region=us-east-1',
      ),
    ).toMatchObject({
      endpoint: 'https://vpce-1.sqs.us-east-1.vpce.amazonaws.com',
      queueUrl: 'https://vpce-1.sqs.us-east-1.vpce.amazonaws.com/123456789012/q',
    });
  });

  it('refuses bad input with a clear CanvasOptionsError, never quoting a credential', () => {
    const cases: [string, RegExp][] = [
      ['', /sqs:\/\//],
      ['not a url', /Not a URL/],
      ['https://sqs.us-east-1.amazonaws.com/123456789012/q', /sqs:\/\/ scheme/],
      [
        'sqs://AKIAEXAMPLE:s3cr3t@sqs.us-east-1.amazonaws.com/123456789012/q',
        /AWS SDK’s usual chain/,
      ],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012', /account-id>\/<queue-name/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q/extra', /account-id>\/<queue-name/],
      ['sqs://sqs.us-east-1.amazonaws.com/12345/q', /12 digits/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q.fifo', /FIFO/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/bad%20name', /queue name/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q?dlq=q', /differ/],
      ['sqs://localhost:4566/000000000000/q', /region/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q?region=Mars', /region name/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q?endpoint=ftp://x', /http/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q?endpoint=http://u:p@x', /Credentials/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q?endpoint=http://x/path', /origin/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q?queue=x', /Unknown parameter/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q?dlq=a&dlq=b', /more than once/],
    ];
    for (const [text, message] of cases) {
      let thrown: unknown;
      try {
        parseSqsQueueTarget(text);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, text).toBeInstanceOf(CanvasOptionsError);
      expect((thrown as Error).message, text).toMatch(message);
      expect((thrown as Error).message).not.toContain('s3cr3t');
    }
  });
});

/** Waits for `done` (`until` of support/tasks.ts), at most 8000 ms by default. */
const waitFor = (done: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000) =>
  until(done, what, timeoutMs);

const tasks = (count: number): SyncTask[] => freshTasks(count);

describe('SqsQueueAdapter on fauxqs (in process, 127.0.0.1)', () => {
  let server: FauxqsServer;
  let client: SQSClient;
  const made: SqsQueueAdapter[] = [];

  beforeAll(async () => {
    server = await startFauxqsServer();
    client = server.client();
  });

  afterEach(async () => {
    await Promise.all(made.splice(0).map((adapter) => adapter.close()));
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  /** A fresh adapter on fresh queues (created, with a redrive policy of maxReceiveCount). */
  async function fresh(
    extra: Partial<SqsQueueAdapterOptions> = {},
    maxReceiveCount = 5,
  ): Promise<SqsQueueAdapter> {
    const { client: given, ...rest } = extra;
    const adapter = new SqsQueueAdapter({
      ...server.freshQueues(),
      handlerErrorDelayMs: 20,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 5,
      ...rest,
      ...(given === undefined
        ? { region: FAUXQS_REGION, endpoint: server.endpoint, credentials: FAUXQS_CREDENTIALS }
        : { client: given }),
    });
    await adapter.ensureQueues({ maxReceiveCount });
    made.push(adapter);
    return adapter;
  }

  /** A fresh adapter, with the URLs of its queues. */
  async function freshWithUrls(
    extra: Partial<SqsQueueAdapterOptions> = {},
    maxReceiveCount = 5,
  ): Promise<{ adapter: SqsQueueAdapter; queueUrl: string; deadLetterQueueUrl: string }> {
    const pair = server.freshQueues();
    const adapter = await fresh({ ...extra, ...pair }, maxReceiveCount);
    return { adapter, ...pair };
  }

  runQueueAdapterConformance('sqs', async () => fresh(), { timeoutMs: 8000 });

  it('refuses a task larger than the queue’s MaximumMessageSize before sending anything', async () => {
    const { adapter, queueUrl } = await freshWithUrls();
    await client.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: { MaximumMessageSize: '1024' },
      }),
    );
    const [small, other] = tasks(2) as [SyncTask, SyncTask];
    const big = createTask({
      kind: 'course.enrollments',
      path: '/api/v1/courses/7/enrollments',
      searchParams: { search_term: 'a'.repeat(1000) },
    });
    const error = await adapter.enqueue([small, big, other]).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ name: 'CanvasTaskValidationError', code: 'TASK_VALIDATION' });
    expect((error as Error).message).toMatch(
      /\[1\]: Too large for the SQS queue: \d+ bytes .*MaximumMessageSize of 1024 bytes/,
    );
    expect(await adapter.stats()).toMatchObject({ queued: 0, delayed: 0 });
    await adapter.enqueue([small, other]);
    expect((await adapter.stats()).queued).toBe(2);
  });

  it('makes a delay longer than the cap of DelaySeconds hop by hop, the handler seeing it once', async () => {
    // maxDelaySeconds: 1 stands for SQS's 900 s: a 2.5 s delay takes three hops.
    const { adapter } = await freshWithUrls({ maxDelaySeconds: 1 });
    const [task] = tasks(1) as [SyncTask];
    const start = Date.now();
    await adapter.enqueue(task, { delayMs: 2500 });
    const deliveries: { at: number; task: SyncTask; attempt: number }[] = [];
    await adapter.consume(
      async (delivery) => {
        deliveries.push({ at: Date.now(), task: delivery.task, attempt: delivery.attempt });
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    // After the first hop (1 s), the task is delayed again, not delivered.
    await waitFor(async () => Date.now() - start > 1500, '1.5 s');
    expect(deliveries).toEqual([]);
    expect((await adapter.stats()).delayed).toBe(1);
    await waitFor(() => deliveries.length === 1, 'the delivery', 8000);
    expect((deliveries[0]?.at ?? 0) - start).toBeGreaterThanOrEqual(2500);
    expect(deliveries[0]?.task.id).toBe(task.id);
    expect(Date.parse(deliveries[0]?.task.notBefore ?? '')).toBeGreaterThanOrEqual(start + 2500);
    expect(deliveries[0]?.attempt).toBe(1);
  });

  it('lists a message the redrive policy moved as a max-receive-count dead letter, and replays it', async () => {
    const { adapter, queueUrl } = await freshWithUrls({ visibilityTimeoutSeconds: 1 }, 2);
    const [task] = tasks(1) as [SyncTask];
    await adapter.enqueue(task);
    // A worker that dies while handling the task, twice: SQS moves it on the third receive.
    for (let receive = 0; receive < 2; receive++) {
      const output = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 1 }),
      );
      expect(output.Messages).toHaveLength(1);
      await client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: output.Messages?.[0]?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
    await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    const letters = await adapter.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ task, reason: 'max-receive-count', attempts: 2 });
    expect(Number.isNaN(Date.parse(letters[0]?.deadAt ?? ''))).toBe(false);
    // Listing made it visible again: a second listing sees it too.
    expect(await adapter.deadLetters()).toHaveLength(1);
    expect(await adapter.stats()).toMatchObject({ deadLetters: 1, queued: 0 });
    expect(await adapter.replayDeadLetters()).toBe(1);
    expect(await adapter.stats()).toMatchObject({ deadLetters: 0, queued: 1 });
    const seen: SyncTask[] = [];
    await adapter.consume(
      async (delivery) => {
        seen.push(delivery.task);
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await waitFor(() => seen.length === 1, 'the replayed task');
    expect(seen[0]).toEqual(task);
  });

  it('extends the visibility of a message while a long handler runs (no redelivery meanwhile)', async () => {
    const errors: unknown[] = [];
    const { adapter } = await freshWithUrls({
      visibilityTimeoutSeconds: 1,
      onError: (error) => errors.push(error),
    });
    const [task] = tasks(1) as [SyncTask];
    await adapter.enqueue(task);
    const deliveries: number[] = [];
    let finished = false;
    await adapter.consume(
      async (delivery) => {
        deliveries.push(delivery.attempt);
        if (deliveries.length === 1) {
          // Three visibility timeouts long.
          await new Promise((resolve) => setTimeout(resolve, 3000));
          finished = true;
        }
        return { type: 'ack' };
      },
      { concurrency: 2 },
    );
    await waitFor(() => finished, 'the long handler', 8000);
    await waitFor(async () => (await adapter.stats()).inFlight === 0, 'acked');
    expect(deliveries).toEqual([1]);
    expect(errors).toEqual([]);
  });

  it('never destroys a client it was given, and destroys its own', async () => {
    const given = server.client();
    const destroy = vi.spyOn(given, 'destroy');
    const adapter = await fresh({ client: given });
    await adapter.enqueue(tasks(1));
    await adapter.consume(async () => ({ type: 'ack' }), { concurrency: 1 });
    await adapter.close({ drain: true });
    expect(destroy).not.toHaveBeenCalled();
    expect((await adapter.stats()).queued).toBe(0);
    given.destroy();

    const own = await fresh();
    await own.close();
    // A closed adapter still answers stats() (on a short-lived client).
    expect(await own.stats()).toEqual({ queued: 0, inFlight: 0, delayed: 0, deadLetters: 0 });
  });

  it('counts deliveries across retries and redeliveries in attempt', async () => {
    const { adapter, queueUrl } = await freshWithUrls({ visibilityTimeoutSeconds: 1 });
    const [task] = tasks(1) as [SyncTask];
    await adapter.enqueue(task);
    // A worker that died once with the message.
    await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 1 }));
    const attempts: number[] = [];
    await adapter.consume(
      async (delivery) => {
        attempts.push(delivery.attempt);
        return attempts.length === 1
          ? { type: 'retry', delayMs: 0, countsAsFailure: false }
          : { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await waitFor(() => attempts.length === 2, 'two deliveries');
    expect(attempts).toEqual([2, 3]);
  });

  it('never keeps a token in a dead letter, and lists foreign messages of the dead-letter queue', async () => {
    const { adapter, deadLetterQueueUrl } = await freshWithUrls();
    const secret = '7~abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab';
    await adapter.enqueueRaw({
      kind: 'course.enrollments',
      path: `/api/v1/courses/1/enrollments?access_token=${secret}`,
    });
    await adapter.consume(async () => ({ type: 'ack' }), { concurrency: 1 });
    await waitFor(async () => (await adapter.deadLetters()).length === 1, 'a dead letter');
    await client.send(
      new SendMessageCommand({ QueueUrl: deadLetterQueueUrl, MessageBody: `Bearer ${secret}` }),
    );
    const letters = await adapter.deadLetters();
    expect(JSON.stringify(letters)).not.toContain(secret);
    expect(letters.map((letter) => letter.reason)).toEqual(['invalid-task', 'max-receive-count']);
    expect(letters[0]?.raw).toContain('[REDACTED]');
    expect(letters[1]?.raw).toContain('[REDACTED]');
    expect(await adapter.replayDeadLetters()).toBe(0);
    const attributes = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('2');
  });
});
