import ky, { type KyInstance } from 'ky';
import {
  CanvasAbortError,
  CanvasBodyTooLargeError,
  CanvasNetworkError,
  CanvasRedirectError,
  CanvasTimeoutError,
} from '../errors/index.js';
import { redactUrl, sameOrigin } from './urls.js';

/**
 * A `fetch` implementation (the global one by default).
 * @category Client
 */
export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

/** The URL and headers of one hop, the token added (by header or by query parameter). */
export interface PreparedHop {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
}

/** One HTTP attempt, as the transport sends it. */
export interface Attempt {
  readonly method: string;
  /** The request URL, token not included. */
  readonly url: URL;
  /** Adds the token and headers to a URL of the Canvas origin (the first hop and redirects). */
  readonly prepare: (url: URL) => PreparedHop;
  /** Body sent as JSON. */
  readonly json?: unknown;
  /** Number of this attempt, 1 for the first (for error reporting). */
  readonly attempt: number;
  /** Aborts the attempt (user's signal or client shutdown). */
  readonly signal: AbortSignal | undefined;
  /** Time allowed for headers and body, redirects included, in ms. */
  readonly timeoutMs: number;
  /** Same-origin redirects followed before giving up. */
  readonly maxRedirects: number;
  /** Largest body read, in bytes. */
  readonly maxResponseBytes: number;
  /** Called once the final response's headers are in, before the body is read. */
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

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** What the redirect policy needs to know of the attempt it follows. */
interface Hop {
  readonly url: URL;
  readonly method: string;
  readonly json: unknown;
  /** Redirects followed before this hop. */
  readonly redirects: number;
}

/**
 * Sends HTTP attempts with ky, one at a time. ky's own retries and timeouts are off (the
 * client's retry policy and pacer decide those) and HTTP statuses are returned, not thrown. ky's
 * hooks carry the two policies of every hop:
 * - `beforeRequest` adds the token (header, or `access_token` query parameter) to the request
 *   itself at the last moment, so it is in no options object ky hands around;
 * - `afterResponse` is the redirect policy: `fetch` follows nothing (`redirect: 'manual'`); a
 *   redirect is followed only to the Canvas origin, at most `maxRedirects` in a row, through ky
 *   again (so the token is added again for each hop), and ky releases the redirect's body.
 *
 * Bodies are read as a stream and cut off at `maxResponseBytes`. Failures come out as
 * {@link CanvasTimeoutError}, {@link CanvasAbortError}, {@link CanvasNetworkError},
 * {@link CanvasRedirectError} or {@link CanvasBodyTooLargeError}. ky's `beforeError` hook is not
 * used: it runs for ky's `HTTPError`, which is never thrown here; error messages are redacted by
 * the error classes themselves.
 */
export class Transport {
  readonly #http: KyInstance;

  constructor(fetch: FetchLike) {
    this.#http = ky.create({
      retry: 0,
      timeout: false,
      throwHttpErrors: false,
      redirect: 'manual',
      fetch,
    });
  }

  /** Sends one attempt, follows its same-origin redirects and reads the whole body. */
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
    const context = {
      method: attempt.method,
      url: redactUrl(attempt.url),
      attempts: attempt.attempt,
    };
    const started = performance.now();
    try {
      const first = { url: attempt.url, method: attempt.method, json: attempt.json, redirects: 0 };
      const response = await this.#hop(first, attempt, signal, context);
      const durationMs = performance.now() - started;
      attempt.onHeaders(response);
      const text = await readBody(response, attempt.maxResponseBytes, () =>
        tooLarge(response.status),
      );
      return { status: response.status, headers: response.headers, text, durationMs };
    } catch (error) {
      if (error instanceof CanvasRedirectError || error instanceof CanvasBodyTooLargeError) {
        throw error;
      }
      if (timeout.signal.aborted) {
        throw new CanvasTimeoutError({ ...context, timeoutMs: attempt.timeoutMs });
      }
      if (attempt.signal?.aborted)
        throw new CanvasAbortError({ method: context.method, url: context.url });
      throw new CanvasNetworkError({ ...context, cause: error });
    } finally {
      clearTimeout(timer);
    }

    function tooLarge(status: number): CanvasBodyTooLargeError {
      return new CanvasBodyTooLargeError({
        ...context,
        status,
        limitBytes: attempt.maxResponseBytes,
      });
    }
  }

  /** Sends one hop through ky; its `afterResponse` hook follows a redirect with the next hop. */
  #hop(
    hop: Hop,
    attempt: Attempt,
    signal: AbortSignal,
    context: { method: string; url: string; attempts: number },
  ): Promise<Response> {
    const options: Parameters<KyInstance>[1] = {
      method: hop.method,
      signal,
      hooks: {
        beforeRequest: [(request) => withToken(request, attempt.prepare(new URL(request.url)))],
        afterResponse: [
          (_request, _options, response) => {
            if (!REDIRECTS.has(response.status)) return undefined;
            const next = redirectTarget(hop, response, attempt, context);
            return this.#hop(next, attempt, signal, context);
          },
        ],
      },
    };
    if (hop.json !== undefined) options.json = hop.json;
    return this.#http(hop.url, options);
  }
}

/**
 * The request with the token and headers of `prepared`: the same request with headers set when
 * the URL is unchanged (header auth), a copy at the new URL otherwise (query auth), which keeps
 * every field of the original and, whatever they say, never lets `fetch` follow a redirect.
 */
function withToken(request: Request, prepared: PreparedHop): Request {
  const target =
    prepared.url.href === request.url
      ? request
      : new Request(new Request(prepared.url, request), { redirect: 'manual' });
  for (const [name, value] of Object.entries(prepared.headers)) target.headers.set(name, value);
  return target;
}

/**
 * The redirect policy: the next hop of a redirect response, or a {@link CanvasRedirectError}
 * when it leaves the Canvas origin, has no usable `Location`, or is one too many. As browsers
 * do, 303 always, and 301/302 after a POST, become a GET without a body.
 */
function redirectTarget(
  hop: Hop,
  response: Response,
  attempt: Attempt,
  context: { method: string; url: string; attempts: number },
): Hop {
  const location = response.headers.get('location');
  const refuse = (reason: CanvasRedirectError['reason'], target?: URL): never => {
    throw new CanvasRedirectError({
      ...context,
      reason,
      status: response.status,
      location: target,
      maxRedirects: attempt.maxRedirects,
    });
  };
  let target: URL;
  try {
    target = new URL(location ?? '', hop.url);
  } catch {
    return refuse('invalid-location');
  }
  if (location === null || !/^https?:$/.test(target.protocol)) refuse('invalid-location');
  if (!sameOrigin(target, attempt.url)) refuse('foreign-origin', target);
  if (hop.redirects >= attempt.maxRedirects) refuse('too-many-redirects');
  target.hash = '';
  const toGet =
    response.status === 303 ||
    ((response.status === 301 || response.status === 302) && hop.method === 'POST');
  return {
    url: target,
    method: toGet && hop.method !== 'HEAD' ? 'GET' : hop.method,
    json: toGet ? undefined : hop.json,
    redirects: hop.redirects + 1,
  };
}

/**
 * Reads a body as UTF-8 text, counting bytes as they stream in, and throws `tooLarge()` the
 * moment more than `maxBytes` arrived (or at once when `Content-Length` says so).
 */
async function readBody(
  response: Response,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder('utf-8');
  let received = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
