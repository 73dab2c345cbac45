/**
 * The error thrown by `FerpaSanitizer.sanitize` for input it cannot sanitize safely.
 *
 * @module
 */
import { CanvasSyncError } from '../errors/index.js';

/**
 * Why a value could not be sanitized: `'too-deep'` (objects and arrays nested deeper than
 * `maxDepth`), `'cycle'` (the value refers to itself), `'not-json'` (a function, BigInt, symbol
 * or class instance such as a `Date` or `Map` where JSON data was expected).
 * @category Privacy
 */
export type SanitizeFailureReason = 'too-deep' | 'cycle' | 'not-json';

/** Options of the {@link CanvasSanitizeError} constructor. */
export interface CanvasSanitizeErrorOptions {
  /** Why the value could not be sanitized. */
  reason: SanitizeFailureReason;
  /** The sanitizer's `maxDepth` (levels of nested objects and arrays accepted). */
  maxDepth: number;
  /**
   * For `'not-json'`: the kind of value found (`'function'`, `'bigint'`, `'symbol'`, or a class
   * name such as `'Date'`), never the value itself.
   */
  valueType?: string | undefined;
}

const MAX_TYPE_LENGTH = 40;

/**
 * `FerpaSanitizer.sanitize` was given a value that is not JSON data, or nested deeper than its
 * `maxDepth`. Thrown instead of a `RangeError`, a hang or a silent pass. It never quotes the
 * input: no value, no field name, no path (keys can be data too, e.g. emails as keys).
 * @category Errors
 */
export class CanvasSanitizeError extends CanvasSyncError {
  override readonly name = 'CanvasSanitizeError';
  override readonly code = 'SANITIZE_FAILED';
  /** Why the value could not be sanitized. */
  readonly reason: SanitizeFailureReason;
  /** The sanitizer's `maxDepth`. */
  readonly maxDepth: number;
  /** For `'not-json'`: the kind of value found; absent otherwise. */
  declare readonly valueType?: string;

  constructor(options: CanvasSanitizeErrorOptions) {
    const valueType =
      options.valueType === undefined ? undefined : options.valueType.slice(0, MAX_TYPE_LENGTH);
    super({
      code: 'SANITIZE_FAILED',
      message: describe(options.reason, options.maxDepth, valueType),
    });
    this.reason = options.reason;
    this.maxDepth = options.maxDepth;
    if (valueType !== undefined) this.valueType = valueType;
  }
}

function describe(reason: SanitizeFailureReason, maxDepth: number, type?: string): string {
  switch (reason) {
    case 'too-deep':
      return `Cannot sanitize: objects and arrays nested deeper than ${maxDepth} levels (option maxDepth)`;
    case 'cycle':
      return 'Cannot sanitize: the value refers to itself (a cycle), which JSON cannot hold';
    default:
      return `Cannot sanitize: a value of type ${type ?? 'unknown'} is not JSON data`;
  }
}
