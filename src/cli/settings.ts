/**
 * The command line and the environment of `canvas-sync sync`: its flags, their
 * defaults and checks, the usage text, and the variables that point it at a real Canvas. Pure:
 * values in, values or a {@link UsageError} out.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { redactUrl } from './redact.js';

export const USAGE = `Usage: npm run example -- [options]

Syncs the rosters, gradebooks and engagement data of every course of a Canvas account into a
warehouse kept current, student identifiers pseudonymized. Runs against an embedded Canvas
simulator unless the CANVAS_ variables below are set. Run it again to bring the warehouse up to
date (new, changed and deleted records; the page views since the last run), or to resume an
interrupted run.

  --out DIR          output directory: the SQLite database DIR/canvas-sync.db, and the
                     state of an interrupted run (default: out)
  --format FORMAT    sqlite (default), or jsonl: one JSON Lines change log per kind in DIR
  --db URL           a PostgreSQL database instead (postgres://user:password@host/db)
  --db-schema NAME   its schema (default: canvas_sync)
  --full             read every assignment's submissions whole, not only those graded or
                     submitted since the last run: also picks up new comments and late or
                     missing flags set as due dates pass (weekly, say)
  --concurrency N    tasks fetched at once (default: 16)
  --progress-ms N    time between progress updates (default: 100 on a terminal, else 2000)
  --quiet            no progress updates
  --help             this text

Simulator only:
  --courses N        courses (default: 40)
  --students N       students (default: 3000; at most 75 per course)
  --seed N           seed of the data and of the faults (default: 1)
  --faults           5 % server errors, 2 % connection resets, 3 % broken JSON bodies

A real Canvas: set CANVAS_BASE_URL, CANVAS_ACCESS_TOKEN and CANVAS_ACCOUNT_ID (optionally
CANVAS_TERM_ID), and CANVAS_SYNC_HMAC_KEY, a secret of at least 32 bytes for the pseudonyms.
`;

/** A mistake in the flags or the environment: reported without a stack, exit code 2. */
export class UsageError extends Error {}

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
}

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
} as const;
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
export function parseSettings(args: string[], terminal: boolean): Settings | undefined {
  const flags = readFlags(args);
  if (flags.help) return undefined;
  // By default, a bar redrawn 10 times a second on a terminal, or a line every 2 s in a log.
  const progressMs = integer('progress-ms', flags['progress-ms'], {
    min: 50,
    max: 600_000,
    fallback: terminal ? 100 : 2_000,
  });
  const out = resolve(flags.out);
  return {
    out,
    output: outputChoice(out, flags.format, flags.db, flags['db-schema']),
    concurrency: integer('concurrency', flags.concurrency, { min: 1, max: 64, fallback: 16 }),
    full: flags.full,
    progressMs: flags.quiet ? undefined : progressMs,
    courses: integer('courses', flags.courses, { min: 1, max: 10_000, fallback: 40 }),
    students: integer('students', flags.students, { min: 1, max: 1_000_000, fallback: 3_000 }),
    seed: integer('seed', flags.seed, { min: -(2 ** 31), max: 2 ** 31, fallback: 1 }),
    faults: flags.faults === true,
    simulatorFlags: SIMULATOR_FLAGS.filter((name) => flags[name] !== undefined),
  };
}

const FORMATS = ['sqlite', 'jsonl'] as const;

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

/** Where the data comes from, as the environment says. */
export type Source =
  /** The embedded simulator; `key` is `undefined` for the fixed demo key. */
  | { readonly kind: 'simulator'; readonly key: string | undefined }
  | {
      readonly kind: 'canvas';
      readonly baseUrl: string;
      readonly token: string;
      readonly accountId: string;
      readonly termId: string | undefined;
      /** The secret pseudonym key (its length is the sanitizer's to check). */
      readonly key: string;
    };

/** Any of them set means a real Canvas, which needs all three. */
const CANVAS_VARIABLES = ['CANVAS_BASE_URL', 'CANVAS_ACCESS_TOKEN', 'CANVAS_ACCOUNT_ID'] as const;

/**
 * Reads the `CANVAS_` variables. Errors name the variables that are missing, never a value: the
 * token and the key are secrets.
 */
export function parseEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  settings: Pick<Settings, 'simulatorFlags'>,
): Source {
  const key = env.CANVAS_SYNC_HMAC_KEY || undefined;
  if (!CANVAS_VARIABLES.some((name) => env[name])) return { kind: 'simulator', key };
  const missing = CANVAS_VARIABLES.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new UsageError(
      `${missing.join(' and ')} not set: a real Canvas needs ${CANVAS_VARIABLES.join(', ')} ` +
        '(unset them all to use the simulator)',
    );
  }
  if (key === undefined) {
    throw new UsageError(
      'CANVAS_SYNC_HMAC_KEY is not set: against a real Canvas, pseudonyms need your own secret ' +
        'key of at least 32 bytes (e.g. `openssl rand -base64 32`, kept in your secret store)',
    );
  }
  if (settings.simulatorFlags.length > 0) {
    throw new UsageError(`--${settings.simulatorFlags.join(', --')}: for the simulator only`);
  }
  return {
    kind: 'canvas',
    baseUrl: env.CANVAS_BASE_URL ?? '',
    token: env.CANVAS_ACCESS_TOKEN ?? '',
    accountId: env.CANVAS_ACCOUNT_ID ?? '',
    termId: env.CANVAS_TERM_ID || undefined,
    key,
  };
}
