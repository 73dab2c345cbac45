import ky, { type KyInstance } from 'ky';
import type { FetchLike } from '../client-options.js';
import { CanvasAbortError, CanvasNetworkError, CanvasTimeoutError } from '../errors.js';
import { redactUrl } from './urls.js';

/** One HTTP attempt, as the transport sends it. */
export interface Attempt {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** Body sent as JSON. */
  readonly json?: unknown;
  /** Number of this attempt, 1 for the first (for error reporting). */
  readonly attempt: number;
  /** Aborts the attempt (user's signal or client shutdown). */
  readonly signal: AbortSignal | undefined;
  /** Time allowed for headers and body, in ms. */
  readonly timeoutMs: number;
  /** Called once the headers are in, before the body is read. */
  readonly onHeaders: (response: Response) => void;
}

/** What an attempt brought back. */
export interface AttemptResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** From sending to the headers, in ms. */
  readonly durationMs: number;
}

/**
 * Sends HTTP attempts with ky, one at a time, with ky's own retries and
 * timeouts off: the client's retry policy and pacer decide those. Failures
 * come out as {@link CanvasTimeoutError}, {@link CanvasAbortError} or
 * {@link CanvasNetworkError}; HTTP statuses are returned, not thrown.
 */
export class Transport {
  readonly #http: KyInstance;

  constructor(fetch: FetchLike) {
    this.#http = ky.create({
      retry: 0,
      timeout: false,
      throwHttpErrors: false,
      fetch,
    });
  }

  /** Sends one attempt and reads its whole body. */
  async send(attempt: Attempt): Promise<AttemptResult> {
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new Error('attempt timed out')),
      attempt.timeoutMs,
    );
    const signal =
      attempt.signal === undefined
        ? timeout.signal
        : AbortSignal.any([attempt.signal, timeout.signal]);
    const started = performance.now();
    try {
      const options: Parameters<KyInstance>[1] = {
        method: attempt.method,
        headers: attempt.headers,
        signal,
      };
      if (attempt.json !== undefined) options.json = attempt.json;
      const response = await this.#http(attempt.url, options);
      const durationMs = performance.now() - started;
      attempt.onHeaders(response);
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, durationMs };
    } catch (error) {
      const context = {
        method: attempt.method,
        url: redactUrl(attempt.url),
        attempts: attempt.attempt,
      };
      if (timeout.signal.aborted) {
        throw new CanvasTimeoutError({ ...context, timeoutMs: attempt.timeoutMs });
      }
      if (attempt.signal?.aborted)
        throw new CanvasAbortError({ method: context.method, url: context.url });
      throw new CanvasNetworkError({ ...context, cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
