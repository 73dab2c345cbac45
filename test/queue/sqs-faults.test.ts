/**
 * SqsQueueAdapter under faults fauxqs cannot produce (throttling, partial batch failures, a send
 * or a delete that fails after the receive), injected with aws-sdk-client-mock into the adapter's
 * client; every other request goes through to fauxqs (in process, 127.0.0.1).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type AwsStub, type Behavior, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskDelivery } from '../../src/queue/adapter.js';
import {
  SqsEnqueueError,
  type SqsOperation,
  SqsQueueAdapter,
  type SqsQueueAdapterOptions,
} from '../../src/queue/sqs/index.js';
import type { SyncTask } from '../../src/queue/task.js';
import { type FauxqsServer, startFauxqsServer } from './support/fauxqs-server.js';
import { freshTasks, until } from './support/tasks.js';

/** Waits for `done` (`until` of support/tasks.ts), at most 8000 ms by default. */
const waitFor = (done: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000) =>
  until(done, what, timeoutMs);

const tasks = (count: number): SyncTask[] => freshTasks(count, 'course.users');

/** An error as the SDK raises it for a throttled or failed request. */
function awsError(name: string): Error {
  const error = new Error(`${name} (injected)`);
  error.name = name;
  return error;
}

// biome-ignore lint/suspicious/noExplicitAny: the command classes differ only in their input types.
type CommandClass = new (input: any) => any;
// biome-ignore lint/suspicious/noExplicitAny: one behavior type for every command.
type AnyBehavior = Behavior<object, any, any, unknown>;
const commands: CommandClass[] = [
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
];

describe('SqsQueueAdapter under injected SQS faults', () => {
  let server: FauxqsServer;
  let real: SQSClient;
  const made: SqsQueueAdapter[] = [];
  const clients: SQSClient[] = [];
  const mocks: AwsStub<object, never, unknown>[] = [];

  beforeAll(async () => {
    server = await startFauxqsServer();
    real = server.client();
  });

  afterEach(async () => {
    await Promise.all(made.splice(0).map((adapter) => adapter.close()));
    for (const mock of mocks.splice(0)) mock.restore();
    for (const client of clients.splice(0)) client.destroy();
  });

  afterAll(async () => {
    real?.destroy();
    await server?.stop();
  });

  /**
   * A fresh adapter whose client is mocked: each command's faults come first (`rejectsOnce` …,
   * from `faults`), then every call without a fault left goes through to fauxqs.
   */
  async function faulty(
    faults: [CommandClass, (behavior: AnyBehavior) => AnyBehavior][],
    extra: Partial<SqsQueueAdapterOptions> = {},
  ): Promise<{
    adapter: SqsQueueAdapter;
    errors: [SqsOperation, string][];
    calls: () => string[];
  }> {
    const client = server.client();
    clients.push(client);
    const mock = mockClient(client) as unknown as AwsStub<object, never, unknown>;
    mocks.push(mock);
    for (const Command of commands) {
      let behavior = mock.on(Command) as unknown as AnyBehavior;
      for (const [FaultyCommand, fault] of faults) {
        if (FaultyCommand === Command) behavior = fault(behavior);
      }
      behavior.callsFake((input: object) => real.send(new Command(input)));
    }
    const errors: [SqsOperation, string][] = [];
    const adapter = new SqsQueueAdapter({
      ...server.freshQueues(),
      client,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 1,
      handlerErrorDelayMs: 20,
      onError: (error, operation) => errors.push([operation, (error as Error).name]),
      ...extra,
    });
    made.push(adapter);
    await adapter.ensureQueues();
    const calls = (): string[] =>
      mock.send.getCalls().map((call) => (call.args[0] as object).constructor.name);
    return { adapter, errors, calls };
  }

  it('backs off on a throttled ReceiveMessage, reports it, and recovers', async () => {
    const throttled = awsError('ThrottlingException');
    const { adapter, errors, calls } = await faulty([
      [
        ReceiveMessageCommand,
        (behavior) =>
          behavior
            .rejectsOnce(throttled)
            .rejectsOnce(throttled)
            .rejectsOnce(awsError('TimeoutError')),
      ],
    ]);
    const [task] = tasks(1) as [SyncTask];
    await adapter.enqueue(task);
    const seen: string[] = [];
    const start = performance.now();
    await adapter.consume(
      async (delivery) => {
        seen.push(delivery.task.id);
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await waitFor(() => seen.length === 1, 'the task after the faults');
    // Backoff 100 + 200 + 400 ms before the fourth poll.
    expect(performance.now() - start).toBeGreaterThanOrEqual(690);
    expect(errors).toEqual([
      ['receive', 'ThrottlingException'],
      ['receive', 'ThrottlingException'],
      ['receive', 'TimeoutError'],
    ]);
    expect(
      calls().filter((name) => name === 'ReceiveMessageCommand').length,
    ).toBeGreaterThanOrEqual(4);
    expect(seen).toEqual([task.id]);
  });

  it('sends again the entries of a partly failed SendMessageBatch, and fails clearly when SQS keeps refusing', async () => {
    const { adapter, calls } = await faulty([
      [
        SendMessageBatchCommand,
        // The first batch: SQS takes all but the first two entries (an internal error on its side).
        (behavior) =>
          behavior.callsFakeOnce(async (input: SendMessageBatchCommandInput) => {
            const entries = input.Entries ?? [];
            const output = await real.send(
              new SendMessageBatchCommand({ ...input, Entries: entries.slice(2) }),
            );
            return {
              ...output,
              Failed: entries.slice(0, 2).map((entry) => ({
                Id: entry.Id,
                SenderFault: false,
                Code: 'InternalError',
              })),
            };
          }),
      ],
    ]);
    const sent = tasks(12);
    await adapter.enqueue(sent);
    const batches = calls().filter((name) => name === 'SendMessageBatchCommand');
    // 10 + the 2 refused again + 2.
    expect(batches).toHaveLength(3);
    const seen: string[] = [];
    await adapter.consume(
      async (delivery) => {
        seen.push(delivery.task.id);
        return { type: 'ack' };
      },
      { concurrency: 4 },
    );
    await waitFor(() => seen.length === 12, 'all 12 tasks');
    expect([...seen].sort()).toEqual(sent.map((task) => task.id).sort());

    const { adapter: refused } = await faulty([
      [
        SendMessageBatchCommand,
        (behavior) => {
          // Ten refusals: the first enqueue's call and its retries.
          let chained = behavior;
          for (let call = 0; call < 10; call++) {
            chained = chained.callsFakeOnce((input: SendMessageBatchCommandInput) => ({
              Successful: [],
              Failed: (input.Entries ?? []).map((entry) => ({
                Id: entry.Id,
                SenderFault: false,
                Code: 'ServiceUnavailable',
              })),
            }));
          }
          return chained;
        },
      ],
    ]);
    const error = await refused.enqueue(tasks(2)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SqsEnqueueError);
    expect(error).toMatchObject({ failed: 2, codes: ['ServiceUnavailable', 'ServiceUnavailable'] });
    expect((error as Error).message).toMatch(/refused 2 messages .* after 4 retries/);
  });

  it('redelivers a task whose DeleteMessage failed after the handler (not lost)', async () => {
    const { adapter, errors } = await faulty([
      [DeleteMessageCommand, (behavior) => behavior.rejectsOnce(awsError('InternalError'))],
    ]);
    const [task] = tasks(1) as [SyncTask];
    await adapter.enqueue(task);
    const deliveries: TaskDelivery[] = [];
    await adapter.consume(
      async (delivery) => {
        deliveries.push(delivery);
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await waitFor(() => deliveries.length === 2, 'the redelivery after the visibility timeout');
    expect(deliveries.map((delivery) => delivery.task.id)).toEqual([task.id, task.id]);
    expect(deliveries.map((delivery) => delivery.attempt)).toEqual([1, 2]);
    expect(errors).toEqual([['ack', 'InternalError']]);
    await waitFor(async () => {
      const stats = await adapter.stats();
      return stats.queued + stats.inFlight + stats.delayed === 0;
    }, 'the second ack');
  });

  it('redelivers a task whose retry could not be sent (the send fails after the receive)', async () => {
    const { adapter, errors } = await faulty([
      [
        SendMessageBatchCommand,
        // The enqueue goes through; the retry's send fails.
        (behavior) =>
          behavior
            .callsFakeOnce((input: SendMessageBatchCommandInput) =>
              real.send(new SendMessageBatchCommand(input)),
            )
            .rejectsOnce(awsError('NetworkingError')),
      ],
    ]);
    const [task] = tasks(1) as [SyncTask];
    await adapter.enqueue(task);
    const deliveries: TaskDelivery[] = [];
    await adapter.consume(
      async (delivery) => {
        deliveries.push(delivery);
        return deliveries.length === 1
          ? { type: 'retry', delayMs: 0, countsAsFailure: true }
          : { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await waitFor(() => deliveries.length === 2, 'the redelivery');
    expect(errors).toEqual([['retry', 'NetworkingError']]);
    // The retry was not stored: the original message comes back as it was, one receive later.
    expect(deliveries[1]?.task).toEqual(task);
    expect(deliveries[1]?.attempt).toBe(2);
  });

  it('reports a failed visibility extension and lets the handler finish', async () => {
    const { adapter, errors } = await faulty([
      [
        ChangeMessageVisibilityCommand,
        (behavior) => behavior.rejectsOnce(awsError('ThrottlingException')),
      ],
    ]);
    const [task] = tasks(1) as [SyncTask];
    await adapter.enqueue(task);
    let finished = 0;
    await adapter.consume(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1200));
        finished++;
        return { type: 'ack' };
      },
      { concurrency: 1 },
    );
    await waitFor(() => finished >= 1, 'the handler');
    expect(errors[0]).toEqual(['extend-visibility', 'ThrottlingException']);
    await waitFor(async () => (await adapter.stats()).inFlight === 0, 'acked');
  });
});
