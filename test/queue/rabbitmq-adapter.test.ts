/**
 * RabbitMQQueueAdapter against a real RabbitMQ: the one of `CANVAS_SYNC_AMQP_URL`, which
 * `.ci/run` starts and exports. Skipped without it, except under CI (`CI=true`), where a missing
 * URL fails. Each adapter works on a fresh queue name; its queues are deleted after the test.
 * Broker restarts and the ack timeout are tested on a private node in rabbitmq-restart.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { type ChannelModel, connect } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import {
  RabbitMQQueueAdapter,
  type RabbitMQQueueAdapterOptions,
  RabbitMQQueueError,
  type RabbitMQQueueEvent,
  retryBucketMs,
} from '../../src/queue/rabbitmq/index.js';
import type { SyncTask } from '../../src/queue/task.js';
import { runQueueAdapterConformance } from '../../src/testing/queue-conformance.js';
import { freshTasks, until } from './support/tasks.js';

const url = process.env.CANVAS_SYNC_AMQP_URL || undefined;

describe.runIf(url === undefined && process.env.CI === 'true')(
  'RabbitMQQueueAdapter under CI',
  () => {
    it('has a RabbitMQ server (CANVAS_SYNC_AMQP_URL, exported by .ci/run)', () => {
      expect.fail(
        'CI=true but CANVAS_SYNC_AMQP_URL is not set: .ci/run starts RabbitMQ and sets it',
      );
    });
  },
);

describe('RabbitMQQueueAdapter options', () => {
  const ok = { name: 'q', url: 'amqp://127.0.0.1:1' };

  it('refuses invalid options before connecting', () => {
    const bad: [Partial<RabbitMQQueueAdapterOptions>, RegExp][] = [
      [{ name: '' }, /name/],
      [{ name: 'a b' }, /name/],
      [{ name: 'amq.mine' }, /name/],
      [{ name: 'x'.repeat(201) }, /name/],
      [{ name: '.hidden' }, /name/],
      [{ url: undefined }, /url or connection/],
      [{ url: 'redis://127.0.0.1:1' }, /url: Expected an amqp/],
      [{ url: 'amqp://' }, /url: Expected an amqp/],
      [{ connection: {} as ChannelModel }, /url or connection, not both/],
      [{ handlerErrorDelayMs: -1 }, /handlerErrorDelayMs/],
      [{ handlerErrorDelayMs: Number.NaN }, /handlerErrorDelayMs/],
      [{ reconnectMinDelayMs: 0 }, /reconnectMinDelayMs/],
      [{ reconnectMinDelayMs: 500, reconnectMaxDelayMs: 100 }, /reconnectMaxDelayMs/],
      [{ unavailableTimeoutMs: Number.POSITIVE_INFINITY }, /unavailableTimeoutMs/],
      [{ onEvent: 'log' as unknown as () => void }, /onEvent/],
    ];
    for (const [change, message] of bad) {
      const options = { ...ok, ...change } as RabbitMQQueueAdapterOptions;
      expect(() => new RabbitMQQueueAdapter(options), JSON.stringify(change)).toThrow(
        CanvasOptionsError,
      );
      expect(() => new RabbitMQQueueAdapter(options)).toThrow(message);
    }
    expect(() => new RabbitMQQueueAdapter({ name: 'q', connection: {} as ChannelModel })).toThrow(
      /connection/,
    );
    expect(
      () => new RabbitMQQueueAdapter({ name: 'canvas-sync:jobs_1.v2', url: 'amqps://h/vhost' }),
    ).not.toThrow();
  });

  it('never puts the URL (nor its password) in an error', async () => {
    const adapter = new RabbitMQQueueAdapter({
      name: 'q',
      url: 'amqp://user:s3cret-pass@127.0.0.1:1',
      unavailableTimeoutMs: 200,
      reconnectMinDelayMs: 20,
    });
    try {
      const error = await adapter.enqueue(tasks(1)).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toMatchObject({ name: 'RabbitMQQueueError', code: 'AMQP_UNAVAILABLE' });
      expect(String((error as Error).message)).not.toContain('s3cret');
    } finally {
      await adapter.close();
    }
  });

  it('buckets retry delays to two significant digits, never shorter', () => {
    expect([0, 0.2, 1, 99, 100, 101, 150, 1234, 61_234, 3_600_000].map(retryBucketMs)).toEqual([
      0, 1, 1, 99, 100, 110, 150, 1300, 62_000, 3_600_000,
    ]);
    for (let ms = 1; ms < 100_000; ms += 7) {
      const bucket = retryBucketMs(ms);
      expect(bucket).toBeGreaterThanOrEqual(ms);
      expect(bucket).toBeLessThanOrEqual(Math.ceil(ms * 1.1));
    }
  });
});

/** Waits for `done` (`until` of support/tasks.ts), at most 5000 ms by default. */
const waitFor = (done: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000) =>
  until(done, what, timeoutMs);

const tasks = (count: number): SyncTask[] => freshTasks(count);

describe.skipIf(url === undefined)(
  'RabbitMQQueueAdapter on RabbitMQ (skipped without CANVAS_SYNC_AMQP_URL=amqp://…; .ci/run starts one)',
  () => {
    const made: RabbitMQQueueAdapter[] = [];

    afterEach(async () => {
      for (const adapter of made.splice(0)) {
        await adapter.close();
        await adapter.deleteQueues();
      }
    });

    const tracked = (extra: Partial<RabbitMQQueueAdapterOptions> = {}): RabbitMQQueueAdapter => {
      const adapter = new RabbitMQQueueAdapter({
        name: `cs-test-${randomUUID()}`,
        ...(extra.connection === undefined ? { url: url ?? '' } : {}),
        handlerErrorDelayMs: 20,
        ...extra,
      });
      made.push(adapter);
      return adapter;
    };

    runQueueAdapterConformance('rabbitmq', async () => tracked());

    it('fails at once, without the password, when the broker refuses the login or the virtual host', async () => {
      const wrongPassword = new URL(url ?? '');
      wrongPassword.password = 'not-the-password-8d1f';
      const noVhost = new URL(url ?? '');
      noVhost.pathname = `/no-such-vhost-${randomUUID()}`;
      for (const [target, pattern] of [
        [wrongPassword, /refused the login/],
        [noVhost, /virtual host/],
      ] as const) {
        const events: RabbitMQQueueEvent[] = [];
        // An outage would wait 10 minutes before AMQP_UNAVAILABLE: a refusal is not one.
        const adapter = new RabbitMQQueueAdapter({
          name: `cs-test-${randomUUID()}`,
          url: target.href,
          unavailableTimeoutMs: 600_000,
          onEvent: (event) => events.push(event),
        });
        try {
          const error = await adapter.enqueue(tasks(1)).catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(RabbitMQQueueError);
          expect(error).toMatchObject({
            code: 'AMQP_ACCESS_REFUSED',
            message: expect.stringMatching(pattern),
          });
          expect(String((error as Error).message)).not.toContain('not-the-password-8d1f');
          // Every later operation gets the same refusal; nothing was retried.
          await expect(adapter.stats()).rejects.toMatchObject({ code: 'AMQP_ACCESS_REFUSED' });
          expect(events.filter((event) => event.type === 'reconnecting')).toEqual([]);
        } finally {
          await adapter.close();
        }
      }
    });

    it('resolves enqueue once the broker holds every message', async () => {
      const adapter = tracked();
      await adapter.enqueue(tasks(50));
      // No polling: confirmed means queued.
      expect(await adapter.stats()).toMatchObject({ queued: 50, delayed: 0 });
      await adapter.enqueue(tasks(2), { delayMs: 30_000 });
      expect(await adapter.stats()).toMatchObject({ queued: 50, delayed: 2 });
    });

    it('lists a message dead-lettered by RabbitMQ (x-dead-letter-exchange) with a reason, and replays it', async () => {
      const adapter = tracked();
      const name = `cs-test-dlx-${randomUUID()}`;
      const dlx = tracked({ name });
      const [task] = tasks(1) as [SyncTask];
      await dlx.enqueue(task);
      await dlx.enqueueRaw('{"not": "a task"}');
      // Another client rejects both without requeue: RabbitMQ moves them to <name>.dead.
      const connection = await connect(url ?? '');
      try {
        const channel = await connection.createChannel();
        for (let index = 0; index < 2; index++) {
          const message = await channel.get(name, { noAck: false });
          if (message === false) throw new Error('no message');
          channel.nack(message, false, false);
        }
        await channel.close();
      } finally {
        await connection.close();
      }
      await waitFor(async () => (await dlx.stats()).deadLetters === 2, 'two dead letters');
      const letters = await dlx.deadLetters();
      expect(letters.map((letter) => letter.reason)).toEqual([
        'rabbitmq-rejected',
        'rabbitmq-rejected',
      ]);
      expect(letters[0]?.task).toEqual(task);
      expect(letters[0]?.code).toBe('AMQP_DEAD_LETTERED');
      expect(letters[0]?.detail).toMatchObject({ queue: name, count: 1 });
      expect(letters[1]?.task).toBeUndefined();
      expect(letters[1]?.raw).toContain('not');
      expect(letters[1]?.issues?.length).toBeGreaterThan(0);
      // Listing again loses nothing and keeps the order.
      expect(await dlx.deadLetters()).toEqual(letters);
      expect(await dlx.replayDeadLetters()).toBe(1);
      const seen: SyncTask[] = [];
      await dlx.consume(
        async ({ task: delivered }) => {
          seen.push(delivered);
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await waitFor(() => seen.length === 1, 'the replayed task');
      expect(seen[0]).toEqual(task);
      expect((await dlx.deadLetters()).map((letter) => letter.reason)).toEqual([
        'rabbitmq-rejected',
      ]);
      expect(adapter).toBeDefined();
    });

    it('lists dead letters while a consumer runs, without losing any', async () => {
      const adapter = tracked();
      let handled = 0;
      await adapter.consume(
        async () => {
          handled++;
          return { type: 'dead-letter', reason: 'test' };
        },
        { concurrency: 4 },
      );
      await adapter.enqueue(tasks(40));
      const counts: number[] = [];
      while (handled < 40 || counts.at(-1) !== 40) {
        counts.push((await adapter.deadLetters()).length);
        if (counts.length > 500) throw new Error('dead letters never reached 40');
      }
      expect(counts.every((count, index) => index === 0 || count >= (counts[index - 1] ?? 0))).toBe(
        true,
      );
      expect(await adapter.stats()).toMatchObject({ deadLetters: 40, queued: 0 });
      const letters = await adapter.deadLetters();
      expect(new Set(letters.map((letter) => letter.task?.id)).size).toBe(40);
      const times = letters.map((letter) => Date.parse(letter.deadAt));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('never keeps a token in a dead letter', async () => {
      const adapter = tracked();
      const secret = '7~abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab';
      await adapter.enqueueRaw({
        kind: 'course.enrollments',
        path: `/api/v1/courses/1/enrollments?access_token=${secret}`,
      });
      await adapter.enqueueRaw(`GET /x?access_token=${secret}`);
      const [task] = tasks(1) as [SyncTask];
      await adapter.enqueue(task);
      await adapter.consume(
        async () => ({
          type: 'dead-letter',
          reason: 'http-401',
          detail: { header: `Bearer ${secret}` },
        }),
        { concurrency: 1 },
      );
      await waitFor(async () => (await adapter.deadLetters()).length === 3, 'three dead letters');
      const letters = await adapter.deadLetters();
      expect(JSON.stringify(letters)).not.toContain(secret);
      expect(letters.map((letter) => letter.reason)).toEqual([
        'invalid-task',
        'invalid-task',
        'http-401',
      ]);
      expect(letters[0]?.raw).toContain('[REDACTED]');
    });

    it('does not close a connection it was given, and fails clearly once that connection is gone', async () => {
      const connection = await connect(url ?? '');
      connection.on('error', () => undefined);
      let closed = false;
      connection.on('close', () => {
        closed = true;
      });
      const adapter = new RabbitMQQueueAdapter({
        name: `cs-test-${randomUUID()}`,
        connection,
      });
      const [task] = tasks(1) as [SyncTask];
      await adapter.enqueue(task);
      let handled = 0;
      await adapter.consume(
        async () => {
          handled++;
          return { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await waitFor(() => handled === 1, 'handled');
      await adapter.close();
      await adapter.deleteQueues();
      expect(closed).toBe(false);
      const channel = await connection.createChannel();
      await channel.close();

      const second = new RabbitMQQueueAdapter({
        name: `cs-test-${randomUUID()}`,
        connection,
      });
      await second.enqueue(tasks(1));
      await second.deleteQueues();
      await connection.close();
      await expect(second.enqueue(tasks(1))).rejects.toMatchObject({
        code: 'AMQP_UNAVAILABLE',
        message: expect.stringContaining('passed in'),
      });
      await second.close();
    });

    it('reports connection attempts while RabbitMQ is unreachable, then gives up on enqueue', async () => {
      const events: RabbitMQQueueEvent[] = [];
      const adapter = new RabbitMQQueueAdapter({
        name: 'cs-test-unreachable',
        url: 'amqp://guest:guest@127.0.0.1:1',
        unavailableTimeoutMs: 300,
        reconnectMinDelayMs: 10,
        reconnectMaxDelayMs: 40,
        onEvent: (event) => events.push(event),
      });
      try {
        await expect(adapter.enqueue(tasks(1))).rejects.toMatchObject({
          code: 'AMQP_UNAVAILABLE',
        });
        const delays = events.flatMap((event) =>
          event.type === 'reconnecting' ? [event.delayMs] : [],
        );
        expect(delays.length).toBeGreaterThan(2);
        expect(Math.max(...delays)).toBeLessThanOrEqual(40);
      } finally {
        await adapter.close();
      }
    });

    it('keeps a retried task whole (cursor included) in its retry queue', async () => {
      const adapter = tracked();
      const [task] = tasks(1) as [SyncTask];
      await adapter.enqueue(task);
      const cursor = `${task.path}?page=2&per_page=100`;
      const seen: SyncTask[] = [];
      await adapter.consume(
        async ({ task: delivered }) => {
          seen.push(delivered);
          return seen.length === 1
            ? { type: 'retry', delayMs: 1234, countsAsFailure: false, cursor }
            : { type: 'ack' };
        },
        { concurrency: 1 },
      );
      await waitFor(async () => (await adapter.stats()).delayed === 1, 'the retry queued');
      expect(adapter.retryQueueName(1234)).toMatch(/\.retry\.1300$/);
      await waitFor(() => seen.length === 2, 'the retried delivery');
      expect(seen[1]).toMatchObject({ ...task, cursor, retries: { failures: 0, throttles: 1 } });
      await waitFor(async () => (await adapter.stats()).delayed === 0, 'the retry queue empty');
    });
  },
);
