import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type CanvasPageView,
  type CanvasSimulator,
  createInstitution,
  startCanvasSimulator,
} from '../../src/testing/index.js';
import { fakeClock } from '../support/fake-clock.js';
import { call, json, links } from '../support/http.js';

const DAY_MS = 86_400_000;
const UNTIL = Date.parse('2026-11-08T00:00:00Z');
const USER = 100_001;
let sim: CanvasSimulator;

beforeAll(async () => {
  sim = await startCanvasSimulator({
    institution: {
      courses: 2,
      students: 10,
      studentsPerCourse: 10,
      pageViewsPerUser: 60,
      pageViewDays: 30,
      pageViewsUntil: UNTIL,
    },
  });
});
afterAll(() => sim.close());

/** Every page view of one listing, following `next` links. */
async function walk(path: string): Promise<CanvasPageView[]> {
  const out: CanvasPageView[] = [];
  let url: string | undefined = `${sim.url}${path}`;
  while (url !== undefined) {
    const res = await call(sim, url);
    expect(res.status, res.text).toBe(200);
    out.push(...json<CanvasPageView[]>(res));
    url = links(res).next;
  }
  return out;
}

const times = (views: readonly CanvasPageView[]) => views.map((v) => Date.parse(v.created_at));

describe('simulator: page views in a time window', () => {
  it('dates every page view in the pageViewDays before pageViewsUntil', async () => {
    const all = await walk(`/api/v1/users/${USER}/page_views?per_page=100`);
    expect(all).toHaveLength(60);
    for (const t of times(all)) {
      expect(t).toBeGreaterThanOrEqual(UNTIL - 30 * DAY_MS);
      expect(t).toBeLessThan(UNTIL);
    }
  });

  it('returns only views with start_time <= created_at < end_time, across pages', async () => {
    const start = '2026-11-01T00:00:00Z';
    const end = '2026-11-05T12:00:00Z';
    const all = await walk(`/api/v1/users/${USER}/page_views?per_page=100`);
    const expected = all.filter(
      (v) =>
        Date.parse(v.created_at) >= Date.parse(start) && Date.parse(v.created_at) < Date.parse(end),
    );
    expect(expected.length).toBeGreaterThan(3);
    const query = new URLSearchParams({ start_time: start, end_time: end, per_page: '2' });
    const windowed = await walk(`/api/v1/users/${USER}/page_views?${query}`);
    expect(windowed.map((v) => v.id)).toEqual(expected.map((v) => v.id));
  });

  it('treats the end as exclusive and the start as inclusive, to the second', async () => {
    const all = await walk(`/api/v1/users/${USER}/page_views?per_page=100`);
    const pivot = all[30]?.created_at ?? '';
    const before = await walk(`/api/v1/users/${USER}/page_views?per_page=100&end_time=${pivot}`);
    const after = await walk(`/api/v1/users/${USER}/page_views?per_page=100&start_time=${pivot}`);
    expect(before.every((v) => v.created_at < pivot)).toBe(true);
    expect(after.every((v) => v.created_at >= pivot)).toBe(true);
    expect(before.length + after.length).toBe(60);
    expect(after[0]?.created_at).toBe(pivot);
  });

  it('reads dates, offsets and fractions; an empty or inverted window is empty', async () => {
    const base = `/api/v1/users/${USER}/page_views?per_page=100`;
    const utc = await walk(`${base}&start_time=2026-11-01T00:00:00Z&end_time=2026-11-03`);
    const offset = await walk(
      `${base}&start_time=${encodeURIComponent('2026-11-01T01:00:00.000+01:00')}&end_time=2026-11-02T19:00:00-05:00`,
    );
    expect(offset.map((v) => v.id)).toEqual(utc.map((v) => v.id));
    expect(await walk(`${base}&start_time=2026-11-05&end_time=2026-11-01`)).toEqual([]);
    expect(await walk(`${base}&start_time=2027-01-01T00:00:00Z`)).toEqual([]);
  });

  it.each([
    ['start_time', 'yesterday'],
    ['start_time', '2026-02-30T00:00:00Z'],
    ['end_time', '2026-11-01T25:00:00Z'],
    ['end_time', '1730419200'],
  ])('answers %s=%s 400 with a Canvas error body naming the parameter', async (name, value) => {
    const res = await call(
      sim,
      `/api/v1/users/${USER}/page_views?${new URLSearchParams({ [name]: value })}`,
    );
    expect(res.status).toBe(400);
    const body = json<{ errors: { message: string }[] }>(res);
    expect(body.errors[0]?.message).toContain(name);
  });

  it('still answers 404 for an unknown user, window or not', async () => {
    const res = await call(sim, '/api/v1/users/999999/page_views?start_time=2026-11-01');
    expect(res.status).toBe(404);
  });
});

describe('simulator: default page-view span', () => {
  it('ends the page views at the time the simulator starts, over the year before', async () => {
    const time = fakeClock(UNTIL + 12_345);
    const fresh = await startCanvasSimulator({
      clock: time,
      institution: { courses: 1, students: 3, studentsPerCourse: 3 },
    });
    try {
      const until = fresh.data.options.pageViewsUntil ?? 0;
      expect(until).toBe(UNTIL + 12_345);
      expect(fresh.data.options.pageViewDays).toBe(365);
      const views = fresh.data.pageViews(USER);
      const last = Date.parse(views?.at((views?.length ?? 0) - 1)?.created_at ?? '');
      const first = Date.parse(views?.at(0)?.created_at ?? '');
      expect(last).toBeLessThan(until);
      expect(first).toBeGreaterThanOrEqual(until - 365 * DAY_MS - 1000);
    } finally {
      await fresh.close();
    }
  });

  it('takes the time the simulator starts from Date.now() without a clock object', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: UNTIL });
    try {
      const fresh = await startCanvasSimulator({ institution: { courses: 1, students: 1 } });
      await fresh.close();
      expect(fresh.data.options.pageViewsUntil).toBe(UNTIL);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the last week populated: a 7-day window over 40 students finds page views', async () => {
    const fresh = await startCanvasSimulator({
      institution: { courses: 1, students: 40, studentsPerCourse: 40 },
    });
    try {
      const end = fresh.data.options.pageViewsUntil ?? 0;
      let found = 0;
      for (let u = 0; u < 40; u++) {
        found += fresh.data.pageViews(USER + u, { start: end - 7 * DAY_MS, end })?.length ?? 0;
      }
      expect(found).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
  });
});

describe('createInstitution: page-view span', () => {
  it('is the same data for the same seed and span, and dated in the academic year by default', () => {
    const a = createInstitution({ students: 3, pageViewsUntil: UNTIL, pageViewDays: 7 });
    const b = createInstitution({ students: 3, pageViewsUntil: UNTIL, pageViewDays: 7 });
    expect(a.pageViews(USER)?.at(5)).toEqual(b.pageViews(USER)?.at(5));
    const inst = createInstitution();
    const start = Date.parse(inst.terms[0]?.start_at ?? '');
    const views = inst.pageViews(USER);
    expect(Date.parse(views?.at(0)?.created_at ?? '')).toBeGreaterThanOrEqual(start);
    expect(Date.parse(views?.at(19)?.created_at ?? '')).toBeLessThan(start + 280 * DAY_MS);
  });

  it('rejects an invalid span', () => {
    expect(() => createInstitution({ pageViewDays: 0 })).toThrow(RangeError);
    expect(() => createInstitution({ pageViewsUntil: -1 })).toThrow(RangeError);
    expect(() => createInstitution({ pageViewsUntil: 1.5 })).toThrow(RangeError);
  });
});
