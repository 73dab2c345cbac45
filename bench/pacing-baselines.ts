/**
 * The throughput strategies canvas-sync is compared with, all built on plain
 * `fetch` and one worker pool: Canvas's own advice (one request at a time),
 * a fixed concurrency that retries throttled requests after a pause, and the
 * usual script that also pauses whenever `X-Rate-Limit-Remaining` runs low.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** What a strategy is given: where, as whom, what to fetch, and for how long at most. */
export interface StrategyInput {
  readonly url: string;
  readonly token: string;
  readonly paths: readonly string[];
  /** No new request (nor retry) starts after this many ms; the client ignores it. */
  readonly budgetMs: number;
}

/** What a strategy did. */
export interface StrategyResult {
  /** Requests answered successfully. */
  readonly done: number;
  /** Requests given up: retries exhausted or a non-throttle error. */
  readonly failed: number;
  /** Requests sent again after a throttled response. */
  readonly retries: number;
  /** From the first request to the last answer, in ms. */
  readonly elapsedMs: number;
  /** Set when the strategy was stopped before it finished (e.g. a stuck client). */
  readonly note?: string;
}

/** A strategy: runs the paths against the simulator and reports. */
export type Strategy = (input: StrategyInput) => Promise<StrategyResult>;

/**
 * Whether a response is Canvas's throttle: 429 (hosted), or 403 whose body says
 * `Rate Limit Exceeded` (self-hosted; other 403s are permission errors).
 */
export function isThrottled(status: number, body: string): boolean {
  return status === 429 || (status === 403 && /rate limit exceeded/i.test(body));
}

/** How a baseline reacts to a throttled response. */
interface RetryPolicy {
  readonly maxRetries: number;
  readonly delayMs: number;
}

const NAIVE_RETRY: RetryPolicy = { maxRetries: 10, delayMs: 1_000 };

/** A baseline's shared state: its counters and the last `X-Rate-Limit-Remaining` seen. */
class Session {
  done = 0;
  failed = 0;
  retries = 0;
  lastRemaining = Number.POSITIVE_INFINITY;

  constructor(
    readonly input: StrategyInput,
    readonly deadline: number,
  ) {}

  /** One GET; returns whether it was throttled (any other outcome is final). */
  async attempt(path: string): Promise<boolean> {
    const res = await fetch(`${this.input.url}${path}`, {
      headers: { Authorization: `Bearer ${this.input.token}` },
    });
    const body = await res.text();
    const remaining = Number.parseFloat(res.headers.get('x-rate-limit-remaining') ?? '');
    if (Number.isFinite(remaining)) this.lastRemaining = remaining;
    if (isThrottled(res.status, body)) return true;
    if (res.ok) this.done++;
    else this.failed++;
    return false;
  }

  /**
   * GETs `path`, retrying throttled responses per `policy`. Returns `false` when
   * the request is dropped because its retry would start past the deadline:
   * the caller's budget is spent, so it should stop too.
   */
  async get(path: string, policy: RetryPolicy): Promise<boolean> {
    for (let retry = 0; ; retry++) {
      if (!(await this.attempt(path))) return true;
      if (retry === policy.maxRetries) {
        this.failed++;
        return true;
      }
      if (performance.now() + policy.delayMs >= this.deadline) return false;
      await sleep(policy.delayMs);
      this.retries++;
    }
  }
}

/** Options of {@link poolStrategy}. */
interface PoolOptions {
  /** Workers, each doing one request at a time. */
  readonly concurrency: number;
  readonly retry: RetryPolicy;
  /** Awaited by a worker before each new request. */
  readonly beforeEach?: (session: Session) => Promise<void>;
}

/** A strategy of `concurrency` workers taking the paths in order until done or out of time. */
function poolStrategy(options: PoolOptions): Strategy {
  return async (input) => {
    const started = performance.now();
    const session = new Session(input, started + input.budgetMs);
    let next = 0;
    let dropped = false;
    const worker = async (): Promise<void> => {
      while (next < input.paths.length && performance.now() < session.deadline) {
        const path = input.paths[next++] ?? '';
        await options.beforeEach?.(session);
        if (!(await session.get(path, options.retry))) {
          dropped = true;
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const { done, failed, retries } = session;
    const elapsedMs = performance.now() - started;
    // Out of time with paths left (or a retry dropped): say so, the row is not a full run.
    const cut = dropped || next < input.paths.length;
    const note = cut ? { note: `cut at the ${(input.budgetMs / 1000).toFixed(0)} s budget` } : {};
    return { done, failed, retries, elapsedMs, ...note };
  };
}

/** Canvas's advice: one request at a time (throttles, if any, retried after 1 s). */
export const sequential: Strategy = poolStrategy({ concurrency: 1, retry: NAIVE_RETRY });

/** `concurrency` workers; a throttled request is retried after 1 s, up to 10 times. */
export function fixedConcurrency(concurrency: number): Strategy {
  return poolStrategy({ concurrency, retry: NAIVE_RETRY });
}

/** As `fixedConcurrency(16)`, and each worker pauses 1 s first while the last remaining <= 2. */
export const sleepWhenLow: Strategy = poolStrategy({
  concurrency: 16,
  retry: NAIVE_RETRY,
  beforeEach: async (session) => {
    if (session.lastRemaining <= 2) await sleep(1_000);
  },
});
