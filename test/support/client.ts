import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { onTestFinished } from 'vitest';
import {
  CanvasSyncClient,
  type CanvasSyncClientOptions,
  type CanvasSyncEvents,
} from '../../src/index.js';
import {
  type CanvasSimulator,
  type CanvasSimulatorOptions,
  startCanvasSimulator,
} from '../../src/testing/index.js';
import { type FakeClock, fakeClock } from './fake-clock.js';

/** Retries that never sleep long: tests stay fast. */
export const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 50 } as const;

/** A small institution: cheap to generate, enough for a few pages. */
export const SMALL_INSTITUTION = {
  courses: 2,
  students: 40,
  studentsPerCourse: 30,
  assignmentsPerCourse: 2,
  topicsPerCourse: 1,
  entriesPerTopic: 2,
  pageViewsPerUser: 2,
} as const;

/** Starts a simulator on 127.0.0.1 (small institution) and closes it when the test ends. */
export async function startSim(options: CanvasSimulatorOptions = {}): Promise<CanvasSimulator> {
  const sim = await startCanvasSimulator({ institution: SMALL_INSTITUTION, ...options });
  onTestFinished(() => sim.close());
  return sim;
}

/** Client options for tests: everything but `baseUrl` and `token` optional. */
export type TestClientOptions = Partial<CanvasSyncClientOptions>;

/**
 * A client of `target` (a simulator, or a base URL) using its first token and
 * {@link FAST_RETRY} (merged under `options.retry`); closed when the test ends.
 */
export function createClient(
  target: CanvasSimulator | string,
  options: TestClientOptions = {},
): CanvasSyncClient {
  const baseUrl = typeof target === 'string' ? target : target.url;
  const token = typeof target === 'string' ? 'stub-token' : target.token;
  const client = new CanvasSyncClient({
    baseUrl,
    token,
    ...options,
    retry: { ...FAST_RETRY, ...options.retry },
  });
  onTestFinished(() => client.close());
  return client;
}

/** Names of every client event. */
export const EVENT_NAMES = [
  'request',
  'response',
  'throttled',
  'retry',
  'paced',
  'token-refreshed',
  'pacing-anomaly',
] as const;

/**
 * One event the client emitted, with the time it was emitted by the clock given to
 * {@link recordEvents} (`undefined` without one).
 */
export type RecordedEvent = {
  [K in keyof CanvasSyncEvents]: {
    name: K;
    payload: CanvasSyncEvents[K][0];
    at: number | undefined;
  };
}[keyof CanvasSyncEvents];

/** Records every event of `client`, in order, timed by `clock` (the client's, when injected). */
export function recordEvents(client: CanvasSyncClient, clock?: { now(): number }): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  const at = (): number | undefined => clock?.now();
  client.on('request', (payload) => events.push({ name: 'request', payload, at: at() }));
  client.on('response', (payload) => events.push({ name: 'response', payload, at: at() }));
  client.on('throttled', (payload) => events.push({ name: 'throttled', payload, at: at() }));
  client.on('retry', (payload) => events.push({ name: 'retry', payload, at: at() }));
  client.on('paced', (payload) => events.push({ name: 'paced', payload, at: at() }));
  client.on('token-refreshed', (payload) =>
    events.push({ name: 'token-refreshed', payload, at: at() }),
  );
  client.on('pacing-anomaly', (payload) =>
    events.push({ name: 'pacing-anomaly', payload, at: at() }),
  );
  return events;
}

/** The recorded events named `name`, payloads only. */
export function eventsOf<K extends keyof CanvasSyncEvents>(
  events: readonly RecordedEvent[],
  name: K,
): CanvasSyncEvents[K][0][] {
  return events
    .filter((event) => event.name === name)
    .map((event) => event.payload as CanvasSyncEvents[K][0]);
}

/**
 * Lets `clock` run on its own while the test awaits its clients: at every turn of the event loop
 * at which `idle()` holds (nothing but the clock's own timers can change anything), time jumps
 * to the clock's next timer, which fires. Stops when the test ends.
 */
export function autoAdvance(clock: FakeClock, idle: () => boolean): void {
  const interval = setInterval(() => {
    if (clock.pending().length > 0 && idle()) clock.next();
  }, 1);
  onTestFinished(() => clearInterval(interval));
}

/** A simulator and clients of it that share one fake clock; see {@link onFakeClock}. */
export interface FakeClockSetup {
  readonly sim: CanvasSimulator;
  readonly clock: FakeClock;
  /** The first client. */
  readonly client: CanvasSyncClient;
  readonly clients: readonly CanvasSyncClient[];
}

/**
 * A simulator and `count` clients of it (one token) on one fake clock (`fakeClock()`: at 0, its
 * wall clock at 2026-01-05T00:00:00Z), run as a discrete-event simulation: the simulator's
 * latency, its bucket's leak and its `Retry-After` dates, the pacer's waits and the retry
 * delays all go by the fake clock, and time jumps to the next timer whenever every request the
 * clients have in flight is parked in the simulator's latency (none is on the wire, so no real
 * I/O can change anything). Time never moves between the simulator's answer and the client's
 * reading of it: no lag, and no wait takes real time. (A request the client gave up while the
 * simulator still holds it would stop the clock: not for tests that abort requests in flight.)
 */
export async function onFakeClock(
  simOptions: CanvasSimulatorOptions = {},
  clientOptions: TestClientOptions = {},
  count = 1,
): Promise<FakeClockSetup> {
  const clock = fakeClock();
  const sim = await startSim({ ...simOptions, clock });
  const clients = Array.from({ length: count }, () =>
    createClient(sim, { ...clientOptions, clock }),
  );
  const token = typeof clientOptions.token === 'string' ? clientOptions.token : sim.token;
  const inFlight = (): number => clients.reduce((sum, client) => sum + client.stats().inFlight, 0);
  autoAdvance(clock, () => inFlight() === sim.stats(token).inFlight);
  return { sim, clock, client: clients[0] as CanvasSyncClient, clients };
}

/**
 * What `new CanvasSyncClient(...)` throws with `options` over a valid base URL and `token`;
 * fails when it throws nothing.
 */
export function constructionError(token: string, options: TestClientOptions): unknown {
  try {
    new CanvasSyncClient({ baseUrl: 'https://canvas.example.edu', token, ...options });
  } catch (error) {
    return error;
  }
  throw new Error('Expected the client constructor to throw');
}

/** Awaits `promise` and returns what it rejected with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject, but it resolved');
}

/** Every way an error is commonly turned into text: where a secret must never show. */
export function renderings(error: unknown): string[] {
  const out = [String(error), inspect(error, { depth: 10 }), JSON.stringify(error) ?? ''];
  if (error instanceof Error) {
    out.push(error.message, error.stack ?? '');
    if (error.cause !== undefined) out.push(inspect(error.cause, { depth: 10 }));
  }
  return out;
}

/** One request a {@link StubServer} received. */
export interface StubRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A plain local HTTP server that records what it receives. */
export interface StubServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: StubRequest[];
  close(): Promise<void>;
}

/** Answers a stub request; the default answers `200 []`. */
export type StubHandler = (request: StubRequest, res: ServerResponse) => void;

/**
 * Starts a local HTTP server on 127.0.0.1 that records every request and
 * answers with `handler`; closed when the test ends.
 */
export async function startStubServer(
  handler: StubHandler = (_request, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('[]');
  },
): Promise<StubServer> {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: StubRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  onTestFinished(close);
  return { url: `http://127.0.0.1:${port}`, requests, close };
}

/** A URL on 127.0.0.1 where nothing listens (a server was started there, then closed). */
export async function deadUrl(): Promise<string> {
  const stub = await startStubServer();
  await stub.close();
  return stub.url;
}
