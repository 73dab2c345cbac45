/**
 * Ports for the private servers that tests start, stop and start again (Redis, RabbitMQ, epmd).
 *
 * A port from `listen(0)` lies in the kernel's ephemeral range, the range every outgoing connection
 * takes its local port from: between the check and the server's bind (or while the server is
 * stopped for a restart), one of the thousands of connections a test run opens can take it, and
 * the server cannot bind. These ports are picked below that range (read from
 * `/proc/sys/net/ipv4/ip_local_port_range`), where only a listener can hold them, at random so
 * that test files running side by side rarely pick the same one, and checked free.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port of this run's search: below it sit the well-known services. */
const LOWEST = 10_000;

/** The first port of the kernel's ephemeral range (32768 when it cannot be read). */
export function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low !== undefined && Number.isInteger(low) && low > LOWEST + 1_000) return low;
  } catch {
    // Not Linux, or no /proc: the common default.
  }
  return 32_768;
}

/** Whether a listener can bind `port` on 127.0.0.1 right now. */
export function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port `p` below the ephemeral range such that `p` … `p + count - 1` are all free on 127.0.0.1
 * now, and none of `avoid` falls in that run.
 */
export async function freeStablePort(count = 1, avoid: readonly number[] = []): Promise<number> {
  const highest = ephemeralRangeStart() - count;
  for (let tries = 0; tries < 500; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST));
    if (avoid.some((taken) => taken >= port && taken < port + count)) continue;
    let free = true;
    for (let offset = 0; offset < count && free; offset++) free = await listenable(port + offset);
    if (free) return port;
  }
  throw new Error(`No run of ${count} free port(s) between ${LOWEST} and ${highest + count}`);
}
