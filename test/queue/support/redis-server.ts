/**
 * A private `redis-server` for tests that must stop and restart Redis: its own free port on
 * 127.0.0.1, its own fresh temporary directory, AOF persistence with `appendfsync always` (so a
 * restart loses nothing), run in the foreground as a child process and stopped by its pid.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeStablePort } from '../../support/ports.js';

/** Whether a `redis-server` binary is on the PATH. */
export function hasRedisServer(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** A private Redis: started once, then stopped and started again on the same port and dir. */
export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Its working directory (the AOF files), removed by {@link PrivateRedis.dispose}. */
  readonly dir: string;
  /** The running server's pid, or `undefined` while it is stopped. */
  readonly pid: number | undefined;
  /** Stops the server with SIGTERM (Redis shuts down cleanly: AOF flushed) and waits for its exit. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and dir; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server if it runs and removes its directory. */
  dispose(): Promise<void>;
}

/** A bound for the hook that calls {@link startPrivateRedis}: two boots of up to 10 s each, and more. */
export const PRIVATE_REDIS_BOOT_MS = 60_000;

/**
 * Starts a private Redis (see the module's comment); resolves once it accepts connections. A first
 * boot that fails (the port taken between the check and the bind, a start slower than 10 s on a
 * loaded machine) is tried once more on a fresh port, and the error tells of both attempts.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  try {
    return await bootPrivateRedis();
  } catch (first) {
    try {
      return await bootPrivateRedis();
    } catch (second) {
      throw new Error(
        `redis-server failed to boot twice: ${String(first)} / then: ${String(second)}`,
      );
    }
  }
}

async function bootPrivateRedis(): Promise<PrivateRedis> {
  const port = await freeStablePort();
  const dir = await mkdtemp(join(tmpdir(), 'canvas-sync-redis-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child !== undefined) throw new Error('The private Redis is already running');
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--daemonize',
      'no',
    ];
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`redis-server did not start within 10 s:\n${output}`));
      }, 10_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout?.on('data', onData);
      started.stderr?.on('data', onData);
      started.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    }).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    // Keep draining its output, or the pipe would fill and block it.
    started.stdout?.resume();
    started.stderr?.resume();
  };

  const stop = async (): Promise<void> => {
    const running = child;
    if (running === undefined) return;
    child = undefined;
    if (running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
