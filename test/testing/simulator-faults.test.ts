import { afterEach, describe, expect, it } from 'vitest';
import {
  type CanvasSimulator,
  type CanvasSimulatorOptions,
  startCanvasSimulator,
} from '../../src/testing/index.js';
import { fakeClock } from '../support/fake-clock.js';
import { call, json, links, nth, until } from '../support/http.js';

let sim: CanvasSimulator | undefined;

async function start(options: CanvasSimulatorOptions = {}): Promise<CanvasSimulator> {
  sim = await startCanvasSimulator({
    cost: 0,
    institution: { courses: 2, students: 40, studentsPerCourse: 30 },
    ...options,
  });
  return sim;
}

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('simulator faults', () => {
  it('answers 500/502/503 with Canvas error JSON at the configured rate', async () => {
    const s = await start({ faults: { serverErrorRate: 1 } });
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const res = await call(s, '/api/v1/users/self');
      statuses.add(res.status);
      expect(json(res)).toEqual({
        errors: [{ message: 'An error occurred.', error_code: 'internal_server_error' }],
      });
      expect(res.headers.get('x-request-cost')).not.toBeNull();
    }
    expect([...statuses].sort()).toEqual([500, 502, 503]);
    expect(s.faultCounts().serverError).toBe(20);
    s.setFaults({ serverErrorRate: 1, serverErrorStatuses: [503] });
    expect((await call(s, '/api/v1/users/self')).status).toBe(503);
    s.setFaults({});
    expect((await call(s, '/api/v1/users/self')).status).toBe(200);
  });

  it('resets the connection in the middle of the body', async () => {
    const s = await start({ faults: { resetRate: 1 } });
    await expect(call(s, `/api/v1/courses/${nth(s.data.courses).id}/users`)).rejects.toThrow();
    expect(s.faultCounts().reset).toBe(1);
    s.setFaults({});
    expect((await call(s, '/api/v1/users/self')).status).toBe(200);
  });

  it('answers slowly enough to trip a client timeout', async () => {
    const time = fakeClock();
    const s = await start({
      clock: time,
      latencyMs: 5,
      faults: { slowRate: 1, slowMs: 2_000 },
    });
    // A client that gives up before the slow answer comes (as its timeout would).
    const controller = new AbortController();
    const given = fetch(`${s.url}/api/v1/users/self`, {
      headers: { Authorization: `Bearer ${s.token}` },
      signal: controller.signal,
    });
    await until(() => time.pendingDelays().length === 1);
    expect(time.pendingDelays()).toEqual([2_005]);
    await time.advanceSettled(2_004);
    expect(s.stats().inFlight).toBe(1);
    controller.abort();
    await expect(given).rejects.toThrow(/aborted/i);
    expect(s.stats().inFlight).toBe(1);
    // A client that waits gets its answer once latency and slowMs have passed.
    let answered = false;
    const waited = call(s, '/api/v1/users/self').then((res) => {
      answered = true;
      return res;
    });
    await until(() => time.pendingDelays().length === 2);
    // At 2005 ms the first one ends (its client is gone); the second, sent at 2004, is due at 4009.
    await time.advanceSettled(1);
    expect(s.stats().inFlight).toBe(1);
    await time.advanceSettled(2_003);
    expect(answered).toBe(false);
    await time.advanceSettled(1);
    expect((await waited).status).toBe(200);
    expect(s.stats()).toMatchObject({ inFlight: 0, requests: 2 });
    expect(s.faultCounts().slow).toBe(2);
  });

  it('cuts JSON bodies short', async () => {
    const s = await start({ faults: { malformedJsonRate: 1 } });
    const res = await call(s, `/api/v1/courses/${nth(s.data.courses).id}/enrollments`);
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.text)).toThrow(SyntaxError);
  });

  it('adds Retry-After to throttled responses, in seconds or as an HTTP date', async () => {
    const time = fakeClock(Date.parse('2026-11-08T23:59:45.250Z'));
    const s = await start({ clock: time, faults: { retryAfterRate: 1, retryAfterSeconds: 3 } });
    s.setBucketLevel(700);
    const seconds = await call(s, '/api/v1/users/self');
    expect(seconds.status).toBe(429);
    expect(seconds.headers.get('retry-after')).toBe('3');
    s.setFaults({ retryAfterRate: 1, retryAfterFormat: 'http-date', retryAfterSeconds: 30 });
    s.setBucketLevel(700);
    // The date is the clock's epochNow() plus retryAfterSeconds.
    const date = await call(s, '/api/v1/users/self');
    expect(date.headers.get('retry-after')).toBe('Mon, 09 Nov 2026 00:00:15 GMT');
    // Served responses never carry it.
    s.setBucketLevel(0);
    expect((await call(s, '/api/v1/users/self')).headers.get('retry-after')).toBeNull();
  });

  it('inserts and deletes records between pages of a numbered collection', async () => {
    const s = await start({ faults: { mutationRate: 1 } });
    const courseId = nth(s.data.courses).id;
    const ids: number[] = [];
    let next: string | undefined = `${s.url}/api/v1/courses/${courseId}/users?per_page=5`;
    let pages = 0;
    while (next !== undefined && pages < 50) {
      const res = await call(s, next);
      ids.push(...json<Array<{ id: number }>>(res).map((r) => r.id));
      next = links(res).next;
      pages++;
    }
    const truth = s.data.courseUsers(courseId);
    const expected = Array.from({ length: truth?.length ?? 0 }, (_, i) => nth(truth, i).id);
    const duplicates = ids.length - new Set(ids).size;
    const skipped = expected.filter((id) => !ids.includes(id)).length;
    expect(s.faultCounts().mutation).toBe(pages - 1);
    expect(duplicates + skipped).toBeGreaterThan(0);
  });

  it('points next links at a foreign origin', async () => {
    const s = await start({
      faults: { foreignNextRate: 1, foreignOrigin: 'https://evil.example.net' },
    });
    const res = await call(s, `/api/v1/courses/${nth(s.data.courses).id}/enrollments`);
    const rel = links(res);
    expect(rel.next).toMatch(/^https:\/\/evil\.example\.net\/api\/v1\/courses\/\d+\/enrollments\?/);
    expect(rel.current?.startsWith(s.url)).toBe(true);
  });

  it('puts an invalid bookmark in next links, which restarts the collection', async () => {
    const s = await start({ faults: { invalidBookmarkRate: 1 } });
    const path = `/api/v1/courses/${nth(s.data.courses).id}/enrollments?per_page=5`;
    const first = await call(s, path);
    const next = links(first).next ?? '';
    expect(next).toContain('page=bookmark%3Anot-a-bookmark');
    const again = await call(s, next);
    expect(json(again)).toEqual(json(first));
    expect(s.faultCounts().invalidBookmark).toBe(2);
  });

  it('limits faults to paths matching pathPattern', async () => {
    const s = await start({ faults: { serverErrorRate: 1, pathPattern: /\/enrollments$/ } });
    expect((await call(s, '/api/v1/users/self')).status).toBe(200);
    const enrollments = await call(s, `/api/v1/courses/${nth(s.data.courses).id}/enrollments`);
    expect(enrollments.status).toBeGreaterThanOrEqual(500);
  });

  it('injects the same faults for the same seed and request sequence', async () => {
    const sequence = async (seed: number): Promise<number[]> => {
      const s = await startCanvasSimulator({ seed, cost: 0, faults: { serverErrorRate: 0.4 } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 30; i++) statuses.push((await call(s, '/api/v1/users/self')).status);
        return statuses;
      } finally {
        await s.close();
      }
    };
    const a = await sequence(7);
    expect(await sequence(7)).toEqual(a);
    expect(a.filter((status) => status === 200).length).toBeGreaterThan(5);
    expect(a.filter((status) => status >= 500).length).toBeGreaterThan(5);
    expect(await sequence(8)).not.toEqual(a);
  });
});
