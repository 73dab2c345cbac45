import { faultsSchema, formatIssues, type SimulatorFaults } from './options.js';

/**
 * Kinds of fault the simulator can inject.
 * @category Testing
 */
export type FaultKind =
  | 'serverError'
  | 'reset'
  | 'slow'
  | 'malformedJson'
  | 'retryAfter'
  | 'mutation'
  | 'foreignNext'
  | 'invalidBookmark';

/**
 * How many faults of each kind were injected.
 * @category Testing
 */
export type FaultCounts = Record<FaultKind, number>;

interface ResolvedFaults {
  readonly serverErrorRate: number;
  readonly serverErrorStatuses: readonly (500 | 502 | 503)[];
  readonly resetRate: number;
  readonly slowRate: number;
  readonly slowMs: number;
  readonly malformedJsonRate: number;
  readonly retryAfterRate: number;
  readonly retryAfterFormat: 'seconds' | 'http-date';
  readonly retryAfterSeconds: number;
  readonly mutationRate: number;
  readonly foreignNextRate: number;
  readonly foreignOrigin: string;
  readonly invalidBookmarkRate: number;
  readonly pathPattern: RegExp | undefined;
}

/** Validates fault settings, throwing a `TypeError` that names every bad field. */
export function parseFaults(faults: unknown): SimulatorFaults {
  const parsed = faultsSchema.safeParse(faults ?? {});
  if (!parsed.success) {
    throw new TypeError(`Invalid simulator faults: ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

function resolve(faults: SimulatorFaults): ResolvedFaults {
  return {
    serverErrorRate: faults.serverErrorRate ?? 0,
    serverErrorStatuses: faults.serverErrorStatuses ?? [500, 502, 503],
    resetRate: faults.resetRate ?? 0,
    slowRate: faults.slowRate ?? 0,
    slowMs: faults.slowMs ?? 30_000,
    malformedJsonRate: faults.malformedJsonRate ?? 0,
    retryAfterRate: faults.retryAfterRate ?? 0,
    retryAfterFormat: faults.retryAfterFormat ?? 'seconds',
    retryAfterSeconds: faults.retryAfterSeconds ?? 1,
    mutationRate: faults.mutationRate ?? 0,
    foreignNextRate: faults.foreignNextRate ?? 0,
    foreignOrigin: faults.foreignOrigin ?? 'https://attacker.example',
    invalidBookmarkRate: faults.invalidBookmarkRate ?? 0,
    pathPattern: faults.pathPattern,
  };
}

function emptyCounts(): FaultCounts {
  return {
    serverError: 0,
    reset: 0,
    slow: 0,
    malformedJson: 0,
    retryAfter: 0,
    mutation: 0,
    foreignNext: 0,
    invalidBookmark: 0,
  };
}

/**
 * Decides, from a seeded random stream, which faults hit a request, and counts
 * them. Each decision draws exactly one number, so a given seed and request
 * sequence always yields the same faults.
 */
export class FaultInjector {
  #faults: ResolvedFaults;
  #counts: FaultCounts = emptyCounts();

  constructor(
    faults: SimulatorFaults,
    private readonly random: () => number,
  ) {
    this.#faults = resolve(faults);
  }

  /** Replaces every fault setting (validated). */
  set(faults: SimulatorFaults): void {
    this.#faults = resolve(parseFaults(faults));
  }

  /** Counts of injected faults since start or the last `resetCounts`. */
  counts(): FaultCounts {
    return { ...this.#counts };
  }

  resetCounts(): void {
    this.#counts = emptyCounts();
  }

  /** Whether faults apply to this path at all. */
  appliesTo(path: string): boolean {
    return this.#faults.pathPattern === undefined || this.#faults.pathPattern.test(path);
  }

  /** A 5xx status to answer with, or `undefined`. */
  serverError(): 500 | 502 | 503 | undefined {
    if (!this.#roll('serverError', this.#faults.serverErrorRate)) return undefined;
    const statuses = this.#faults.serverErrorStatuses;
    return statuses[Math.floor(this.random() * statuses.length)] ?? 500;
  }

  /** Whether to reset the connection mid-response. */
  reset(): boolean {
    return this.#roll('reset', this.#faults.resetRate);
  }

  /** Extra delay in ms (0 for no fault). */
  slowMs(): number {
    return this.#roll('slow', this.#faults.slowRate) ? this.#faults.slowMs : 0;
  }

  /** Whether to cut the JSON body short. */
  malformedJson(): boolean {
    return this.#roll('malformedJson', this.#faults.malformedJsonRate);
  }

  /** A `Retry-After` value for a throttled response, or `undefined`. */
  retryAfter(wallClockMs: number): string | undefined {
    if (!this.#roll('retryAfter', this.#faults.retryAfterRate)) return undefined;
    const seconds = this.#faults.retryAfterSeconds;
    if (this.#faults.retryAfterFormat === 'seconds') return String(seconds);
    return new Date(wallClockMs + seconds * 1000).toUTCString();
  }

  /** `'insert'`, `'delete'` or `undefined`: a change to a numbered collection between pages. */
  mutation(): 'insert' | 'delete' | undefined {
    if (!this.#roll('mutation', this.#faults.mutationRate)) return undefined;
    return this.random() < 0.5 ? 'insert' : 'delete';
  }

  /** The foreign origin to put in a `next` link, or `undefined`. */
  foreignNext(): string | undefined {
    return this.#roll('foreignNext', this.#faults.foreignNextRate)
      ? this.#faults.foreignOrigin
      : undefined;
  }

  /** Whether to replace a `next` bookmark by an invalid one. */
  invalidBookmark(): boolean {
    return this.#roll('invalidBookmark', this.#faults.invalidBookmarkRate);
  }

  #roll(kind: FaultKind, rate: number): boolean {
    if (rate <= 0) return false;
    const hit = rate >= 1 || this.random() < rate;
    if (hit) this.#counts[kind]++;
    return hit;
  }
}
