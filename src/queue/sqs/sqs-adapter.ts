/**
 * `SqsQueueAdapter`: the {@link QueueAdapter} contract on Amazon SQS standard queues. Imported
 * only from `canvas-sync/queue/sqs`, so `canvas-sync` itself never loads `@aws-sdk/client-sqs`.
 *
 * @module
 */

import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
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
import { CanvasTaskValidationError, type TaskIssue } from '../task-validation-error.js';

/**
 * What failed when {@link SqsQueueAdapterOptions.onError} is called:
 * - `'receive'`: a `ReceiveMessage` poll (network, throttling …); the adapter backs off and polls
 *   again;
 * - `'extend-visibility'`: a `ChangeMessageVisibility` that keeps a running handler's message
 *   hidden; the handler goes on (the message may be delivered again meanwhile);
 * - `'ack'`, `'retry'`, `'dead-letter'`, `'delay-hop'`: settling a delivery (deleting it, sending
 *   the retried task, the dead letter, or the next hop of a long delay); the message was not
 *   deleted, so SQS delivers it again once its visibility timeout ends (at-least-once);
 * - `'release'`: making messages visible again (received while closing, or listed by
 *   `deadLetters()`); they become visible anyway when their visibility timeout ends.
 * @category Pipeline
 */
export type SqsOperation =
  | 'receive'
  | 'extend-visibility'
  | 'ack'
  | 'retry'
  | 'dead-letter'
  | 'delay-hop'
  | 'release';

/**
 * Options of {@link SqsQueueAdapter}.
 *
 * Give either `client` or `region` (with `endpoint` and `credentials` if needed).
 * @category Pipeline
 */
export interface SqsQueueAdapterOptions {
  /** The URL of the (standard) queue, e.g. `https://sqs.eu-west-1.amazonaws.com/123456789012/canvas-sync`. */
  queueUrl: string;
  /**
   * The URL of the dead-letter queue: where the adapter stores the contract's dead letters (JSON
   * {@link DeadLetter}s), and the target of the main queue's redrive policy. Set that policy
   * (`RedrivePolicy` with a `maxReceiveCount`, e.g. 5) on the main queue yourself, or call
   * {@link SqsQueueAdapter.ensureQueues}: a message whose handler keeps crashing the worker is
   * then moved there by SQS, and {@link SqsQueueAdapter.deadLetters} lists it with reason
   * `'max-receive-count'`.
   */
  deadLetterQueueUrl: string;
  /** An SQS client of your own; never destroyed by the adapter. */
  client?: SQSClient | undefined;
  /** The AWS region: the adapter creates its client, and destroys it in `close()`. */
  region?: string | undefined;
  /** Where the adapter's own client sends requests (a local or private SQS-compatible server). */
  endpoint?: string | undefined;
  /** Credentials of the adapter's own client. @defaultValue the AWS SDK's default chain */
  credentials?: SQSClientConfig['credentials'] | undefined;
  /**
   * Long polling: how long one `ReceiveMessage` waits for a message, in whole seconds (0-20).
   * @defaultValue 20
   */
  waitTimeSeconds?: number | undefined;
  /**
   * How long a received message stays hidden from other consumers, in whole seconds (1-43200).
   * While a handler runs, the adapter extends it (`ChangeMessageVisibility`) every half of it, so
   * long tasks keep their message; a worker that dies stops extending it, and SQS delivers the
   * message again once it ends. @defaultValue 30
   */
  visibilityTimeoutSeconds?: number | undefined;
  /** Wait before retrying a task whose handler threw, in milliseconds. @defaultValue 1000 */
  handlerErrorDelayMs?: number | undefined;
  /** Called with the error of a handler that threw (or returned no HandlerResult). */
  onHandlerError?: ((error: unknown, task: SyncTask) => void) | undefined;
  /**
   * Called with an SQS error the adapter survived (a failed poll, visibility extension or
   * settlement; see {@link SqsOperation}); such errors never become unhandled rejections. A
   * throwing hook is ignored. @defaultValue none
   */
  onError?: ((error: unknown, operation: SqsOperation) => void) | undefined;
  /**
   * The longest `DelaySeconds` the adapter sends, in whole seconds (1-900). SQS caps a message's
   * delay at 900 s (15 minutes); a longer delay is made of hops (see
   * {@link SqsQueueAdapter}). Lower it only to test the hops. @defaultValue 900
   */
  maxDelaySeconds?: number | undefined;
}

/** SQS's own cap on `DelaySeconds`. */
const SQS_MAX_DELAY_SECONDS = 900;
/** SQS's longest visibility timeout (12 hours). */
const SQS_MAX_VISIBILITY_SECONDS = 43_200;
/** What `MaximumMessageSize` is when the queue does not say (SQS's historical default). */
const DEFAULT_MAX_MESSAGE_BYTES = 262_144;
/** A batch's total size never exceeds this (the smallest batch limit SQS has had). */
const MAX_BATCH_BYTES = 262_144;
/** Room left for the message attributes the adapter adds to a retried task. */
const ATTRIBUTE_RESERVE_BYTES = 64;
/** How many times a failed entry of `SendMessageBatch` is sent again before `enqueue` fails. */
const SEND_RETRIES = 4;
/** Backoff after a failed poll: doubling from the first, up to the bound. */
const POLL_BACKOFF_FIRST_MS = 100;
const POLL_BACKOFF_MAX_MS = 10_000;
/** How long `deadLetters()` hides the messages it reads before making them visible again. */
const LIST_VISIBILITY_SECONDS = 30;
/** How often `close({ drain: true })` looks at the queue's counts. */
const DRAIN_POLL_MS = 50;

/** Message attribute: how many deliveries the task had before this message (retries, hops). */
const DELIVERIES_ATTRIBUTE = 'CanvasSyncDeliveries';
/** Message attribute marking a dead letter written by the adapter (a JSON `DeadLetter`). */
const DEAD_LETTER_ATTRIBUTE = 'CanvasSyncDeadLetter';

/**
 * An `enqueue` whose messages SQS kept refusing (after the retries of the failed batch entries):
 * the tasks before them may have been sent.
 * @category Errors
 */
export class SqsEnqueueError extends Error {
  /** The class's name, for logs and serialized errors. */
  override readonly name = 'SqsEnqueueError';
  /** How many tasks of the call were not sent. */
  readonly failed: number;
  /** The SQS error codes of the refused entries (e.g. `'InternalError'`, `'ThrottlingException'`). */
  readonly codes: string[];

  constructor(failed: number, codes: string[]) {
    super(
      `SQS refused ${failed} message${failed === 1 ? '' : 's'} of the enqueue after ${SEND_RETRIES} retries (${[...new Set(codes)].join(', ') || 'no error code'})`,
    );
    this.failed = failed;
    this.codes = codes;
  }
}

/** One message of a batch to send. */
interface Outgoing {
  body: string;
  delaySeconds: number;
  deliveries?: number;
  deadLetter?: boolean;
}

/** A message read from the dead-letter queue, with its dead letter. */
interface Listed {
  message: Message;
  letter: DeadLetter;
  sentAt: number;
}

/**
 * A {@link QueueAdapter} on Amazon SQS standard queues, with SQS's own features:
 *
 * - `enqueue` sends the tasks as JSON with `SendMessageBatch` (10 a call); entries SQS refuses
 *   are sent again a few times, then the call fails with an {@link SqsEnqueueError}. A task
 *   larger than the queue's `MaximumMessageSize` (read once, 256 KiB by default, up to 1 MiB;
 *   64 bytes are kept for the adapter's message attributes) is refused with a
 *   `CanvasTaskValidationError` before anything is sent. Standard queues cannot deduplicate:
 *   enqueueing a task twice delivers it twice (the sinks make a duplicate harmless).
 * - Delays: `delayMs` becomes `DelaySeconds`, rounded up to whole seconds. SQS caps it at 900 s:
 *   a longer wait is sent with 900 s and the task's `notBefore`; a task received before its
 *   `notBefore` is sent again with the remaining delay (hop by hop) and the received message
 *   deleted, without reaching the handler.
 * - `consume` long-polls (`ReceiveMessage`, never more messages than free handler slots, at
 *   most 10), hides each message for the visibility timeout and extends it while its handler
 *   runs. Ack deletes the message; a retry sends the task of `taskForRetry` with its delay, then
 *   deletes the delivered message (a crash in between delivers it twice: allowed); a dead letter
 *   is sent to the dead-letter queue, then the message deleted. `attempt` counts the task's
 *   deliveries across retries (a message attribute) plus SQS's `ApproximateReceiveCount`.
 * - A failed poll is reported to `onError` and retried with a backoff (100 ms doubling to 10 s).
 * - `deadLetters()` reads the dead-letter queue: SQS has no browsing, so the messages are
 *   received (hidden 30 s) and made visible again at once; on a queue that others read at the
 *   same time, the list is best-effort. Messages that SQS's redrive policy moved there (raw task
 *   payloads) are listed with reason `'max-receive-count'`.
 * - `stats()` reads SQS's approximate counts (`ApproximateNumberOfMessages`, `…NotVisible`,
 *   `…Delayed`): approximate, and counting every consumer of the queue, not only this one.
 * - `close({ drain: true })` waits until the queue shows no visible and no in-flight message and
 *   no handler of this adapter runs; delayed messages (retries, delayed tasks) stay in SQS.
 *
 * FIFO order is not promised (`capabilities.fifo` is false): standard queues do not keep it.
 * @category Pipeline
 */
export class SqsQueueAdapter implements QueueAdapter {
  /** Standard queues promise no order. */
  readonly capabilities: QueueCapabilities = { fifo: false };
  readonly #client: SQSClient;
  readonly #owned: boolean;
  readonly #clientConfig: SQSClientConfig;
  readonly #queueUrl: string;
  readonly #deadLetterQueueUrl: string;
  readonly #waitTimeSeconds: number;
  readonly #visibilityTimeoutSeconds: number;
  readonly #handlerErrorDelayMs: number;
  readonly #onHandlerError: ((error: unknown, task: SyncTask) => void) | undefined;
  readonly #onError: ((error: unknown, operation: SqsOperation) => void) | undefined;
  readonly #maxDelaySeconds: number;
  #maxMessageBytes: Promise<number> | undefined;
  #handler: TaskHandler | undefined;
  #concurrency = 1;
  #active = 0;
  readonly #running = new Set<Promise<void>>();
  #slotFreed: (() => void) | undefined;
  #stop: AbortController | undefined;
  #polling: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** Checks the options and creates the client if none is given (no request is made). */
  constructor(options: SqsQueueAdapterOptions) {
    if (typeof options !== 'object' || options === null) {
      throw invalid('(root)', 'Expected an options object');
    }
    this.#queueUrl = checkQueueUrl('queueUrl', options.queueUrl);
    this.#deadLetterQueueUrl = checkQueueUrl('deadLetterQueueUrl', options.deadLetterQueueUrl);
    if (this.#deadLetterQueueUrl === this.#queueUrl) {
      throw invalid('deadLetterQueueUrl', 'Expected a queue other than queueUrl');
    }
    this.#waitTimeSeconds = integer('waitTimeSeconds', options.waitTimeSeconds, 20, 0, 20);
    this.#visibilityTimeoutSeconds = integer(
      'visibilityTimeoutSeconds',
      options.visibilityTimeoutSeconds,
      30,
      1,
      SQS_MAX_VISIBILITY_SECONDS,
    );
    this.#maxDelaySeconds = integer(
      'maxDelaySeconds',
      options.maxDelaySeconds,
      SQS_MAX_DELAY_SECONDS,
      1,
      SQS_MAX_DELAY_SECONDS,
    );
    const handlerErrorDelayMs = options.handlerErrorDelayMs ?? DEFAULT_HANDLER_ERROR_DELAY_MS;
    if (
      typeof handlerErrorDelayMs !== 'number' ||
      !Number.isFinite(handlerErrorDelayMs) ||
      handlerErrorDelayMs < 0
    ) {
      throw invalid('handlerErrorDelayMs', 'Expected a finite number ≥ 0');
    }
    this.#handlerErrorDelayMs = handlerErrorDelayMs;
    if (options.onHandlerError !== undefined && typeof options.onHandlerError !== 'function') {
      throw invalid('onHandlerError', 'Expected a function');
    }
    this.#onHandlerError = options.onHandlerError;
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw invalid('onError', 'Expected a function');
    }
    this.#onError = options.onError;

    if (options.client !== undefined) {
      if (
        typeof options.client !== 'object' ||
        options.client === null ||
        typeof (options.client as { send?: unknown }).send !== 'function'
      ) {
        throw invalid('client', 'Expected an SQSClient');
      }
      if (
        options.region !== undefined ||
        options.endpoint !== undefined ||
        options.credentials !== undefined
      ) {
        throw invalid(
          'client',
          'Give either client or region (with endpoint, credentials), not both',
        );
      }
      this.#client = options.client;
      this.#owned = false;
      this.#clientConfig = {};
    } else {
      if (typeof options.region !== 'string' || options.region.trim() === '') {
        throw invalid('(root)', 'Expected client, or region (with endpoint and credentials)');
      }
      const config: SQSClientConfig = { region: options.region };
      if (options.endpoint !== undefined) {
        config.endpoint = checkHttpUrl('endpoint', options.endpoint);
      }
      if (options.credentials !== undefined) config.credentials = options.credentials;
      this.#clientConfig = config;
      this.#client = new SQSClient(config);
      this.#owned = true;
    }
  }

  /**
   * Creates both queues if they are missing (named after the last segment of their URLs, in the
   * client's region) and sets the main queue's redrive policy to the dead-letter queue, with
   * `maxReceiveCount`. Opt-in, for tests and first runs (the command line never calls it); in
   * production the queues are usually made by infrastructure code. The queue URLs of the options must be the
   * ones SQS gives the created queues.
   *
   * @param options - `maxReceiveCount`: deliveries before SQS moves a message to the
   *   dead-letter queue (1-1000). @defaultValue `{ maxReceiveCount: 5 }`
   */
  async ensureQueues(options: { maxReceiveCount?: number | undefined } = {}): Promise<void> {
    const maxReceiveCount = integer(
      'maxReceiveCount',
      options.maxReceiveCount,
      5,
      1,
      1000,
      'ensureQueues options',
    );
    await this.#client.send(new CreateQueueCommand({ QueueName: queueName(this.#queueUrl) }));
    await this.#client.send(
      new CreateQueueCommand({ QueueName: queueName(this.#deadLetterQueueUrl) }),
    );
    const dead = await this.#client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.#deadLetterQueueUrl,
        AttributeNames: ['QueueArn'],
      }),
    );
    const deadLetterTargetArn = dead.Attributes?.QueueArn;
    if (deadLetterTargetArn === undefined) {
      throw new Error('SQS did not return the QueueArn of the dead-letter queue');
    }
    await this.#client.send(
      new SetQueueAttributesCommand({
        QueueUrl: this.#queueUrl,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn, maxReceiveCount }) },
      }),
    );
  }

  /**
   * Sends tasks (validated first; none is sent if one is invalid or too large) with
   * `SendMessageBatch`. Standard queues cannot deduplicate: a task enqueued twice is delivered
   * twice (the sinks make that harmless). If SQS keeps refusing some messages, the tasks of the
   * earlier batches stay sent.
   *
   * @throws CanvasTaskValidationError if a task is invalid, or larger than the queue's
   *   `MaximumMessageSize` (then nothing is sent).
   * @throws SqsEnqueueError if SQS refused messages after the retries.
   */
  async enqueue(
    tasks: SyncTask | readonly SyncTask[],
    options: EnqueueOptions = {},
  ): Promise<void> {
    const delayMs = options.delayMs ?? 0;
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || !(delayMs >= 0)) {
      throw invalid('delayMs', 'Expected a finite number ≥ 0', 'enqueue options');
    }
    const list: readonly unknown[] = Array.isArray(tasks) ? tasks : [tasks];
    const parsed = list.map((task, index) => {
      try {
        return parseTask(task);
      } catch (error) {
        if (!(error instanceof CanvasTaskValidationError) || !Array.isArray(tasks)) throw error;
        throw new CanvasTaskValidationError({ issues: error.issues.map(atIndex(index)) });
      }
    });
    const now = Date.now();
    const outgoing = parsed.map((task): Outgoing => {
      const notBefore = task.notBefore === undefined ? now : Date.parse(task.notBefore);
      const wait = Math.max(delayMs, notBefore - now, 0);
      const payload: SyncTask =
        delayMs > 0 ? { ...task, notBefore: new Date(now + wait).toISOString() } : task;
      return { body: taskBody(payload), delaySeconds: this.#delaySeconds(wait) };
    });
    if (outgoing.length === 0) return;
    const maxBytes = await this.#maxBytes();
    const issues: TaskIssue[] = [];
    outgoing.forEach((message, index) => {
      const bytes = Buffer.byteLength(message.body, 'utf8') + ATTRIBUTE_RESERVE_BYTES;
      if (bytes > maxBytes) {
        issues.push({
          path: Array.isArray(tasks) ? `[${index}]` : '(root)',
          message: `Too large for the SQS queue: ${bytes} bytes as a message (${ATTRIBUTE_RESERVE_BYTES} kept for attributes), over the queue's MaximumMessageSize of ${maxBytes} bytes`,
        });
      }
    });
    if (issues.length > 0) throw new CanvasTaskValidationError({ issues });
    await this.#sendAll(this.#queueUrl, outgoing);
  }

  /** Publishes a payload without validating it (for tests: it is validated on delivery). */
  async enqueueRaw(payload: unknown): Promise<void> {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    await this.#client.send(
      new SendMessageCommand({ QueueUrl: this.#queueUrl, MessageBody: body ?? String(payload) }),
    );
  }

  /** Starts long-polling the queue with up to `concurrency` handlers; resolves at once. */
  async consume(handler: TaskHandler, options: ConsumeOptions): Promise<void> {
    if (typeof handler !== 'function') {
      throw invalid('handler', 'Expected a function', 'consume arguments');
    }
    const concurrency = options?.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw invalid('options.concurrency', 'Expected a positive integer', 'consume arguments');
    }
    if (this.#closing !== undefined) {
      throw invalid('(root)', 'The adapter is closed', 'consume call');
    }
    if (this.#handler !== undefined) {
      throw invalid('(root)', 'The adapter already has a consumer', 'consume call');
    }
    this.#handler = handler;
    this.#concurrency = concurrency;
    this.#stop = new AbortController();
    this.#polling = this.#poll(this.#stop.signal);
  }

  /**
   * Stops polling (an outstanding long poll is aborted) and waits for the handlers in flight;
   * destroys the client if the adapter created it. With `drain: true`, first waits until the
   * queue shows no visible and no in-flight message and no handler runs; delayed messages stay in
   * SQS. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.drain === true);
    return this.#closing;
  }

  async #close(drain: boolean): Promise<void> {
    if (drain && this.#polling !== undefined) {
      for (;;) {
        if (this.#active === 0) {
          const counts = await this.#counts(this.#client, this.#queueUrl).catch(() => undefined);
          if (
            counts !== undefined &&
            counts.visible + counts.notVisible === 0 &&
            this.#active === 0
          )
            break;
        }
        await delay(DRAIN_POLL_MS);
      }
    }
    this.#stop?.abort();
    this.#slotFreed?.();
    await this.#polling;
    while (this.#running.size > 0) await Promise.all([...this.#running]);
    if (this.#owned) this.#client.destroy();
  }

  /**
   * The dead letters, oldest first (by the time SQS received the message): the JSON dead letters
   * the adapter wrote, and the raw tasks SQS's redrive policy moved there (reason
   * `'max-receive-count'`, `attempts` from the main queue's `maxReceiveCount`, or else from
   * `ApproximateReceiveCount`; `deadAt` is the message's original send time, as SQS keeps no time
   * of the move). SQS cannot browse: the messages are received, hidden for 30 s, and made visible
   * again before this resolves; messages hidden meanwhile by another reader are missed
   * (best-effort on a busy queue). Each listing adds one to their `ApproximateReceiveCount`.
   */
  deadLetters(): Promise<DeadLetter[]> {
    return this.#withClient(async (client) => {
      const listed = await this.#listDead(client);
      await this.#release(
        client,
        this.#deadLetterQueueUrl,
        listed.map(({ message }) => message),
      );
      return listed.map(({ letter }) => letter);
    });
  }

  /**
   * Sends the dead letters holding a valid task back to the queue (retries reset, no delay) and
   * deletes them from the dead-letter queue; returns how many. Malformed payloads stay dead.
   */
  replayDeadLetters(): Promise<number> {
    return this.#withClient(async (client) => {
      const listed = await this.#listDead(client);
      const keep: Message[] = [];
      let moved = 0;
      for (const { message, letter } of listed) {
        let task: SyncTask | undefined;
        try {
          task = letter.task === undefined ? undefined : parseTask(letter.task);
        } catch {
          task = undefined;
        }
        if (task === undefined) {
          keep.push(message);
          continue;
        }
        await this.#sendAll(
          this.#queueUrl,
          [{ body: taskBody(taskForReplay(task)), delaySeconds: 0 }],
          client,
        );
        await client.send(
          new DeleteMessageCommand({
            QueueUrl: this.#deadLetterQueueUrl,
            ReceiptHandle: message.ReceiptHandle,
          }),
        );
        moved++;
      }
      await this.#release(client, this.#deadLetterQueueUrl, keep);
      return moved;
    });
  }

  /**
   * SQS's approximate counts: `queued` (`ApproximateNumberOfMessages`), `inFlight`
   * (`…NotVisible`: received by any consumer and not yet deleted), `delayed` (`…Delayed`) of the
   * queue, and `deadLetters` (all three of the dead-letter queue). Approximate: SQS computes
   * them from a sample, and they lag behind by up to a minute on AWS.
   */
  stats(): Promise<QueueStats> {
    return this.#withClient(async (client) => {
      const [main, dead] = await Promise.all([
        this.#counts(client, this.#queueUrl),
        this.#counts(client, this.#deadLetterQueueUrl),
      ]);
      return {
        queued: main.visible,
        inFlight: main.notVisible,
        delayed: main.delayed,
        deadLetters: dead.visible + dead.notVisible + dead.delayed,
      };
    });
  }

  /**
   * Runs a read with the client; after `close()`, with a short-lived client of the same
   * configuration (when the adapter owned its client), so that `stats()` and `deadLetters()`
   * still answer once the adapter is closed.
   */
  async #withClient<T>(read: (client: SQSClient) => Promise<T>): Promise<T> {
    if (this.#closing === undefined || !this.#owned) return read(this.#client);
    await this.#closing;
    const client = new SQSClient(this.#clientConfig);
    try {
      return await read(client);
    } finally {
      client.destroy();
    }
  }

  async #counts(
    client: SQSClient,
    queueUrl: string,
  ): Promise<{ visible: number; notVisible: number; delayed: number }> {
    const { Attributes: attributes = {} } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: count(attributes.ApproximateNumberOfMessages),
      notVisible: count(attributes.ApproximateNumberOfMessagesNotVisible),
      delayed: count(attributes.ApproximateNumberOfMessagesDelayed),
    };
  }

  /** The queue's `MaximumMessageSize`, read once (a failed read is tried again next time). */
  #maxBytes(): Promise<number> {
    this.#maxMessageBytes ??= this.#client
      .send(
        new GetQueueAttributesCommand({
          QueueUrl: this.#queueUrl,
          AttributeNames: ['MaximumMessageSize'],
        }),
      )
      .then((output) => {
        const value = Number(output.Attributes?.MaximumMessageSize);
        return Number.isInteger(value) && value > 0 ? value : DEFAULT_MAX_MESSAGE_BYTES;
      })
      .catch((error: unknown) => {
        this.#maxMessageBytes = undefined;
        throw error;
      });
    return this.#maxMessageBytes;
  }

  /** `DelaySeconds` for a wait in ms: rounded up, capped (the rest is a hop, see notBefore). */
  #delaySeconds(ms: number): number {
    return Math.min(Math.ceil(Math.max(ms, 0) / 1000), this.#maxDelaySeconds);
  }

  /**
   * Sends messages in batches of at most 10 (and 256 KiB); refused entries are sent again (up to
   * {@link SEND_RETRIES} times, with a short backoff) unless SQS says they can never succeed.
   */
  async #sendAll(
    queueUrl: string,
    messages: readonly Outgoing[],
    client: SQSClient = this.#client,
  ): Promise<void> {
    for (const batch of batches(messages)) {
      let pending = batch.map((message, index) => ({ id: `m${index}`, message }));
      let codes: string[] = [];
      for (let round = 0; pending.length > 0; round++) {
        if (round > SEND_RETRIES) throw new SqsEnqueueError(pending.length, codes);
        if (round > 0) await delay(50 * 2 ** (round - 1));
        const output = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: pending.map(({ id, message }) => entry(id, message)),
          }),
        );
        const failed = output.Failed ?? [];
        codes = failed.map((failure) => failure.Code ?? 'unknown');
        const permanent = failed.filter((failure) => failure.SenderFault === true);
        if (permanent.length > 0) {
          throw new SqsEnqueueError(
            failed.length,
            permanent.map((failure) => failure.Code ?? 'unknown'),
          );
        }
        const failedIds = new Set(failed.map((failure) => failure.Id));
        pending = pending.filter(({ id }) => failedIds.has(id));
      }
    }
  }

  async #poll(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      if (this.#active >= this.#concurrency) {
        await new Promise<void>((resolve) => {
          this.#slotFreed = resolve;
        });
        this.#slotFreed = undefined;
        continue;
      }
      let messages: Message[];
      try {
        const output = await this.#client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.#queueUrl,
            MaxNumberOfMessages: Math.min(10, this.#concurrency - this.#active),
            WaitTimeSeconds: this.#waitTimeSeconds,
            VisibilityTimeout: this.#visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['All'],
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        messages = output.Messages ?? [];
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        this.#report(error, 'receive');
        const backoff = Math.min(POLL_BACKOFF_FIRST_MS * 2 ** (failures - 1), POLL_BACKOFF_MAX_MS);
        await delay(backoff, signal).catch(() => undefined);
        continue;
      }
      if (signal.aborted) {
        await this.#release(this.#client, this.#queueUrl, messages);
        break;
      }
      for (const message of messages) this.#start(message);
    }
  }

  #start(message: Message): void {
    this.#active++;
    const running: Promise<void> = this.#deliver(message)
      .catch(() => undefined)
      .finally(() => {
        this.#active--;
        this.#running.delete(running);
        this.#slotFreed?.();
      });
    this.#running.add(running);
  }

  async #deliver(message: Message): Promise<void> {
    const body = message.Body ?? '';
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      payload = body;
    }
    const before = deliveriesBefore(message);
    const received = Math.max(count(message.Attributes?.ApproximateReceiveCount), 1);
    let task: SyncTask;
    try {
      task = parseTask(payload);
    } catch (error) {
      await this.#settle(message, 'dead-letter', () =>
        this.#sendDeadLetter(invalidLetter(payload, error, 0, new Date().toISOString())),
      );
      return;
    }
    const remaining = task.notBefore === undefined ? 0 : Date.parse(task.notBefore) - Date.now();
    if (remaining > 0) {
      // Received before its time (a delay over SQS's cap): the next hop, unseen by the handler.
      await this.#settle(message, 'delay-hop', () =>
        this.#sendAll(this.#queueUrl, [
          {
            body: taskBody(task),
            delaySeconds: this.#delaySeconds(remaining),
            deliveries: before + received - 1,
          },
        ]),
      );
      return;
    }
    const attempt = before + received;
    const result = await this.#run(task, attempt, message);
    switch (result.type) {
      case 'ack':
        await this.#settle(message, 'ack', async () => undefined);
        return;
      case 'retry': {
        const next = taskForRetry(task, result, new Date());
        await this.#settle(message, 'retry', () =>
          this.#sendAll(this.#queueUrl, [
            {
              body: taskBody(next),
              delaySeconds: this.#delaySeconds(result.delayMs),
              deliveries: attempt,
            },
          ]),
        );
        return;
      }
      case 'dead-letter': {
        const letter: DeadLetter = {
          task,
          reason: result.reason,
          attempts: attempt,
          deadAt: new Date().toISOString(),
        };
        if (result.code !== undefined) letter.code = result.code;
        if (result.detail !== undefined) letter.detail = result.detail;
        await this.#settle(message, 'dead-letter', () => this.#sendDeadLetter(letter));
        return;
      }
    }
  }

  /** Runs `before` (a send), then deletes the message; a failure is reported, never thrown. */
  async #settle(message: Message, operation: SqsOperation, before: () => Promise<void>) {
    try {
      await before();
      await this.#client.send(
        new DeleteMessageCommand({
          QueueUrl: this.#queueUrl,
          ReceiptHandle: message.ReceiptHandle,
        }),
      );
    } catch (error) {
      // Not deleted: SQS delivers the message again once its visibility timeout ends.
      this.#report(error, operation);
    }
  }

  async #sendDeadLetter(letter: DeadLetter): Promise<void> {
    await this.#sendAll(this.#deadLetterQueueUrl, [
      { body: JSON.stringify(scrubDeadLetter(letter)), delaySeconds: 0, deadLetter: true },
    ]);
  }

  async #run(task: SyncTask, attempt: number, message: Message): Promise<HandlerResult> {
    const everyMs = (this.#visibilityTimeoutSeconds * 1000) / 2;
    const timer = setInterval(() => {
      this.#client
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: this.#queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: this.#visibilityTimeoutSeconds,
          }),
        )
        .catch((error: unknown) => this.#report(error, 'extend-visibility'));
    }, everyMs);
    try {
      return await runHandler(
        this.#handler,
        { task, attempt, raw: message },
        { onHandlerError: this.#onHandlerError, handlerErrorDelayMs: this.#handlerErrorDelayMs },
      );
    } finally {
      clearInterval(timer);
    }
  }

  /** Makes messages visible again (visibility 0); a failure is reported. */
  async #release(client: SQSClient, queueUrl: string, messages: readonly Message[]) {
    for (let start = 0; start < messages.length; start += 10) {
      const chunk = messages.slice(start, start + 10);
      try {
        await client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((message, index) => ({
              Id: `m${index}`,
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        );
      } catch (error) {
        this.#report(error, 'release');
      }
    }
  }

  /** Receives every message of the dead-letter queue (hidden for a while), oldest first. */
  async #listDead(client: SQSClient): Promise<Listed[]> {
    const expected = (await this.#counts(client, this.#deadLetterQueueUrl)).visible;
    if (expected === 0) return [];
    const maxReceiveCount = await this.#maxReceiveCount(client);
    const listed: Listed[] = [];
    const seen = new Set<string>();
    while (listed.length < expected) {
      const output = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: LIST_VISIBILITY_SECONDS,
          MessageSystemAttributeNames: ['All'],
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = output.Messages ?? [];
      if (messages.length === 0) break;
      for (const message of messages) {
        const id = message.MessageId ?? message.ReceiptHandle ?? '';
        if (seen.has(id)) continue;
        seen.add(id);
        listed.push({
          message,
          letter: readDeadLetter(message, maxReceiveCount),
          sentAt: count(message.Attributes?.SentTimestamp),
        });
      }
    }
    // Stable: messages sent in the same millisecond keep the order SQS returned them in.
    return listed.sort((a, b) => a.sentAt - b.sentAt);
  }

  /** The main queue's redrive `maxReceiveCount`, if it has a redrive policy. */
  async #maxReceiveCount(client: SQSClient): Promise<number | undefined> {
    try {
      const output = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.#queueUrl,
          AttributeNames: ['RedrivePolicy'],
        }),
      );
      const policy = output.Attributes?.RedrivePolicy;
      if (policy === undefined) return undefined;
      const value = Number((JSON.parse(policy) as { maxReceiveCount?: unknown }).maxReceiveCount);
      return Number.isInteger(value) && value > 0 ? value : undefined;
    } catch {
      return undefined;
    }
  }

  #report(error: unknown, operation: SqsOperation): void {
    try {
      this.#onError?.(error, operation);
    } catch {
      // A failing hook must not stop the adapter.
    }
  }
}

/** The JSON of a task, with the two noncharacters SQS refuses escaped (still the same JSON). */
function taskBody(task: SyncTask): string {
  return JSON.stringify(task).replace(
    /[\uFFFE\uFFFF]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16)}`,
  );
}

function entry(id: string, message: Outgoing): SendMessageBatchRequestEntry {
  const attributes: Record<string, MessageAttributeValue> = {};
  if (message.deliveries !== undefined && message.deliveries > 0) {
    attributes[DELIVERIES_ATTRIBUTE] = {
      DataType: 'Number',
      StringValue: String(message.deliveries),
    };
  }
  if (message.deadLetter === true) {
    attributes[DEAD_LETTER_ATTRIBUTE] = { DataType: 'String', StringValue: '1' };
  }
  return {
    Id: id,
    MessageBody: message.body,
    ...(message.delaySeconds > 0 ? { DelaySeconds: message.delaySeconds } : {}),
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
  };
}

/** Groups messages by 10, without a batch's bodies passing {@link MAX_BATCH_BYTES}. */
function batches(messages: readonly Outgoing[]): Outgoing[][] {
  const groups: Outgoing[][] = [];
  let current: Outgoing[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body, 'utf8') + ATTRIBUTE_RESERVE_BYTES;
    if (current.length === 10 || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function deliveriesBefore(message: Message): number {
  const value = Number(message.MessageAttributes?.[DELIVERIES_ATTRIBUTE]?.StringValue);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/** What a dead-letter queue message says: a dead letter of ours, or a raw payload SQS moved. */
function readDeadLetter(message: Message, maxReceiveCount: number | undefined): DeadLetter {
  const body = message.Body ?? '';
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    payload = body;
  }
  if (message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTE] !== undefined && isDeadLetter(payload)) {
    return payload;
  }
  const sentAt = count(message.Attributes?.SentTimestamp);
  const deadAt = new Date(sentAt > 0 ? sentAt : Date.now()).toISOString();
  // Received maxReceiveCount times before the move (this listing's receive not counted).
  const received =
    maxReceiveCount ?? Math.max(count(message.Attributes?.ApproximateReceiveCount) - 1, 1);
  const attempts = deliveriesBefore(message) + received;
  try {
    return scrubDeadLetter({
      task: parseTask(payload),
      reason: 'max-receive-count',
      attempts,
      deadAt,
    });
  } catch (error) {
    return scrubDeadLetter({
      ...invalidLetter(payload, error, attempts, deadAt),
      reason: 'max-receive-count',
    });
  }
}

function isDeadLetter(value: unknown): value is DeadLetter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const letter = value as Record<string, unknown>;
  return (
    typeof letter.reason === 'string' &&
    typeof letter.attempts === 'number' &&
    typeof letter.deadAt === 'string'
  );
}

function invalidLetter(
  payload: unknown,
  error: unknown,
  attempts: number,
  deadAt: string,
): DeadLetter {
  const issues =
    error instanceof CanvasTaskValidationError
      ? error.issues.map((issue) => ({ ...issue }))
      : [{ path: '(root)', message: 'Could not be validated' }];
  return {
    raw: rawForDeadLetter(payload),
    reason: 'invalid-task',
    code: 'TASK_VALIDATION',
    issues,
    attempts,
    deadAt,
  };
}

function atIndex(index: number): (issue: TaskIssue) => TaskIssue {
  return (issue) => ({
    path: issue.path === '(root)' ? `[${index}]` : `[${index}].${issue.path}`,
    message: issue.message,
  });
}

function count(value: string | undefined): number {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : 0;
}

function queueName(url: string): string {
  return new URL(url).pathname.split('/').pop() ?? '';
}

function checkQueueUrl(path: string, value: unknown): string {
  const url = checkHttpUrl(path, value);
  const name = queueName(url);
  if (name.endsWith('.fifo')) {
    throw invalid(path, 'FIFO queues are not supported: SqsQueueAdapter works on standard queues');
  }
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw invalid(path, 'Expected a queue URL ending in the queue name (…/<account-id>/<name>)');
  }
  return url;
}

function checkHttpUrl(path: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(path, 'Expected an http(s) URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(path, 'Expected an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(path, 'Expected an http(s) URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid(path, 'Credentials do not belong in the URL: use credentials or the SDK chain');
  }
  return value;
}

function integer(
  path: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  what?: string,
): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < min || result > max) {
    throw invalid(path, `Expected a whole number from ${min} to ${max}`, what);
  }
  return result;
}

function invalid(path: string, message: string, what = 'SQS queue options'): CanvasOptionsError {
  return new CanvasOptionsError({ what, issues: [{ path, message }] });
}
