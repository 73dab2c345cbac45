/**
 * The options of one call (`request`, `get`, `pages`, `paginate`), checked with zod through the
 * one options-validation path, like the constructor's: unknown keys are refused, and so is an
 * `Authorization` header, which would replace the client's token by another (a security
 * boundary: in `authMode: 'query'` the header would even travel beside the query token).
 *
 * @module
 */
import { z } from 'zod';
import { parseOptions } from '../errors/index.js';

/** The highest priority a request may have, and minus the lowest. */
export const MAX_PRIORITY = 1_000_000;

/** An optional integer in `[min, max]`, with one message for every way of missing it. */
function integerFrom(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return z
    .number({ error: message })
    .int({ error: message })
    .min(min, message)
    .max(max, message)
    .optional();
}

const shared = {
  // Checked where it is used: building the URL reports its own errors.
  searchParams: z.any().optional(),
  signal: z.instanceof(AbortSignal, { error: 'must be an AbortSignal' }).optional(),
  priority: integerFrom(-MAX_PRIORITY, MAX_PRIORITY),
};

const requestOptionsSchema = z.strictObject({
  ...shared,
  json: z.unknown().optional(),
  headers: z
    .record(z.string(), z.string(), { error: 'must be an object of header names to strings' })
    .refine(
      (headers) => !Object.keys(headers).some((name) => name.toLowerCase() === 'authorization'),
      {
        message: 'must not set Authorization (the client sends the token)',
      },
    )
    .optional(),
});

const paginateOptionsSchema = z.strictObject({
  ...shared,
  perPage: integerFrom(1, 100),
  itemsOf: z.function().optional(),
});

/**
 * Checks the options of one request.
 * @throws CanvasOptionsError naming each invalid field.
 * @internal
 */
export function checkRequestOptions(options: unknown): void {
  parseOptions(requestOptionsSchema, options, 'request options');
}

/**
 * Checks the options of one walk over a collection.
 * @throws CanvasOptionsError naming each invalid field.
 * @internal
 */
export function checkPaginateOptions(options: unknown): void {
  parseOptions(paginateOptionsSchema, options, 'pagination options');
}
