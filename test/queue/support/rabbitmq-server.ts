/**
 * A private RabbitMQ node for tests that must stop, restart or reconfigure the broker (the
 * shared one of `CANVAS_SYNC_AMQP_URL` must not be touched). Started as `.ci/run` starts its node
 * ("start rabbitmq"): its own epmd on a free port, `rabbitmq-server` bound to 127.0.0.1 on a free
 * port, Erlang distribution and the CLI's own distribution ports on free ports of their own (all
 * below the kernel's ephemeral range: see test/support/ports.ts), every file (mnesia, logs,
 * cookie, config) in a fresh temp folder. Stopped with `rabbitmqctl stop`, then by pid; epmd by its pid.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeStablePort } from '../../support/ports.js';

/** Where Debian's rabbitmq-server package puts the scripts (as `.ci/run` uses them). */
export const RABBIT_BIN = '/usr/lib/rabbitmq/bin';

/** Whether `rabbitmq-server`, `rabbitmqctl` and `epmd` are installed. */
export function rabbitmqInstalled(): boolean {
  if (!existsSync(join(RABBIT_BIN, 'rabbitmq-server'))) return false;
  if (!existsSync(join(RABBIT_BIN, 'rabbitmqctl'))) return false;
  const path = process.env.PATH ?? '';
  return path.split(':').some((dir) => dir !== '' && existsSync(join(dir, 'epmd')));
}

/** Options of {@link startRabbitMQ}. */
export interface RabbitMQServerOptions {
  /** Lines added to rabbitmq.conf (e.g. `consumer_timeout = 1000`). */
  conf?: string[];
  /** The rabbit application's settings for advanced.config, as Erlang terms (e.g. `{channel_tick_interval, 100}`). */
  rabbitAdvanced?: string[];
  /** How long a boot may take until the node listens, in ms. @defaultValue 60000 */
  bootTimeoutMs?: number;
}

/**
 * A bound for the hook that calls {@link startRabbitMQ}: two boots (each up to 60 s to listen and
 * 30 s for `await_startup`) and their cleanup.
 */
export const RABBITMQ_BOOT_MS = 240_000;

/** A private RabbitMQ node. */
export interface RabbitMQServer {
  /** `amqp://guest:guest@127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The temp folder holding every file of the node. */
  readonly dir: string;
  /** Stops the node (`rabbitmqctl stop`), keeping its data; epmd keeps running. */
  stopNode(): Promise<void>;
  /** Starts the node again on the same port and data (durable queues survive). */
  startNode(): Promise<void>;
  /** Runs `rabbitmqctl -n <node> …args` against the node; resolves with its output. */
  ctl(...args: string[]): Promise<string>;
  /** Stops the node and epmd and removes the temp folder. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Starts epmd and a RabbitMQ node; resolves once `rabbitmqctl await_startup` succeeded. A first
 * boot that fails (a port taken between the check and the bind, a boot too slow on a loaded
 * machine) is tried once more from scratch on fresh ports; the error of a second failure tells of
 * both, with the end of the node's log.
 */
export async function startRabbitMQ(options: RabbitMQServerOptions = {}): Promise<RabbitMQServer> {
  try {
    return await bootRabbitMQ(options);
  } catch (first) {
    try {
      return await bootRabbitMQ(options);
    } catch (second) {
      throw new Error(`RabbitMQ failed to boot twice: ${String(first)}\n/ then: ${String(second)}`);
    }
  }
}

async function bootRabbitMQ(options: RabbitMQServerOptions): Promise<RabbitMQServer> {
  const bootTimeoutMs = options.bootTimeoutMs ?? 60_000;
  const dir = await mkdtemp(join(tmpdir(), 'canvas-sync-rabbit-'));
  const home = join(dir, 'home');
  await mkdir(home);
  await mkdir(join(dir, 'mnesia'));
  await mkdir(join(dir, 'log'));
  const cookie = join(home, '.erlang.cookie');
  await writeFile(cookie, randomBytes(16).toString('hex').toUpperCase());
  await chmod(cookie, 0o400);
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  await writeFile(
    join(dir, 'rabbitmq.conf'),
    [
      'loopback_users.guest = true',
      'disk_free_limit.absolute = 10MB',
      ...(options.conf ?? []),
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'advanced.config'),
    `[{rabbit, [${(options.rabbitAdvanced ?? []).join(', ')}]}].\n`,
  );

  const epmdPort = await freeStablePort();
  const port = await freeStablePort(1, [epmdPort]);
  const distPort = await freeStablePort(1, [epmdPort, port]);
  // rabbitmqctl's own distribution ports: a run of 11, as its default (35672-35682), which lies in
  // the ephemeral range and is shared with any other node's CLI.
  const ctlPorts = await freeStablePort(11, [epmdPort, port, distPort]);
  const node = `cs-test-${randomBytes(4).toString('hex')}@localhost`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CTL_DIST_PORT_MIN: String(ctlPorts),
    RABBITMQ_CTL_DIST_PORT_MAX: String(ctlPorts + 10),
    RABBITMQ_NODENAME: node,
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    RABBITMQ_CTL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
    ERL_CRASH_DUMP: join(dir, 'erl_crash.dump'),
  };

  const epmd = spawn('epmd', ['-address', '127.0.0.1', '-port', String(epmdPort)], {
    env,
    stdio: 'ignore',
  });
  let server: ChildProcess | undefined;
  let disposed = false;

  const ctl = (...args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        join(RABBIT_BIN, 'rabbitmqctl'),
        ['-n', node, ...args],
        { env, timeout: 60_000 },
        (error, stdout, stderr) =>
          error
            ? reject(new Error(`rabbitmqctl ${args[0]}: ${stderr || error.message}`))
            : resolve(stdout),
      );
    });

  const beamPid = async (): Promise<number | undefined> => {
    try {
      const pid = Number((await readFile(join(dir, 'rabbit.pid'), 'utf8')).trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };

  async function startNode(): Promise<void> {
    const child = spawn(join(RABBIT_BIN, 'rabbitmq-server'), [], { env, stdio: 'ignore' });
    server = child;
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const deadline = performance.now() + bootTimeoutMs;
    while (!(await tcpOpen(port))) {
      if (exited) throw new Error(`rabbitmq-server exited during boot; logs in ${dir}/log`);
      if (performance.now() > deadline) {
        throw new Error(
          `rabbitmq-server did not listen on 127.0.0.1:${port} in ${bootTimeoutMs} ms`,
        );
      }
      await sleep(250);
    }
    await ctl('await_startup', '--timeout', '30');
  }

  async function stopNode(): Promise<void> {
    const child = server;
    server = undefined;
    const beam = await beamPid();
    if (child === undefined && beam === undefined) return;
    try {
      await ctl('stop', join(dir, 'rabbit.pid'));
    } catch {
      // Killed by pid below.
    }
    await killAndWait(beam);
    await killAndWait(child?.pid);
    await rm(join(dir, 'rabbit.pid'), { force: true });
  }

  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    await stopNode();
    await killAndWait(epmd.pid);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const epmdDeadline = performance.now() + 10_000;
    while (!(await tcpOpen(epmdPort))) {
      if (performance.now() > epmdDeadline) throw new Error(`epmd did not start on ${epmdPort}`);
      await sleep(100);
    }
    await startNode();
  } catch (error) {
    const tail = await logTail(join(dir, 'log'));
    await dispose();
    throw new Error(`${error instanceof Error ? error.message : String(error)}${tail}`);
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    dir,
    stopNode,
    startNode,
    ctl,
    dispose,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, up to 15 s, then SIGKILL: only the pid given (a process this helper started). */
async function killAndWait(pid: number | undefined): Promise<void> {
  if (pid === undefined || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let index = 0; index < 150 && alive(pid); index++) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The last lines of the node's newest log file, to explain a failed boot ("" if none). */
async function logTail(logDir: string): Promise<string> {
  try {
    const files = (await readdir(logDir)).filter((name) => name.endsWith('.log'));
    const texts = await Promise.all(files.map((name) => readFile(join(logDir, name), 'utf8')));
    const lines = texts
      .join('\n')
      .split('\n')
      .filter((line) => line.trim() !== '');
    return lines.length === 0 ? '' : `\nend of the node's log:\n${lines.slice(-15).join('\n')}`;
  } catch {
    return '';
  }
}
