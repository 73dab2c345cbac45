/**
 * The BullMQ queue adapter, on its own subpath (`canvas-sync/queue/bullmq`) so that only its
 * users load `bullmq` and `ioredis`.
 *
 * @module
 */
export { BullMQQueueAdapter, type BullMQQueueAdapterOptions } from './bullmq-adapter.js';
