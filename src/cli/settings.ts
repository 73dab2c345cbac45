/**
 * The command line and the environment of `canvas-sync sync`: its flags, their
 * defaults and checks, the usage text, and the variables that point it at a real Canvas. Pure:
 * values in, values or a {@link UsageError} out.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseQueueChoice, QUEUE_FORMS, type QueueChoice } from './queue-target.js';
import { redactUrl } from './redact.js';
import { UsageError } from './settings-error.js';

export const USAGE = `Usage: canvas-sync sync [options]

Syncs the rosters, gradebooks and engagement data of every course of a Canvas account into a
warehouse kept current, student identifiers pseudonymized. Run it again to bring the warehouse
up to date (new, changed and deleted records; the page views since the last run), or to resume
an interrupted run.

Canvas (a real one, unless --simulate):
  --base-url URL     the Canvas to sync (default: CANVAS_BASE_URL)
  --account-id ID    the account whose courses are synced (default: CANVAS_ACCOUNT_ID)
  --term-id ID       only the courses of this enrollment term (default: CANVAS_TERM_ID)
  --simulate         sync the embedded Canvas simulator instead (no variables needed)

Output:
  --out DIR          output directory: the SQLite database DIR/canvas-sync.db, dead letters and
                     the state of an interrupted run (default: out)
  --format FORMAT    sqlite (default), or jsonl: one JSON Lines change log per kind in DIR
  --db URL           a PostgreSQL database instead (postgres://user:password@host/db)
  --db-schema NAME   its schema (default: canvas_sync)
  --report FILE      write a run report: FILE.json (machine-readable) or FILE.html (a page with
                     charts); repeatable
  --full             read every assignment's submissions whole, not only those graded or
                     submitted since the last run: also picks up new comments and late or
                     missing flags set as due dates pass (weekly, say)
  --concurrency N    tasks fetched at once (default: 16)
  --progress-ms N    time between progress updates (default: 100 on a terminal, else 2000)
  --quiet            no progress updates
  --help             this text

Fleet (planner and workers on a broker; see canvas-sync plan --help and canvas-sync worker --help):
  --queue URL        put the tasks on a broker instead of an in-process queue, so that workers
                     on other machines (canvas-sync worker) share the run: redis://host:6379
                     (BullMQ), amqp://user:password@host/vhost (RabbitMQ) or
                     sqs://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE (Amazon SQS)
  --queue-name NAME  the queue on Redis or RabbitMQ (default: canvas-sync)
  --lease-ms N       how long a task is held before another worker may take it if this one
                     dies (BullMQ lock, SQS visibility timeout; default 30000)
  --single-host      allow a file output (SQLite) with --queue: every process of the fleet runs
                     on this machine and shares --out (otherwise the fleet writes to --db)
  --pacing-redis URL share the token's budget with every process of the fleet through this
                     Redis (default: the Redis of a redis:// --queue; otherwise each process
                     paces alone)

With --simulate:
  --courses N        courses (default: 40)
  --students N       students (default: 3000; at most 75 per course)
  --seed N           seed of the data and of the faults (default: 1)
  --faults           5 % server errors, 2 % connection resets, 3 % broken JSON bodies

Secrets come from the environment only: CANVAS_ACCESS_TOKEN (or CANVAS_CLIENT_ID,
CANVAS_CLIENT_SECRET and CANVAS_REFRESH_TOKEN for an OAuth2 refresh token), and
CANVAS_SYNC_HMAC_KEY, a secret of at least 32 bytes for the pseudonyms.

Exit codes: 0 done, 1 failed, 2 usage, 3 finished with dead letters, 130 stopped by SIGINT,
143 stopped by SIGTERM.
`;

export { UsageError };

/** Where the records go. */
export type OutputChoice =
  /** One SQLite database file (`DIR/canvas-sync.db`). */
  | { readonly format: 'sqlite'; readonly path: string }
  /** One JSON Lines change log per kind of task, in `dir`. */
  | { readonly format: 'jsonl'; readonly dir: string }
  /** A PostgreSQL database; `schema` `undefined` for the sink's default. */
  | { readonly format: 'postgres'; readonly url: string; readonly schema: string | undefined };

/** The SQLite database file of an output directory. */
export const DATABASE_FILE = 'canvas-sync.db';

/** What the command line asks for. */
export interface Settings {
  /** The output directory: the SQLite file or the change logs, and the run's state files. */
  readonly out: string;
  readonly output: OutputChoice;
  readonly concurrency: number;
  /** Every assignment's submissions read whole (`--full`), not incrementally. */
  readonly full: boolean;
  /** Time between progress updates, or `undefined` for none. */
  readonly progressMs: number | undefined;
  readonly courses: number;
  readonly students: number;
  readonly seed: number;
  readonly faults: boolean;
  /** The simulator-only flags that were given (refused against a real Canvas). */
  readonly simulatorFlags: readonly string[];
  /** `--simulate`: the embedded simulator instead of a real Canvas. */
  readonly simulate: boolean;
  /** `--base-url`, `--account-id`, `--term-id`: what the environment would say otherwise. */
  readonly canvas: {
    readonly baseUrl: string | undefined;
    readonly accountId: string | undefined;
    readonly termId: string | undefined;
  };
  /** Run reports to write (`--report`), absolute paths ending `.json` or `.html`. */
  readonly reports: readonly string[];
  /** `--queue`: the broker of a fleet, or `undefined` for the in-process queue. */
  readonly queue: QueueChoice | undefined;
  /** `--lease-ms`: how long a delivery is held by a worker that may have died. */
  readonly leaseMs: number | undefined;
  /** `--single-host`: a file output is allowed in a fleet (every process on this machine). */
  readonly singleHost: boolean;
  /** `canvas-sync worker --exit-when-idle`: exit once the broker has had nothing for `idleMs`. */
  readonly exitWhenIdle: boolean;
  /** `--idle-ms`: how long the broker must have had nothing for a worker to exit. */
  readonly idleMs: number;
  /** `--verbose`: a line per task outcome (canvas-sync worker). */
  readonly verbose: boolean;
  /**
   * The Redis through which a fleet's processes share the token's budget: `--pacing-redis`, or
   * the Redis of a BullMQ `--queue`; `undefined` when each process paces alone.
   */
  readonly pacingRedis: string | undefined;
}

/** The commands that read these settings. */
export type SettingsCommand = 'sync' | 'plan' | 'worker';

const FLAGS = {
  out: { type: 'string', default: 'out' },
  format: { type: 'string' },
  db: { type: 'string' },
  'db-schema': { type: 'string' },
  full: { type: 'boolean', default: false },
  concurrency: { type: 'string' },
  'progress-ms': { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
  courses: { type: 'string' },
  students: { type: 'string' },
  seed: { type: 'string' },
  faults: { type: 'boolean' },
  simulate: { type: 'boolean', default: false },
  'base-url': { type: 'string' },
  'account-id': { type: 'string' },
  'term-id': { type: 'string' },
  report: { type: 'string', multiple: true },
  queue: { type: 'string' },
  'queue-name': { type: 'string' },
  'lease-ms': { type: 'string' },
  'single-host': { type: 'boolean', default: false },
  'exit-when-idle': { type: 'boolean', default: false },
  'idle-ms': { type: 'string' },
  verbose: { type: 'boolean', default: false },
  'pacing-redis': { type: 'string' },
} as const;

/** The flags a command does not take. */
const NOT_FOR: Readonly<Record<SettingsCommand, readonly (keyof typeof FLAGS)[]>> = {
  sync: ['exit-when-idle', 'idle-ms', 'verbose'],
  plan: [
    'concurrency',
    'progress-ms',
    'quiet',
    'report',
    'lease-ms',
    'exit-when-idle',
    'idle-ms',
    'verbose',
    ...(['simulate', 'courses', 'students', 'seed', 'faults'] as const),
  ],
  worker: [
    'full',
    'progress-ms',
    'quiet',
    'report',
    'account-id',
    'term-id',
    ...(['simulate', 'courses', 'students', 'seed', 'faults'] as const),
  ],
};
const SIMULATOR_FLAGS = ['courses', 'students', 'seed', 'faults'] as const;

function readFlags(args: string[]) {
  try {
    return parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

interface IntegerFlag {
  readonly min: number;
  readonly max: number;
  readonly fallback: number;
}

/** The value of an integer flag, `fallback` when not given. */
function integer(flag: string, value: string | undefined, range: IntegerFlag): number {
  const { min, max, fallback } = range;
  if (value === undefined) return fallback;
  const parsed = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, not "${value}"`);
  }
  return parsed;
}

/**
 * Parses the command line; `undefined` when it asks for `--help` ({@link USAGE}). `terminal`:
 * whether stdout is a terminal (it sets the default time between progress updates).
 */
export function parseSettings(
  args: string[],
  terminal: boolean,
  command: SettingsCommand = 'sync',
): Settings | undefined {
  const flags = readFlags(args);
  if (flags.help) return undefined;
  for (const name of NOT_FOR[command]) {
    if (args.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`))) {
      throw new UsageError(
        name === 'simulate' || SIMULATOR_FLAGS.includes(name as never)
          ? `--${name}: not with canvas-sync ${command}, whose processes must all reach one Canvas: start \`canvas-sync simulator\` and give its CANVAS_ variables to every process`
          : `--${name}: not a flag of canvas-sync ${command}`,
      );
    }
  }
  const queue =
    flags.queue === undefined ? undefined : parseQueueChoice(flags.queue, flags['queue-name']);
  if (queue === undefined) {
    if (command !== 'sync') {
      throw new UsageError(
        `--queue is required: canvas-sync ${command} works on a broker, ${QUEUE_FORMS}`,
      );
    }
    for (const name of ['queue-name', 'lease-ms', 'single-host', 'pacing-redis'] as const) {
      if (flags[name] !== undefined && flags[name] !== false) {
        throw new UsageError(`--${name}: only with --queue`);
      }
    }
  }
  // By default, a bar redrawn 10 times a second on a terminal, or a line every 2 s in a log.
  const progressMs = integer('progress-ms', flags['progress-ms'], {
    min: 50,
    max: 600_000,
    fallback: terminal ? 100 : 2_000,
  });
  const out = resolve(flags.out);
  const output = outputChoice(out, flags.format, flags.db, flags['db-schema']);
  if (queue !== undefined) checkFleetOutput(output, flags['single-host']);
  if (flags['idle-ms'] !== undefined && !flags['exit-when-idle']) {
    throw new UsageError('--idle-ms: only with --exit-when-idle');
  }
  return {
    out,
    output,
    concurrency: integer('concurrency', flags.concurrency, { min: 1, max: 64, fallback: 16 }),
    full: flags.full,
    progressMs: flags.quiet ? undefined : progressMs,
    courses: integer('courses', flags.courses, { min: 1, max: 10_000, fallback: 40 }),
    students: integer('students', flags.students, { min: 1, max: 1_000_000, fallback: 3_000 }),
    seed: integer('seed', flags.seed, { min: -(2 ** 31), max: 2 ** 31, fallback: 1 }),
    faults: flags.faults === true,
    simulatorFlags: SIMULATOR_FLAGS.filter((name) => flags[name] !== undefined),
    simulate: flags.simulate,
    canvas: {
      baseUrl: flags['base-url'],
      accountId: flags['account-id'],
      termId: flags['term-id'],
    },
    reports: (flags.report ?? []).map(reportPath),
    queue,
    leaseMs:
      flags['lease-ms'] === undefined
        ? undefined
        : integer('lease-ms', flags['lease-ms'], { min: 1_000, max: 43_200_000, fallback: 0 }),
    singleHost: flags['single-host'],
    exitWhenIdle: flags['exit-when-idle'],
    idleMs: integer('idle-ms', flags['idle-ms'], { min: 100, max: 3_600_000, fallback: 2_000 }),
    verbose: flags.verbose,
    pacingRedis: pacingRedis(flags['pacing-redis'], queue),
  };
}

/** `--pacing-redis`, or the Redis of a BullMQ queue. */
function pacingRedis(
  given: string | undefined,
  queue: QueueChoice | undefined,
): string | undefined {
  if (given !== undefined) {
    if (!/^rediss?:\/\/\S+$/.test(given)) {
      throw new UsageError('--pacing-redis must be a redis:// or rediss:// URL');
    }
    return given;
  }
  return queue?.kind === 'bullmq' ? queue.url : undefined;
}

/**
 * A fleet's workers run on several machines: they need an output they all reach (PostgreSQL).
 * SQLite is allowed with `--single-host` (every process on this machine, sharing `--out`);
 * JSON Lines change logs never (each process would append its own view of what changed).
 */
function checkFleetOutput(output: OutputChoice, singleHost: boolean): void {
  if (output.format === 'jsonl') {
    throw new UsageError(
      '--format jsonl and --queue: change logs are written by one process; a fleet writes to ' +
        '--db postgres://… (or SQLite with --single-host)',
    );
  }
  if (output.format === 'sqlite' && !singleHost) {
    throw new UsageError(
      '--queue with the SQLite output: workers on other machines cannot reach the file; write ' +
        'to --db postgres://…, or add --single-host if every process runs on this machine and ' +
        'shares --out',
    );
  }
}

const FORMATS = ['sqlite', 'jsonl'] as const;

/** A `--report` path, absolute; its extension chooses the format. */
function reportPath(path: string): string {
  if (!/\.(json|html)$/i.test(path)) {
    throw new UsageError(`--report ${path}: the file name must end .json or .html`);
  }
  return resolve(path);
}

/**
 * Where `--out`, `--format`, `--db` and `--db-schema` send the records. A `--db` value is never
 * quoted with its password.
 */
function outputChoice(
  out: string,
  format: string | undefined,
  db: string | undefined,
  schema: string | undefined,
): OutputChoice {
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be sqlite or jsonl, not "${format}"`);
  }
  if (db === undefined) {
    if (schema !== undefined) throw new UsageError('--db-schema: only with --db');
    return format === 'jsonl'
      ? { format, dir: out }
      : { format: 'sqlite', path: join(out, DATABASE_FILE) };
  }
  if (format !== undefined) {
    throw new UsageError(
      `--format ${format} and --db: choose one output (--db writes to PostgreSQL)`,
    );
  }
  if (!/^postgres(ql)?:\/\/./i.test(db) || !URL.canParse(db)) {
    const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(db) ? `, not "${redactUrl(db)}"` : '';
    throw new UsageError(
      `--db must be a PostgreSQL URL (postgres://user:password@host:5432/database)${shown}`,
    );
  }
  if (schema !== undefined && !/^(?!pg_)[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new UsageError(
      `--db-schema must be lower-case letters, digits and _, from a letter or _, at most 63, not from pg_, not "${schema}"`,
    );
  }
  return { format: 'postgres', url: db, schema };
}

// --- The environment ---------------------------------------------------------------------------

/** Where the data comes from, as the flags and the environment say. */
export type Source =
  /** The embedded simulator; `key` is `undefined` for the fixed demo key. */
  | { readonly kind: 'simulator'; readonly key: string | undefined }
  | {
      readonly kind: 'canvas';
      readonly baseUrl: string;
      /** The access token, or the OAuth2 refresh token's credentials. */
      readonly token: string | RefreshCredentials;
      readonly accountId: string;
      readonly termId: string | undefined;
      /** The secret pseudonym key (its length is the sanitizer's to check). */
      readonly key: string;
    };

/** An OAuth2 refresh token and the developer key that it belongs to. */
export interface RefreshCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
}

const REFRESH_VARIABLES = [
  'CANVAS_CLIENT_ID',
  'CANVAS_CLIENT_SECRET',
  'CANVAS_REFRESH_TOKEN',
] as const;

/**
 * Reads the Canvas to sync from the flags (`--base-url`, `--account-id`, `--term-id`) and the
 * `CANVAS_` variables (secrets only there). Errors name what is missing, never a value: the
 * token, the refresh credentials and the key are secrets.
 */
export function parseEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  settings: Pick<Settings, 'simulatorFlags' | 'simulate' | 'canvas'>,
  command: SettingsCommand = 'sync',
): Source {
  const key = env.CANVAS_SYNC_HMAC_KEY || undefined;
  if (settings.simulate) return { kind: 'simulator', key };
  if (settings.simulatorFlags.length > 0) {
    throw new UsageError(`--${settings.simulatorFlags.join(', --')}: only with --simulate`);
  }
  const baseUrl = settings.canvas.baseUrl ?? (env.CANVAS_BASE_URL || undefined);
  const accountId = settings.canvas.accountId ?? (env.CANVAS_ACCOUNT_ID || undefined);
  const termId = settings.canvas.termId ?? (env.CANVAS_TERM_ID || undefined);
  const missing = [
    ...(baseUrl === undefined ? ['CANVAS_BASE_URL (or --base-url)'] : []),
    // A worker fetches the tasks it is given: it plans nothing, so it needs no account.
    ...(accountId === undefined && command !== 'worker'
      ? ['CANVAS_ACCOUNT_ID (or --account-id)']
      : []),
  ];
  const token = env.CANVAS_ACCESS_TOKEN || undefined;
  const refresh = REFRESH_VARIABLES.filter((name) => env[name]);
  if (token === undefined && refresh.length < REFRESH_VARIABLES.length) {
    missing.push(
      refresh.length === 0
        ? 'CANVAS_ACCESS_TOKEN (or CANVAS_CLIENT_ID, CANVAS_CLIENT_SECRET and CANVAS_REFRESH_TOKEN)'
        : REFRESH_VARIABLES.filter((name) => !env[name]).join(' and '),
    );
  }
  if (missing.length > 0) {
    throw new UsageError(
      `no Canvas to sync: ${missing.join(', ')} not set; or pass --simulate to sync the ` +
        'embedded simulator',
    );
  }
  if (key === undefined) {
    throw new UsageError(
      'CANVAS_SYNC_HMAC_KEY is not set: against a real Canvas, pseudonyms need your own secret ' +
        'key of at least 32 bytes (e.g. `openssl rand -base64 32`, kept in your secret store)',
    );
  }
  return {
    kind: 'canvas',
    baseUrl: baseUrl ?? '',
    token: token ?? {
      clientId: env.CANVAS_CLIENT_ID ?? '',
      clientSecret: env.CANVAS_CLIENT_SECRET ?? '',
      refreshToken: env.CANVAS_REFRESH_TOKEN ?? '',
    },
    accountId: accountId ?? '',
    termId,
    key,
  };
}
