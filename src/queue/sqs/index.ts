/**
 * The Amazon SQS queue adapter, on its own subpath (`canvas-sync/queue/sqs`) so that only its
 * users load `@aws-sdk/client-sqs`.
 *
 * @module
 */
export {
  SqsEnqueueError,
  type SqsOperation,
  SqsQueueAdapter,
  type SqsQueueAdapterOptions,
} from './sqs-adapter.js';
export { parseSqsQueueTarget, type SqsQueueTarget } from './sqs-target.js';
