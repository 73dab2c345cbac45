/**
 * `canvas-sync simulator`: the Canvas simulator as a standalone server on 127.0.0.1, for the
 * integration tests of a Canvas client in any language. It prints where it listens and the
 * variables that point a client at it, then serves until SIGINT or SIGTERM.
 *
 * @module
 */
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { startCanvasSimulator } from '../testing/index.js';
import type { Io } from './io.js';
import { count } from './progress.js';

/** The usage text of `canvas-sync simulator`. */
export const SIMULATOR_USAGE = `Usage: canvas-sync simulator [options]

Runs the Canvas simulator as a standalone HTTP server on 127.0.0.1, for the integration tests
of a Canvas client in any language: a generated institution served with Canvas's pagination,
throttling (its leaky bucket and X-Rate-Limit headers) and errors. Prints the URL, the account
id and the access token, and the variables CANVAS_BASE_URL, CANVAS_ACCESS_TOKEN and
CANVAS_ACCOUNT_ID; serves until SIGINT (Ctrl-C) or SIGTERM.

Options:
  --port N       port to listen on (default: 0, a free one: read the URL printed)
  --courses N    courses (default: 40)
  --students N   students (default: 3000; at most 75 per course)
  --seed N       seed of the data, the latencies and the faults (default: 1)
  --faults       5 % server errors, 2 % connection resets, 3 % broken JSON bodies
  --latency MS   time the simulator takes to answer each request, in ms (default: 0)
  --help         this text

Exit codes: 0 --help, 1 failed (e.g. the port is taken), 2 usage, 130 stopped by SIGINT,
143 stopped by SIGTERM.
`;

const FLAGS = {
  port: { type: 'string' },
  courses: { type: 'string' },
  students: { type: 'string' },
  seed: { type: 'string' },
  faults: { type: 'boolean', default: false },
  latency: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

/** The faults of `--faults`, as `canvas-sync sync --simulate --faults` injects them. */
const FAULTS = { serverErrorRate: 0.05, resetRate: 0.02, malformedJsonRate: 0.03 };

/** A mistake on the command line: exit code 2. */
class UsageError extends Error {}

/** The value of an integer flag in `[min, max]`, `fallback` when not given. */
function integer(
  flag: string,
  value: string | undefined,
  [min, max, fallback]: readonly [min: number, max: number, fallback: number],
): number {
  if (value === undefined) return fallback;
  const parsed = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, not "${value}"`);
  }
  return parsed;
}

/** What the command line asks for, or `'help'`. */
function readSettings(args: string[]) {
  let flags: ReturnType<typeof parseArgs<{ args: string[]; options: typeof FLAGS }>>['values'];
  try {
    flags = parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (flags.help) return 'help';
  return {
    port: integer('port', flags.port, [0, 65_535, 0]),
    courses: integer('courses', flags.courses, [1, 10_000, 40]),
    students: integer('students', flags.students, [1, 1_000_000, 3_000]),
    seed: integer('seed', flags.seed, [-(2 ** 31), 2 ** 31, 1]),
    latencyMs: integer('latency', flags.latency, [0, 600_000, 0]),
    faults: flags.faults,
  };
}

/** Resolves with the abort reason once `signal` aborts; never without a signal. */
function stopped(signal: AbortSignal | undefined): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve(signal.reason);
    signal?.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

/** 128 + the signal's number for a signal name (SIGINT 130, SIGTERM 143), else 0. */
function exitCode(reason: unknown): number {
  const signals: Readonly<Record<string, number>> = constants.signals;
  return typeof reason === 'string' && Object.hasOwn(signals, reason)
    ? 128 + (signals[reason] as number)
    : 0;
}

/**
 * Runs `canvas-sync simulator` with the command line `args` (after `simulator`): starts the
 * simulator on 127.0.0.1, prints its URL, account id, token and the `CANVAS_*` variables on
 * `io.stdout`, and serves until `io.signal` aborts (forever without one). Resolves to the exit
 * code: 130 or 143 when stopped by SIGINT or SIGTERM (the signal's reason), 0 for `--help`,
 * 2 for a usage mistake, 1 when the simulator cannot start (e.g. the port is taken).
 *
 * The simulator runs in this process, not in a worker thread (`simulator-thread.ts`, which the
 * sync uses so as not to share its event loop): here nothing else runs on the event loop, and a
 * thread would only add a second heap (and, from source, a tsx boot in the thread).
 */
export async function runSimulatorCommand(args: string[], io: Io): Promise<number> {
  let settings: ReturnType<typeof readSettings>;
  try {
    settings = readSettings(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`canvas-sync simulator: ${error.message}\nSee --help for usage.\n`);
    return 2;
  }
  if (settings === 'help') {
    io.stdout.write(SIMULATOR_USAGE);
    return 0;
  }
  const { port, courses, students, seed, latencyMs, faults } = settings;
  const perCourse = Math.min(75, students);
  let sim: Awaited<ReturnType<typeof startCanvasSimulator>>;
  try {
    sim = await startCanvasSimulator({
      host: '127.0.0.1',
      port,
      seed,
      latencyMs,
      maxSamples: 1, // nobody reads the level series here
      institution: { courses, students, studentsPerCourse: perCourse, pageViewsUntil: io.now() },
      ...(faults && { faults: FAULTS }),
    });
  } catch (error) {
    io.stderr.write(`canvas-sync simulator: ${error instanceof Error ? error.message : error}\n`);
    return 1;
  }
  const accountId = sim.data.account.id;
  io.stdout.write(
    `Canvas simulator listening on ${sim.url}\n` +
      `  account ${accountId}, token ${sim.token}\n` +
      `  ${count(courses)} courses, ${count(students)} students (${perCourse} per course), ` +
      `latency ${latencyMs} ms, seed ${seed}` +
      (faults ? ', faults: 5 % 5xx, 2 % connection resets, 3 % malformed JSON' : '') +
      `\n\nCANVAS_BASE_URL=${sim.url}\nCANVAS_ACCESS_TOKEN=${sim.token}\n` +
      `CANVAS_ACCOUNT_ID=${accountId}\n\nServing until SIGINT (Ctrl-C) or SIGTERM.\n`,
  );
  const reason = await stopped(io.signal);
  io.stdout.write(`${String(reason)}: closing the simulator\n`);
  await sim.close();
  return exitCode(reason);
}
