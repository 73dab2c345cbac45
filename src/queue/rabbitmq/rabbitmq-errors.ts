/**
 * The error and the events of {@link RabbitMQQueueAdapter}.
 *
 * @module
 */

/**
 * The machine-readable kind of a {@link RabbitMQQueueError}:
 *
 * - `AMQP_ACK_TIMEOUT`: the broker closed the consumer channel because a delivery was not acked
 *   within its `consumer_timeout`; the adapter reopened the channel and the broker delivers the
 *   task again (given to `onHandlerError`, once per task that was in flight on that channel);
 * - `AMQP_UNAVAILABLE`: no connection to RabbitMQ within `unavailableTimeoutMs` (an outage, a
 *   wrong host or port), or the connection passed in closed (the adapter cannot reopen it);
 * - `AMQP_ACCESS_REFUSED`: the broker refused the adapter's first connection (a wrong user or
 *   password, a virtual host that does not exist or that the user may not use): at once, not
 *   retried, since waiting would not fix it;
 * - `AMQP_PUBLISH_NACKED`: the broker refused (nacked) a published message;
 * - `AMQP_CHANNEL_CLOSED`: the channel closed before the broker confirmed every message of an
 *   `enqueue` (some may be enqueued: enqueueing again is safe, a duplicate is harmless);
 * - `AMQP_CLOSED`: the adapter was closed.
 * @category Pipeline
 */
export type RabbitMQQueueErrorCode =
  | 'AMQP_ACK_TIMEOUT'
  | 'AMQP_UNAVAILABLE'
  | 'AMQP_ACCESS_REFUSED'
  | 'AMQP_PUBLISH_NACKED'
  | 'AMQP_CHANNEL_CLOSED'
  | 'AMQP_CLOSED';

/**
 * An error of {@link RabbitMQQueueAdapter}. Its message never holds the connection URL (nor its
 * password).
 * @category Pipeline
 */
export class RabbitMQQueueError extends Error {
  /** The class's name, for logs and serialized errors. */
  override readonly name = 'RabbitMQQueueError';
  /** What went wrong, see {@link RabbitMQQueueErrorCode}. */
  readonly code: RabbitMQQueueErrorCode;

  /**
   * @param code - What went wrong.
   * @param message - A short message, without the connection URL.
   */
  constructor(code: RabbitMQQueueErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Something about the RabbitMQ connection that users should log, from the adapter's `onEvent`;
 * each has a `type` and a one-line `message` (never the URL):
 *
 * - `disconnected`: the connection dropped (e.g. a broker restart); the adapter reconnects
 *   (when it made the connection from `url`);
 * - `reconnecting`: a connection attempt failed; the next one in `delayMs`;
 * - `reconnected`: connected again after `attempts` failed attempts; the queues are asserted
 *   again and consuming resumes;
 * - `ack-timeout`: the broker closed the consumer channel because a delivery stayed unacked
 *   longer than its `consumer_timeout`; `tasks` handlers were running on it (their tasks are
 *   delivered again); the channel is reopened;
 * - `channel-closed`: another channel closed by the broker (`which` says which), reopened;
 * - `stale-delivery`: a handler finished after the channel of its delivery closed: its result
 *   (ack, retry or dead letter) is dropped, since the broker delivers the task again.
 * @category Pipeline
 */
export type RabbitMQQueueEvent =
  | {
      /** The connection dropped. */
      type: 'disconnected';
      /** A one-line description, never the URL. */
      message: string;
    }
  | {
      /** A connection attempt failed. */
      type: 'reconnecting';
      /** The attempts that failed so far. */
      attempt: number;
      /** The wait before the next attempt, in milliseconds. */
      delayMs: number;
      /** A one-line description, never the URL. */
      message: string;
    }
  | {
      /** Connected again. */
      type: 'reconnected';
      /** The attempts that failed before this one. */
      attempts: number;
      /** A one-line description, never the URL. */
      message: string;
    }
  | {
      /** The broker closed the consumer channel for a delivery unacked past `consumer_timeout`. */
      type: 'ack-timeout';
      /** The handlers that were running on that channel. */
      tasks: number;
      /** A one-line description, never the URL. */
      message: string;
    }
  | {
      /** Another channel was closed by the broker, and reopened. */
      type: 'channel-closed';
      /** Which channel. */
      which: 'consumer' | 'publisher';
      /** A one-line description, never the URL. */
      message: string;
    }
  | {
      /** A handler finished after the channel of its delivery closed. */
      type: 'stale-delivery';
      /** The task's key. */
      key: string;
      /** The dropped result. */
      result: 'ack' | 'retry' | 'dead-letter';
      /** A one-line description, never the URL. */
      message: string;
    };
