/**
 * `RedisFleetBudget`: one token's budget shared by every process that uses it, through
 * Bottleneck's Redis clustering (`datastore: 'ioredis'`). Loaded only when a client is given
 * `pacing.redis`, so `canvas-sync` itself never loads Bottleneck or ioredis.
 *
 * - **Slots.** A request holds one job of a clustered Bottleneck limiter from the moment it may go
 *   until its response's headers arrive. The cluster's `maxConcurrent` is the fleet's slots:
 *   every process together never has more requests in flight.
 * - **Header-aware.** A response's `X-Rate-Limit-Remaining` says how many more requests the
 *   bucket holds now (`room`); with the requests the fleet had in flight then (`running − 1`,
 *   read from the cluster in the same Redis round trip as its slots), the fleet may hold
 *   `running − 1 + room`, never more than the high-water mark allows (13 on hosted Canvas).
 *   When that differs from the cluster's `maxConcurrent`, the process sets it
 *   (`updateSettings`, which wakes the other processes). One read at a time per process, at most
 *   every {@link CHECK_INTERVAL_MS} (a throttle always), and no write when nothing changed.
 * - **A new fleet probes.** The cluster keeps the settings of the first limiter that connected;
 *   a new fleet's starts at one slot, so the first request goes alone and its response opens
 *   the others. The cluster's keys expire after `idleResetMs` without a request (Bottleneck's
 *   `timeout`), so yesterday's lowered slots never pace tonight's run.
 * - **A process that dies** holding slots frees them after `holdLimitMs` (each job's
 *   `expiration`, longer than the request timeout), at the next request of any other process.
 * - **Redis unreachable.** The process paces alone within `localShare` requests in flight (its
 *   own header-aware gate still applies), reports `fallback`, and rejoins the fleet when Redis
 *   is back (`rejoined`). Requests waiting for a shared slot when Redis goes move to the local
 *   share.
 *
 * The fleet's id is given (the client derives it from a SHA-256 of origin and token): the token
 * never reaches Redis.
 */
import Bottleneck from 'bottleneck';
import type { Redis, RedisOptions } from 'ioredis';
import type {
  FleetBudget,
  FleetEvent,
  FleetMode,
  FleetObservation,
  FleetSlot,
  FleetSnapshot,
} from '../fleet-budget.js';

/** Least time between two reads of the cluster's slots by one process, unless throttled. */
export const CHECK_INTERVAL_MS = 50;

/** How a {@link RedisFleetBudget} is set up. */
export interface RedisFleetBudgetOptions {
  /** A Redis URL, or an ioredis client (duplicated: the budget never closes it). */
  readonly redis: string | Redis;
  /** The fleet's id: every process with the same id shares one budget. */
  readonly id: string;
  /** Canvas's up-front cost of a request in flight. */
  readonly upFrontCost: number;
  /** Units kept free beyond what the next request needs. */
  readonly safetyMargin: number;
  /** Longest a slot is held by a process that may have died, in ms (a job's `expiration`). */
  readonly holdLimitMs: number;
  /** The cluster's keys expire after this long without a request, in ms. */
  readonly idleResetMs: number;
  /** Requests in flight while Redis is unreachable. */
  readonly localShare: number;
  /** Longest a request waits for a first connection before pacing alone, in ms. */
  readonly joinTimeoutMs: number;
  /** Told of joins, fallbacks, resizes and errors. */
  readonly onEvent?: ((event: FleetEvent) => void) | undefined;
}

/** A request waiting for a slot. */
interface Waiter {
  readonly priority: number;
  readonly signal: AbortSignal;
  readonly resolve: (slot: FleetSlot) => void;
  readonly reject: (reason: unknown) => void;
  /** Set while it waits for a shared slot: moves it to the local share. */
  toLocal?: () => void;
}

/** A client loaded on demand: ioredis is an optional peer dependency. */
async function redisClient(redis: string | Redis): Promise<Redis> {
  const options: RedisOptions = {
    // Fail at once while disconnected, instead of queueing: the budget then paces alone.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
  };
  if (typeof redis !== 'string') return redis.duplicate(options);
  const { Redis: RedisClass } = await import('ioredis');
  return new RedisClass(redis, options);
}

/** See the module comment. */
export class RedisFleetBudget implements FleetBudget {
  readonly #options: RedisFleetBudgetOptions;
  readonly #settingsKey: string;
  #client: Redis | undefined;
  #limiter: Bottleneck | undefined;
  #mode: FleetMode = 'joining';
  #joinedOnce = false;
  #maxConcurrent: number | undefined;
  #held = 0;
  #localHeld = 0;
  readonly #localWaiters: Waiter[] = [];
  /** Requests waiting for a first connection, or for the end of `joinTimeoutMs`. */
  readonly #joining = new Set<Waiter>();
  /** Requests waiting for a shared slot. */
  readonly #shared = new Set<Waiter>();
  #joinTimer: NodeJS.Timeout | undefined;
  #checking = false;
  #lastCheck = Number.NEGATIVE_INFINITY;
  readonly #started: Promise<void>;

  constructor(options: RedisFleetBudgetOptions) {
    this.#options = options;
    // Bottleneck's settings hash: its `running` and `maxConcurrent` are read in one round trip.
    this.#settingsKey = `b_${options.id}_settings`;
    this.#joinTimer = setTimeout(() => {
      this.#joinTimer = undefined;
      if (this.#mode === 'joining') this.#fallBack('no connection to Redis yet');
    }, options.joinTimeoutMs);
    this.#joinTimer.unref?.();
    this.#started = this.#start().catch((error: unknown) => {
      this.#report(error);
      if (this.#mode === 'joining') this.#fallBack(messageOf(error));
    });
  }

  async #start(): Promise<void> {
    const client = await redisClient(this.#options.redis);
    if (this.#mode === 'closed') {
      client.disconnect();
      return;
    }
    this.#client = client;
    client.on('error', () => undefined);
    client.on('close', () => {
      if (this.#mode === 'shared') this.#fallBack('the connection to Redis closed');
    });
    client.on('ready', () => {
      void this.#join();
    });
    if (client.status === 'ready') await this.#join();
  }

  /** Connects the limiter (once), reads the fleet's slots, and paces with the fleet. */
  async #join(): Promise<void> {
    const client = this.#client;
    if (client === undefined || this.#mode === 'closed' || this.#mode === 'shared') return;
    try {
      if (this.#limiter === undefined) {
        const limiter = new Bottleneck({
          id: this.#options.id,
          datastore: 'ioredis',
          connection: new Bottleneck.IORedisConnection({ client }),
          clearDatastore: false,
          // A new fleet's first request goes alone; its response opens the other slots.
          maxConcurrent: 1,
          timeout: this.#options.idleResetMs,
        });
        limiter.on('error', (error: unknown) => this.#report(error));
        this.#limiter = limiter;
      }
      await this.#limiter.ready();
      const [, maxConcurrent] = await this.#read();
      // Closed while reading (the mode changes across awaits).
      if (this.snapshot().mode === 'closed') return;
      this.#maxConcurrent = maxConcurrent;
      const rejoin = this.#joinedOnce;
      this.#joinedOnce = true;
      this.#setMode('shared');
      this.#emit(
        rejoin
          ? { type: 'rejoined', message: 'Redis is back: pacing with the fleet again' }
          : {
              type: 'joined',
              maxConcurrent: maxConcurrent ?? 1,
              message: `pacing with the fleet through Redis (${maxConcurrent ?? 1} slots)`,
            },
      );
    } catch (error) {
      this.#report(error);
      if (this.#mode !== 'local') this.#fallBack(messageOf(error));
    }
  }

  /** The cluster's `running` and `maxConcurrent`, in one round trip. */
  async #read(): Promise<[number | undefined, number | undefined]> {
    const client = this.#client;
    if (client === undefined) return [undefined, undefined];
    const [running, maxConcurrent] = await client.hmget(
      this.#settingsKey,
      'running',
      'maxConcurrent',
    );
    return [numberOrUndefined(running), numberOrUndefined(maxConcurrent)];
  }

  acquire(priority: number, signal: AbortSignal): Promise<FleetSlot> {
    if (this.#mode === 'closed') return Promise.reject(new Error('The fleet budget is closed'));
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<FleetSlot>((resolve, reject) => {
      const waiter: Waiter = { priority, signal, resolve, reject };
      this.#place(waiter);
    });
  }

  /** Puts a waiter where the mode says. */
  #place(waiter: Waiter): void {
    switch (this.#mode) {
      case 'joining':
        this.#joining.add(waiter);
        this.#onAbort(waiter, () => this.#joining.delete(waiter));
        return;
      case 'local':
        this.#waitLocal(waiter);
        return;
      case 'shared':
        this.#waitShared(waiter);
        return;
      case 'closed':
        waiter.reject(new Error('The fleet budget is closed'));
    }
  }

  #onAbort(waiter: Waiter, leave: () => void): void {
    waiter.signal.addEventListener(
      'abort',
      () => {
        leave();
        waiter.reject(waiter.signal.reason);
      },
      { once: true },
    );
  }

  #waitShared(waiter: Waiter): void {
    const limiter = this.#limiter;
    if (limiter === undefined) {
      this.#waitLocal(waiter);
      return;
    }
    let state: 'waiting' | 'running' | 'gone' = 'waiting';
    this.#shared.add(waiter);
    const leave = (): void => {
      state = 'gone';
      this.#shared.delete(waiter);
    };
    waiter.toLocal = () => {
      if (state !== 'waiting') return;
      leave();
      this.#waitLocal(waiter);
    };
    waiter.signal.addEventListener(
      'abort',
      () => {
        if (state !== 'waiting') return;
        leave();
        waiter.reject(waiter.signal.reason);
      },
      { once: true },
    );
    limiter
      .schedule(
        // Bottleneck: 0 goes first, 9 last, 5 by default; the pacer's higher priority goes first.
        {
          priority: Math.max(0, Math.min(9, 5 - waiter.priority)),
          expiration: this.#options.holdLimitMs,
        },
        () =>
          new Promise<void>((done) => {
            // Gone meanwhile (aborted, or moved to the local share): free the slot at once.
            if (state !== 'waiting') {
              done();
              return;
            }
            state = 'running';
            this.#shared.delete(waiter);
            this.#held++;
            let released = false;
            waiter.resolve({
              release: (observation) => {
                if (released) return;
                released = true;
                this.#held--;
                // Read before the slot is freed: `running` still counts this request.
                if (observation !== undefined) this.#consider(observation);
                done();
              },
            });
          }),
      )
      .catch((error: unknown) => {
        this.#report(error);
        if (state !== 'waiting') return;
        // Redis failed this job (a command refused while disconnected): pace alone.
        if (this.#mode === 'shared') this.#fallBack(messageOf(error));
        waiter.toLocal?.();
      });
  }

  #waitLocal(waiter: Waiter): void {
    if (this.#localHeld < this.#options.localShare && this.#localWaiters.length === 0) {
      waiter.resolve(this.#localSlot());
      return;
    }
    const before = this.#localWaiters.findIndex((other) => other.priority < waiter.priority);
    if (before < 0) this.#localWaiters.push(waiter);
    else this.#localWaiters.splice(before, 0, waiter);
    this.#onAbort(waiter, () => {
      const index = this.#localWaiters.indexOf(waiter);
      if (index >= 0) this.#localWaiters.splice(index, 1);
    });
  }

  #localSlot(): FleetSlot {
    this.#localHeld++;
    this.#held++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#localHeld--;
        this.#held--;
        this.#pumpLocal();
      },
    };
  }

  #pumpLocal(): void {
    while (this.#localHeld < this.#options.localShare && this.#localWaiters.length > 0) {
      const waiter = this.#localWaiters.shift();
      if (waiter !== undefined && !waiter.signal.aborted) waiter.resolve(this.#localSlot());
    }
  }

  #fallBack(reason: string): void {
    if (this.#mode === 'closed' || this.#mode === 'local') return;
    this.#setMode('local');
    this.#emit({
      type: 'fallback',
      localShare: this.#options.localShare,
      message: `Redis unreachable (${reason}): pacing alone, at most ${this.#options.localShare} in flight, until it is back`,
    });
    for (const waiter of [...this.#shared]) waiter.toLocal?.();
  }

  #setMode(mode: FleetMode): void {
    this.#mode = mode;
    if (mode !== 'joining') {
      if (this.#joinTimer !== undefined) clearTimeout(this.#joinTimer);
      this.#joinTimer = undefined;
      const joining = [...this.#joining];
      this.#joining.clear();
      for (const waiter of joining) if (!waiter.signal.aborted) this.#place(waiter);
    }
  }

  /**
   * From a response: the slots the fleet may hold now (see the module comment); sets the
   * cluster's `maxConcurrent` when it differs.
   */
  #consider(observation: FleetObservation): void {
    const { upFrontCost, safetyMargin } = this.#options;
    if (upFrontCost <= 0 || this.#mode !== 'shared' || this.#checking) return;
    const ceiling = Math.max(
      1,
      Math.floor((observation.highWaterMark - safetyMargin) / upFrontCost),
    );
    const room = Math.floor((observation.remaining - safetyMargin) / upFrontCost);
    // Room for every slot the fleet may have: nothing to lower, nothing to raise.
    if (!observation.throttled && room >= ceiling && this.#maxConcurrent === ceiling) return;
    const now = performance.now();
    if (!observation.throttled && now - this.#lastCheck < CHECK_INTERVAL_MS) return;
    this.#checking = true;
    this.#lastCheck = now;
    void this.#resize(room, ceiling, observation.throttled).finally(() => {
      this.#checking = false;
    });
  }

  async #resize(room: number, ceiling: number, throttled: boolean): Promise<void> {
    try {
      const [running, current] = await this.#read();
      if (running === undefined || this.#limiter === undefined) return;
      this.#maxConcurrent = current;
      let target = Math.max(1, Math.min(ceiling, running - 1 + room));
      // A throttle means the fleet held too much: never keep (or raise) the slots after one.
      if (throttled && current !== undefined) target = Math.min(target, Math.max(1, current - 1));
      if (target === current) return;
      await this.#limiter.updateSettings({ maxConcurrent: target });
      this.#maxConcurrent = target;
      this.#emit({
        type: 'resized',
        from: current ?? target,
        to: target,
        message: `fleet slots ${current ?? '?'} → ${target} (remaining room for ${room})`,
      });
    } catch (error) {
      this.#report(error);
    }
  }

  snapshot(): FleetSnapshot {
    return { mode: this.#mode, maxConcurrent: this.#maxConcurrent, held: this.#held };
  }

  async close(): Promise<void> {
    if (this.#mode === 'closed') return;
    this.#setMode('closed');
    const closed = new Error('The fleet budget is closed');
    for (const waiter of [...this.#shared, ...this.#localWaiters]) waiter.reject(closed);
    this.#shared.clear();
    this.#localWaiters.length = 0;
    await this.#started;
    const limiter = this.#limiter;
    const client = this.#client;
    this.#limiter = undefined;
    this.#client = undefined;
    try {
      // Bottleneck quits both of its clients (ours, and the subscriber it duplicated).
      if (limiter !== undefined) await limiter.disconnect(client?.status === 'ready');
      else client?.disconnect();
    } catch {
      client?.disconnect();
    }
  }

  #report(error: unknown): void {
    if (this.#mode === 'closed') return;
    this.#emit({ type: 'error', message: messageOf(error) });
  }

  #emit(event: FleetEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // A throwing hook changes nothing here.
    }
  }
}

function numberOrUndefined(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
