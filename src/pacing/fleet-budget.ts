/**
 * The contract between the pacer and a budget shared by every process that uses one token (a
 * fleet): a slot per request in flight, held from the moment the request may go until its
 * response's headers arrive, and what those headers said. The implementation on Redis
 * (Bottleneck's clustering) lives in `pacing/cluster/`, loaded only when a client is given
 * `pacing.redis`.
 */

/**
 * An ioredis client, described by what canvas-sync uses of it (so that its types do not need
 * ioredis): the budget works on a duplicate of it and never closes it.
 * @category Client
 */
export interface RedisClientLike {
  /** ioredis's `duplicate(override)`: a new connection with the same options. */
  duplicate(override?: Record<string, unknown>): unknown;
  /** ioredis's connection status (`'ready'` …). */
  readonly status: string;
}

/**
 * Pacing shared by every process that uses one token, through Redis (Bottleneck's clustering).
 * @category Client
 */
export interface FleetPacingOptions {
  /**
   * The Redis of the fleet: a URL (`redis://host:6379`, `rediss://…`) or an ioredis client.
   * Every client with the same origin, token and Redis shares one budget; `bottleneck` and
   * `ioredis` are loaded only then. @defaultValue none: this process paces alone
   */
  redis?: string | RedisClientLike;
  /**
   * The fleet's id in Redis: `canvas-sync:` and a SHA-256 of origin and token by default (the
   * same in every process; the token itself never reaches Redis). Required with a
   * {@link TokenProvider}, whose tokens change. Letters, digits, `:`, `_`, `.`, `-`.
   */
  id?: string;
  /** Requests in flight while Redis is unreachable (then this process paces alone). @defaultValue 3 */
  localShare?: number;
  /**
   * The fleet's settings in Redis are forgotten after this long without a request, in ms, so
   * that a new fleet starts from what Canvas says. @defaultValue 120000
   */
  idleResetMs?: number;
}

/** What a response said about the bucket, for the fleet's estimate. */
export interface FleetObservation {
  /** `X-Rate-Limit-Remaining`. */
  readonly remaining: number;
  /** Whether the response was a throttle. */
  readonly throttled: boolean;
  /** The high-water mark this process has learned (the largest `remaining` it has seen). */
  readonly highWaterMark: number;
}

/** A request's place in the fleet's budget. */
export interface FleetSlot {
  /**
   * Frees the slot; with what the response said, when its headers had the bucket's level.
   * Idempotent.
   */
  release(observation?: FleetObservation): void;
}

/**
 * Where a fleet's requests stand:
 * - `'shared'`: paced with the other processes, through Redis;
 * - `'joining'`: connecting to Redis (requests wait, at most 3 s, then pace alone meanwhile);
 * - `'local'`: Redis unreachable: this process paces alone within its local share, and joins
 *   the fleet again when Redis is back;
 * - `'closed'`.
 * @category Client
 */
export type FleetMode = 'shared' | 'joining' | 'local' | 'closed';

/**
 * Something about the shared budget worth a log line, from the client's `fleet` event:
 * - `joined`: connected to the fleet's budget in Redis (`maxConcurrent`: the fleet's slots then);
 * - `fallback`: Redis unreachable; pacing alone within `localShare` requests in flight;
 * - `rejoined`: Redis is back; pacing with the fleet again;
 * - `resized`: this process changed the fleet's slots from what a response said (`from` → `to`);
 * - `error`: an error of the shared limiter that did not change the mode (never holds the token).
 * @category Client
 */
export type FleetEvent =
  | {
      /** Connected to the fleet's budget. */
      readonly type: 'joined';
      /** The fleet's slots when this process joined. */
      readonly maxConcurrent: number;
      /** A one-line description. */
      readonly message: string;
    }
  | {
      /** Redis unreachable. */
      readonly type: 'fallback';
      /** Requests this process lets in flight while it paces alone. */
      readonly localShare: number;
      /** A one-line description. */
      readonly message: string;
    }
  | {
      /** Redis is back. */
      readonly type: 'rejoined';
      /** A one-line description. */
      readonly message: string;
    }
  | {
      /** The fleet's slots changed. */
      readonly type: 'resized';
      /** The slots before. */
      readonly from: number;
      /** The slots after. */
      readonly to: number;
      /** A one-line description. */
      readonly message: string;
    }
  | {
      /** An error that did not change the mode. */
      readonly type: 'error';
      /** A one-line description. */
      readonly message: string;
    };

/** What the pacer needs of a fleet's budget. */
export interface FleetBudget {
  /**
   * Waits for a slot of the fleet; rejects with the signal's reason if it aborts first.
   * Higher `priority` goes first.
   */
  acquire(priority: number, signal: AbortSignal): Promise<FleetSlot>;
  /** Where the fleet's requests stand (read on every admission: no allocation). */
  readonly mode: FleetMode;
  /** Where the fleet's requests stand, and the fleet's slots as this process last knew them. */
  snapshot(): FleetSnapshot;
  /** Leaves the fleet: frees what this process holds, closes what it opened. */
  close(): Promise<void>;
}

/**
 * The fleet's budget as one process sees it.
 * @category Client
 */
export interface FleetSnapshot {
  /** See {@link FleetMode}. */
  readonly mode: FleetMode;
  /** The fleet's slots (requests in flight at once, every process together), as last known. */
  readonly maxConcurrent: number | undefined;
  /** This process's requests holding a slot. */
  readonly held: number;
}

/**
 * A budget whose implementation is loaded on first use (the Redis one imports Bottleneck and
 * ioredis, optional until then).
 */
export function lazyFleetBudget(load: () => Promise<FleetBudget>): FleetBudget {
  let loaded: FleetBudget | undefined;
  let loading: Promise<FleetBudget> | undefined;
  let closed = false;
  const get = (): Promise<FleetBudget> => {
    loading ??= load().then((budget) => {
      loaded = budget;
      return budget;
    });
    return loading;
  };
  return {
    async acquire(priority, signal) {
      const budget = await get();
      return budget.acquire(priority, signal);
    },
    get mode() {
      return loaded?.mode ?? (closed ? 'closed' : 'joining');
    },
    snapshot() {
      return (
        loaded?.snapshot() ?? {
          mode: closed ? 'closed' : 'joining',
          maxConcurrent: undefined,
          held: 0,
        }
      );
    },
    async close() {
      closed = true;
      if (loading !== undefined) await (await loading).close();
    },
  };
}
