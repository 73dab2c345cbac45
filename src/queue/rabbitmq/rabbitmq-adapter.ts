/**
 * `RabbitMQQueueAdapter`: the {@link QueueAdapter} contract on RabbitMQ (amqplib). Imported only
 * from `canvas-sync/queue/rabbitmq`, so `canvas-sync` itself never loads `amqplib`.
 *
 * @module
 */

import {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  connect,
  type GetMessage,
  type Message,
  type MessagePropertyHeaders,
} from 'amqplib';
import { CanvasOptionsError } from '../../errors/index.js';
import { delay } from '../../retry/delay.js';
import type {
  CloseOptions,
  ConsumeOptions,
  DeadLetter,
  EnqueueOptions,
  HandlerResult,
  QueueAdapter,
  QueueCapabilities,
  QueueStats,
  TaskHandler,
} from '../adapter.js';
import {
  DEFAULT_HANDLER_ERROR_DELAY_MS,
  rawForDeadLetter,
  scrubDeadLetter,
  taskForReplay,
  taskForRetry,
} from '../delivery.js';
import { runHandler } from '../run-handler.js';
import { parseTask, type SyncTask } from '../task.js';
import { CanvasTaskValidationError } from '../task-validation-error.js';
import { RabbitMQQueueError, type RabbitMQQueueEvent } from './rabbitmq-errors.js';

/**
 * Options of {@link RabbitMQQueueAdapter}.
 * @category Pipeline
 */
export interface RabbitMQQueueAdapterOptions {
  /**
   * The queue name: 1 to 200 characters among `A-Z a-z 0-9 . _ : -`, starting with a letter or
   * a digit, not `amq.…` (reserved by RabbitMQ). The dead letters live in `<name>.dead`, the
   * delayed tasks in `<name>.retry.<ms>`.
   */
  name: string;
  /**
   * An `amqp://` or `amqps://` URL: the adapter makes the connection, reconnects it when it
   * drops, and closes it in `close()`.
   */
  url?: string | undefined;
  /**
   * A connection from amqplib's `connect()` instead of `url`: never closed by the adapter, and
   * not reopened either when it drops (the adapter then fails with `AMQP_UNAVAILABLE`); pass
   * `url` for automatic reconnects.
   */
  connection?: ChannelModel | undefined;
  /** Wait before retrying a task whose handler threw, in milliseconds. @defaultValue 1000 */
  handlerErrorDelayMs?: number | undefined;
  /**
   * Called with the error of a handler that threw (or returned no HandlerResult), and with a
   * {@link RabbitMQQueueError} of code `AMQP_ACK_TIMEOUT` for each task whose delivery was lost
   * to the broker's `consumer_timeout` (see {@link RabbitMQQueueAdapter}).
   */
  onHandlerError?: ((error: unknown, task: SyncTask) => void) | undefined;
  /** Told what users should log: reconnects, ack timeouts … (a throwing hook is ignored). */
  onEvent?: ((event: RabbitMQQueueEvent) => void) | undefined;
  /** The first reconnect delay, in milliseconds; doubled at each failed attempt. @defaultValue 100 */
  reconnectMinDelayMs?: number | undefined;
  /** The longest reconnect delay, in milliseconds. @defaultValue 5000 */
  reconnectMaxDelayMs?: number | undefined;
  /**
   * How long an operation (`enqueue`, `stats` …) waits for a connection during an outage before
   * it rejects with `AMQP_UNAVAILABLE`, in milliseconds. @defaultValue 30000
   */
  unavailableTimeoutMs?: number | undefined;
}

/** The header holding how many deliveries the task had before this message was published. */
const DELIVERIES_HEADER = 'x-canvas-sync-deliveries';
/** The header marking a dead letter published by the adapter (a JSON `DeadLetter`). */
const DEAD_LETTER_HEADER = 'x-canvas-sync-dead-letter';
/** The longest delay a retry queue can hold (RabbitMQ caps TTLs at 2^32 - 1 ms). */
const MAX_DELAY_MS = 2 ** 31;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
const ACK_TIMEOUT_PATTERN = /delivery acknowledgement on channel \d+ timed out/i;

/**
 * The delay a retry queue gets for a wanted delay: whole milliseconds up to 100 ms, then rounded
 * up to two significant digits (150 → 150, 1234 → 1300, 61 234 → 62 000), so that a few queues
 * serve every delay and no delay is shorter than asked (at most 10 % longer).
 *
 * @param ms - The wanted delay, in milliseconds.
 * @returns The queue's delay (0 for no delay).
 * @category Pipeline
 */
export function retryBucketMs(ms: number): number {
  if (!(ms > 0)) return 0;
  const whole = Math.ceil(ms);
  if (whole <= 100) return whole;
  const step = 10 ** (Math.floor(Math.log10(whole)) - 1);
  return Math.ceil(whole / step) * step;
}

/** One consumer channel and the handlers running on its deliveries. */
interface Consumer {
  readonly channel: Channel;
  alive: boolean;
  tag: string | undefined;
  readonly running: Set<{ task: SyncTask | undefined }>;
}

/** A message to publish to a queue (through the default exchange). */
interface Outgoing {
  queue: string;
  body: Buffer;
  headers: Record<string, unknown>;
}

/**
 * A {@link QueueAdapter} on RabbitMQ, with RabbitMQ's own features:
 *
 * - **Queues:** a durable queue `<name>`, persistent messages (the whole task as JSON), manual
 *   acks, and a `prefetch` equal to the `consume` concurrency. `enqueue` publishes on a confirm
 *   channel and resolves once the broker confirmed every message; a nack or a channel that
 *   closes first rejects with a {@link RabbitMQQueueError}.
 * - **No deduplication:** RabbitMQ cannot refuse a task that is already queued, so enqueueing the
 *   same task twice delivers it twice (the sinks make a duplicate harmless).
 * - **Retries with a delay:** the retried task (`taskForRetry`, stored whole: cursor included) is
 *   published with confirms to a TTL queue `<name>.retry.<ms>` (`x-message-ttl`, dead-lettering
 *   back to `<name>` through the default exchange, `x-expires` so that unused ones vanish; no
 *   plugin), then the original delivery is acked. A crash between the two delivers the task
 *   twice, which the contract allows. Delays are bucketed by {@link retryBucketMs} (never
 *   shorter than asked). A delayed `enqueue` goes the same way.
 * - **Dead letters:** the queue `<name>.dead`. The main queue dead-letters what is rejected
 *   without requeue (by another client, say) there through `x-dead-letter-exchange`; the
 *   contract's own dead letters (a `dead-letter` result, an `invalid-task` payload) are
 *   published there as JSON {@link DeadLetter}s, scrubbed. A delivery whose retry or dead letter
 *   cannot be published is put back once, and rejected without requeue (so dead-lettered by
 *   RabbitMQ, a poison message) when that fails again on its redelivery.
 *   {@link RabbitMQQueueAdapter.deadLetters} reads them all (without losing them: taken, then
 *   put back) and turns a message dead-lettered by RabbitMQ into a `DeadLetter` with reason
 *   `rabbitmq-<x-death reason>` (e.g. `rabbitmq-rejected`). A crash between publishing a dead
 *   letter and acking its delivery leaves the task dead and delivered again.
 * - **Ack timeout:** RabbitMQ closes a channel whose delivery stays unacked longer than its
 *   `consumer_timeout` (30 minutes by default, broker-wide, unreadable by a client) with
 *   `PRECONDITION_FAILED - delivery acknowledgement on channel N timed out`. The adapter reports
 *   it (`onEvent` `ack-timeout`, and `onHandlerError` with code `AMQP_ACK_TIMEOUT` for each task
 *   that was in flight on that channel), reopens the channel and keeps consuming; the broker
 *   delivers those tasks again, and the late results of the old deliveries are dropped
 *   (`stale-delivery`). For tasks longer than 30 minutes, raise the setting in `rabbitmq.conf`
 *   (milliseconds), e.g. `consumer_timeout = 7200000` for two hours.
 * - **Reconnects:** when the connection it made from `url` drops (a broker restart), the adapter
 *   reconnects with a bounded exponential backoff (`reconnectMinDelayMs` …
 *   `reconnectMaxDelayMs`), asserts its queues again and resumes consuming. Nothing unacked is
 *   lost (the broker delivers it again); a handler whose delivery's channel died never acks on
 *   the new one. Operations during the outage wait for the reconnect up to
 *   `unavailableTimeoutMs`, then reject with `AMQP_UNAVAILABLE`. A first connection the broker
 *   refuses (a wrong password, an unknown virtual host) is not retried: every operation rejects
 *   at once with `AMQP_ACCESS_REFUSED`.
 * - **Delivery count:** `attempt` counts the retries, plus one when RabbitMQ flags the message
 *   as redelivered (classic queues do not count redeliveries, so several redeliveries count as
 *   one).
 * - `close({ drain: true })` waits until the main queue is empty and no handler runs; delayed
 *   retries stay in their retry queues in RabbitMQ (and come back to `<name>` when due).
 * @category Pipeline
 */
export class RabbitMQQueueAdapter implements QueueAdapter {
  /** One consumer at concurrency 1 gets the tasks in enqueue order (until a redelivery). */
  readonly capabilities: QueueCapabilities = { fifo: true };

  readonly #name: string;
  readonly #deadName: string;
  readonly #url: string | undefined;
  readonly #given: ChannelModel | undefined;
  readonly #handlerErrorDelayMs: number;
  readonly #onHandlerError: ((error: unknown, task: SyncTask) => void) | undefined;
  readonly #onEvent: ((event: RabbitMQQueueEvent) => void) | undefined;
  readonly #minDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #unavailableTimeoutMs: number;
  readonly #abort = new AbortController();
  /** The delays of the retry queues this adapter published to. */
  readonly #retryDelays = new Set<number>();

  #model: ChannelModel | undefined;
  #connecting: Promise<void> | undefined;
  #connectedOnce = false;
  #lastError = 'not connected yet';
  #fatal: RabbitMQQueueError | undefined;
  readonly #modelWaiters = new Set<() => void>();

  #publisher: Promise<ConfirmChannel> | undefined;

  #handler: TaskHandler | undefined;
  #concurrency = 1;
  #consumer: Consumer | undefined;
  #consumerStarting: Promise<void> | undefined;
  #active = 0;
  /** Deliveries waiting for a free handler slot: told whether they got one. */
  readonly #slotWaiters: ((granted: boolean) => void)[] = [];
  /** Deliveries received and not yet acked or nacked by this process. */
  #pending = 0;
  #givenCloseListener: ((error?: Error) => void) | undefined;

  /** Set once `close()` stops new handlers; `#stopped` once the connection goes. */
  #stopping = false;
  #stopped = false;
  #closing: Promise<void> | undefined;
  /** Serializes dead-letter reads and replays, which hold the dead letters for a moment. */
  #deadLock: Promise<unknown> = Promise.resolve();

  /** Checks the options; connects on first use. */
  constructor(options: RabbitMQQueueAdapterOptions) {
    if (typeof options !== 'object' || options === null)
      throw invalid('(root)', 'Expected an object');
    const { name } = options;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name.startsWith('amq.')) {
      throw invalid(
        'name',
        'Expected 1 to 200 characters among A-Z a-z 0-9 . _ : - (starting with a letter or a digit, not "amq.")',
      );
    }
    this.#name = name;
    this.#deadName = `${name}.dead`;
    if (options.url !== undefined && options.connection !== undefined) {
      throw invalid('(root)', 'Expected url or connection, not both');
    }
    if (options.url !== undefined) {
      if (typeof options.url !== 'string' || !/^amqps?:\/\//i.test(options.url)) {
        throw invalid('url', 'Expected an amqp:// or amqps:// URL');
      }
      let host = '';
      try {
        host = new URL(options.url).hostname;
      } catch {
        // Reported below.
      }
      if (host === '') throw invalid('url', 'Expected an amqp:// or amqps:// URL with a host');
      this.#url = options.url;
    } else if (options.connection !== undefined) {
      const connection = options.connection as Partial<ChannelModel> | null;
      if (
        typeof connection !== 'object' ||
        connection === null ||
        typeof connection.createConfirmChannel !== 'function' ||
        typeof connection.createChannel !== 'function'
      ) {
        throw invalid('connection', "Expected a connection from amqplib's connect()");
      }
      this.#given = options.connection;
    } else {
      throw invalid('(root)', 'Expected url or connection');
    }
    this.#handlerErrorDelayMs = readMs(
      options.handlerErrorDelayMs,
      'handlerErrorDelayMs',
      DEFAULT_HANDLER_ERROR_DELAY_MS,
    );
    this.#minDelayMs = readMs(options.reconnectMinDelayMs, 'reconnectMinDelayMs', 100);
    this.#maxDelayMs = readMs(options.reconnectMaxDelayMs, 'reconnectMaxDelayMs', 5000);
    if (this.#minDelayMs < 1) throw invalid('reconnectMinDelayMs', 'Expected a number ≥ 1');
    if (this.#maxDelayMs < this.#minDelayMs) {
      throw invalid('reconnectMaxDelayMs', 'Expected a number ≥ reconnectMinDelayMs');
    }
    this.#unavailableTimeoutMs = readMs(
      options.unavailableTimeoutMs,
      'unavailableTimeoutMs',
      30_000,
    );
    if (options.onHandlerError !== undefined && typeof options.onHandlerError !== 'function') {
      throw invalid('onHandlerError', 'Expected a function');
    }
    if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
      throw invalid('onEvent', 'Expected a function');
    }
    this.#onHandlerError = options.onHandlerError;
    this.#onEvent = options.onEvent;
  }

  /** The name of the retry queue holding tasks delayed by `delayMs` (bucketed). */
  retryQueueName(delayMs: number): string {
    return `${this.#name}.retry.${retryBucketMs(delayMs)}`;
  }

  /**
   * Adds tasks (validated first; none is added if one is invalid), in order, as persistent
   * messages; resolves once RabbitMQ confirmed them all. A task with a delay (or a `notBefore`
   * in the future) goes to a retry queue first. Not deduplicated: see {@link RabbitMQQueueAdapter}.
   * @throws RabbitMQQueueError `AMQP_PUBLISH_NACKED`, `AMQP_CHANNEL_CLOSED`, `AMQP_UNAVAILABLE`
   */
  async enqueue(
    tasks: SyncTask | readonly SyncTask[],
    options: EnqueueOptions = {},
  ): Promise<void> {
    const delayMs = options.delayMs ?? 0;
    if (typeof delayMs !== 'number' || !(delayMs >= 0) || delayMs > MAX_DELAY_MS) {
      throw invalid('delayMs', `Expected a number from 0 to ${MAX_DELAY_MS}`, 'enqueue options');
    }
    const list: readonly unknown[] = Array.isArray(tasks) ? tasks : [tasks];
    const parsed = list.map((task, index) => {
      try {
        return parseTask(task);
      } catch (error) {
        if (!(error instanceof CanvasTaskValidationError) || !Array.isArray(tasks)) throw error;
        throw new CanvasTaskValidationError({
          issues: error.issues.map((issue) => ({
            path: issue.path === '(root)' ? `[${index}]` : `[${index}].${issue.path}`,
            message: issue.message,
          })),
        });
      }
    });
    this.#checkOpen();
    const now = Date.now();
    await this.#publish(
      parsed.map((task) => {
        const notBefore = task.notBefore === undefined ? now : Date.parse(task.notBefore);
        const wait = Math.min(Math.max(delayMs, notBefore - now, 0), MAX_DELAY_MS);
        const payload: SyncTask =
          delayMs > 0 ? { ...task, notBefore: new Date(now + wait).toISOString() } : task;
        return this.#taskMessage(payload, wait, 0);
      }),
    );
  }

  /** Publishes a payload without validating it (for tests: it is validated on delivery). */
  async enqueueRaw(payload: unknown): Promise<void> {
    this.#checkOpen();
    const body =
      typeof payload === 'string'
        ? Buffer.from(payload, 'utf8')
        : Buffer.from(JSON.stringify(payload) ?? 'null', 'utf8');
    await this.#publish([{ queue: this.#name, body, headers: {} }]);
  }

  /**
   * Starts consuming `<name>` with manual acks and `prefetch` = `concurrency`; resolves once the
   * consumer is registered.
   */
  async consume(handler: TaskHandler, options: ConsumeOptions): Promise<void> {
    if (typeof handler !== 'function')
      throw invalid('handler', 'Expected a function', 'consume arguments');
    const concurrency = options?.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 65_535) {
      throw invalid(
        'options.concurrency',
        'Expected an integer from 1 to 65535',
        'consume arguments',
      );
    }
    if (this.#closing !== undefined)
      throw invalid('(root)', 'The adapter is closed', 'consume call');
    if (this.#handler !== undefined)
      throw invalid('(root)', 'The adapter already has a consumer', 'consume call');
    this.#handler = handler;
    this.#concurrency = concurrency;
    try {
      await this.#openConsumer(await this.#getModel());
    } catch (error) {
      this.#handler = undefined;
      throw error;
    }
  }

  /**
   * Stops consuming, waits for the handlers in flight (their results are acked), then closes
   * the channels and the connection if the adapter made it. With `drain: true`, first waits
   * until `<name>` is empty and no handler runs (delayed retries stay in RabbitMQ). Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.drain === true);
    return this.#closing;
  }

  async #close(drain: boolean): Promise<void> {
    if (drain && this.#handler !== undefined) {
      for (;;) {
        try {
          // Twice in a row, so that a delivery still on its way from the broker is counted.
          if (await this.#drained()) {
            await delay(20);
            if (await this.#drained()) break;
          }
        } catch (error) {
          if (error instanceof RabbitMQQueueError && error.code !== 'AMQP_UNAVAILABLE') throw error;
        }
        await delay(10);
      }
    }
    this.#stopping = true;
    const consumer = this.#consumer;
    if (consumer?.alive === true && consumer.tag !== undefined) {
      await consumer.channel.cancel(consumer.tag).catch(() => undefined);
    }
    // Deliveries waiting for a slot are not started (they go back to the queue with the channel).
    for (const wake of this.#slotWaiters.splice(0)) wake(false);
    while (this.#active > 0) await delay(5);
    await this.#consumerStarting?.catch(() => undefined);
    this.#stopped = true;
    this.#abort.abort();
    for (const wake of this.#modelWaiters) wake();
    await this.#connecting?.catch(() => undefined);
    await this.#consumer?.channel.close().catch(() => undefined);
    this.#consumer = undefined;
    const publisher = await this.#publisher?.catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    this.#publisher = undefined;
    const model = this.#model;
    this.#model = undefined;
    if (model !== undefined && this.#given === undefined)
      await model.close().catch(() => undefined);
    if (this.#givenCloseListener !== undefined) {
      this.#given?.off('close', this.#givenCloseListener);
      this.#givenCloseListener = undefined;
    }
  }

  /** Nothing ready in `<name>`, no delivery of this process unsettled, no handler running. */
  async #drained(): Promise<boolean> {
    const ready = await this.#count(await this.#getModel(), this.#name);
    return ready === 0 && this.#pending === 0 && this.#active === 0;
  }

  /**
   * The dead letters (queue `<name>.dead`), oldest first. They are taken from the queue and put
   * back (RabbitMQ queues cannot be browsed), so nothing is lost, even if the process dies
   * meanwhile; a listing running at the same time in another process may see fewer.
   */
  deadLetters(): Promise<DeadLetter[]> {
    return this.#withDeadLetters(async (messages) =>
      messages.map((message) => this.#readDeadLetter(message).letter),
    );
  }

  /**
   * Moves the dead letters holding a valid task (a contract dead letter, or a task dead-lettered
   * by RabbitMQ) back to `<name>`, retry counts reset (`taskForReplay`), and returns how many.
   * Malformed payloads stay dead. The tasks are published (confirmed) before their dead letters
   * are removed: a crash between the two leaves a task both replayed and dead.
   */
  replayDeadLetters(): Promise<number> {
    return this.#withDeadLetters(async (messages, channel) => {
      const moved: { message: GetMessage; task: SyncTask }[] = [];
      for (const message of messages) {
        const { task } = this.#readDeadLetter(message);
        if (task !== undefined) moved.push({ message, task });
      }
      if (moved.length === 0) return 0;
      await this.#publish(moved.map(({ task }) => this.#taskMessage(taskForReplay(task), 0, 0)));
      for (const { message } of moved) channel.ack(message);
      return moved.length;
    });
  }

  /**
   * Counts: `queued` (ready messages of `<name>`), `inFlight` (handlers running in this
   * process), `delayed` (messages in the retry queues this adapter published to; other
   * processes' retry queues are not seen), `deadLetters` (messages of `<name>.dead`).
   */
  stats(): Promise<QueueStats> {
    return this.#locked(() =>
      this.#withModel(async (model) => {
        let delayed = 0;
        for (const ms of this.#retryDelays) {
          delayed += await this.#count(model, this.retryQueueName(ms));
        }
        return {
          queued: await this.#count(model, this.#name),
          inFlight: this.#active,
          delayed,
          deadLetters: await this.#count(model, this.#deadName),
        };
      }),
    );
  }

  /**
   * Deletes `<name>`, `<name>.dead` and the retry queues this adapter published to, with their
   * messages (for tests and teardown).
   */
  async deleteQueues(): Promise<void> {
    await this.#withModel(async (model) => {
      const channel = await model.createChannel();
      channel.on('error', () => undefined);
      try {
        for (const ms of this.#retryDelays) await channel.deleteQueue(this.retryQueueName(ms));
        await channel.deleteQueue(this.#name);
        await channel.deleteQueue(this.#deadName);
      } finally {
        await channel.close().catch(() => undefined);
      }
    });
  }

  // --- connection ---------------------------------------------------------------------------

  #emit(event: RabbitMQQueueEvent): void {
    try {
      this.#onEvent?.(event);
    } catch {
      // A failing hook must not break the adapter.
    }
  }

  #checkOpen(): void {
    if (this.#closing !== undefined && this.#stopping) {
      throw new RabbitMQQueueError('AMQP_CLOSED', 'The RabbitMQ queue adapter is closed');
    }
  }

  /** The current connection (queues asserted), waiting for a (re)connect up to the timeout. */
  async #getModel(): Promise<ChannelModel> {
    const deadline = performance.now() + this.#unavailableTimeoutMs;
    for (;;) {
      if (this.#stopped) {
        throw new RabbitMQQueueError('AMQP_CLOSED', 'The RabbitMQ queue adapter is closed');
      }
      if (this.#model !== undefined) return this.#model;
      if (this.#fatal !== undefined) throw this.#fatal;
      this.#connect();
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new RabbitMQQueueError(
          'AMQP_UNAVAILABLE',
          `No connection to RabbitMQ within ${this.#unavailableTimeoutMs} ms (last error: ${this.#lastError})`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#modelWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, remaining);
        this.#modelWaiters.add(wake);
      });
    }
  }

  #connect(): void {
    if (this.#connecting !== undefined || this.#model !== undefined || this.#stopped) return;
    this.#connecting = this.#connectLoop().finally(() => {
      this.#connecting = undefined;
    });
  }

  async #connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.#stopped) {
      let model: ChannelModel | undefined;
      try {
        model = this.#given ?? (await connect(this.#url ?? '', { timeout: 10_000 }));
        const current = model;
        const onClose = (error?: Error): void => this.#onConnectionClosed(current, error);
        if (this.#given === undefined) model.on('error', () => undefined);
        else this.#givenCloseListener = onClose;
        model.once('close', onClose);
        await this.#assertQueues(model);
        if (this.#stopped) {
          if (this.#given === undefined) await model.close().catch(() => undefined);
          return;
        }
        this.#model = model;
        if (this.#connectedOnce)
          this.#emit({
            type: 'reconnected',
            attempts: attempt,
            message: `reconnected to RabbitMQ after ${attempt} failed attempt(s); consuming resumes`,
          });
        this.#connectedOnce = true;
        for (const wake of this.#modelWaiters) wake();
        this.#ensureConsumer();
        return;
      } catch (error) {
        this.#lastError = messageOf(error);
        if (this.#given !== undefined) {
          this.#fatal = new RabbitMQQueueError(
            'AMQP_UNAVAILABLE',
            `The RabbitMQ connection passed in failed (${this.#lastError}); the adapter does not reopen a connection it was given`,
          );
          for (const wake of this.#modelWaiters) wake();
          return;
        }
        if (model !== undefined) await model.close().catch(() => undefined);
        const refused = this.#connectedOnce ? undefined : refusalOf(error);
        if (refused !== undefined) {
          this.#fatal = new RabbitMQQueueError('AMQP_ACCESS_REFUSED', refused);
          for (const wake of this.#modelWaiters) wake();
          return;
        }
        attempt++;
        const base = Math.min(this.#maxDelayMs, this.#minDelayMs * 2 ** Math.min(attempt - 1, 30));
        const delayMs = Math.round(base * (0.8 + Math.random() * 0.2));
        this.#emit({ type: 'reconnecting', attempt, delayMs, message: this.#lastError });
        await delay(delayMs, this.#abort.signal).catch(() => undefined);
      }
    }
  }

  #onConnectionClosed(model: ChannelModel, error: Error | undefined): void {
    if (model !== this.#model) return;
    this.#model = undefined;
    this.#publisher = undefined;
    if (this.#consumer !== undefined) {
      this.#consumer.alive = false;
      this.#consumer = undefined;
    }
    if (this.#stopped) return;
    this.#lastError = error === undefined ? 'connection closed' : messageOf(error);
    this.#emit({ type: 'disconnected', message: this.#lastError });
    if (this.#given !== undefined) {
      this.#fatal = new RabbitMQQueueError(
        'AMQP_UNAVAILABLE',
        `The RabbitMQ connection passed in closed (${this.#lastError}); the adapter does not reopen a connection it was given`,
      );
      for (const wake of this.#modelWaiters) wake();
      return;
    }
    this.#connect();
  }

  async #assertQueues(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.assertQueue(this.#deadName, { durable: true });
      await channel.assertQueue(this.#name, {
        durable: true,
        arguments: {
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': this.#deadName,
        },
      });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /**
   * Runs `read` on a connection: the adapter's, or after `close()` a short-lived one (or the
   * connection passed in), so that `stats()` and `deadLetters()` still answer once closed.
   */
  async #withModel<T>(read: (model: ChannelModel) => Promise<T>): Promise<T> {
    if (!this.#stopping) return read(await this.#getModel());
    await this.#closing;
    if (this.#given !== undefined) return read(this.#given);
    const model = await connect(this.#url ?? '', { timeout: 10_000 });
    model.on('error', () => undefined);
    try {
      return await read(model);
    } finally {
      await model.close().catch(() => undefined);
    }
  }

  /** The ready messages of `queue` (0 if it does not exist), on a channel of its own. */
  async #count(model: ChannelModel, queue: string): Promise<number> {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) return 0;
      throw error;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  // --- publishing -----------------------------------------------------------------------------

  #taskMessage(task: SyncTask, delayMs: number, deliveries: number): Outgoing {
    const bucket = retryBucketMs(delayMs);
    return {
      queue: bucket === 0 ? this.#name : this.retryQueueName(bucket),
      body: Buffer.from(JSON.stringify(task), 'utf8'),
      headers: { [DELIVERIES_HEADER]: deliveries },
    };
  }

  #getPublisher(): Promise<ConfirmChannel> {
    if (this.#publisher !== undefined) return this.#publisher;
    const opening = (async () => {
      const model = await this.#getModel();
      const channel = await model.createConfirmChannel();
      channel.on('error', (error: Error) => {
        if (this.#model === model && !this.#stopped) {
          this.#emit({ type: 'channel-closed', which: 'publisher', message: messageOf(error) });
        }
      });
      channel.on('close', () => {
        if (this.#publisher === opening) this.#publisher = undefined;
      });
      return channel;
    })();
    this.#publisher = opening;
    opening.catch(() => {
      if (this.#publisher === opening) this.#publisher = undefined;
    });
    return opening;
  }

  /** Publishes `messages` in order (asserting the retry queues they go to); resolves once all are confirmed. */
  async #publish(messages: readonly Outgoing[]): Promise<void> {
    const channel = await this.#getPublisher();
    const retryQueues = new Map<string, number>();
    for (const message of messages) {
      if (message.queue === this.#name || message.queue === this.#deadName) continue;
      const ms = Number(message.queue.slice(`${this.#name}.retry.`.length));
      retryQueues.set(message.queue, ms);
    }
    for (const [queue, ms] of retryQueues) {
      // Declared before every publish: this also restarts the queue's x-expires clock.
      await channel.assertQueue(queue, {
        durable: true,
        arguments: {
          'x-message-ttl': ms,
          'x-expires': ms * 2 + 60_000,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': this.#name,
        },
      });
      this.#retryDelays.add(ms);
    }
    const confirms: Promise<void>[] = [];
    for (const message of messages) {
      let ok = true;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          ok = channel.sendToQueue(
            message.queue,
            message.body,
            {
              persistent: true,
              contentType: 'application/json',
              headers: message.headers,
              timestamp: Math.floor(Date.now() / 1000),
            },
            (error: unknown) => {
              if (error === null || error === undefined) resolve();
              else reject(publishError(error));
            },
          );
        }),
      );
      // Back-pressure: wait until the socket buffer drains (or the channel closes).
      if (!ok) await drained(channel);
    }
    await settle(confirms);
  }

  // --- consuming ------------------------------------------------------------------------------

  /** Reopens the consumer (after a channel or connection loss) in the background, once. */
  #ensureConsumer(): void {
    if (this.#handler === undefined || this.#stopping || this.#consumer !== undefined) return;
    if (this.#consumerStarting !== undefined) return;
    this.#consumerStarting = (async () => {
      let attempt = 0;
      while (!this.#stopping && this.#consumer === undefined) {
        try {
          await this.#openConsumer(await this.#getModel());
        } catch (error) {
          if (this.#fatal !== undefined || this.#stopped) return;
          this.#lastError = messageOf(error);
          attempt++;
          const ms = Math.min(this.#maxDelayMs, this.#minDelayMs * 2 ** Math.min(attempt - 1, 30));
          await delay(ms, this.#abort.signal).catch(() => undefined);
        }
      }
    })().finally(() => {
      this.#consumerStarting = undefined;
    });
  }

  async #openConsumer(model: ChannelModel): Promise<void> {
    if (this.#stopping || this.#consumer !== undefined) return;
    const channel = await model.createChannel();
    const consumer: Consumer = { channel, alive: true, tag: undefined, running: new Set() };
    let closeError: Error | undefined;
    channel.on('error', (error: Error) => {
      closeError = error;
    });
    channel.on('close', () => this.#onConsumerClosed(consumer, model, closeError));
    try {
      await channel.prefetch(this.#concurrency);
      this.#consumer = consumer;
      const reply = await channel.consume(
        this.#name,
        (message) => {
          if (message === null) {
            // Cancelled by the broker (the queue was deleted): start over on a new channel.
            void channel.close().catch(() => undefined);
            return;
          }
          void this.#deliver(consumer, message);
        },
        { noAck: false },
      );
      consumer.tag = reply.consumerTag;
    } catch (error) {
      consumer.alive = false;
      if (this.#consumer === consumer) this.#consumer = undefined;
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  #onConsumerClosed(consumer: Consumer, model: ChannelModel, error: Error | undefined): void {
    consumer.alive = false;
    if (this.#consumer === consumer) this.#consumer = undefined;
    if (this.#stopped) return;
    if (error !== undefined && ACK_TIMEOUT_PATTERN.test(error.message)) {
      const tasks = [...consumer.running].flatMap((entry) => entry.task ?? []);
      const message = `RabbitMQ closed the consumer channel: a delivery was not acknowledged within its consumer_timeout (${messageOf(error)}); the tasks in flight on it are delivered again. Raise consumer_timeout in rabbitmq.conf (in ms) for longer tasks.`;
      this.#emit({ type: 'ack-timeout', tasks: tasks.length, message });
      for (const task of tasks) {
        try {
          this.#onHandlerError?.(new RabbitMQQueueError('AMQP_ACK_TIMEOUT', message), task);
        } catch {
          // A failing hook must not stop the consumer.
        }
      }
    } else if (error !== undefined && this.#model === model) {
      this.#emit({ type: 'channel-closed', which: 'consumer', message: messageOf(error) });
    }
    if (!this.#stopping) this.#ensureConsumer();
  }

  /** Waits for a free handler slot; false when the adapter is closing meanwhile. */
  async #acquire(): Promise<boolean> {
    if (this.#stopping) return false;
    if (this.#active < this.#concurrency) {
      this.#active++;
      return true;
    }
    const granted = await new Promise<boolean>((resolve) => this.#slotWaiters.push(resolve));
    if (granted && this.#stopping) {
      this.#release();
      return false;
    }
    return granted;
  }

  /** Hands the slot to the next waiting delivery, or frees it. */
  #release(): void {
    const next = this.#slotWaiters.shift();
    if (next === undefined) this.#active--;
    else next(true);
  }

  async #deliver(consumer: Consumer, message: ConsumeMessage): Promise<void> {
    this.#pending++;
    try {
      if (await this.#acquire()) await this.#deliverInSlot(consumer, message);
    } finally {
      this.#pending--;
    }
  }

  async #deliverInSlot(consumer: Consumer, message: ConsumeMessage): Promise<void> {
    const entry: { task: SyncTask | undefined } = { task: undefined };
    consumer.running.add(entry);
    try {
      if (!consumer.alive) return;
      await this.#handle(consumer, message, entry);
    } catch (error) {
      // Publishing the retry or the dead letter failed: put the delivery back once; a
      // redelivery that fails again is rejected, so the DLX moves it to <name>.dead (poison).
      this.#lastError = messageOf(error);
      if (consumer.alive) {
        try {
          consumer.channel.nack(message, false, !message.fields.redelivered);
        } catch {
          // The channel closed meanwhile: the broker delivers the task again anyway.
        }
      }
    } finally {
      consumer.running.delete(entry);
      this.#release();
    }
  }

  async #handle(
    consumer: Consumer,
    message: ConsumeMessage,
    entry: { task: SyncTask | undefined },
  ): Promise<void> {
    const deliveries = readCount(message.properties.headers?.[DELIVERIES_HEADER]);
    const attempt = deliveries + (message.fields.redelivered ? 2 : 1);
    const payload = decode(message.content);
    let task: SyncTask;
    try {
      task = parseTask(payload);
    } catch (error) {
      await this.#publishDeadLetter({
        raw: rawForDeadLetter(payload),
        reason: 'invalid-task',
        code: 'TASK_VALIDATION',
        issues: issuesOf(error),
        attempts: 0,
        deadAt: new Date().toISOString(),
      });
      this.#ack(consumer, message, undefined, 'dead-letter');
      return;
    }
    entry.task = task;
    const result = await this.#run(task, attempt, message);
    if (!consumer.alive) {
      this.#staleDelivery(task, result.type);
      return;
    }
    switch (result.type) {
      case 'ack':
        break;
      case 'retry':
        await this.#publish([
          this.#taskMessage(taskForRetry(task, result, new Date()), result.delayMs, attempt),
        ]);
        break;
      case 'dead-letter': {
        const letter: DeadLetter = {
          task,
          reason: result.reason,
          attempts: attempt,
          deadAt: new Date().toISOString(),
        };
        if (result.code !== undefined) letter.code = result.code;
        if (result.detail !== undefined) letter.detail = result.detail;
        await this.#publishDeadLetter(letter);
        break;
      }
    }
    this.#ack(consumer, message, task, result.type);
  }

  #ack(
    consumer: Consumer,
    message: Message,
    task: SyncTask | undefined,
    result: HandlerResult['type'],
  ): void {
    if (consumer.alive) {
      try {
        consumer.channel.ack(message);
        return;
      } catch {
        // Closed meanwhile: reported below.
      }
    }
    if (task !== undefined) this.#staleDelivery(task, result);
  }

  #staleDelivery(task: SyncTask, result: HandlerResult['type']): void {
    this.#emit({
      type: 'stale-delivery',
      key: task.key,
      result,
      message: `a handler finished (${result}) after the channel of its delivery closed; RabbitMQ delivers the task again`,
    });
  }

  #publishDeadLetter(letter: DeadLetter): Promise<void> {
    return this.#publish([
      {
        queue: this.#deadName,
        body: Buffer.from(JSON.stringify(scrubDeadLetter(letter)), 'utf8'),
        headers: { [DEAD_LETTER_HEADER]: 1 },
      },
    ]);
  }

  #run(task: SyncTask, attempt: number, message: ConsumeMessage): Promise<HandlerResult> {
    return runHandler(
      this.#handler,
      { task, attempt, raw: message },
      { onHandlerError: this.#onHandlerError, handlerErrorDelayMs: this.#handlerErrorDelayMs },
    );
  }

  // --- dead letters ---------------------------------------------------------------------------

  #locked<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#deadLock.then(work, work);
    this.#deadLock = run.catch(() => undefined);
    return run;
  }

  /**
   * Takes every message of `<name>.dead` (as many as it held at the start) without acking, hands
   * them to `work`, then puts back (nack with requeue, in their order) those `work` did not ack.
   */
  #withDeadLetters<T>(work: (messages: GetMessage[], channel: Channel) => Promise<T>): Promise<T> {
    return this.#locked(() =>
      this.#withModel(async (model) => {
        const count = await this.#count(model, this.#deadName);
        const channel = await model.createChannel();
        channel.on('error', () => undefined);
        const messages: GetMessage[] = [];
        try {
          for (let index = 0; index < count; index++) {
            const message = await channel.get(this.#deadName, { noAck: false });
            if (message === false) break;
            messages.push(message);
          }
          return await work(messages, channel);
        } finally {
          try {
            channel.nackAll(true);
          } catch {
            // Closing the channel puts them back as well.
          }
          await channel.close().catch(() => undefined);
        }
      }),
    );
  }

  /** A message of `<name>.dead` as a dead letter, and the task it holds if valid. */
  #readDeadLetter(message: Message): { letter: DeadLetter; task?: SyncTask } {
    const headers: MessagePropertyHeaders = message.properties.headers ?? {};
    const payload = decode(message.content);
    if (headers[DEAD_LETTER_HEADER] !== undefined && isDeadLetter(payload)) {
      const letter = scrubDeadLetter(payload);
      if (letter.task === undefined) return { letter };
      try {
        return { letter, task: parseTask(letter.task) };
      } catch {
        return { letter };
      }
    }
    // Dead-lettered by RabbitMQ (x-dead-letter-exchange): the original message.
    const deaths = Array.isArray(headers['x-death']) ? headers['x-death'] : [];
    const death = deaths.find((entry) => entry?.queue === this.#name) ?? deaths[0];
    const seconds = Number(death?.time?.value ?? death?.time);
    const letter: DeadLetter = {
      reason: `rabbitmq-${typeof death?.reason === 'string' ? death.reason : 'dead-lettered'}`,
      code: 'AMQP_DEAD_LETTERED',
      detail: {
        queue: typeof death?.queue === 'string' ? death.queue : undefined,
        count: typeof death?.count === 'number' ? death.count : undefined,
      },
      attempts: readCount(headers[DELIVERIES_HEADER]) + 1,
      deadAt: new Date(Number.isFinite(seconds) ? seconds * 1000 : Date.now()).toISOString(),
    };
    try {
      const task = parseTask(payload);
      letter.task = task;
      return { letter: scrubDeadLetter(letter), task };
    } catch (error) {
      letter.raw = rawForDeadLetter(payload);
      letter.issues = issuesOf(error);
      return { letter: scrubDeadLetter(letter) };
    }
  }
}

function invalid(
  path: string,
  message: string,
  what = 'RabbitMQ queue options',
): CanvasOptionsError {
  return new CanvasOptionsError({ what, issues: [{ path, message }] });
}

function readMs(value: unknown, path: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(path, 'Expected a finite number ≥ 0');
  }
  return value;
}

function readCount(value: unknown): number {
  const count = typeof value === 'number' ? value : Number(value);
  return Number.isInteger(count) && count >= 0 ? count : 0;
}

/** The message body as JSON, or as text when it is not JSON. */
function decode(content: Buffer): unknown {
  const text = content.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function issuesOf(error: unknown): { path: string; message: string }[] {
  return error instanceof CanvasTaskValidationError
    ? error.issues.map((issue) => ({ ...issue }))
    : [{ path: '(root)', message: 'Could not be validated' }];
}

function isDeadLetter(value: unknown): value is DeadLetter {
  if (typeof value !== 'object' || value === null) return false;
  const letter = value as Record<string, unknown>;
  return typeof letter.reason === 'string' && typeof letter.deadAt === 'string';
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * What the broker's refusal of a connection says, if `error` is one: a login refused
 * (`ACCESS_REFUSED`), or the connection closed while opening it (a virtual host that does not
 * exist or is not the user's). Never holds the URL: amqplib's messages do not quote it.
 */
function refusalOf(error: unknown): string | undefined {
  const message = messageOf(error);
  if (/ACCESS.REFUSED/.test(message)) {
    return `RabbitMQ refused the login (check the user and password of the URL): ${message}`;
  }
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) {
    return 'RabbitMQ closed the connection while opening it: the virtual host of the URL does not exist, or its user may not use it';
  }
  return undefined;
}

function publishError(error: unknown): RabbitMQQueueError {
  const message = messageOf(error);
  if (/nack/i.test(message)) {
    return new RabbitMQQueueError('AMQP_PUBLISH_NACKED', `RabbitMQ refused a message (${message})`);
  }
  return new RabbitMQQueueError(
    'AMQP_CHANNEL_CLOSED',
    `The channel closed before RabbitMQ confirmed every message (${message}); some may be enqueued: enqueueing again is safe`,
  );
}

function drained(channel: Channel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.once('drain', done);
    channel.once('close', done);
  });
}

/** Waits for every promise; rejects with the first rejection once all have settled. */
async function settle(promises: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}
