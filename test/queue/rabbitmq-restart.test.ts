/**
 * RabbitMQQueueAdapter against a private RabbitMQ node (support/rabbitmq-server.ts) that the
 * tests stop and restart, configured with a short `consumer_timeout` (1 s) and a frequent channel
 * tick (`channel_tick_interval`, 100 ms in advanced.config: RabbitMQ 3.10 checks the timeout on
 * that tick, every 60 s by default). Skipped when rabbitmq-server is not installed, except under
 * CI (`CI=true`), where that fails. Booting a node takes seconds: the timeouts are generous.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RabbitMQQueueAdapter,
  RabbitMQQueueError,
  type RabbitMQQueueEvent,
} from '../../src/queue/rabbitmq/index.js';
import type { SyncTask } from '../../src/queue/task.js';
import {
  RABBITMQ_BOOT_MS,
  type RabbitMQServer,
  rabbitmqInstalled,
  startRabbitMQ,
} from './support/rabbitmq-server.js';
import { freshTasks, until } from './support/tasks.js';

const installed = rabbitmqInstalled();

describe.runIf(!installed && process.env.CI === 'true')('RabbitMQ restart tests under CI', () => {
  it('has rabbitmq-server, rabbitmqctl and epmd installed', () => {
    expect.fail('CI=true but rabbitmq-server is not installed: .ci/run installs it');
  });
});

/** Waits for `done` (`until` of support/tasks.ts), at most 30_000 ms by default. */
const waitFor = (done: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) =>
  until(done, what, timeoutMs, 20);

const tasks = (count: number): SyncTask[] => freshTasks(count, 'course.users');

describe.skipIf(!installed)('RabbitMQQueueAdapter on a private RabbitMQ node', () => {
  let server: RabbitMQServer | undefined;
  const adapters: RabbitMQQueueAdapter[] = [];

  beforeAll(async () => {
    server = await startRabbitMQ({
      conf: ['consumer_timeout = 1000'],
      rabbitAdvanced: ['{channel_tick_interval, 100}'],
    });
  }, RABBITMQ_BOOT_MS);

  afterAll(async () => {
    for (const adapter of adapters.splice(0)) await adapter.close().catch(() => undefined);
    await server?.dispose();
  }, 120_000);

  function open(
    name: string,
    events: RabbitMQQueueEvent[],
    extra: {
      unavailableTimeoutMs?: number;
      onHandlerError?: (e: unknown, t: SyncTask) => void;
    } = {},
  ): RabbitMQQueueAdapter {
    const adapter = new RabbitMQQueueAdapter({
      name,
      url: server?.url ?? '',
      handlerErrorDelayMs: 20,
      reconnectMinDelayMs: 50,
      reconnectMaxDelayMs: 500,
      unavailableTimeoutMs: extra.unavailableTimeoutMs ?? 90_000,
      onEvent: (event) => events.push(event),
      ...(extra.onHandlerError === undefined ? {} : { onHandlerError: extra.onHandlerError }),
    });
    adapters.push(adapter);
    return adapter;
  }

  it('survives a broker restart mid-run: every task handled, none lost, duplicates counted', async () => {
    const node = server as RabbitMQServer;
    const events: RabbitMQQueueEvent[] = [];
    const adapter = open('restart', events);
    const impatient = open('restart-impatient', [], { unavailableTimeoutMs: 300 });
    const first = tasks(200);
    await adapter.enqueue(first);
    await impatient.stats();
    const deliveries = new Map<string, number>();
    let acksReturned = 0;
    // Set while the node stops: the handlers then running finish only once it is down.
    let hold: Promise<void> | undefined;
    let release = (): void => {};
    await adapter.consume(
      async ({ task }) => {
        deliveries.set(task.key, (deliveries.get(task.key) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await hold;
        acksReturned++;
        return { type: 'ack' };
      },
      { concurrency: 4 },
    );
    await waitFor(() => deliveries.size >= 60, '60 tasks handled before the restart');
    hold = new Promise((resolve) => {
      release = resolve;
    });
    await node.stopNode();
    release();
    hold = undefined;
    // During the outage: an enqueue waits for the reconnect, or gives up after its timeout.
    const late = tasks(10);
    const lateEnqueue = adapter.enqueue(late);
    await expect(impatient.enqueue(tasks(1))).rejects.toMatchObject({
      name: 'RabbitMQQueueError',
      code: 'AMQP_UNAVAILABLE',
    });
    const handledWhileDown = deliveries.size;
    await node.startNode();
    await lateEnqueue;
    const all = [...first, ...late];
    await waitFor(() => deliveries.size === all.length, 'every task handled', 60_000);
    await waitFor(async () => {
      const stats = await adapter.stats();
      return stats.queued === 0 && stats.inFlight === 0;
    }, 'the queue empty');
    expect(new Set(deliveries.keys())).toEqual(new Set(all.map((task) => task.key)));
    const staleAcks = events.filter(
      (event) => event.type === 'stale-delivery' && event.result === 'ack',
    ).length;
    const total = [...deliveries.values()].reduce((sum, count) => sum + count, 0);
    const duplicates = total - all.length;
    console.info(
      `restart: ${all.length} tasks, ${total} deliveries (${duplicates} duplicates), ${acksReturned} acks returned, ${staleAcks} dropped as stale, ${handledWhileDown} handled before the restart, events: ${[...new Set(events.map((event) => event.type))].join(', ')}`,
    );
    // Every ack that reached a live channel settled one message: one per task.
    expect(acksReturned - staleAcks).toBe(all.length);
    expect(duplicates).toBe(staleAcks);
    expect(staleAcks).toBeGreaterThan(0);
    expect(handledWhileDown).toBeLessThan(all.length);
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['disconnected', 'reconnecting', 'reconnected']),
    );
    expect(await adapter.stats()).toEqual({ queued: 0, inFlight: 0, delayed: 0, deadLetters: 0 });
    await adapter.close({ drain: true });
    await adapter.deleteQueues();
    await impatient.close();
    await impatient.deleteQueues();
  }, 180_000);

  it('detects the ack timeout (consumer_timeout), reports it, reopens the channel and keeps consuming', async () => {
    const events: RabbitMQQueueEvent[] = [];
    const errors: { error: unknown; task: SyncTask }[] = [];
    const adapter = open('ack-timeout', events, {
      onHandlerError: (error, task) => errors.push({ error, task }),
    });
    const [slow, next] = tasks(2) as [SyncTask, SyncTask];
    await adapter.enqueue(slow);
    const seen: { key: string; attempt: number }[] = [];
    const started = performance.now();
    let detectedAfterMs = 0;
    await adapter.consume(
      async ({ task, attempt }) => {
        seen.push({ key: task.key, attempt });
        if (seen.length === 1) {
          // Holds the delivery until the broker gives up on it, then acks too late.
          await waitFor(
            () => events.some((event) => event.type === 'ack-timeout'),
            'the ack timeout',
            20_000,
          );
          detectedAfterMs = performance.now() - started;
        }
        return { type: 'ack' };
      },
      { concurrency: 2 },
    );
    await waitFor(() => seen.length === 2, 'the task delivered again', 20_000);
    expect(seen).toEqual([
      { key: slow.key, attempt: 1 },
      { key: slow.key, attempt: 2 },
    ]);
    const timeout = events.find((event) => event.type === 'ack-timeout');
    expect(timeout).toMatchObject({
      tasks: 1,
      message: expect.stringContaining('consumer_timeout'),
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.task.key).toBe(slow.key);
    expect(errors[0]?.error).toBeInstanceOf(RabbitMQQueueError);
    expect(errors[0]?.error).toMatchObject({ code: 'AMQP_ACK_TIMEOUT' });
    await waitFor(
      () => events.some((event) => event.type === 'stale-delivery'),
      'the late ack dropped',
    );
    // The reopened channel keeps consuming.
    await adapter.enqueue(next);
    await waitFor(() => seen.length === 3, 'the next task');
    expect(seen[2]).toEqual({ key: next.key, attempt: 1 });
    await waitFor(async () => (await adapter.stats()).inFlight === 0, 'idle');
    expect(await adapter.stats()).toMatchObject({ queued: 0, inFlight: 0 });
    console.info(`ack timeout detected ${Math.round(detectedAfterMs)} ms after consuming started`);
    await adapter.close();
    await adapter.deleteQueues();
  }, 60_000);

  it('rejects enqueue with AMQP_PUBLISH_NACKED when the broker refuses a message', async () => {
    const node = server as RabbitMQServer;
    // A policy the adapter does not know about: one message at most, refuse the next ones.
    await node.ctl(
      'set_policy',
      'one-message',
      '^nacked$',
      '{"max-length":1,"overflow":"reject-publish"}',
      '--apply-to',
      'queues',
    );
    const adapter = open('nacked', []);
    await adapter.stats();
    await waitFor(async () => (await adapter.stats()).queued === 0, 'the queue declared');
    const error = await adapter.enqueue(tasks(2)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RabbitMQQueueError);
    expect(error).toMatchObject({ code: 'AMQP_PUBLISH_NACKED' });
    expect((await adapter.stats()).queued).toBe(1);
    // The channel stays usable once the queue has room again.
    await adapter.consume(async () => ({ type: 'ack' }), { concurrency: 1 });
    await waitFor(async () => (await adapter.stats()).queued === 0, 'the queue emptied');
    await waitFor(async () => (await adapter.stats()).inFlight === 0, 'idle');
    await adapter.close();
    await adapter.deleteQueues();
    await node.ctl('clear_policy', 'one-message');
  }, 60_000);
});
