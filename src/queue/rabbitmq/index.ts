/**
 * The RabbitMQ queue adapter, on its own subpath (`canvas-sync/queue/rabbitmq`) so that only its
 * users load `amqplib`.
 *
 * @module
 */
export {
  RabbitMQQueueAdapter,
  type RabbitMQQueueAdapterOptions,
  retryBucketMs,
} from './rabbitmq-adapter.js';
export {
  RabbitMQQueueError,
  type RabbitMQQueueErrorCode,
  type RabbitMQQueueEvent,
} from './rabbitmq-errors.js';
