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
 * - **Cheap hand-offs.** A process queues at most {@link MAX_QUEUED_IN_CLUSTER} requests in
 *   Bottleneck (the others wait in the process), and a slot released with room left in the
 *   bucket serves the process's next waiting request directly, up to {@link MAX_SLOT_USES}
 *   times in a row, instead of going back through Redis: measured, four processes went from
 *   about 8 Redis calls and 8 pub/sub messages per request to under 1 of each, and from 0.65 to
 *   0.84 of the one-token limit. While the budget is shared, the process's own gate only counts
 *   (its model keeps learning, for when Redis goes): the fleet paces.
 * - **A new fleet probes.** The cluster keeps the settings of the first limiter that connected;
 *   a new fleet's starts at one slot, so the first request goes alone and its response opens
 *   the others. The cluster's keys expire after `idleResetMs` without a request (Bottleneck's
 *   `timeout`), so yesterday's lowered slots never pace tonight's run.
 * - **A process that dies** holding slots frees them after `holdLimitMs` (each job's
 *   `expiration`, longer than the request timeout), at the next Bottleneck script of any other
 *   process of the fleet: its next request, or its heartbeat (every 5 s).
 * - **Redis unreachable.** The process paces alone within `localShare` requests in flight (its
 *   own header-aware gate still applies), reports `fallback`, and rejoins the fleet when Redis
 *   is back (`rejoined`). Requests waiting for a shared slot when Redis goes move to the local
 *   share, and those waiting for a local one when it is back move to the fleet (only the
 *   requests already in flight on the local share, at most `localShare`, are not counted by the
 *   fleet until they end). A Redis that comes back with its data (persistence) still counts the
 *   slots this process freed while it was away (Bottleneck could not record those frees); on
 *   rejoining, the process frees them itself ({@link FREE_LEAKED}), instead of leaving the fleet
 *   that many slots short for up to `holdLimitMs`.
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

/**
 * Bottleneck's own error replies, as Redis 7 sends them (`ERR ` before the text of a Lua
 * `error_reply`).
 */
const PREFIXED = /^ERR ((SETTINGS_KEY_NOT_FOUND|UNKNOWN_CLIENT|OVERWEIGHT)\b.*)$/s;

type ScriptCallback = (error: Error | null, replies: unknown) => void;

/**
 * Bottleneck's ioredis connection, with its scripts' error replies as Bottleneck 2.19.5 expects
 * them. It re-initialises a fleet whose keys expired (`SETTINGS_KEY_NOT_FOUND`) and registers a
 * client Redis dropped (`UNKNOWN_CLIENT`) only when the reply is exactly that text; Redis 7
 * prefixes it with `ERR `, so without this a fleet idle for `idleResetMs` would never recover
 * (the same fix as Bottleneck's unmerged pull request 215).
 */
class Redis7Connection extends Bottleneck.IORedisConnection {
  __scriptArgs__(name: string, id: string, args: unknown[], callback: ScriptCallback): unknown[] {
    const parent = Bottleneck.IORedisConnection.prototype as unknown as {
      __scriptArgs__(
        name: string,
        id: string,
        args: unknown[],
        callback: ScriptCallback,
      ): unknown[];
    };
    return parent.__scriptArgs__.call(this, name, id, args, (error, replies) => {
      const bare = error === null ? undefined : PREFIXED.exec(error.message)?.[1];
      callback(bare === undefined ? error : new Error(bare), replies);
    });
  }
}

/** Most requests of one process queued in Bottleneck at once; the others wait in the process. */
const MAX_QUEUED_IN_CLUSTER = 2;

/** Most requests in a row that one fleet slot serves before it goes back to Redis. */
const MAX_SLOT_USES = 8;

/** Least time between two reads of the cluster's slots by one process, unless throttled. */
export const CHECK_INTERVAL_MS = 50;

/**
 * Frees the jobs one limiter registered before it lost Redis whose frees were lost with it, so
 * that they stop counting in the cluster's `running` at Bottleneck's next script (Bottleneck's
 * own `free.lua` frees a job the same way: its expiration set to 0).
 * KEYS: Bottleneck's `job_clients` hash (job → limiter) and `job_expirations` zset (job → time
 * it expires, in ms of the limiter's clock). ARGV: the limiter's Bottleneck client id; the latest
 * expiration of a job registered before the fallback; how many of those jobs are still held (in
 * flight since before the fallback: their own frees will come). Frees the oldest of the others;
 * returns how many.
 */
const FREE_LEAKED = `
local ours = {}
local jobs = redis.call('hgetall', KEYS[1])
local latest = tonumber(ARGV[2])
for i = 1, #jobs, 2 do
  if jobs[i + 1] == ARGV[1] then
    local expires = tonumber(redis.call('zscore', KEYS[2], jobs[i]))
    if expires ~= nil and expires > 0 and expires <= latest then
      table.insert(ours, { jobs[i], expires })
    end
  end
end
table.sort(ours, function (a, b) return a[2] < b[2] end)
local freed = 0
for i = 1, #ours - tonumber(ARGV[3]) do
  redis.call('zadd', KEYS[2], 0, ours[i][1])
  freed = freed + 1
end
return freed
`;

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
  /** Removes the abort listener of the place it waits in, when it moves or gets its slot. */
  detach?: () => void;
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
  #connection: Bottleneck.IORedisConnection | undefined;
  #mode: FleetMode = 'joining';
  #joinedOnce = false;
  #maxConcurrent: number | undefined;
  #held = 0;
  #localHeld = 0;
  /** Slots held from the fleet (registered in Redis), by requests in flight. */
  #sharedHeld = 0;
  /** `Date.now()` at the last fallback: the jobs registered before it may have lost their frees. */
  #fellBackAt: number | undefined;
  readonly #localWaiters: Waiter[] = [];
  /** Requests waiting for room in Bottleneck's queue (see {@link MAX_QUEUED_IN_CLUSTER}). */
  readonly #backlog: Waiter[] = [];
  #queuedInCluster = 0;
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
      this.#limiter ??= this.#newLimiter(client);
      await this.#limiter.ready();
      const rejoin = this.#joinedOnce;
      // Before any new shared job: they would count as this limiter's.
      const freed = rejoin ? await this.#freeLeaked() : 0;
      const [, maxConcurrent] = await this.#read();
      // Closed while reading (the mode changes across awaits).
      if (this.mode === 'closed') return;
      this.#maxConcurrent = maxConcurrent;
      this.#joinedOnce = true;
      this.#setMode('shared');
      this.#emit(
        rejoin
          ? {
              type: 'rejoined',
              message: `Redis is back: pacing with the fleet again${freed > 0 ? ` (freed ${freed} slots whose release Redis missed)` : ''}`,
            }
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

  /** A limiter of the fleet on `client`'s connection. */
  #newLimiter(client: Redis): Bottleneck {
    const limiter = new Bottleneck({
      id: this.#options.id,
      datastore: 'ioredis',
      connection: this.#connectionOf(client),
      clearDatastore: false,
      // A new fleet's first request goes alone; its response opens the other slots.
      maxConcurrent: 1,
      timeout: this.#options.idleResetMs,
    });
    limiter.on('error', (error: unknown) => this.#report(error));
    return limiter;
  }

  /** Bottleneck's connection on `client` (it adds a subscriber, a duplicate of it). */
  #connectionOf(client: Redis): Bottleneck.IORedisConnection {
    this.#connection ??= new Redis7Connection({ client });
    return this.#connection;
  }

  /**
   * Frees, in Redis, the slots this process freed while Redis was away ({@link FREE_LEAKED});
   * returns how many. Best effort: on an error they come back after `holdLimitMs` as before.
   */
  async #freeLeaked(): Promise<number> {
    const client = this.#client;
    // Bottleneck's id of this limiter in the cluster (Bottleneck 2.19.5, pinned).
    const store = (this.#limiter as unknown as { _store?: { clientId?: unknown } } | undefined)
      ?._store;
    const clientId = store?.clientId;
    if (client === undefined || typeof clientId !== 'string' || this.#fellBackAt === undefined) {
      return 0;
    }
    const { id, holdLimitMs } = this.#options;
    try {
      const freed = await client.eval(
        FREE_LEAKED,
        2,
        `b_${id}_job_clients`,
        `b_${id}_job_expirations`,
        clientId,
        String(this.#fellBackAt + holdLimitMs),
        String(this.#sharedHeld),
      );
      return typeof freed === 'number' ? freed : 0;
    } catch (error) {
      this.#report(error);
      return 0;
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
    const onAbort = (): void => {
      leave();
      waiter.reject(waiter.signal.reason);
    };
    waiter.signal.addEventListener('abort', onAbort, { once: true });
    waiter.detach = () => waiter.signal.removeEventListener('abort', onAbort);
  }

  #waitShared(waiter: Waiter): void {
    const limiter = this.#limiter;
    if (limiter === undefined) {
      this.#waitLocal(waiter);
      return;
    }
    if (this.#queuedInCluster >= MAX_QUEUED_IN_CLUSTER) {
      // Waits here, not in Bottleneck: each job queued there is tried again on every slot the
      // fleet frees (a Redis round trip each), which costs more than it gains.
      this.#waitIn(this.#backlog, waiter);
      return;
    }
    this.#queuedInCluster++;
    let counted = true;
    const started = (): void => {
      if (!counted) return;
      counted = false;
      this.#queuedInCluster--;
      this.#pumpBacklog();
    };
    let state: 'waiting' | 'running' | 'gone' = 'waiting';
    this.#shared.add(waiter);
    const leave = (): void => {
      state = 'gone';
      this.#shared.delete(waiter);
    };
    waiter.toLocal = () => {
      if (state !== 'waiting') return;
      leave();
      waiter.detach?.();
      this.#waitLocal(waiter);
    };
    this.#onAbort(waiter, () => {
      if (state === 'waiting') leave();
    });
    limiter
      .schedule(
        // Bottleneck: 0 goes first, 9 last, 5 by default; the pacer's higher priority goes first.
        {
          priority: Math.max(0, Math.min(9, 5 - waiter.priority)),
          expiration: this.#options.holdLimitMs,
        },
        () =>
          new Promise<void>((done) => {
            started();
            // Gone meanwhile (aborted, or moved to the local share): free the slot at once.
            if (state !== 'waiting') {
              done();
              return;
            }
            state = 'running';
            this.#shared.delete(waiter);
            waiter.detach?.();
            this.#held++;
            this.#sharedHeld++;
            waiter.resolve(this.#sharedSlot(done, 1));
          }),
      )
      .catch((error: unknown) => {
        started();
        this.#report(error);
        if (state !== 'waiting') return;
        // Redis failed this job (a command refused while disconnected): pace alone.
        if (this.#mode === 'shared') this.#fallBack(messageOf(error));
        waiter.toLocal?.();
      });
  }

  /**
   * A slot of the fleet (a running Bottleneck job, ended by `done`) for its `uses`-th request.
   * Released with room left in the bucket and a request of this process waiting, it passes to
   * that request instead of going back to Redis (a submit, a register, a free and a publish
   * saved), at most {@link MAX_SLOT_USES} times in a row, so that the other processes get their
   * turn. After a throttle, or without room, it goes back: the fleet's slots shrink.
   */
  #sharedSlot(done: () => void, uses: number): FleetSlot {
    let released = false;
    return {
      release: (observation) => {
        if (released) return;
        released = true;
        // Read before the slot is freed: `running` still counts this request.
        if (observation !== undefined) this.#consider(observation);
        const room =
          observation === undefined || observation.throttled
            ? 0
            : Math.floor(
                (observation.remaining - this.#options.safetyMargin) / this.#options.upFrontCost,
              );
        const next = room >= 1 && uses < MAX_SLOT_USES ? this.#nextBacklogged() : undefined;
        if (next !== undefined) {
          next.resolve(this.#sharedSlot(done, uses + 1));
          return;
        }
        this.#held--;
        this.#sharedHeld--;
        done();
      },
    };
  }

  /** The first request of the backlog still waiting, taken out of it. */
  #nextBacklogged(): Waiter | undefined {
    return this.#mode === 'shared' ? this.#takeFrom(this.#backlog) : undefined;
  }

  /** Moves waiters of the backlog into Bottleneck's queue as room there frees. */
  #pumpBacklog(): void {
    while (this.#queuedInCluster < MAX_QUEUED_IN_CLUSTER) {
      const waiter = this.#takeFrom(this.#backlog);
      if (waiter === undefined) return;
      this.#place(waiter);
    }
  }

  #waitLocal(waiter: Waiter): void {
    if (this.#localHeld < this.#options.localShare && this.#localWaiters.length === 0) {
      waiter.resolve(this.#localSlot());
      return;
    }
    this.#waitIn(this.#localWaiters, waiter);
  }

  /** Puts `waiter` in `list`, after those of its priority or higher; an abort takes it out. */
  #waitIn(list: Waiter[], waiter: Waiter): void {
    const before = list.findIndex((other) => other.priority < waiter.priority);
    if (before < 0) list.push(waiter);
    else list.splice(before, 0, waiter);
    this.#onAbort(waiter, () => {
      const index = list.indexOf(waiter);
      if (index >= 0) list.splice(index, 1);
    });
  }

  /** The first waiter of `list` not aborted, taken out of it (its abort listener removed). */
  #takeFrom(list: Waiter[]): Waiter | undefined {
    let waiter = list.shift();
    while (waiter?.signal.aborted) waiter = list.shift();
    waiter?.detach?.();
    return waiter;
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
    while (this.#localHeld < this.#options.localShare) {
      const waiter = this.#takeFrom(this.#localWaiters);
      if (waiter === undefined) return;
      waiter.resolve(this.#localSlot());
    }
  }

  #fallBack(reason: string): void {
    if (this.#mode === 'closed' || this.#mode === 'local') return;
    this.#fellBackAt = Date.now();
    this.#setMode('local');
    this.#emit({
      type: 'fallback',
      localShare: this.#options.localShare,
      message: `Redis unreachable (${reason}): pacing alone, at most ${this.#options.localShare} in flight, until it is back`,
    });
    for (const waiter of [...this.#shared]) waiter.toLocal?.();
    for (
      let waiter = this.#takeFrom(this.#backlog);
      waiter;
      waiter = this.#takeFrom(this.#backlog)
    ) {
      this.#waitLocal(waiter);
    }
  }

  #setMode(mode: FleetMode): void {
    this.#mode = mode;
    if (mode !== 'joining') {
      if (this.#joinTimer !== undefined) clearTimeout(this.#joinTimer);
      this.#joinTimer = undefined;
      const joining = [...this.#joining];
      this.#joining.clear();
      for (const waiter of joining) {
        waiter.detach?.();
        if (!waiter.signal.aborted) this.#place(waiter);
      }
    }
    if (mode === 'shared') {
      // Back in the fleet: those waiting for the local share wait for the fleet's slots.
      for (const waiter of this.#localWaiters.splice(0)) {
        waiter.detach?.();
        if (!waiter.signal.aborted) this.#waitShared(waiter);
      }
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

  get mode(): FleetMode {
    return this.#mode;
  }

  snapshot(): FleetSnapshot {
    return { mode: this.#mode, maxConcurrent: this.#maxConcurrent, held: this.#held };
  }

  async close(): Promise<void> {
    if (this.#mode === 'closed') return;
    this.#setMode('closed');
    const closed = new Error('The fleet budget is closed');
    for (const waiter of [...this.#shared, ...this.#localWaiters, ...this.#backlog]) {
      waiter.reject(closed);
    }
    this.#backlog.length = 0;
    this.#shared.clear();
    this.#localWaiters.length = 0;
    await this.#started;
    const limiter = this.#limiter;
    const connection = this.#connection;
    const client = this.#client;
    this.#limiter = undefined;
    this.#connection = undefined;
    this.#client = undefined;
    const flush = client?.status === 'ready';
    try {
      // A limiter on a connection it was given leaves the connection open: quit it ourselves,
      // with both of its clients (ours, and the subscriber it duplicated).
      await limiter?.disconnect(flush);
      if (connection !== undefined) await connection.disconnect(flush);
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
