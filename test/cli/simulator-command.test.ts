import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { runSimulatorCommand, SIMULATOR_USAGE } from '../../src/cli/simulator-command.js';

const TINY = ['--courses', '2', '--students', '10'];
const NOW = Date.parse('2026-03-04T15:30:00.000Z');

/** A running command: its output so far, a stop button, and its exit code to come. */
function start(args: string[]) {
  const stop = new AbortController();
  let stdout = '';
  let stderr = '';
  let onWrite = (): void => {};
  const io: Io = {
    env: {},
    stdout: {
      write: (text: string) => {
        stdout += text;
        onWrite();
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
      },
    },
    now: () => NOW,
    signal: stop.signal,
  };
  const exit = runSimulatorCommand(args, io);
  /** The `CANVAS_*` variables, once printed (or the exit code, if it ends first). */
  const variables = Promise.race([
    exit.then((code) => {
      throw new Error(`exited ${code} before serving: ${stderr}`);
    }),
    new Promise<Record<string, string>>((resolve) => {
      onWrite = () => {
        if (!stdout.includes('Serving until')) return;
        const lines = stdout.split('\n').filter((line) => /^CANVAS_[A-Z_]+=/.test(line));
        resolve(Object.fromEntries(lines.map((line) => line.split(/=(.*)/s).slice(0, 2))));
      };
    }),
  ]);
  variables.catch(() => undefined); // awaited only by the tests of a server that serves
  return { stop, exit, variables, output: () => ({ stdout, stderr }) };
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function get(env: Record<string, string>, path: string): Promise<Response> {
  return fetch(`${env.CANVAS_BASE_URL}${path}`, {
    headers: { authorization: `Bearer ${env.CANVAS_ACCESS_TOKEN}` },
  });
}

describe('canvas-sync simulator', () => {
  it('serves on 127.0.0.1, prints the variables a test suite needs; SIGTERM ends it with 143', async () => {
    const run = start([...TINY, '--seed', '5', '--latency', '1', '--faults']);
    const env = await run.variables;
    expect(Object.keys(env).sort()).toEqual([
      'CANVAS_ACCESS_TOKEN',
      'CANVAS_ACCOUNT_ID',
      'CANVAS_BASE_URL',
    ]);
    expect(env.CANVAS_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { stdout } = run.output();
    expect(stdout).toContain(`listening on ${env.CANVAS_BASE_URL}\n`);
    expect(stdout).toContain(`account ${env.CANVAS_ACCOUNT_ID}, token ${env.CANVAS_ACCESS_TOKEN}`);
    expect(stdout).toContain('2 courses, 10 students (10 per course), latency 1 ms, seed 5');
    expect(stdout).toContain('faults: 5 % 5xx');

    // With faults on, a request may fail: a 200 comes within a few tries.
    let courses: Response | undefined;
    for (let attempt = 0; attempt < 20 && courses?.status !== 200; attempt++) {
      courses = await get(env, `/api/v1/accounts/${env.CANVAS_ACCOUNT_ID}/courses`).catch(
        () => undefined,
      );
    }
    expect(courses?.status).toBe(200);
    expect(courses?.headers.get('x-rate-limit-remaining')).not.toBeNull();

    run.stop.abort('SIGTERM');
    expect(await run.exit).toBe(143);
    expect(run.output().stdout).toContain('SIGTERM: closing the simulator');
    await expect(fetch(`${env.CANVAS_BASE_URL}/api/v1/users/self`)).rejects.toThrow();
  });

  it('listens on the --port given; SIGINT ends it with 130', async () => {
    const port = await freePort();
    const run = start([...TINY, '--port', String(port)]);
    const env = await run.variables;
    expect(env.CANVAS_BASE_URL).toBe(`http://127.0.0.1:${port}`);
    const response = await get(env, `/api/v1/accounts/${env.CANVAS_ACCOUNT_ID}/courses`);
    expect(((await response.json()) as unknown[]).length).toBe(2);
    expect((await get({ ...env, CANVAS_ACCESS_TOKEN: 'wrong' }, '/api/v1/users/self')).status).toBe(
      401,
    );
    expect(run.output().stdout).toContain('latency 0 ms, seed 1\n');
    run.stop.abort('SIGINT');
    expect(await run.exit).toBe(130);
  });

  it('fails with 1 when the port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as { port: number };
      const run = start([...TINY, '--port', String(port)]);
      await expect(run.variables).rejects.toThrow(/exited 1/);
      expect(await run.exit).toBe(1);
      expect(run.output().stderr).toMatch(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const run = start(['--help']);
    expect(await run.exit).toBe(0);
    expect(run.output()).toEqual({ stdout: SIMULATOR_USAGE, stderr: '' });
    expect(SIMULATOR_USAGE).toContain('--port N');
  });

  it.each([
    [['--port', 'abc'], /--port must be an integer from 0 to 65535, not "abc"/],
    [['--port', '70000'], /--port must be an integer/],
    [['--latency=-1'], /--latency must be an integer from 0 to 600000, not "-1"/],
    [['--seed', '1.5'], /--seed must be an integer/],
    [['--courses', '0'], /--courses must be an integer/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /positional argument/],
  ])('%j is a usage mistake: exit code 2', async (args, message) => {
    const run = start(args);
    expect(await run.exit).toBe(2);
    const { stdout, stderr } = run.output();
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toContain('See --help');
  });
});
