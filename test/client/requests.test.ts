import { describe, expect, it } from 'vitest';
import type { CanvasSubmission } from '../../src/testing/index.js';
import {
  createClient,
  eventsOf,
  recordEvents,
  rejectionOf,
  startSim,
  startStubServer,
} from '../support/client.js';
import { nth } from '../support/http.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('CanvasSyncClient requests against the simulator', () => {
  it('GETs and parses a Canvas object', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const course = nth(sim.data.courses);
    const body = await client.get<{ id: number; name: string }>(`/api/v1/courses/${course.id}`);
    expect(body).toEqual(JSON.parse(JSON.stringify(course)));
    expect(typeof body.id).toBe('number');
    expect(sim.stats().requests).toBe(1);
  });

  it('returns status, headers, rate-limit figures, context id and attempts', async () => {
    const sim = await startSim({ cost: 1.5, latencyMs: 5 });
    const client = createClient(sim);
    const events = recordEvents(client);
    const response = await client.request('GET', '/api/v1/users/self');
    expect(response.status).toBe(200);
    expect(response.headers).toBeInstanceOf(Headers);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(response.data).toMatchObject({ id: 1, name: 'Canvas Sync Service Account' });
    expect(response.url).toBe(`${sim.url}/api/v1/users/self`);
    expect(response.attempts).toBe(1);
    expect(response.rateLimit.cost).toBe(1.5);
    expect(response.rateLimit.remaining).toBe(
      Number.parseFloat(response.headers.get('x-rate-limit-remaining') ?? ''),
    );
    // 1.5 charged, minus what leaked during 5 ms: close to 698.5.
    expect(response.rateLimit.remaining).toBeGreaterThan(698);
    expect(response.rateLimit.remaining).toBeLessThan(700);
    expect(response.requestContextId).toMatch(UUID);
    expect(response.requestContextId).toBe(response.headers.get('x-request-context-id'));

    const [request] = eventsOf(events, 'request');
    expect(request).toEqual({ method: 'GET', url: response.url, attempt: 1 });
    const [answered] = eventsOf(events, 'response');
    expect(answered).toMatchObject({
      method: 'GET',
      url: response.url,
      status: 200,
      attempt: 1,
      remaining: response.rateLimit.remaining,
      cost: 1.5,
      requestContextId: response.requestContextId,
    });
    expect(answered?.durationMs).toBeGreaterThanOrEqual(0);
    expect(eventsOf(events, 'request')).toHaveLength(1);
    expect(eventsOf(events, 'response')).toHaveLength(1);
  });

  it('resolves paths with or without a leading slash, and absolute URLs on the origin', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    expect(await client.get('api/v1/users/self')).toMatchObject({ id: 1 });
    expect(await client.get(`${sim.url}/api/v1/users/self`)).toMatchObject({ id: 1 });
    expect(sim.stats().requests).toBe(2);
  });

  it('accepts a base URL with /api/v1 and paths with or without it', async () => {
    const sim = await startSim();
    const client = createClient(sim, { baseUrl: `${sim.url}/api/v1` });
    expect(await client.get('/api/v1/users/self')).toMatchObject({ id: 1 });
    expect(await client.get('/users/self')).toMatchObject({ id: 1 });
    expect(await createClient(sim).get('users/self')).toMatchObject({ id: 1 });
    expect(sim.stats().requests).toBe(3);
  });

  it('refuses an absolute URL on another origin without sending anything', async () => {
    const sim = await startSim();
    const other = await startStubServer();
    const client = createClient(sim);
    const error = await rejectionOf(client.get(`${other.url}/api/v1/users/self`));
    expect(error).toBeInstanceOf(TypeError);
    expect(other.requests).toHaveLength(0);
    expect(sim.stats().requests).toBe(0);
  });

  it('sends searchParams, arrays as repeated keys (include[])', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const events = recordEvents(client);
    const course = nth(sim.data.courses);
    const assignment = nth(sim.data.assignments(course.id));
    const path = `/api/v1/courses/${course.id}/assignments/${assignment.id}/submissions`;

    const plain = await client.get<CanvasSubmission[]>(path, { searchParams: { per_page: 5 } });
    expect(plain).toHaveLength(5);
    expect(plain.every((s) => s.user === undefined)).toBe(true);

    const withIncludes = await client.get<CanvasSubmission[]>(path, {
      searchParams: { 'include[]': ['user', 'submission_comments'], per_page: 5, grouped: false },
    });
    expect(withIncludes).toHaveLength(5);
    for (const submission of withIncludes) {
      expect(submission.user?.id).toBe(submission.user_id);
      expect(Array.isArray(submission.submission_comments)).toBe(true);
    }
    const url = eventsOf(events, 'request').at(-1)?.url ?? '';
    expect(url).toContain('include%5B%5D=user&include%5B%5D=submission_comments');
    expect(url).toContain('per_page=5');
    expect(url).toContain('grouped=false');
  });

  it('keeps a query already in the path and appends searchParams after it', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const events = recordEvents(client);
    const course = nth(sim.data.courses);
    const users = await client.get<unknown[]>(`/api/v1/courses/${course.id}/users?per_page=3`, {
      searchParams: new URLSearchParams({ page: '2' }),
    });
    expect(users).toHaveLength(3);
    expect(users[0]).toEqual(JSON.parse(JSON.stringify(nth(sim.data.courseUsers(course.id), 3))));
    expect(eventsOf(events, 'request')[0]?.url).toMatch(/\?per_page=3&page=2$/);
  });

  it('PUTs a JSON body: posting a grade sets the score', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const course = nth(sim.data.courses);
    const assignment = nth(sim.data.assignments(course.id));
    const student = nth(sim.data.submissions(course.id, assignment.id));
    const response = await client.request<CanvasSubmission>(
      'PUT',
      `/api/v1/courses/${course.id}/assignments/${assignment.id}/submissions/${student.user_id}`,
      { json: { submission: { posted_grade: '88' } } },
    );
    expect(response.status).toBe(200);
    expect(response.data.score).toBe(88);
    expect(response.data.grade).toBe('88');
    expect(response.data.user_id).toBe(student.user_id);
    expect(response.data.workflow_state).toBe('graded');
  });

  it('accepts the method in any case', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const events = recordEvents(client);
    const response = await client.request('get', '/api/v1/users/self');
    expect(response.status).toBe(200);
    expect(eventsOf(events, 'request')[0]?.method).toBe('GET');
  });

  it('asks for string ids with stringIds: true', async () => {
    const sim = await startSim();
    const course = nth(sim.data.courses);
    const numeric = await createClient(sim).get<{ id: unknown }>(`/api/v1/courses/${course.id}`);
    expect(numeric.id).toBe(course.id);
    const client = createClient(sim, { stringIds: true });
    const body = await client.get<{ id: unknown; account_id: unknown }>(
      `/api/v1/courses/${course.id}`,
    );
    expect(body.id).toBe(String(course.id));
    expect(typeof body.account_id).toBe('string');
    const enrollments = await client.get<Array<{ id: unknown; user_id: unknown }>>(
      `/api/v1/courses/${course.id}/enrollments`,
    );
    expect(enrollments.length).toBeGreaterThan(0);
    for (const enrollment of enrollments) {
      expect(typeof enrollment.id).toBe('string');
      expect(typeof enrollment.user_id).toBe('string');
    }
  });

  it('sends the Bearer token, Accept, User-Agent and extra headers', async () => {
    const stub = await startStubServer((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Rate-Limit-Remaining': '700.0' });
      res.end('{"ok":true}');
    });
    const client = createClient(stub.url, {
      token: 'header-token-1',
      headers: { 'X-Trace': 'trace-1' },
      stringIds: true,
    });
    const response = await client.request('GET', '/api/v1/ping', {
      headers: { 'X-Request-Tag': 'tag-1' },
    });
    expect(response.data).toEqual({ ok: true });
    expect(response.rateLimit).toEqual({ remaining: 700, cost: undefined });
    expect(response.requestContextId).toBeUndefined();
    const [seen] = stub.requests;
    expect(seen?.url).toBe('/api/v1/ping');
    expect(seen?.headers.authorization).toBe('Bearer header-token-1');
    expect(seen?.headers.accept).toBe('application/json+canvas-string-ids');
    expect(seen?.headers['user-agent']).toMatch(/^canvas-sync\//);
    expect(seen?.headers['x-trace']).toBe('trace-1');
    expect(seen?.headers['x-request-tag']).toBe('tag-1');
  });

  it('returns undefined data for an empty body', async () => {
    const stub = await startStubServer((_request, res) => {
      res.writeHead(204);
      res.end();
    });
    const client = createClient(stub.url);
    const response = await client.request('DELETE', '/api/v1/things/1');
    expect(response.status).toBe(204);
    expect(response.data).toBeUndefined();
    expect(stub.requests[0]?.method).toBe('DELETE');
  });
});
