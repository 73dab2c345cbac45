/**
 * Idempotency: request keys and record de-duplication.
 *
 * @module
 */
export { type DedupeOptions, dedupe } from './dedupe.js';
export { canonicalRequest, type IdempotencyRequest, idempotencyKey } from './key.js';
