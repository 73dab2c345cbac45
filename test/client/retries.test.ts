import { describe, expect, it } from 'vitest';
import {
  CanvasAuthError,
  CanvasHttpError,
  CanvasNetworkError,
  CanvasRateLimitError,
  CanvasResponseError,
  CanvasTimeoutError,
  type FetchLike,
} from '../../src/index.js';
import type { CanvasSimulator } from '../../src/testing/index.js';
import {
  autoAdvance,
  createClient,
  deadUrl,
  eventsOf,
  onFakeClock,
  type RecordedEvent,
  recordEvents,
  rejectionOf,
  startSim,
  startStubServer,
} from '../support/client.js';
import { fakeClock } from '../support/fake-clock.js';
import { nth } from '../support/http.js';

const SELF = '/api/v1/users/self';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Fills the bucket of `sim` just before the first attempt goes out, so that it is throttled. */
function fillBucketBeforeFirstAttempt(
  client: ReturnType<typeof createClient>,
  sim: CanvasSimulator,
  token = sim.token,
): void {
  client.on('request', (event) => {
    if (event.attempt === 1) sim.setBucketLevel(sim.bucket.highWaterMark, token);
  });
}

/** Turns the simulator's faults off once `retries` retries have been announced. */
function healAfterRetries(
  client: ReturnType<typeof createClient>,
  sim: CanvasSimulator,
  retries: number,
): void {
  let seen = 0;
  client.on('retry', () => {
    seen++;
    if (seen === retries) sim.setFaults({});
  });
}

/** When (by the recorded clock) attempt `attempt` was sent. */
function sentAt(events: readonly RecordedEvent[], attempt: number): number | undefined {
  return events.find((event) => event.name === 'request' && event.payload.attempt === attempt)?.at;
}

/** Canvas's 5xx error body. */
const SERVER_ERROR_BODY = JSON.stringify({
  errors: [{ message: 'An error occurred.', error_code: 'internal_server_error' }],
});

describe('CanvasSyncClient retries: throttling', () => {
  for (const throttleStatus of [429, 403] as const) {
    it(`retries a ${throttleStatus} throttle without using up an attempt`, async () => {
      const { sim, client, clock } = await onFakeClock(
        { throttleStatus, outflowPerSecond: 200 },
        { retry: { maxAttempts: 1 }, pacing: { outflowPerSecond: 200 } },
      );
      const events = recordEvents(client, clock);
      fillBucketBeforeFirstAttempt(client, sim);
      const response = await client.request('GET', SELF);
      expect(response.status).toBe(200);
      expect(response.attempts).toBe(2);
      expect(sim.stats().throttled).toBe(1);
      expect(sim.stats().requests).toBe(2);
      const [throttled] = eventsOf(events, 'throttled');
      expect(throttled).toMatchObject({ status: throttleStatus, throttles: 1, method: 'GET' });
      expect(throttled?.remaining).toBeGreaterThanOrEqual(0);
      expect(throttled?.remaining).toBeLessThan(50); // count + 50 reached the high-water mark
      expect(throttled?.retryAfterMs).toBeUndefined();
      expect(eventsOf(events, 'retry')).toEqual([
        expect.objectContaining({ reason: 'throttled', countsAsFailure: false, attempt: 1 }),
      ]);
      // The retry waited at the gate for the leak to free the 50 up-front units and the 5 of
      // margin, at 200 units/s, and no longer (time moved only by that wait).
      const needed = Math.ceil(((50 + 5 - (throttled?.remaining ?? 0)) / 200) * 1000);
      expect(eventsOf(events, 'paced')).toEqual([
        expect.objectContaining({ reason: 'leak', waitMs: needed }),
      ]);
      expect(sentAt(events, 2)).toBe(needed);
      expect(client.stats()).toMatchObject({ throttled: 1, retries: 1, failures: 0 });
    });
  }

  it('retries a throttled POST (Canvas refused it before running it)', async () => {
    const { sim, client } = await onFakeClock(
      { outflowPerSecond: 200 },
      { pacing: { outflowPerSecond: 200 } },
    );
    fillBucketBeforeFirstAttempt(client, sim);
    // The simulator has no POST route: once through the throttle, the POST gets a 404.
    const error = await rejectionOf(client.request('POST', SELF, { json: { a: 1 } }));
    expect(error).toBeInstanceOf(CanvasHttpError);
    expect((error as CanvasHttpError).status).toBe(404);
    expect(sim.stats()).toMatchObject({ requests: 2, throttled: 1 });
  });

  for (const throttleStatus of [429, 403] as const) {
    it(`gives up on a blocked token with CanvasRateLimitError (${throttleStatus})`, async () => {
      const { sim, client } = await onFakeClock(
        { throttleStatus, blockedTokens: ['blocked-token-1'] },
        { token: 'blocked-token-1', retry: { maxThrottleRetries: 2 } },
      );
      const events = recordEvents(client);
      const error = await rejectionOf(client.get(SELF));
      expect(error).toBeInstanceOf(CanvasRateLimitError);
      const limited = error as CanvasRateLimitError;
      expect(limited).toBeInstanceOf(CanvasHttpError);
      expect(limited.code).toBe('RATE_LIMITED');
      expect(limited.status).toBe(throttleStatus);
      expect(limited.throttleRetries).toBe(2);
      expect(limited.remaining).toBe(0);
      expect(limited.requestContextId).toMatch(UUID);
      expect(limited.body).toBeUndefined();
      expect(sim.stats('blocked-token-1').requests).toBe(3);
      expect(eventsOf(events, 'throttled')).toHaveLength(3);
      expect(eventsOf(events, 'retry')).toHaveLength(2);
      expect(client.stats()).toMatchObject({ throttled: 3, retries: 2, failures: 1 });
    });
  }

  it('honours Retry-After (seconds) before retrying a throttled request', async () => {
    const { sim, client, clock } = await onFakeClock(
      { outflowPerSecond: 1_000, faults: { retryAfterRate: 1, retryAfterSeconds: 1 } },
      { pacing: { outflowPerSecond: 1_000 } },
    );
    const events = recordEvents(client, clock);
    fillBucketBeforeFirstAttempt(client, sim);
    const response = await client.request('GET', SELF);
    expect(response.status).toBe(200);
    expect(response.attempts).toBe(2);
    const [throttled] = events.filter((event) => event.name === 'throttled');
    expect(throttled?.name === 'throttled' && throttled.payload.retryAfterMs).toBe(1_000);
    expect(eventsOf(events, 'retry')[0]).toMatchObject({ delayMs: 1_000, reason: 'throttled' });
    // The retry slept 1 s on the client's clock (by then the bucket had leaked: no pacing wait).
    expect(clock.requested).toContain(1_000);
    expect(throttled?.at).toBe(0);
    expect(sentAt(events, 2)).toBe(1_000);
    expect(sim.faultCounts().retryAfter).toBe(1);
  });

  it("reads a Retry-After given as an HTTP date, against the clock's wall time", async () => {
    const retryAt = 'Tue, 06 Oct 2026 12:00:30 GMT';
    let served = 0;
    const stub = await startStubServer((_request, res) => {
      served++;
      if (served === 1) {
        res.writeHead(429, {
          'Content-Type': 'text/plain',
          'X-Rate-Limit-Remaining': '0.0',
          'Retry-After': retryAt,
        });
        res.end('429 Too Many Requests (Rate Limit Exceeded)\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Rate-Limit-Remaining': '700.0' });
      res.end('{"id":1}');
    });
    // The client's wall clock reads 1.5 s before the date; its monotonic clock starts at 0.
    const clock = fakeClock(Date.parse(retryAt) - 1_500);
    const client = createClient(stub.url, { clock, pacing: { outflowPerSecond: 1_000 } });
    autoAdvance(clock, () => client.stats().inFlight === 0);
    const events = recordEvents(client, clock);
    await expect(client.get(SELF)).resolves.toEqual({ id: 1 });
    expect(eventsOf(events, 'throttled')[0]?.retryAfterMs).toBe(1_500);
    expect(eventsOf(events, 'retry')[0]?.delayMs).toBe(1_500);
    expect(sentAt(events, 2)).toBe(1_500);
    expect(stub.requests).toHaveLength(2);
  });

  it("reads the simulator's Retry-After HTTP date", async () => {
    // The simulator dates Retry-After by the shared clock's wall time, a whole second.
    const { sim, client, clock } = await onFakeClock(
      {
        outflowPerSecond: 1_000,
        faults: { retryAfterRate: 1, retryAfterFormat: 'http-date', retryAfterSeconds: 2 },
      },
      { pacing: { outflowPerSecond: 1_000 } },
    );
    const events = recordEvents(client, clock);
    fillBucketBeforeFirstAttempt(client, sim);
    await client.get(SELF);
    expect(eventsOf(events, 'throttled')[0]?.retryAfterMs).toBe(2_000);
    expect(eventsOf(events, 'retry')[0]?.delayMs).toBe(2_000);
    expect(sentAt(events, 2)).toBe(2_000);
  });

  it('caps Retry-After at maxRetryAfterMs', async () => {
    const { sim, client, clock } = await onFakeClock(
      { outflowPerSecond: 1_000, faults: { retryAfterRate: 1, retryAfterSeconds: 30 } },
      { retry: { maxRetryAfterMs: 200 }, pacing: { outflowPerSecond: 1_000 } },
    );
    const events = recordEvents(client, clock);
    fillBucketBeforeFirstAttempt(client, sim);
    await client.get(SELF);
    expect(eventsOf(events, 'throttled')[0]?.retryAfterMs).toBe(30_000);
    expect(eventsOf(events, 'retry')[0]?.delayMs).toBe(200);
    // The retry slept the capped 200 ms on the client's clock, not the 30 s asked for.
    expect(clock.requested).not.toContain(30_000);
    expect(sentAt(events, 2)).toBe(200);
  });
});

describe('CanvasSyncClient retries: server errors', () => {
  it('retries a GET after 5xx with exponential backoff, then succeeds', async () => {
    const { sim, client, clock } = await onFakeClock(
      { faults: { serverErrorRate: 1, serverErrorStatuses: [503] } },
      { retry: { baseDelayMs: 20, maxDelayMs: 50, maxAttempts: 5 }, random: () => 0.5 },
    );
    const events = recordEvents(client, clock);
    healAfterRetries(client, sim, 3);
    const response = await client.request('GET', SELF);
    expect(response.status).toBe(200);
    expect(response.attempts).toBe(4);
    const retries = eventsOf(events, 'retry');
    // Full jitter with random() = 0.5: half of 20, 40, then the 50 cap.
    expect(retries.map((retry) => retry.delayMs)).toEqual([10, 20, 25]);
    expect(retries.every((retry) => retry.reason === '503' && retry.countsAsFailure)).toBe(true);
    // Each attempt went out exactly its backoff after the one before, on the client's clock.
    const sends = events.filter((event) => event.name === 'request').map((event) => event.at);
    expect(sends).toEqual([0, 10, 30, 55]);
    expect(sim.faultCounts().serverError).toBe(3);
    expect(client.stats()).toMatchObject({ requests: 4, responses: 4, retries: 3, failures: 0 });
  });

  it('ends in CanvasHttpError after maxAttempts 5xx answers', async () => {
    const sim = await startSim({ faults: { serverErrorRate: 1, serverErrorStatuses: [502] } });
    const client = createClient(sim, { retry: { maxAttempts: 3 } });
    const events = recordEvents(client);
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasHttpError);
    expect(error).not.toBeInstanceOf(CanvasAuthError);
    expect(error).not.toBeInstanceOf(CanvasRateLimitError);
    const http = error as CanvasHttpError;
    expect(http.code).toBe('HTTP_ERROR');
    expect(http.status).toBe(502);
    expect(http.attempts).toBe(3);
    expect(http.method).toBe('GET');
    expect(http.url).toBe(`${sim.url}${SELF}`);
    expect(http.requestContextId).toMatch(UUID);
    expect(http.requestContextId).toBe(eventsOf(events, 'response').at(-1)?.requestContextId);
    expect(http.body).toEqual({ errors: ['An error occurred.'] });
    expect(http.message).toContain('502');
    expect(sim.stats().requests).toBe(3);
    expect(client.stats()).toMatchObject({ requests: 3, responses: 3, retries: 2, failures: 1 });
  });

  it('retries an idempotent PUT after a 5xx', async () => {
    const sim = await startSim({ faults: { serverErrorRate: 1, serverErrorStatuses: [500] } });
    const client = createClient(sim, { retry: { maxAttempts: 2 } });
    const course = nth(sim.data.courses);
    const assignment = nth(sim.data.assignments(course.id));
    const student = nth(sim.data.submissions(course.id, assignment.id));
    const path = `/api/v1/courses/${course.id}/assignments/${assignment.id}/submissions/${student.user_id}`;
    const error = await rejectionOf(
      client.request('PUT', path, { json: { submission: { posted_grade: '70' } } }),
    );
    expect((error as CanvasHttpError).status).toBe(500);
    expect((error as CanvasHttpError).attempts).toBe(2);
    expect(sim.stats().requests).toBe(2);
  });

  it('does not retry a POST or PATCH after a 5xx unless retryNonIdempotent', async () => {
    // The simulator has no POST route that can fail with 5xx: a plain local server does.
    const stub = await startStubServer((_request, res) => {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end(SERVER_ERROR_BODY);
    });
    const client = createClient(stub.url, { retry: { maxAttempts: 3 } });
    for (const method of ['POST', 'PATCH']) {
      const error = await rejectionOf(client.request(method, '/api/v1/things', { json: {} }));
      expect(error).toBeInstanceOf(CanvasHttpError);
      expect((error as CanvasHttpError).status).toBe(503);
      expect((error as CanvasHttpError).attempts).toBe(1);
    }
    expect(stub.requests.map((request) => request.method)).toEqual(['POST', 'PATCH']);

    const eager = createClient(stub.url, { retry: { maxAttempts: 3, retryNonIdempotent: true } });
    const error = await rejectionOf(eager.request('POST', '/api/v1/things', { json: { n: 1 } }));
    expect((error as CanvasHttpError).attempts).toBe(3);
    expect(stub.requests).toHaveLength(5);
    expect(stub.requests.at(-1)?.body).toBe('{"n":1}');
  });

  it('does not retry a POST after a network error', async () => {
    const stub = await startStubServer((_request, res) => {
      res.socket?.destroy();
    });
    const client = createClient(stub.url, { retry: { maxAttempts: 3 } });
    const error = await rejectionOf(client.request('POST', '/api/v1/things', { json: {} }));
    expect(error).toBeInstanceOf(CanvasNetworkError);
    expect((error as CanvasNetworkError).attempts).toBe(1);
    expect(stub.requests).toHaveLength(1);
  });

  it('retries 408 and 504 but not 422', async () => {
    const statuses = [408, 504, 200];
    const stub = await startStubServer((_request, res) => {
      const status = statuses.shift() ?? 422;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(status === 200 ? '{"done":true}' : '{"errors":[{"message":"nope"}]}');
    });
    const client = createClient(stub.url);
    const response = await client.request('GET', '/api/v1/slow');
    expect(response.attempts).toBe(3);
    expect(response.data).toEqual({ done: true });
    const error = await rejectionOf(client.get('/api/v1/invalid'));
    expect((error as CanvasHttpError).status).toBe(422);
    expect((error as CanvasHttpError).body).toEqual({ errors: ['nope'] });
    expect(stub.requests).toHaveLength(4);
  });
});

describe('CanvasSyncClient retries: transport failures', () => {
  it('retries after a connection reset, then succeeds', async () => {
    const sim = await startSim({ faults: { resetRate: 1 } });
    const client = createClient(sim);
    const events = recordEvents(client);
    healAfterRetries(client, sim, 1);
    const response = await client.request('GET', SELF);
    expect(response.attempts).toBe(2);
    expect(eventsOf(events, 'retry')[0]).toMatchObject({
      reason: 'NETWORK_ERROR',
      countsAsFailure: true,
    });
    expect(sim.faultCounts().reset).toBe(1);
  });

  it('ends in CanvasNetworkError when the connection keeps being reset', async () => {
    const sim = await startSim({ faults: { resetRate: 1 } });
    const client = createClient(sim, { retry: { maxAttempts: 3 } });
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasNetworkError);
    const network = error as CanvasNetworkError;
    expect(network.code).toBe('NETWORK_ERROR');
    expect(network.attempts).toBe(3);
    expect(network.method).toBe('GET');
    expect(network.url).toBe(`${sim.url}${SELF}`);
    expect(network.cause).toBeInstanceOf(Error);
    expect(sim.stats().requests).toBe(3);
    // The headers arrived each time, the body never did.
    expect(client.stats()).toMatchObject({ requests: 3, responses: 0, retries: 2, failures: 1 });
  });

  it('ends in CanvasNetworkError when nothing listens', async () => {
    const client = createClient(await deadUrl(), { retry: { maxAttempts: 2 } });
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasNetworkError);
    expect((error as CanvasNetworkError).attempts).toBe(2);
    expect((error as CanvasNetworkError).cause.code).toBe('ECONNREFUSED');
    expect((error as CanvasNetworkError).message).toContain('ECONNREFUSED');
  });

  it('times out slow attempts with CanvasTimeoutError', async () => {
    // Timeouts run on real timers (they bound real I/O); the server holds each answer 5 s.
    const sim = await startSim({ faults: { slowRate: 1, slowMs: 5_000 } });
    const client = createClient(sim, { timeoutMs: 100, retry: { maxAttempts: 2 } });
    const events = recordEvents(client);
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasTimeoutError);
    const timeout = error as CanvasTimeoutError;
    expect(timeout.code).toBe('TIMEOUT');
    expect(timeout.timeoutMs).toBe(100);
    expect(timeout.attempts).toBe(2);
    expect(timeout.url).toBe(`${sim.url}${SELF}`);
    expect(eventsOf(events, 'retry')[0]?.reason).toBe('TIMEOUT');
    // Both attempts reached the server and were given up while it still held them.
    expect(sim.stats().requests).toBe(2);
    expect(sim.stats().inFlight).toBe(2);
    expect(client.stats()).toMatchObject({ requests: 2, responses: 0, failures: 1 });
  });

  it('retries a timed-out attempt and succeeds once the server is fast again', async () => {
    const sim = await startSim({ faults: { slowRate: 1, slowMs: 5_000 } });
    const client = createClient(sim, { timeoutMs: 100 });
    healAfterRetries(client, sim, 1);
    const response = await client.request('GET', SELF);
    expect(response.attempts).toBe(2);
  });

  it('retries malformed JSON, then ends in CanvasResponseError', async () => {
    const sim = await startSim({ faults: { malformedJsonRate: 1 } });
    const client = createClient(sim, { retry: { maxAttempts: 3 } });
    const events = recordEvents(client);
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasResponseError);
    const invalid = error as CanvasResponseError;
    expect(invalid.code).toBe('INVALID_RESPONSE');
    expect(invalid.status).toBe(200);
    expect(invalid.attempts).toBe(3);
    expect(invalid.detail).toBe('not valid JSON');
    expect(invalid.requestContextId).toMatch(UUID);
    expect(eventsOf(events, 'retry').map((retry) => retry.reason)).toEqual([
      'INVALID_RESPONSE',
      'INVALID_RESPONSE',
    ]);
    expect(sim.stats().requests).toBe(3);
  });

  it('recovers from one malformed JSON body', async () => {
    const sim = await startSim({ faults: { malformedJsonRate: 1 } });
    const client = createClient(sim);
    healAfterRetries(client, sim, 1);
    const response = await client.request('GET', SELF);
    expect(response.attempts).toBe(2);
    expect(response.data).toMatchObject({ id: 1 });
  });
});

describe('CanvasSyncClient retries: permanent errors', () => {
  it('fails an invalid token with CanvasAuthError (invalid), without retrying', async () => {
    const sim = await startSim();
    const client = createClient(sim, { token: 'not-a-valid-token' });
    const events = recordEvents(client);
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasAuthError);
    const auth = error as CanvasAuthError;
    expect(auth.code).toBe('AUTH_ERROR');
    expect(auth.status).toBe(401);
    expect(auth.reason).toBe('invalid');
    expect(auth.attempts).toBe(1);
    expect(auth.body).toEqual({ errors: ['Invalid access token.'] });
    expect(sim.stats('not-a-valid-token').requests).toBe(1);
    expect(eventsOf(events, 'retry')).toHaveLength(0);
  });

  it('fails an expired token with CanvasAuthError (expired)', async () => {
    const sim = await startSim({ expiredTokens: ['expired-token-1'] });
    const client = createClient(sim, { token: 'expired-token-1' });
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasAuthError);
    expect((error as CanvasAuthError).reason).toBe('expired');
    expect((error as CanvasAuthError).message).toMatch(/expired/);
    expect(sim.stats('expired-token-1').requests).toBe(1);
  });

  it('fails a 401 permission error (no WWW-Authenticate) as CanvasHttpError, not auth', async () => {
    const sim = await startSim({ forbidden: [{ path: /\/enrollments$/ }] });
    const client = createClient(sim);
    const course = nth(sim.data.courses);
    const error = await rejectionOf(client.get(`/api/v1/courses/${course.id}/enrollments`));
    expect(error).toBeInstanceOf(CanvasHttpError);
    expect(error).not.toBeInstanceOf(CanvasAuthError);
    expect((error as CanvasHttpError).status).toBe(401);
    expect((error as CanvasHttpError).body).toEqual({
      errors: ['user not authorized to perform that action'],
    });
    expect(sim.stats().requests).toBe(1);
    // Other paths still work with the same token.
    await expect(client.get(SELF)).resolves.toMatchObject({ id: 1 });
  });

  it('fails a 404 with the Canvas error message, without retrying', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const error = await rejectionOf(client.get('/api/v1/courses/999999999'));
    expect(error).toBeInstanceOf(CanvasHttpError);
    const http = error as CanvasHttpError;
    expect(http.status).toBe(404);
    expect(http.attempts).toBe(1);
    expect(http.body).toEqual({ errors: ['The specified resource does not exist.'] });
    expect(http.requestContextId).toMatch(UUID);
    expect(sim.stats().requests).toBe(1);
  });

  it('does not retry a permission 403 that is not a throttle', async () => {
    // Canvas can answer a permission problem with a JSON 403; the simulator never does, so a
    // fetch wrapper turns the first real response into one.
    const sim = await startSim();
    let calls = 0;
    const forbidOnce: FetchLike = async (input, init) => {
      calls++;
      const real = await fetch(input, init);
      if (calls > 1) return real;
      await real.text();
      const headers = new Headers(real.headers);
      headers.set('Content-Type', 'application/json; charset=utf-8');
      headers.delete('Content-Length');
      return new Response('{"errors":[{"message":"forbidden"}]}', { status: 403, headers });
    };
    const client = createClient(sim, { fetch: forbidOnce });
    const events = recordEvents(client);
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasHttpError);
    expect(error).not.toBeInstanceOf(CanvasRateLimitError);
    expect((error as CanvasHttpError).status).toBe(403);
    expect((error as CanvasHttpError).body).toEqual({ errors: ['forbidden'] });
    expect(calls).toBe(1);
    expect(sim.stats().requests).toBe(1);
    expect(eventsOf(events, 'throttled')).toHaveLength(0);
    expect(client.stats()).toMatchObject({ throttled: 0, retries: 0, failures: 1 });
  });
});
