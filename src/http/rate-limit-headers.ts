/**
 * Parsing of the rate-limit headers Canvas sends on every response. Pure.
 *
 * @module
 */

/**
 * The rate-limit headers whose values are numbers, by their lower-case names.
 * @category Client
 */
export type RateLimitHeaderName = 'x-rate-limit-remaining' | 'x-request-cost';

/** A rate-limit header that was sent but is not a finite number (see {@link malformedRateLimitHeaders}). */
export interface MalformedRateLimitHeader {
  /** Which header. */
  readonly header: RateLimitHeaderName;
  /** Its raw text, untrimmed and uncut: truncate before logging it. */
  readonly text: string;
}

/** What one response says about the token's rate-limit bucket. */
export interface RateLimitHeaders {
  /**
   * `X-Rate-Limit-Remaining`: high-water mark minus the bucket's fill, in cost units. Can be
   * negative (down to `hwm - maximum`); `700` on an idle hosted instance. `undefined` when the
   * header is absent or not a number.
   */
  remaining: number | undefined;
  /**
   * `X-Request-Cost`: what this request cost, in cost units (CPU + database seconds, typically
   * 0.01 to a few units). Absent on throttled responses. `undefined` when absent or not a number.
   */
  cost: number | undefined;
  /**
   * `X-Request-Context-Id`: Canvas's id of this request (a UUID), for logs and support tickets.
   * `undefined` when absent, or when it is not a plausible id (1–128 characters of letters,
   * digits and `-_.:`), so that a hostile proxy cannot inject text into logs.
   */
  requestContextId: string | undefined;
}

/**
 * A decimal float with optional sign, fraction and exponent: what Ruby's `Float#to_s` prints
 * (`700.0`, `-2.0`, `5.0e-05`, `1.0e+16`) and what a proxy might send (`12`, `.5`).
 */
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

const REQUEST_CONTEXT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Parses a float as Canvas prints it in `X-Rate-Limit-Remaining` and `X-Request-Cost`, strictly:
 * the whole text (surrounding whitespace aside) must be a finite decimal number.
 *
 * @param text - The header value; `null`/`undefined` (header absent) are accepted.
 * @returns The number, or `undefined` for absent, empty, partial (`12abc`), `NaN`, `Infinity`
 *   or overflowing input.
 *
 * @example
 * ```ts
 * parseCanvasFloat('700.0');   // 700
 * parseCanvasFloat('5.0e-05'); // 0.00005
 * parseCanvasFloat('-2.0');    // -2
 * parseCanvasFloat('12abc');   // undefined
 * ```
 */
export function parseCanvasFloat(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined) return undefined;
  const trimmed = text.trim();
  if (!FLOAT.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Reads `X-Rate-Limit-Remaining`, `X-Request-Cost` and `X-Request-Context-Id` from a response's
 * headers (names are case-insensitive). Missing or malformed values come back as `undefined`;
 * never throws.
 *
 * @example
 * ```ts
 * parseRateLimitHeaders(new Headers({ 'X-Rate-Limit-Remaining': '699.9', 'X-Request-Cost': '0.1' }));
 * // { remaining: 699.9, cost: 0.1, requestContextId: undefined }
 * ```
 */
export function parseRateLimitHeaders(headers: Headers): RateLimitHeaders {
  const contextId = headers.get('x-request-context-id')?.trim();
  return {
    remaining: parseCanvasFloat(headers.get('x-rate-limit-remaining')),
    cost: parseCanvasFloat(headers.get('x-request-cost')),
    requestContextId:
      contextId !== undefined && REQUEST_CONTEXT_ID.test(contextId) ? contextId : undefined,
  };
}

const NUMERIC_HEADERS: readonly RateLimitHeaderName[] = [
  'x-rate-limit-remaining',
  'x-request-cost',
];

/**
 * The rate-limit headers of a response that are present but that {@link parseCanvasFloat}
 * rejects (garbage, `NaN`, `Infinity`, `1e400`, empty): those {@link parseRateLimitHeaders}
 * reports as `undefined`, so that the pacer can report them without ever acting on them.
 *
 * @returns One entry per such header, in the order remaining, cost; `[]` for a sound response.
 *
 * @example
 * ```ts
 * malformedRateLimitHeaders(new Headers({ 'X-Rate-Limit-Remaining': 'lots' }));
 * // [{ header: 'x-rate-limit-remaining', text: 'lots' }]
 * ```
 */
export function malformedRateLimitHeaders(headers: Headers): MalformedRateLimitHeader[] {
  const found: MalformedRateLimitHeader[] = [];
  for (const header of NUMERIC_HEADERS) {
    const text = headers.get(header);
    if (text !== null && parseCanvasFloat(text) === undefined) found.push({ header, text });
  }
  return found;
}
