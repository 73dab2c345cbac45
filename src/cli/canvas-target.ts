import {
  CanvasOptionsError,
  type CourseScope,
  FerpaSanitizer,
  refreshTokenProvider,
  type TokenProvider,
} from '../index.js';
import { startCanvasSimulator } from '../testing/index.js';
import type { Io } from './io.js';
import { count } from './progress.js';
import { type Settings, type Source, UsageError } from './settings.js';
import {
  type SimulatorThread,
  type SimulatorThreadOptions,
  startSimulatorThread,
} from './simulator-thread.js';

// --- Where the data comes from: the simulator or a real Canvas --------------------------------

/** Where the data comes from: a real Canvas, or the embedded simulator. */
export interface Target {
  readonly baseUrl: string;
  readonly token: string | TokenProvider;
  readonly scope: CourseScope;
  readonly sanitizer: FerpaSanitizer;
  /** The embedded simulator and its mean latency in ms; `undefined` against a real Canvas. */
  readonly sim: { readonly canvas: SimulatedCanvas; readonly meanLatencyMs: number } | undefined;
}

const SIMULATED_FAULTS = { serverErrorRate: 0.05, resetRate: 0.02, malformedJsonRate: 0.03 };
/** Pseudonym key of simulator runs: anyone can recompute these pseudonyms (fine for fake data). */
const DEMO_KEY = 'canvas-sync demo key: NOT a secret';

/**
 * Pseudonyms the sanitizer remembers (about 120 bytes each, so about 2.4 MB when full). A
 * student's identifiers come back within a course (its roster, submissions, summaries and page
 * views are fetched one after the other), so this holds the courses in hand many times over,
 * whatever the size of the institution; the library's default (200,000, about 24 MB) also hits
 * across courses, for a few µs of hashing saved per identifier.
 */
const PSEUDONYM_CACHE = 20_000;

function makeSanitizer(key: string, keyId?: string): FerpaSanitizer {
  try {
    // 'redact-all': discussion posts and comments can quote names, which no pattern catches.
    return new FerpaSanitizer({
      key,
      freeText: 'redact-all',
      cacheSize: PSEUDONYM_CACHE,
      ...(keyId && { keyId }),
    });
  } catch (error) {
    // The error names the problem (e.g. a key that is too short), never the key.
    if (error instanceof CanvasOptionsError)
      throw new UsageError(`CANVAS_SYNC_HMAC_KEY: ${error.message}`);
    throw error;
  }
}

export function realCanvas(source: Extract<Source, { kind: 'canvas' }>, io: Io): Target {
  const { baseUrl, accountId, termId, key } = source;
  const sanitizer = makeSanitizer(key);
  // An OAuth2 refresh token: a new access token each hour, redacted like the first.
  const token =
    typeof source.token === 'string'
      ? source.token
      : refreshTokenProvider({ baseUrl, ...source.token });
  const account = accountId ? `, account ${accountId}` : '';
  io.stdout.write(`Canvas: ${baseUrl}${account}${termId ? `, term ${termId}` : ''}\n`);
  return { baseUrl, token, scope: { accountId, termId }, sanitizer, sim: undefined };
}

/** The embedded simulator, in its own thread or (tests) in this one. */
type SimulatedCanvas = Pick<SimulatorThread, 'url' | 'token' | 'accountId' | 'bucket' | 'close'> & {
  stats(): Promise<{ readonly level: number; readonly peakLevel: number }>;
};

/**
 * Starts the simulator in a worker thread, so that it does not compete with the sync for the
 * event loop (its figures then say what pacing achieves, not what one core can serve); in this
 * thread when `io.simulatorInProcess` (tests: a faster start).
 */
async function startSimulated(io: Io, options: SimulatorThreadOptions): Promise<SimulatedCanvas> {
  if (io.simulatorInProcess !== true) return startSimulatorThread(options);
  const { latencyMs, ...rest } = options;
  const canvas = await startCanvasSimulator({
    ...rest,
    ...(latencyMs !== undefined && {
      latencyMs:
        typeof latencyMs === 'number'
          ? latencyMs
          : (request) => latencyMs.min + (latencyMs.max - latencyMs.min) * request.random(),
    }),
  });
  return {
    url: canvas.url,
    token: canvas.token,
    accountId: canvas.data.account.id,
    bucket: canvas.bucket,
    stats: async () => canvas.stats(),
    close: () => canvas.close(),
  };
}

export async function simulatedCanvas(
  settings: Settings,
  key: string | undefined,
  io: Io,
): Promise<Target> {
  const sanitizer = key ? makeSanitizer(key) : makeSanitizer(DEMO_KEY, 'demo');
  const { courses, students, seed, faults } = settings;
  const perCourse = Math.min(75, students);
  // Simulated request latency: 30 to 50 ms, 40 ms on average, unless the caller sets one.
  const latency = io.simulatorLatencyMs;
  // Its page views end now, by the job's clock: the last days hold some.
  const institution = { courses, students, studentsPerCourse: perCourse, pageViewsUntil: io.now() };
  const canvas = await startSimulated(io, {
    seed,
    latencyMs: latency ?? { min: 30, max: 50 },
    institution,
    ...(faults && { faults: SIMULATED_FAULTS }),
  });
  const say = (line: string): unknown => io.stdout.write(`${line}\n`);
  say(`Canvas simulator listening on ${canvas.url}`);
  say(
    `  ${count(courses)} courses, ${count(students)} students (${perCourse} per course), ` +
      `latency ${latency ?? '30-50'} ms, seed ${seed}` +
      (faults ? ', faults: 5 % 5xx, 2 % connection resets, 3 % malformed JSON' : ''),
  );
  if (!key) {
    say('  pseudonyms use a fixed demo key, so they are not secret (fine for simulated');
    say('  data); set CANVAS_SYNC_HMAC_KEY to use your own');
  }
  return {
    baseUrl: canvas.url,
    token: canvas.token,
    scope: { accountId: canvas.accountId },
    sanitizer,
    sim: { canvas, meanLatencyMs: latency ?? 40 },
  };
}
