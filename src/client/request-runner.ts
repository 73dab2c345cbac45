import {
  CanvasAbortError,
  CanvasAuthError,
  CanvasClientClosedError,
  CanvasHttpError,
  CanvasRateLimitError,
  CanvasResponseError,
  CanvasSyncError,
} from '../errors/index.js';
import { parseRateLimitHeaders, type RateLimitHeaders } from '../http/rate-limit-headers.js';
import type { CanvasResponse } from '../http/response.js';
import type { AttemptResult, PreparedHop, Transport } from '../http/transport.js';
import { redactUrl } from '../http/urls.js';
import type { AbortFanout } from '../pacing/abort-fanout.js';
import type { CanvasPacer } from '../pacing/canvas-pacer.js';
import { delay } from '../retry/delay.js';
import {
  classifyStatus,
  decideRetry,
  parseRetryAfter,
  type ResponseClass,
} from '../retry/retry-policy.js';
import type { ResolvedClientOptions } from './client-options.js';
import type { CanvasSyncEvents } from './events.js';
import type { TokenSource } from './token-source.js';

/** A request as the client runs it. */
export interface RequestSpec {
  readonly method: string;
  /** Full URL, token not included (the runner adds it). */
  readonly url: URL;
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Higher goes first when requests wait for the bucket. @defaultValue 0 */
  readonly priority?: number | undefined;
}

/** Counters the runner keeps up to date. */
export interface RunnerCounters {
  requests: number;
  responses: number;
  throttled: number;
  retries: number;
  failures: number;
}

/** What the runner needs from the client. */
export interface RunnerContext {
  readonly options: ResolvedClientOptions;
  readonly transport: Transport;
  readonly pacer: CanvasPacer;
  readonly counters: RunnerCounters;
  /** The access token, fixed or from a provider. */
  readonly tokens: TokenSource;
  /** The URL and headers of one hop: the token added, by header or by query parameter. */
  readonly prepare: (url: URL, token: string) => PreparedHop;
  /** Aborted when the client closes. */
  readonly closing: AbortSignal;
  /** The client's listeners of shared abort signals (one per signal, not one per request). */
  readonly aborts: AbortFanout;
  readonly emit: <K extends keyof CanvasSyncEvents>(event: K, ...args: CanvasSyncEvents[K]) => void;
}

/**
 * Runs one request to its end: paced, retried by the retry policy, and finished as a
 * {@link CanvasResponse} or exactly one typed error, or when its signal or the client's
 * aborts. While queued it holds no listener of its own on either: the pacer subscribes it
 * through the client's {@link AbortFanout} (one listener per shared signal, not one per
 * request: 100,000 requests queued on one signal used to stall the event loop for seconds).
 */
export async function runRequest<T>(
  context: RunnerContext,
  spec: RequestSpec,
): Promise<CanvasResponse<T>> {
  const { options, counters } = context;
  const signals = [spec.signal, context.closing] as const;
  const aborted = (): boolean => spec.signal?.aborted === true || context.closing.aborted;
  const url = redactUrl(spec.url);
  const method = spec.method.toUpperCase();
  let attempt = 0;
  let failures = 0;
  let throttles = 0;
  let refreshed = false;

  // Closing rejects every queued request with the one error close() aborted with: creating
  // 100,000 of them (a stack trace each) stalled the event loop for seconds.
  const stopped = (): CanvasSyncError =>
    context.closing.aborted && !spec.signal?.aborted
      ? closedError(context.closing)
      : new CanvasAbortError({ method, url });

  for (;;) {
    if (aborted()) throw stopped();
    attempt++;
    let result: AnsweredAttempt | undefined;
    let failure: CanvasSyncError | undefined;
    // The token the attempt was sent with: read when it leaves the queue, not before.
    const sent = { token: '' };
    try {
      result = await sendPaced(context, { spec, method, url, attempt, throttles, signals, sent });
    } catch (error) {
      if (aborted()) throw stopped();
      // Rejected from the queue by a closing client (before its signal aborts).
      if (error instanceof CanvasClientClosedError) throw error;
      if (!(error instanceof CanvasSyncError)) {
        throw context.closing.aborted ? closedError(context.closing) : error;
      }
      if (error.code !== 'NETWORK_ERROR' && error.code !== 'TIMEOUT') {
        counters.failures++;
        throw error;
      }
      failure = error;
    }

    let outcome: Exclude<ResponseClass, 'success'> = 'retryable';
    let retryAfterMs: number | undefined;
    if (result !== undefined) {
      const verdict = judgeResponse<T>(options, result, { method, url, attempt, throttles });
      if (verdict.kind === 'success') return verdict.response;
      ({ outcome, failure, retryAfterMs } = verdict);
      if (failure instanceof CanvasAuthError && context.tokens.refreshable && !refreshed) {
        // Once per request: a second rejection with a fresh token is final.
        if (failure.reason === 'expired') {
          refreshed = true;
          await context.tokens.refresh(sent.token);
          context.emit('token-refreshed', { method, url, attempt });
          continue;
        }
        if (context.tokens.replaced(sent.token)) {
          // Sent with a token another request has since refreshed (Canvas invalidates it).
          refreshed = true;
          continue;
        }
      }
      if (failure instanceof CanvasRateLimitError) {
        throttles++;
        counters.throttled++;
        context.emit('throttled', {
          method,
          url,
          status: failure.status,
          remaining: failure.remaining,
          retryAfterMs,
          throttles,
        });
      }
    }
    if (outcome === 'retryable') failures++;

    const decision = decideRetry({
      method,
      outcome,
      failures,
      throttles,
      retryAfterMs,
      options: options.retry,
      random: options.random,
    });
    if (!decision.retry) {
      counters.failures++;
      throw failure ?? new CanvasAbortError({ method, url });
    }
    counters.retries++;
    context.emit('retry', {
      method,
      url,
      attempt,
      delayMs: decision.delayMs,
      reason: outcome === 'throttled' ? 'throttled' : failureReason(failure, result),
      countsAsFailure: decision.countsAsFailure,
    });
    const { signal, unlink } = context.aborts.link(signals);
    try {
      await delay(decision.delayMs, signal, options.clock);
    } catch {
      throw stopped();
    } finally {
      unlink();
    }
  }
}

/** The error the client was closed with, or a new one. */
function closedError(closing: AbortSignal): CanvasSyncError {
  return closing.reason instanceof CanvasClientClosedError
    ? closing.reason
    : new CanvasClientClosedError();
}

/** What one answered attempt means: the response, or the error and how to treat it. */
type Verdict<T> =
  | { readonly kind: 'success'; readonly response: CanvasResponse<T> }
  | {
      readonly kind: 'failure';
      readonly outcome: Exclude<ResponseClass, 'success'>;
      readonly failure: CanvasSyncError;
      readonly retryAfterMs: number | undefined;
    };

/**
 * Classifies an answered attempt: a 2xx with a valid JSON body is the response (sanitized when
 * the client has a `sanitizer` option); anything else becomes its typed error, with the outcome
 * the retry policy decides on.
 */
function judgeResponse<T>(
  options: RunnerContext['options'],
  result: AnsweredAttempt,
  request: { method: string; url: string; attempt: number; throttles: number },
): Verdict<T> {
  const { rateLimit, outcome } = result;
  const base = {
    status: result.status,
    method: request.method,
    url: request.url,
    requestContextId: rateLimit.requestContextId,
    attempts: request.attempt,
  };
  if (outcome === 'success') {
    const parsed = parseJson(result.text);
    if (!parsed.ok) {
      return {
        kind: 'failure',
        outcome: 'retryable',
        failure: new CanvasResponseError(base),
        retryAfterMs: undefined,
      };
    }
    const { sanitizer } = options;
    const response: CanvasResponse<T> = {
      data: (sanitizer === undefined ? parsed.value : sanitizer.sanitize(parsed.value)) as T,
      status: result.status,
      headers: result.headers,
      url: request.url,
      rateLimit: { remaining: rateLimit.remaining, cost: rateLimit.cost },
      requestContextId: rateLimit.requestContextId,
      attempts: request.attempt,
    };
    return { kind: 'success', response };
  }
  const retryAfterMs = parseRetryAfter(result.headers.get('retry-after'), options.clock.epochNow());
  let failure: CanvasSyncError;
  if (outcome === 'throttled') {
    failure = new CanvasRateLimitError({
      ...base,
      body: undefined,
      remaining: rateLimit.remaining,
      retryAfterMs,
      throttleRetries: request.throttles,
    });
  } else if (result.status === 401 && result.headers.has('www-authenticate')) {
    failure = new CanvasAuthError({ ...base, body: result.text });
  } else {
    failure = new CanvasHttpError({ ...base, body: result.text });
  }
  return { kind: 'failure', outcome, failure, retryAfterMs };
}

/** Parses a body: empty is `undefined`; the parser's error is dropped (its message quotes the body). */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function failureReason(failure: CanvasSyncError | undefined, result: AttemptResult | undefined) {
  if (failure !== undefined && failure.code !== 'HTTP_ERROR') return failure.code;
  return result === undefined ? 'UNKNOWN' : String(result.status);
}

/** One attempt of a request, as {@link sendPaced} sends it. */
interface AttemptSpec {
  readonly spec: RequestSpec;
  /** Upper-case method. */
  readonly method: string;
  /** The URL without `access_token`, for events and errors. */
  readonly url: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Throttled answers so far: a retried throttle goes ahead of its priority. */
  readonly throttles: number;
  /** The request's signal and the client's. */
  readonly signals: readonly (AbortSignal | undefined)[];
  /** Receives the token the attempt was sent with. */
  readonly sent: { token: string };
}

/** An attempt's answer, its rate-limit headers parsed and its status classified once. */
interface AnsweredAttempt extends AttemptResult {
  readonly rateLimit: RateLimitHeaders;
  readonly outcome: ResponseClass;
}

/** One attempt through the pacer: waits for room, sends, feeds the headers to the model. */
function sendPaced(context: RunnerContext, attemptSpec: AttemptSpec): Promise<AnsweredAttempt> {
  const { spec, method, url, attempt, throttles, signals, sent } = attemptSpec;
  const { pacer, transport, options, counters } = context;
  return pacer.run(
    async (lease, signal) => {
      if (lease.waitedMs > 0) {
        const snapshot = pacer.snapshot();
        context.emit('paced', {
          method,
          url,
          waitMs: lease.waitedMs,
          reason: lease.byLeak ? 'leak' : 'in-flight',
          inFlight: snapshot.inFlight,
          headroom: snapshot.bucket.headroom,
        });
      }
      // No await when the token is at hand: the request goes out in the same tick it was let
      // through, so the gate's count of requests in flight stays true.
      const token = context.tokens.current ?? (await context.tokens.get());
      sent.token = token;
      counters.requests++;
      context.emit('request', { method, url, attempt });
      let rateLimit: RateLimitHeaders | undefined;
      const result = await transport.send({
        method,
        url: spec.url,
        prepare: (hop) => {
          const prepared = context.prepare(hop, token);
          return { url: prepared.url, headers: { ...spec.headers, ...prepared.headers } };
        },
        json: spec.json,
        attempt,
        signal,
        timeoutMs: options.timeoutMs,
        maxRedirects: options.maxRedirects,
        maxResponseBytes: options.maxResponseBytes,
        onHeaders: (response) => {
          rateLimit = parseRateLimitHeaders(response.headers);
          pacer.reportMalformedHeaders(response.headers);
          // A 403 is a throttle only if its body says so: settle after reading it.
          if (response.status !== 403) {
            lease.settle(rateLimit.remaining, response.status === 429, rateLimit.cost);
          }
        },
      });
      rateLimit ??= parseRateLimitHeaders(result.headers);
      const outcome = classifyStatus(result.status, result.text);
      lease.settle(rateLimit.remaining, outcome === 'throttled', rateLimit.cost);
      counters.responses++;
      context.emit('response', {
        method,
        url,
        status: result.status,
        attempt,
        durationMs: result.durationMs,
        remaining: rateLimit.remaining,
        cost: rateLimit.cost,
        requestContextId: rateLimit.requestContextId,
      });
      return { ...result, rateLimit, outcome };
    },
    // A request retried after a throttle goes ahead of the others of its priority.
    { priority: 2 * (spec.priority ?? 0) + (throttles > 0 ? 1 : 0), signals },
  );
}
