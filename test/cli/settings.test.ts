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
  type SettingsCommand,
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
      pacingRedis: undefined,
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

describe('parseSettings: the fleet flags', () => {
  const PG = 'postgres://canvas:pg-pass-1@db.example.edu/warehouse';
  const AMQP = 'amqp://canvas:hunter22-amqp@mq.example.edu:5672/prod';
  const SQS = 'sqs://sqs.eu-west-1.amazonaws.com/123456789012/canvas-sync';
  /** Parses a command line of `command` that writes to PostgreSQL (the fleet's usual output). */
  const fleet = (command: SettingsCommand, args: string[]) =>
    parseSettings([...args, '--db', PG], false, command);
  const refusal = (command: SettingsCommand, args: string[]) =>
    usageError(() => parseSettings(args, false, command)).message;

  it('reads each --queue form: the broker kind, the URL as given, and the queue name', () => {
    const forms: [string, string][] = [
      ['redis://127.0.0.1:6379', 'bullmq'],
      ['rediss://:redis-pass@cache.example.edu:6380/2', 'bullmq'],
      [AMQP, 'rabbitmq'],
      ['amqps://mq.example.edu/vhost', 'rabbitmq'],
    ];
    for (const command of ['sync', 'plan', 'worker'] as const) {
      for (const [url, kind] of forms) {
        expect(fleet(command, ['--queue', url])?.queue, `${command} ${url}`).toEqual({
          kind,
          url,
          name: 'canvas-sync',
        });
        expect(fleet(command, [`--queue=${url}`, '--queue-name', 'jobs_2026.v2'])?.queue).toEqual({
          kind,
          url,
          name: 'jobs_2026.v2',
        });
      }
      const sqs = fleet(command, ['--queue', SQS])?.queue;
      expect(sqs).toMatchObject({ kind: 'sqs', url: SQS });
      const local = `sqs://localhost/000000000000/jobs?region=us-east-1&endpoint=http://127.0.0.1:4566&dlq=jobs_dlq`;
      expect(fleet(command, ['--queue', local])?.queue).toMatchObject({ kind: 'sqs', url: local });
    }
    // Without --queue, the in-process queue, and no fleet flag set.
    expect(parseSettings([], false)).toMatchObject({
      queue: undefined,
      leaseMs: undefined,
      singleHost: false,
    });
  });

  it('reads --lease-ms (sync, worker) from 1000 to 43200000 ms, unset by default', () => {
    for (const command of ['sync', 'worker'] as const) {
      const queue = ['--queue', 'redis://127.0.0.1:6379'];
      expect(fleet(command, queue)?.leaseMs).toBeUndefined();
      expect(fleet(command, [...queue, '--lease-ms', '1000'])?.leaseMs).toBe(1_000);
      expect(fleet(command, [...queue, '--lease-ms=43200000'])?.leaseMs).toBe(43_200_000);
      for (const bad of ['999', '43200001', '1.5', '30s', '-1000']) {
        expect(usageError(() => fleet(command, [...queue, `--lease-ms=${bad}`])).message).toBe(
          `--lease-ms must be an integer from 1000 to 43200000, not "${bad}"`,
        );
      }
    }
  });

  it('allows the SQLite output with --queue only with --single-host, and change logs never', () => {
    const out = ['--out', '/srv/out'];
    for (const command of ['sync', 'plan', 'worker'] as const) {
      const settings = parseSettings(['--queue', AMQP, '--single-host', ...out], false, command);
      expect(settings).toMatchObject({
        singleHost: true,
        output: { format: 'sqlite', path: '/srv/out/canvas-sync.db' },
        queue: { kind: 'rabbitmq', url: AMQP },
      });
      expect(fleet(command, ['--queue', AMQP])).toMatchObject({
        singleHost: false,
        output: { format: 'postgres', url: PG },
      });
      const sqlite = refusal(command, ['--queue', AMQP, ...out]);
      expect(sqlite).toBe(
        '--queue with the SQLite output: workers on other machines cannot reach the file; write ' +
          'to --db postgres://…, or add --single-host if every process runs on this machine and ' +
          'shares --out',
      );
      expect(refusal(command, ['--queue', AMQP, '--format', 'sqlite', ...out])).toBe(sqlite);
      const jsonl =
        '--format jsonl and --queue: change logs are written by one process; a fleet writes to ' +
        '--db postgres://… (or SQLite with --single-host)';
      expect(refusal(command, ['--queue', AMQP, '--format', 'jsonl', ...out])).toBe(jsonl);
      expect(refusal(command, ['--queue', AMQP, '--format=jsonl', '--single-host'])).toBe(jsonl);
    }
    // The in-process queue writes change logs as before.
    expect(parseSettings(['--format', 'jsonl', ...out], false)?.output).toEqual({
      format: 'jsonl',
      dir: '/srv/out',
    });
  });

  it('refuses --queue-name, --lease-ms and --single-host without --queue (sync)', () => {
    expect(refusal('sync', ['--queue-name', 'jobs'])).toBe('--queue-name: only with --queue');
    expect(refusal('sync', ['--lease-ms', '5000'])).toBe('--lease-ms: only with --queue');
    expect(refusal('sync', ['--lease-ms', 'soon'])).toBe('--lease-ms: only with --queue');
    expect(refusal('sync', ['--single-host'])).toBe('--single-host: only with --queue');
    expect(refusal('sync', ['--pacing-redis', 'redis://127.0.0.1:6379'])).toBe(
      '--pacing-redis: only with --queue',
    );
  });

  it('shares the pacing through --pacing-redis, by default the Redis of a BullMQ --queue', () => {
    const pg = ['--db', 'postgres://canvas@127.0.0.1/warehouse'];
    for (const command of ['sync', 'plan', 'worker'] as const) {
      const redisQueue = 'redis://:s3cret-redis@10.0.0.5:6379/2';
      expect(parseSettings(['--queue', redisQueue, ...pg], false, command)?.pacingRedis).toBe(
        redisQueue,
      );
      expect(
        parseSettings(['--queue', 'amqp://guest:guest@127.0.0.1/', ...pg], false, command)
          ?.pacingRedis,
      ).toBeUndefined();
      expect(
        parseSettings(
          [
            '--queue',
            'amqp://guest:guest@127.0.0.1/',
            '--pacing-redis',
            'rediss://pace:6380',
            ...pg,
          ],
          false,
          command,
        )?.pacingRedis,
      ).toBe('rediss://pace:6380');
      const refused = refusal(command, [
        '--queue',
        redisQueue,
        '--pacing-redis',
        'http://user:hunter2-secret@host',
        ...pg,
      ]);
      expect(refused).toBe('--pacing-redis must be a redis:// or rediss:// URL');
    }
  });

  it('requires --queue of plan and worker', () => {
    for (const command of ['plan', 'worker'] as const) {
      const message = `--queue is required: canvas-sync ${command} works on a broker, redis://host:6379 (BullMQ), amqp://user:password@host:5672/vhost (RabbitMQ) or sqs://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE (Amazon SQS)`;
      expect(refusal(command, [])).toBe(message);
      expect(refusal(command, ['--db', PG, '--queue-name', 'jobs'])).toBe(message);
      expect(refusal(command, ['--single-host'])).toBe(message);
      expect(parseSettings(['--help'], false, command)).toBeUndefined();
    }
  });

  it('reads --exit-when-idle, --idle-ms (100 to 3600000, default 2000) and --verbose of worker', () => {
    const queue = ['--queue', 'redis://127.0.0.1:6379'];
    expect(fleet('worker', queue)).toMatchObject({
      exitWhenIdle: false,
      idleMs: 2_000,
      verbose: false,
    });
    expect(fleet('worker', [...queue, '--exit-when-idle', '--verbose'])).toMatchObject({
      exitWhenIdle: true,
      idleMs: 2_000,
      verbose: true,
    });
    const idle = (ms: string) => fleet('worker', [...queue, '--exit-when-idle', `--idle-ms=${ms}`]);
    expect(idle('100')?.idleMs).toBe(100);
    expect(idle('3600000')?.idleMs).toBe(3_600_000);
    for (const bad of ['99', '3600001', '0.5', 'never', '-100']) {
      expect(usageError(() => idle(bad)).message).toBe(
        `--idle-ms must be an integer from 100 to 3600000, not "${bad}"`,
      );
    }
    expect(usageError(() => fleet('worker', [...queue, '--idle-ms', '500'])).message).toBe(
      '--idle-ms: only with --exit-when-idle',
    );
    // The rest of a worker's flags: its concurrency, --single-host, the Canvas base URL.
    expect(
      parseSettings(
        [...queue, '--concurrency', '4', '--single-host', '--base-url', 'https://c.example.edu'],
        false,
        'worker',
      ),
    ).toMatchObject({
      concurrency: 4,
      singleHost: true,
      canvas: { baseUrl: 'https://c.example.edu' },
    });
  });

  it('reads the flags of plan: the Canvas, --full, the broker and the output', () => {
    const settings = parseSettings(
      [
        '--queue',
        AMQP,
        '--queue-name',
        'term-2026',
        '--account-id',
        '3',
        '--term-id=9',
        '--full',
        '--db',
        PG,
        '--db-schema',
        'fleet',
      ],
      false,
      'plan',
    );
    expect(settings).toMatchObject({
      queue: { kind: 'rabbitmq', url: AMQP, name: 'term-2026' },
      canvas: { accountId: '3', termId: '9' },
      full: true,
      output: { format: 'postgres', url: PG, schema: 'fleet' },
      leaseMs: undefined,
      exitWhenIdle: false,
      verbose: false,
    });
  });

  it("refuses each flag a command does not take, and the simulator's in plan and worker", () => {
    const queue = ['--queue', 'redis://127.0.0.1:6379', '--db', PG];
    const notFor: Record<SettingsCommand, string[][]> = {
      sync: [['--exit-when-idle'], ['--idle-ms', '500'], ['--verbose']],
      plan: [
        ['--concurrency', '4'],
        ['--progress-ms', '500'],
        ['--quiet'],
        ['--report', 'run.json'],
        ['--lease-ms', '5000'],
        ['--exit-when-idle'],
        ['--idle-ms=500'],
        ['--verbose'],
      ],
      worker: [
        ['--full'],
        ['--progress-ms', '500'],
        ['--quiet'],
        ['--report=run.html'],
        ['--account-id', '1'],
        ['--term-id', '2'],
      ],
    };
    for (const [command, cases] of Object.entries(notFor) as [SettingsCommand, string[][]][]) {
      for (const flag of cases) {
        const name = (flag[0] ?? '').replace(/=.*/, '');
        expect(refusal(command, [...queue, ...flag]), `${command} ${flag[0]}`).toBe(
          `${name}: not a flag of canvas-sync ${command}`,
        );
      }
    }
    for (const command of ['plan', 'worker'] as const) {
      for (const flag of [['--simulate'], ['--courses', '2'], ['--students=20'], ['--seed', '3']]) {
        const name = (flag[0] ?? '').replace(/=.*/, '');
        expect(refusal(command, [...queue, ...flag]), `${command} ${flag[0]}`).toBe(
          `${name}: not with canvas-sync ${command}, whose processes must all reach one Canvas: start \`canvas-sync simulator\` and give its CANVAS_ variables to every process`,
        );
      }
      // Refused before --queue is missed: the simulator is the mistake to name.
      expect(refusal(command, ['--faults'])).toMatch(/^--faults: not with canvas-sync/);
    }
  });

  it('refuses a --queue that names no broker, a bad --queue-name, and --queue-name for SQS', () => {
    expect(refusal('sync', ['--queue', 'localhost:6379', '--db', PG])).toBe(
      '--queue localhost:6379: expected redis://host:6379 (BullMQ), amqp://user:password@host:5672/vhost (RabbitMQ) or sqs://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE (Amazon SQS)',
    );
    expect(refusal('worker', ['--queue', 'not a url'])).toBe(
      '--queue must be a URL: redis://host:6379 (BullMQ), amqp://user:password@host:5672/vhost (RabbitMQ) or sqs://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE (Amazon SQS)',
    );
    expect(refusal('plan', ['--queue', 'https://mq.example.edu/', '--db', PG])).toMatch(
      /^--queue https:\/\/mq\.example\.edu\/: expected redis:\/\//,
    );
    for (const name of ['a b', '.hidden', '-x', 'q:1', 'x'.repeat(101)]) {
      expect(refusal('sync', ['--queue', AMQP, `--queue-name=${name}`, '--db', PG])).toBe(
        `--queue-name must be letters, digits, _ . and -, from a letter or digit, at most 100, not "${name}"`,
      );
    }
    expect(
      fleet('sync', ['--queue', AMQP, '--queue-name', 'x'.repeat(100)])?.queue?.name,
    ).toHaveLength(100);
    // RabbitMQ reserves the names from amq.; Redis does not.
    expect(refusal('plan', ['--queue', AMQP, '--queue-name', 'amq.jobs', '--db', PG])).toBe(
      '--queue-name must not start with "amq." on RabbitMQ (reserved by the broker), not "amq.jobs"',
    );
    const redis = ['--queue', 'redis://127.0.0.1:6379', '--queue-name', 'amq.jobs'];
    expect(fleet('plan', redis)?.queue?.name).toBe('amq.jobs');
    expect(refusal('worker', ['--queue', SQS, '--queue-name', 'jobs', '--db', PG])).toBe(
      '--queue-name: an SQS queue is named by its URL (sqs://…/ACCOUNT/QUEUE)',
    );
  });

  it('refuses a malformed SQS target at once, with what is wrong', () => {
    const cases: [string, RegExp][] = [
      [
        'sqs://sqs.us-east-1.amazonaws.com/123456789012',
        /path: Expected \/<account-id>\/<queue-name>/,
      ],
      ['sqs://sqs.us-east-1.amazonaws.com/12345/q', /account-id: Expected 12 digits/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q.fifo', /FIFO/],
      ['sqs://localhost:4566/000000000000/q', /region: Required/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q?endpoint=ftp://x', /endpoint/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q?dlq=q', /differ/],
      ['sqs://sqs.us-east-1.amazonaws.com/123456789012/q?queue=x', /Unknown parameter/],
    ];
    for (const command of ['sync', 'plan', 'worker'] as const) {
      for (const [url, message] of cases) {
        const text = refusal(command, ['--queue', url, '--db', PG]);
        expect(text, url).toMatch(/^--queue: Invalid SQS queue target: /);
        expect(text, url).toMatch(message);
      }
    }
  });

  it('never quotes a password of --queue (or --db) in an error', () => {
    const secrets = ['hunter22-amqp', 'redis-pass', 's3cr3t-aws', 'pg-pass-1'];
    const amqp = ['--queue', AMQP];
    const refusals: [SettingsCommand, string[]][] = [
      ['sync', [...amqp, '--out', '/srv/out']],
      ['plan', [...amqp, '--format', 'jsonl']],
      ['worker', [...amqp, '--queue-name', 'bad name', '--db', PG]],
      ['worker', [...amqp, '--lease-ms', '1', '--db', PG]],
      ['worker', [...amqp, '--idle-ms', '500', '--db', PG]],
      ['plan', [...amqp, '--verbose', '--db', PG]],
      ['sync', ['--queue', 'http://canvas:hunter22-amqp@mq.example.edu/', '--db', PG]],
      ['sync', ['--queue', 'amqp://canvas:hunter22-amqp@mq.example.edu:notaport/', '--db', PG]],
      ['sync', ['--queue', 'rediss://:redis-pass@cache.example.edu', '--db', PG, '--format=x']],
      [
        'sync',
        ['--queue', 'rediss://:redis-pass@cache.example.edu', '--db', 'mysql://u:pg-pass-1@h/d'],
      ],
      [
        'worker',
        [
          '--queue',
          'sqs://AKIAEXAMPLE:s3cr3t-aws@sqs.us-east-1.amazonaws.com/123456789012/q',
          '--db',
          PG,
        ],
      ],
      ['worker', [...amqp, '--unknown-flag']],
      ['worker', [...amqp, 'positional']],
    ];
    for (const [command, args] of refusals) {
      const message = refusal(command, args);
      for (const secret of secrets) expect(message, args.join(' ')).not.toContain(secret);
    }
    expect(refusal('sync', ['--queue', 'http://canvas:hunter22-amqp@mq.example.edu/'])).toMatch(
      /^--queue http:\/\/canvas:\*\*\*@mq\.example\.edu\/: expected /,
    );
  });
});
