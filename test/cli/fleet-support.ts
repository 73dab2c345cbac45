/**
 * Helpers of the fleet tests (`canvas-sync plan` and `canvas-sync worker` as processes): a
 * simulator whose answers can be held back (a gate), the commands spawned and their output
 * read, the brokers' queues made and removed, and the sync state of a PostgreSQL warehouse.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { buildApp } from 'fauxqs';
import { expect, onTestFinished } from 'vitest';
import { BullMQQueueAdapter } from '../../src/queue/bullmq/index.js';
import { RabbitMQQueueAdapter } from '../../src/queue/rabbitmq/index.js';
import { parseSqsQueueTarget, SqsQueueAdapter } from '../../src/queue/sqs/index.js';
import { type CanvasSimulator, startCanvasSimulator } from '../../src/testing/index.js';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION } from '../queue/support/fauxqs-server.js';
import { canvasEnv, type Exit } from './support.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** The `canvas-sync` command, from source. */
const COMMAND = join(ROOT, 'src/cli/main.ts');

/** How long a test waits for a condition before it fails (the test's timeout bounds it too). */
export const DEADLINE_MS = 20_000;

// --- the simulator ----------------------------------------------------------------------------

/**
 * A simulator whose answers can be held: while the gate is closed, every request that reaches
 * it waits (in flight, counted by `sim.stats(token).inFlight`) until the gate opens. Each process
 * of a test gets a token of its own, so that what is in flight is known per process.
 */
export interface GatedSimulator {
  readonly sim: CanvasSimulator;
  /** Holds the answers of the requests that arrive from now on. */
  close(): void;
  /** Lets the held answers go (after their latency), and every later one. */
  open(): void;
  /** Sets the latency of the requests that arrive from now on (ms, at least 1). */
  setLatency(ms: number): void;
  /** The variables that point a process at the simulator with the token `token`. */
  env(token: string): Record<string, string>;
}

/**
 * Starts a simulator of a small institution (2 courses, 20 students: some 40 tasks) knowing the
 * tokens `tokens`; stopped when the test ends. The gate works on the simulator's own waits (its
 * `clock` option's timers), so a latency of at least 1 ms is always set (no wait, no gate).
 */
export async function startGatedSimulator(tokens: readonly string[]): Promise<GatedSimulator> {
  let latency = 1;
  let gateOpen = true;
  const held = new Set<{ callback: () => void; ms: number; handle?: NodeJS.Timeout }>();
  const sim = await startCanvasSimulator({
    tokens: [...tokens],
    latencyMs: () => latency,
    institution: { courses: 2, students: 20, studentsPerCourse: 20 },
    clock: {
      now: () => performance.now(),
      epochNow: () => Date.now(),
      setTimeout(callback, ms) {
        const timer: { callback: () => void; ms: number; handle?: NodeJS.Timeout } = {
          callback,
          ms,
        };
        if (gateOpen) timer.handle = setTimeout(callback, ms);
        else held.add(timer);
        return timer;
      },
      clearTimeout(handle) {
        const timer = handle as { handle?: NodeJS.Timeout } | undefined;
        if (timer === undefined) return;
        held.delete(timer as never);
        clearTimeout(timer.handle);
      },
    },
  });
  onTestFinished(() => sim.close());
  return {
    sim,
    close: () => {
      gateOpen = false;
    },
    open: () => {
      gateOpen = true;
      for (const timer of held) timer.handle = setTimeout(timer.callback, timer.ms);
      held.clear();
    },
    setLatency: (ms) => {
      latency = Math.max(1, ms);
    },
    env: (token) => ({ ...canvasEnv(sim), CANVAS_ACCESS_TOKEN: token }),
  };
}

// --- the commands -----------------------------------------------------------------------------

/** The environment without any Canvas setting of the machine running the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('CANVAS_')),
  );
}

/** A `canvas-sync` command running as a process. */
export interface Command {
  readonly child: ReturnType<typeof spawn>;
  /** Resolves when the process has exited and its output is closed. */
  readonly exit: Promise<Exit & { readonly signal: NodeJS.Signals | null }>;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  /**
   * Resolves once its stdout satisfies `holds` (checked now and at every piece of output);
   * rejects if the process ends first, or after {@link DEADLINE_MS}.
   */
  printed(holds: (stdout: string) => boolean, what: string): Promise<void>;
}

/**
 * Runs `node --import tsx src/cli/main.ts …args` from the repository, with the environment of
 * the tests' machine less its `CANVAS_` variables, plus `env`. The process is killed when the
 * test ends, if it still runs.
 */
export function startCommand(args: string[], env: Record<string, string>): Command {
  const child = spawn(process.execPath, ['--import', 'tsx', COMMAND, ...args], {
    cwd: ROOT,
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  const exit = new Promise<Exit & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const watcher of [...watchers]) watcher();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const printed = (holds: (text: string) => boolean, what: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        watchers.delete(check);
        clearTimeout(deadline);
        if (error === undefined) resolve();
        else reject(error);
      };
      const check = (): void => {
        if (holds(stdout)) settle();
      };
      const deadline = setTimeout(
        () => settle(new Error(`not ${what} within ${DEADLINE_MS} ms:\n${stdout}${stderr}`)),
        DEADLINE_MS,
      );
      watchers.add(check);
      exit.then(
        () => settle(new Error(`the process ended before ${what}:\n${stdout}${stderr}`)),
        (error: Error) => settle(error),
      );
      check();
    });
  return { child, exit, stdout: () => stdout, stderr: () => stderr, printed };
}

/** Runs a command to its end. */
export function runCommand(args: string[], env: Record<string, string>) {
  return startCommand(args, env).exit;
}

/** The number of tasks `canvas-sync plan` says it planned. */
export function plannedCount(stdout: string): number {
  const match = /^planned ([\d,]+) tasks over [\d,]+ courses/m.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`no "planned N tasks" line:\n${stdout}`);
  return Number(match[1].replaceAll(',', ''));
}

/** The end of the page-view window of a plan or run (`the page views of A to B`), as epoch ms. */
export function windowEnd(stdout: string): number {
  const match = /the page views of \S+ to (\d{4}-\d\d-\d\d) \(UTC/.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`no page-view window:\n${stdout}`);
  return Date.parse(`${match[1]}T00:00:00.000Z`);
}

/** What a worker's `--verbose` lines say: the task keys of each outcome, in order. */
export interface TaskLines {
  readonly ack: string[];
  readonly retry: string[];
  readonly deadLetter: string[];
}

/** Reads the `--verbose` lines of a worker: `ack|retry|dead-letter <kind> <key>[ (reason)]`. */
export function taskLines(stdout: string): TaskLines {
  const lines: TaskLines = { ack: [], retry: [], deadLetter: [] };
  for (const [, outcome, key] of stdout.matchAll(/^(ack|retry|dead-letter) \S+ (\S+)/gm)) {
    if (key === undefined) continue;
    if (outcome === 'ack') lines.ack.push(key);
    else if (outcome === 'retry') lines.retry.push(key);
    else lines.deadLetter.push(key);
  }
  return lines;
}

/** The figures of a worker's last line: `worker done: N tasks done, R retried, D dead-lettered`. */
export function workerDone(stdout: string): { done: number; retried: number; dead: number } {
  const match = /^worker done: ([\d,]+) tasks done, ([\d,]+) retried, ([\d,]+) dead-lettered/m.exec(
    stdout,
  );
  if (match === null) throw new Error(`no "worker done" line:\n${stdout}`);
  const [done, retried, dead] = match.slice(1).map((n) => Number(n.replaceAll(',', '')));
  return { done: done ?? Number.NaN, retried: retried ?? Number.NaN, dead: dead ?? Number.NaN };
}

// --- the brokers ------------------------------------------------------------------------------

/** A broker of the tests: its `--queue` flags for a fresh queue, which the test then removes. */
export interface TestBroker {
  readonly name: 'bullmq' | 'rabbitmq' | 'sqs';
  /** The service's URL, `undefined` when it is not running (the test then skips, or fails). */
  readonly url: string | undefined;
  /** The variable that gives the URL (`.ci/run` sets it), or `undefined` for fauxqs. */
  readonly variable: string | undefined;
  /** Whether the workers need a short `--lease-ms` to take a dead worker's tasks quickly. */
  readonly leased: boolean;
  /**
   * Makes a fresh queue (removed when the test ends) and returns the flags that name it, and the
   * environment its processes need.
   */
  fresh(): Promise<{ flags: string[]; env: Record<string, string> }>;
}

/** A queue name no other test (or run) uses. */
function freshName(): string {
  return `cs-fleet-${randomUUID().slice(0, 8)}`;
}

/** BullMQ on `url`; the queue obliterated when the test ends. */
export function bullmq(url: string | undefined): TestBroker {
  return {
    name: 'bullmq',
    url,
    variable: 'CANVAS_SYNC_REDIS_URL',
    leased: true,
    async fresh() {
      const name = freshName();
      onTestFinished(async () => {
        const cleaner = new BullMQQueueAdapter({ name, url: url ?? '' });
        try {
          await cleaner.obliterate();
        } finally {
          await cleaner.close();
        }
      });
      return { flags: ['--queue', url ?? '', '--queue-name', name], env: {} };
    },
  };
}

/** RabbitMQ on `url`; the queue and its dead-letter queue deleted when the test ends. */
export function rabbitmq(url: string | undefined): TestBroker {
  return {
    name: 'rabbitmq',
    url,
    variable: 'CANVAS_SYNC_AMQP_URL',
    leased: false,
    async fresh() {
      const name = freshName();
      onTestFinished(async () => {
        const cleaner = new RabbitMQQueueAdapter({ name, url: url ?? '' });
        try {
          await cleaner.deleteQueues();
        } finally {
          await cleaner.close();
        }
      });
      return { flags: ['--queue', url ?? '', '--queue-name', name], env: {} };
    },
  };
}

/**
 * fauxqs on 127.0.0.1 (a free port), for the command's `sqs://…?endpoint=http://127.0.0.1:PORT`
 * form; stopped when the test ends, with its queues. The command names a queue
 * `<endpoint>/<account>/<name>` (as AWS, LocalStack and ElasticMQ accept it); fauxqs knows a queue
 * only by the URL it gave it, `http://sqs.<region>.localhost:PORT/<account>/<name>` (a host that
 * does not resolve here): the server takes one for the other.
 */
async function startFauxqs(): Promise<string> {
  const app = buildApp({ logger: false, defaultRegion: FAUXQS_REGION });
  let endpoint = '';
  let named = '';
  app.addHook('preHandler', async (request) => {
    const body = request.body as { QueueUrl?: unknown } | undefined;
    if (typeof body?.QueueUrl === 'string' && body.QueueUrl.startsWith(`${endpoint}/`)) {
      body.QueueUrl = named + body.QueueUrl.slice(endpoint.length);
    }
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => app.close());
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('fauxqs has no port');
  endpoint = `http://127.0.0.1:${address.port}`;
  named = `http://sqs.${FAUXQS_REGION}.localhost:${address.port}`;
  return endpoint;
}

/**
 * SQS on a fauxqs server started in this process for the test; the queue and its dead-letter
 * queue are created first, as the command does not.
 */
export function sqs(): TestBroker {
  return {
    name: 'sqs',
    url: 'fauxqs',
    variable: undefined,
    leased: true,
    async fresh() {
      const endpoint = await startFauxqs();
      const queue =
        `sqs://sqs.${FAUXQS_REGION}.amazonaws.com/000000000000/${freshName()}` +
        `?endpoint=${endpoint}`;
      const maker = new SqsQueueAdapter({
        ...parseSqsQueueTarget(queue),
        credentials: FAUXQS_CREDENTIALS,
      });
      try {
        await maker.ensureQueues({ maxReceiveCount: 5 });
      } finally {
        await maker.close();
      }
      return {
        flags: ['--queue', queue],
        // The SDK's credential chain: these first, so nothing of the machine's is looked for.
        env: {
          AWS_ACCESS_KEY_ID: FAUXQS_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      };
    },
  };
}

// --- the warehouse ----------------------------------------------------------------------------

/** Fails the test at once when the service a test needs is not set while under CI. */
export function requireService(url: string | undefined, variable: string): string {
  if (url === undefined) {
    expect.fail(`CI=true but ${variable} is not set: .ci/run starts the service and sets it`);
  }
  return url;
}
