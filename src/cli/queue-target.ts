/**
 * The broker of a fleet (`--queue`): which adapter a URL names, and opening it. The adapters'
 * client libraries (bullmq, amqplib, @aws-sdk/client-sqs) are optional peers: each is loaded
 * only when its URL is given, with a clear message when it is not installed.
 */
import { CanvasOptionsError } from '../errors/index.js';
import type { QueueAdapter } from '../index.js';
import { parseSqsQueueTarget } from '../queue/sqs/sqs-target.js';
import { redactUrl } from './redact.js';
import { UsageError } from './settings-error.js';

/** The brokers `--queue` can name. */
export type BrokerKind = 'bullmq' | 'rabbitmq' | 'sqs';

/** A broker named by `--queue`, checked but not yet opened. */
export interface QueueChoice {
  readonly kind: BrokerKind;
  /** The URL as given (it may hold a password: never print it unredacted). */
  readonly url: string;
  /** The queue's name (`--queue-name`); SQS takes it from the URL. */
  readonly name: string;
}

/** The default `--queue-name`. */
export const DEFAULT_QUEUE_NAME = 'canvas-sync';

const SCHEMES: Readonly<Record<string, BrokerKind>> = {
  'redis:': 'bullmq',
  'rediss:': 'bullmq',
  'amqp:': 'rabbitmq',
  'amqps:': 'rabbitmq',
  'sqs:': 'sqs',
};

/** The usage line of the `--queue` forms. */
export const QUEUE_FORMS =
  'redis://host:6379 (BullMQ), amqp://user:password@host:5672/vhost (RabbitMQ) or ' +
  'sqs://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE (Amazon SQS)';

/**
 * Reads `--queue` and `--queue-name`.
 * @throws UsageError for a URL that names no broker, an SQS target that is not one (checked here,
 *   before anything is opened), or a bad name (never quoting a password).
 */
export function parseQueueChoice(url: string, name: string | undefined): QueueChoice {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--queue must be a URL: ${QUEUE_FORMS}`);
  }
  const kind = SCHEMES[parsed.protocol];
  if (kind === undefined) {
    throw new UsageError(`--queue ${redactUrl(url)}: expected ${QUEUE_FORMS}`);
  }
  if (kind === 'sqs') {
    if (name !== undefined) {
      throw new UsageError(
        '--queue-name: an SQS queue is named by its URL (sqs://…/ACCOUNT/QUEUE)',
      );
    }
    try {
      parseSqsQueueTarget(url);
    } catch (error) {
      // Its message names what is wrong, never quoting the text (which may hold a credential).
      if (error instanceof CanvasOptionsError) throw new UsageError(`--queue: ${error.message}`);
      throw error;
    }
  }
  const queueName = name ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(queueName)) {
    throw new UsageError(
      `--queue-name must be letters, digits, _ . and -, from a letter or digit, at most 100, not "${queueName}"`,
    );
  }
  if (kind === 'rabbitmq' && queueName.startsWith('amq.')) {
    throw new UsageError(
      `--queue-name must not start with "amq." on RabbitMQ (reserved by the broker), not "${queueName}"`,
    );
  }
  return { kind, url, name: queueName };
}

/** How the command line opens a broker. */
export interface OpenQueueOptions {
  /**
   * How long a delivery is held before the broker gives it to another worker if this one dies
   * (SQS's visibility timeout; BullMQ's lock, and how often its workers look for expired locks:
   * a live worker takes a dead one's task one to two leases after its lock expired), in ms; the
   * adapter's default when `undefined`. RabbitMQ redelivers when the connection drops, whatever
   * this says.
   */
  readonly leaseMs?: number | undefined;
  /** Told of an adapter's own events worth a log line (reconnecting, an ack timeout …). */
  readonly onNotice?: ((text: string) => void) | undefined;
}

/** Loads an adapter's module, turning a missing peer dependency into a usage error. */
async function load<T>(choice: QueueChoice, module: () => Promise<T>, peer: string): Promise<T> {
  try {
    return await module();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new UsageError(
        `--queue ${redactUrl(choice.url)} needs ${peer}: npm install ${peer} (an optional peer dependency of canvas-sync)`,
      );
    }
    throw error;
  }
}

/** Opens the broker `choice` names; the caller closes it. */
export async function openQueue(
  choice: QueueChoice,
  options: OpenQueueOptions = {},
): Promise<QueueAdapter> {
  const { leaseMs, onNotice } = options;
  switch (choice.kind) {
    case 'bullmq': {
      const { BullMQQueueAdapter } = await load(
        choice,
        () => import('../queue/bullmq/index.js'),
        'bullmq ioredis',
      );
      return new BullMQQueueAdapter({
        name: choice.name,
        url: choice.url,
        // BullMQ's check for expired locks runs every stalledIntervalMs (30 s by default): with
        // the lock alone, a dead worker's tasks would wait for it, up to two intervals.
        ...(leaseMs === undefined ? {} : { lockDurationMs: leaseMs, stalledIntervalMs: leaseMs }),
        ...(onNotice === undefined ? {} : { onError: (error) => onNotice(messageOf(error)) }),
      });
    }
    case 'rabbitmq': {
      const { RabbitMQQueueAdapter } = await load(
        choice,
        () => import('../queue/rabbitmq/index.js'),
        'amqplib',
      );
      return new RabbitMQQueueAdapter({
        name: choice.name,
        url: choice.url,
        ...(onNotice === undefined
          ? {}
          : { onEvent: (event) => onNotice(`${event.type}: ${event.message}`) }),
      });
    }
    case 'sqs': {
      const { SqsQueueAdapter, parseSqsQueueTarget } = await load(
        choice,
        () => import('../queue/sqs/index.js'),
        '@aws-sdk/client-sqs',
      );
      const target = parseSqsQueueTarget(choice.url);
      return new SqsQueueAdapter({
        ...target,
        ...(leaseMs === undefined
          ? {}
          : { visibilityTimeoutSeconds: Math.max(1, Math.ceil(leaseMs / 1000)) }),
        ...(onNotice === undefined
          ? {}
          : { onError: (error, operation) => onNotice(`${operation}: ${messageOf(error)}`) }),
      });
    }
  }
}

/** An error's message, for a notice line. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
