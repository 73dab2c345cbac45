import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type CanvasPageView,
  type CanvasSimulator,
  createInstitution,
  type Institution,
  type PageViewRange,
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
    const last = views?.at((views?.length ?? 0) - 1);
    expect(Date.parse(last?.created_at ?? '')).toBeLessThan(start + 280 * DAY_MS);
  });

  it('rejects an invalid span', () => {
    expect(() => createInstitution({ pageViewDays: 0 })).toThrow(RangeError);
    expect(() => createInstitution({ pageViewsUntil: -1 })).toThrow(RangeError);
    expect(() => createInstitution({ pageViewsUntil: 1.5 })).toThrow(RangeError);
  });
});

/** Every page view of a user of `inst`, in `window` when given. */
function viewsOf(inst: Institution, user: number, window?: PageViewRange): CanvasPageView[] {
  const list = inst.pageViews(user, window);
  return Array.from({ length: list?.length ?? 0 }, (_, i) => list?.at(i) as CanvasPageView);
}

/** The slot index an id starts with (its first 12 hex digits). */
const slotOfId = (id: string): number => Number.parseInt(`${id.slice(0, 8)}${id.slice(9, 13)}`, 16);

describe('createInstitution: page views in fixed time slots', () => {
  // 48 views over 12 days: 6-hour slots; the first span ends mid-slot, 1.5 s past a second.
  const SHAPE = { students: 6, studentsPerCourse: 6, courses: 2, pageViewsPerUser: 48 };
  const SPAN_MS = 12 * DAY_MS;
  const FIRST_END = UNTIL + 3_723_500;
  const first = createInstitution({ ...SHAPE, pageViewDays: 12, pageViewsUntil: FIRST_END });
  const later = createInstitution({
    ...SHAPE,
    pageViewDays: 12,
    pageViewsUntil: FIRST_END + DAY_MS,
  });
  const firstEnd = Math.floor(FIRST_END / 1000) * 1000; // the span ends on a whole second
  const laterEnd = firstEnd + DAY_MS;

  it('keeps every view two spans a day apart share: same ids, same JSON', () => {
    for (let user = USER; user < USER + SHAPE.students; user++) {
      const before = viewsOf(first, user);
      const after = viewsOf(later, user);
      const shared = before.filter((v) => Date.parse(v.created_at) >= laterEnd - SPAN_MS);
      expect(shared.length).toBeGreaterThan(40);
      expect(JSON.stringify(after.slice(0, shared.length))).toBe(JSON.stringify(shared));
      // What the later span lost is exactly what the earlier one had before it starts.
      const lost = before.slice(0, before.length - shared.length);
      for (const v of lost) expect(Date.parse(v.created_at)).toBeLessThan(laterEnd - SPAN_MS);
    }
  });

  it("adds exactly the new slots' views: those dated from the earlier span's end, with new ids", () => {
    for (let user = USER; user < USER + SHAPE.students; user++) {
      const before = viewsOf(first, user);
      const after = viewsOf(later, user);
      const fresh = after.filter((v) => Date.parse(v.created_at) >= firstEnd);
      const kept = after.slice(0, after.length - fresh.length);
      expect(kept.every((v) => Date.parse(v.created_at) < firstEnd)).toBe(true);
      const known = new Set(before.map((v) => v.id));
      expect(kept.every((v) => known.has(v.id))).toBe(true);
      expect(fresh.some((v) => known.has(v.id))).toBe(false);
      // One per slot: the slots after the earlier span's last view, consecutive, 4 a day (± 1).
      const lastSlot = slotOfId(before.at(-1)?.id ?? '');
      expect(fresh.map((v) => slotOfId(v.id))).toEqual(fresh.map((_, i) => lastSlot + 1 + i));
      expect(fresh.length).toBeGreaterThanOrEqual(3);
      expect(fresh.length).toBeLessThanOrEqual(5);
      // A window over the day between the two ends lists the same views.
      const day = viewsOf(later, user, { start: FIRST_END, end: FIRST_END + DAY_MS });
      expect(day.map((v) => v.id)).toEqual(fresh.map((v) => v.id));
      expect(after).toHaveLength(kept.length + fresh.length);
    }
  });

  it('dates each view in its slot (6 h from the epoch), and lists V - 1 to V + 1 per user', () => {
    const sizes = new Set<number>();
    for (let user = USER; user < USER + SHAPE.students; user++) {
      const views = viewsOf(later, user);
      sizes.add(views.length);
      expect(Math.abs(views.length - SHAPE.pageViewsPerUser)).toBeLessThanOrEqual(1);
      for (const v of views) {
        const t = Date.parse(v.created_at);
        expect(Math.floor(t / (6 * 3_600_000))).toBe(slotOfId(v.id));
        expect(t).toBeGreaterThanOrEqual(laterEnd - SPAN_MS);
        expect(t).toBeLessThan(laterEnd);
        expect(v.id).toMatch(/^[0-7][0-9a-f]{7}-[0-9a-f]{4}-0000-000[0-5]-[0-9a-f]{12}$/);
      }
    }
    // A span that starts on a slot boundary holds exactly V views.
    const aligned = createInstitution({ ...SHAPE, pageViewDays: 12, pageViewsUntil: UNTIL });
    for (let user = USER; user < USER + SHAPE.students; user++) {
      expect(aligned.pageViews(user)?.length).toBe(SHAPE.pageViewsPerUser);
    }
  });

  it('gives the same data for the same seed and end, and serves any window as a filter', () => {
    const again = createInstitution({ ...SHAPE, pageViewDays: 12, pageViewsUntil: FIRST_END });
    const views = viewsOf(first, USER + 2);
    expect(viewsOf(again, USER + 2)).toEqual(views);
    const edges = [
      ...views.map((v) => Date.parse(v.created_at)),
      firstEnd - SPAN_MS - 1,
      firstEnd + 1,
    ].flatMap((t) => [t - 1000, t - 1, t, t + 1]);
    for (let i = 0; i < edges.length; i += 3) {
      const [start, end] = [edges[i] ?? 0, edges[(i * 7) % edges.length] ?? 0];
      const expected = views.filter((v) => {
        const t = Date.parse(v.created_at);
        return t >= start && t < end;
      });
      expect(viewsOf(first, USER + 2, { start, end }).map((v) => v.id)).toEqual(
        expected.map((v) => v.id),
      );
    }
  });

  it('lists no view before 1970, and refuses slots that would not fit the ids', () => {
    const early = createInstitution({ ...SHAPE, pageViewDays: 12, pageViewsUntil: 2 * DAY_MS });
    const views = viewsOf(early, USER);
    expect(views).toHaveLength(8); // the slots of [0, 2 days): both ends on slot boundaries
    expect(views[0]?.id.startsWith('00000000-0000-')).toBe(true);
    expect(createInstitution({ ...SHAPE, pageViewsUntil: 0 }).pageViews(USER)?.length).toBe(0);
    expect(() =>
      createInstitution({ pageViewsPerUser: 2 ** 31, pageViewDays: 1, pageViewsUntil: 2 ** 52 }),
    ).toThrow(RangeError);
  });
});

describe('simulator: page views added by change() and later simulators', () => {
  const SHAPE = {
    courses: 2,
    students: 8,
    studentsPerCourse: 8,
    pageViewsPerUser: 24,
    pageViewDays: 3,
  };

  /** A simulator whose page views end at `until`, on a clock an hour later. */
  async function simulatorAt(until: number): Promise<CanvasSimulator> {
    const clock = fakeClock(until);
    const started = await startCanvasSimulator({
      clock,
      institution: { ...SHAPE, pageViewsUntil: until },
    });
    clock.advance(3_600_000);
    return started;
  }

  it('never share an id with a generated view, of this span or of one that ends later', async () => {
    const today = await simulatorAt(UNTIL);
    const tomorrow = await simulatorAt(UNTIL + DAY_MS);
    try {
      const added = today.change({ pageViews: 12, seed: 3 }).pageViewsAdded;
      const addedTomorrow = tomorrow.change({ pageViews: 12, seed: 3 }).pageViewsAdded;
      expect(added).toHaveLength(12);
      // The same draws a day later: the same users, other ids (their time is part of them).
      expect(addedTomorrow.map((ref) => ref.userId)).toEqual(added.map((ref) => ref.userId));
      const ids = new Set(added.map((ref) => ref.id));
      expect(ids.size).toBe(12);
      for (const ref of addedTomorrow) expect(ids.has(ref.id)).toBe(false);
      // A later institution, whose span covers the change's time, generates none of them.
      const later = createInstitution({
        ...SHAPE,
        seed: today.data.options.seed,
        pageViewsUntil: UNTIL + 2 * DAY_MS,
      });
      for (const ref of added) {
        expect(ref.id).toMatch(/^f[0-9a-f]{7}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        const generated = viewsOf(later, ref.userId);
        expect(later.pageViews(ref.userId)?.indexOfId(ref.id)).toBe(-1);
        expect(generated.every((v) => v.id < ref.id)).toBe(true);
        // Listed after the generated views of its user, and the generated ones are unchanged.
        const listed = viewsOf(today.data, ref.userId);
        expect(listed.map((v) => v.id)).toContain(ref.id);
        const base = listed.filter((v) => !ids.has(v.id));
        expect(base).toEqual(
          viewsOf(
            createInstitution({ ...SHAPE, seed: today.data.options.seed, pageViewsUntil: UNTIL }),
            ref.userId,
          ),
        );
      }
    } finally {
      await Promise.all([today.close(), tomorrow.close()]);
    }
  });
});
