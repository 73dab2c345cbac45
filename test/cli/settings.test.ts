/**
 * The command line and the environment of `canvas-sync sync`, parsed without running
 * anything: flags and their bounds, the variables of a real Canvas, and errors that name what is
 * wrong and never quote the token or the key.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseEnvironment,
  parseSettings,
  type Settings,
  USAGE,
  UsageError,
} from '../../src/cli/settings.js';

const TOKEN = 'secret-token-xyz';
const KEY = 'a-secret-hmac-key-of-32-bytes-or-more';
const CANVAS = {
  CANVAS_BASE_URL: 'https://canvas.example.edu',
  CANVAS_ACCESS_TOKEN: TOKEN,
  CANVAS_ACCOUNT_ID: '1',
};

/** The usage error `run` throws; fails if it throws none, or another error. */
function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('no usage error');
}

describe('parseSettings', () => {
  it('has defaults for every flag, and a progress update every 2 s unless on a terminal', () => {
    const expected: Settings = {
      out: resolve('out'),
      output: { format: 'sqlite', path: join(resolve('out'), 'canvas-sync.db') },
      concurrency: 16,
      full: false,
      progressMs: 2_000,
      courses: 40,
      students: 3_000,
      seed: 1,
      faults: false,
      simulatorFlags: [],
      simulate: false,
      canvas: { baseUrl: undefined, accountId: undefined, termId: undefined },
      reports: [],
      queue: undefined,
      leaseMs: undefined,
      singleHost: false,
      exitWhenIdle: false,
      idleMs: 2_000,
      verbose: false,
    };
    expect(parseSettings([], false)).toEqual(expected);
    expect(parseSettings([], true)).toEqual({ ...expected, progressMs: 100 });
    expect(parseSettings(['--quiet', '--progress-ms', '500'], true)?.progressMs).toBeUndefined();
  });

  it('reads every flag, and lists the simulator-only ones given', () => {
    const args = ['--out', '/tmp/x', '--concurrency', '4', '--progress-ms', '50', '--courses'];
    const settings = parseSettings([...args, '7', '--seed=-3', '--faults', '--full'], false);
    expect(settings).toMatchObject({
      out: '/tmp/x',
      concurrency: 4,
      full: true,
      progressMs: 50,
      courses: 7,
      seed: -3,
      faults: true,
      simulatorFlags: ['courses', 'seed', 'faults'],
    });
  });

  it('reads the Canvas flags, --simulate and the reports (repeatable, .json or .html)', () => {
    const settings = parseSettings(
      [
        '--base-url',
        'https://canvas.example.edu',
        '--account-id=1',
        '--term-id',
        '5',
        '--simulate',
        '--report',
        'r/run.json',
        '--report=/tmp/run.HTML',
      ],
      false,
    );
    expect(settings).toMatchObject({
      simulate: true,
      canvas: { baseUrl: 'https://canvas.example.edu', accountId: '1', termId: '5' },
      reports: [resolve('r/run.json'), '/tmp/run.HTML'],
    });
    expect(usageError(() => parseSettings(['--report', 'run.txt'], false)).message).toBe(
      '--report run.txt: the file name must end .json or .html',
    );
  });

  it('asks for the usage text on --help, which lists every flag', () => {
    expect(parseSettings(['--help'], false)).toBeUndefined();
    expect(parseSettings(['--concurrency', '0', '--help'], false)).toBeUndefined();
    const flags = ['out', 'format', 'db', 'db-schema', 'full', 'concurrency', 'progress-ms'];
    flags.push('base-url', 'account-id', 'term-id', 'simulate', 'report');
    for (const flag of [...flags, 'quiet', 'courses', 'faults']) {
      expect(USAGE).toContain(`--${flag}`);
    }
  });

  it('refuses integers out of bounds, non-integers, unknown flags and positionals', () => {
    expect(usageError(() => parseSettings(['--concurrency', '0'], false)).message).toMatch(
      /^--concurrency must be an integer from 1 to 64, not "0"$/,
    );
    expect(usageError(() => parseSettings(['--concurrency', '65'], false)).message).toMatch(
      /--concurrency must be an integer from 1 to 64/,
    );
    expect(usageError(() => parseSettings(['--students', '1.5'], false)).message).toMatch(
      /--students must be an integer/,
    );
    expect(usageError(() => parseSettings(['--progress-ms', '10'], false)).message).toMatch(
      /--progress-ms must be an integer from 50/,
    );
    expect(usageError(() => parseSettings(['--verbose'], false)).message).toMatch(/verbose/);
    expect(() => parseSettings(['extra'], false)).toThrow(UsageError);
  });
});

describe('parseSettings: the output', () => {
  const output = (args: string[]) => parseSettings([...args, '--out', '/srv/out'], false)?.output;

  it('is the SQLite file of the output directory, its change logs, or a PostgreSQL database', () => {
    expect(output([])).toEqual({ format: 'sqlite', path: '/srv/out/canvas-sync.db' });
    expect(output(['--format', 'sqlite'])).toEqual({
      format: 'sqlite',
      path: '/srv/out/canvas-sync.db',
    });
    expect(output(['--format', 'jsonl'])).toEqual({ format: 'jsonl', dir: '/srv/out' });
    const url = 'postgresql://canvas:pw@db.example.edu:5433/warehouse?sslmode=require';
    expect(output(['--db', url])).toEqual({ format: 'postgres', url, schema: undefined });
    expect(output([`--db=${url}`, '--db-schema', 'canvas_2026'])).toEqual({
      format: 'postgres',
      url,
      schema: 'canvas_2026',
    });
  });

  it('refuses an unknown format, a --db that is no PostgreSQL URL, two outputs and a bad schema, never quoting a password', () => {
    const message = (args: string[]) => usageError(() => output(args)).message;
    expect(message(['--format', 'parquet'])).toBe(
      '--format must be sqlite or jsonl, not "parquet"',
    );
    expect(message(['--db', 'mysql://canvas:hunter22@db/x'])).toBe(
      '--db must be a PostgreSQL URL (postgres://user:password@host:5432/database), not "mysql://canvas:***@db/x"',
    );
    expect(message(['--db', 'canvas:hunter22@db'])).toBe(
      '--db must be a PostgreSQL URL (postgres://user:password@host:5432/database)',
    );
    expect(message(['--db', 'postgres://'])).toMatch(/^--db must be a PostgreSQL URL/);
    expect(message(['--db', 'postgres://u:hunter22@db/x', '--format', 'sqlite'])).toBe(
      '--format sqlite and --db: choose one output (--db writes to PostgreSQL)',
    );
    expect(message(['--db-schema', 'canvas'])).toBe('--db-schema: only with --db');
    expect(message(['--db', 'postgres://db/x', '--db-schema', 'Canvas'])).toMatch(
      /^--db-schema must be lower-case letters, digits and _/,
    );
    expect(message(['--db', 'postgres://db/x', '--db-schema', 'pg_sync'])).toMatch(/not from pg_/);
  });
});

describe('parseEnvironment', () => {
  const none = {
    simulatorFlags: [],
    simulate: false,
    canvas: { baseUrl: undefined, accountId: undefined, termId: undefined },
  };
  const simulate = { ...none, simulate: true };

  it('uses the simulator with --simulate, with the key given or the demo key, whatever is set', () => {
    expect(parseEnvironment({}, simulate)).toEqual({ kind: 'simulator', key: undefined });
    expect(parseEnvironment({ CANVAS_SYNC_HMAC_KEY: '' }, simulate)).toEqual({
      kind: 'simulator',
      key: undefined,
    });
    const withCanvas = { ...CANVAS, CANVAS_SYNC_HMAC_KEY: KEY, HOME: '/root' };
    expect(parseEnvironment(withCanvas, { ...simulate, simulatorFlags: ['courses'] })).toEqual({
      kind: 'simulator',
      key: KEY,
    });
  });

  it('reads a real Canvas from its variables, the flags before them', () => {
    expect(parseEnvironment({ ...CANVAS, CANVAS_SYNC_HMAC_KEY: KEY }, none)).toEqual({
      kind: 'canvas',
      baseUrl: CANVAS.CANVAS_BASE_URL,
      token: TOKEN,
      accountId: '1',
      termId: undefined,
      key: KEY,
    });
    const withTerm = { ...CANVAS, CANVAS_SYNC_HMAC_KEY: KEY, CANVAS_TERM_ID: '7' };
    expect(parseEnvironment(withTerm, none)).toMatchObject({ kind: 'canvas', termId: '7' });
    const flags = {
      ...none,
      canvas: { baseUrl: 'https://other.example.edu', accountId: '3', termId: '9' },
    };
    expect(parseEnvironment(withTerm, flags)).toMatchObject({
      baseUrl: 'https://other.example.edu',
      accountId: '3',
      termId: '9',
    });
    const { CANVAS_BASE_URL: _, CANVAS_ACCOUNT_ID: __, ...tokenOnly } = CANVAS;
    expect(parseEnvironment({ ...tokenOnly, CANVAS_SYNC_HMAC_KEY: KEY }, flags)).toMatchObject({
      kind: 'canvas',
      token: TOKEN,
    });
  });

  it('takes an OAuth2 refresh token instead of an access token', () => {
    const { CANVAS_ACCESS_TOKEN: _, ...noToken } = CANVAS;
    const refresh = {
      ...noToken,
      CANVAS_SYNC_HMAC_KEY: KEY,
      CANVAS_CLIENT_ID: '10000000000001',
      CANVAS_CLIENT_SECRET: 'client-secret-value',
      CANVAS_REFRESH_TOKEN: 'refresh-token-value',
    };
    expect(parseEnvironment(refresh, none)).toMatchObject({
      kind: 'canvas',
      token: {
        clientId: '10000000000001',
        clientSecret: 'client-secret-value',
        refreshToken: 'refresh-token-value',
      },
    });
    const { CANVAS_CLIENT_SECRET: __, ...partial } = refresh;
    const error = usageError(() => parseEnvironment(partial, none));
    expect(error.message).toMatch(/CANVAS_CLIENT_SECRET not set/);
    expect(error.message).not.toContain('refresh-token-value');
  });

  it('names what a real Canvas lacks, never quoting the token or the key', () => {
    const { CANVAS_BASE_URL: _, ...withoutBaseUrl } = CANVAS;
    const nothing = usageError(() => parseEnvironment({}, none));
    expect(nothing.message).toMatch(/^no Canvas to sync: CANVAS_BASE_URL \(or --base-url\)/);
    expect(nothing.message).toMatch(/or pass --simulate/);
    const noToken = usageError(() =>
      parseEnvironment({ CANVAS_BASE_URL: CANVAS.CANVAS_BASE_URL, CANVAS_ACCOUNT_ID: '1' }, none),
    );
    expect(noToken.message).toMatch(
      /^no Canvas to sync: CANVAS_ACCESS_TOKEN \(or CANVAS_CLIENT_ID/,
    );
    const noBaseUrl = usageError(() => parseEnvironment(withoutBaseUrl, none));
    expect(noBaseUrl.message).toMatch(
      /^no Canvas to sync: CANVAS_BASE_URL \(or --base-url\) not set/,
    );
    const noKey = usageError(() => parseEnvironment(CANVAS, none));
    expect(noKey.message).toMatch(/^CANVAS_SYNC_HMAC_KEY is not set/);
    const simulatorOnly = usageError(() =>
      parseEnvironment(
        { ...CANVAS, CANVAS_SYNC_HMAC_KEY: KEY },
        { ...none, simulatorFlags: ['courses', 'faults'] },
      ),
    );
    expect(simulatorOnly.message).toBe('--courses, --faults: only with --simulate');
    for (const error of [nothing, noToken, noBaseUrl, noKey, simulatorOnly]) {
      expect(error.message).not.toContain(TOKEN);
      expect(error.message).not.toContain(KEY);
    }
  });
});
