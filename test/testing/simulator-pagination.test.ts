import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanvasSimulator, startCanvasSimulator } from '../../src/testing/index.js';
import { call, json, links, nth } from '../support/http.js';

let sim: CanvasSimulator;
let courseId: number;

beforeAll(async () => {
  sim = await startCanvasSimulator({
    cost: 0,
    institution: { courses: 3, students: 60, studentsPerCourse: 25 },
  });
  courseId = nth(sim.data.courses).id;
});
afterAll(() => sim.close());

interface Record {
  id: number;
}

async function walk(startPath: string): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let next: string | undefined = `${sim.url}${startPath}`;
  let pages = 0;
  while (next !== undefined && pages < 100) {
    const res = await call(sim, next);
    expect(res.status).toBe(200);
    ids.push(...json<Record[]>(res).map((r) => r.id));
    next = links(res).next;
    pages++;
  }
  return { ids, pages };
}

describe('simulator numbered pagination', () => {
  it('defaults to 10 per page with current, next, first and last links', async () => {
    const res = await call(sim, `/api/v1/courses/${courseId}/users`);
    expect(json<Record[]>(res)).toHaveLength(10);
    const header = res.headers.get('link') ?? '';
    expect(header).not.toContain(', ');
    expect(header.match(/rel="(\w+)"/g)).toEqual([
      'rel="current"',
      'rel="next"',
      'rel="first"',
      'rel="last"',
    ]);
    const rel = links(res);
    expect(rel.current).toBe(`${sim.url}/api/v1/courses/${courseId}/users?page=1&per_page=10`);
    expect(rel.next).toBe(`${sim.url}/api/v1/courses/${courseId}/users?page=2&per_page=10`);
    expect(rel.last).toBe(`${sim.url}/api/v1/courses/${courseId}/users?page=3&per_page=10`);
  });

  it('orders rels current, next, prev, first, last in the middle of a collection', async () => {
    const res = await call(sim, `/api/v1/courses/${courseId}/users?page=2`);
    expect((res.headers.get('link') ?? '').match(/rel="(\w+)"/g)).toEqual([
      'rel="current"',
      'rel="next"',
      'rel="prev"',
      'rel="first"',
      'rel="last"',
    ]);
  });

  it('walks every record exactly once by following next', async () => {
    const { ids, pages } = await walk(`/api/v1/courses/${courseId}/users?per_page=7`);
    const expected = sim.data.courseUsers(courseId);
    const total = expected?.length ?? 0;
    expect(total).toBe(27); // 25 students, a teacher and a TA
    expect(pages).toBe(Math.ceil(total / 7));
    expect(new Set(ids).size).toBe(total);
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => nth(expected, i).id));
  });

  it('clamps per_page to 1..100 and answers [] past the end', async () => {
    const big = await call(sim, `/api/v1/accounts/1/courses?per_page=1000`);
    expect(links(big).current).toContain('per_page=100');
    const zero = await call(sim, `/api/v1/courses/${courseId}/users?per_page=0`);
    expect(json<Record[]>(zero)).toHaveLength(1);
    const past = await call(sim, `/api/v1/courses/${courseId}/users?page=99`);
    expect(past.status).toBe(200);
    expect(json(past)).toEqual([]);
    expect(links(past).next).toBeUndefined();
  });

  it('keeps other parameters in links and strips access_token', async () => {
    const res = await call(
      sim,
      `/api/v1/courses/${courseId}/students/submissions?student_ids[]=all&include[]=user&access_token=${sim.token}`,
      { token: null },
    );
    expect(res.status).toBe(200);
    const next = links(res).next ?? '';
    expect(next).toContain('student_ids%5B%5D=all');
    expect(next).toContain('include%5B%5D=user');
    expect(next).not.toContain('access_token');
    expect(next).not.toContain(sim.token);
  });
});

describe('simulator bookmark pagination (enrollments, page views)', () => {
  it('uses bookmarks with current, next and first only', async () => {
    const res = await call(sim, `/api/v1/courses/${courseId}/enrollments`);
    expect((res.headers.get('link') ?? '').match(/rel="(\w+)"/g)).toEqual([
      'rel="current"',
      'rel="next"',
      'rel="first"',
    ]);
    expect(links(res).next).toMatch(/page=bookmark%3A[A-Za-z0-9_-]+&per_page=10$/);
    expect(links(res).first).toContain('page=first');
  });

  it('walks every enrollment once, with nested users', async () => {
    const { ids } = await walk(`/api/v1/courses/${courseId}/enrollments?per_page=6`);
    const expected = sim.data.enrollments(courseId);
    expect(expected).toBeDefined();
    expect(ids).toHaveLength(expected?.length ?? -1);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('restarts at the first page on an invalid bookmark', async () => {
    const first = await call(sim, `/api/v1/courses/${courseId}/enrollments?per_page=5`);
    const bogus = await call(
      sim,
      `/api/v1/courses/${courseId}/enrollments?per_page=5&page=bookmark:not-valid`,
    );
    expect(json(bogus)).toEqual(json(first));
  });

  it('pages page views by bookmark too', async () => {
    const userId = nth(sim.data.users).id;
    const { ids } = await walk(`/api/v1/users/${userId}/page_views?per_page=100`);
    expect(ids.length).toBe(sim.data.pageViews(userId)?.length);
  });
});

describe('simulator filters', () => {
  it('filters enrollments by type[] and pages the filtered list by bookmark', async () => {
    const all = sim.data.enrollments(courseId);
    const expected: number[] = [];
    for (let i = 0; i < (all?.length ?? 0); i++) {
      const enrollment = all?.at(i);
      if (enrollment?.type === 'StudentEnrollment') expected.push(enrollment.id);
    }
    expect(expected.length).toBe(25);
    const path = `/api/v1/courses/${courseId}/enrollments?type%5B%5D=StudentEnrollment&per_page=7`;
    const { ids, pages } = await walk(path);
    expect(ids).toEqual(expected);
    expect(pages).toBe(4);
    const staff = await walk(
      `/api/v1/courses/${courseId}/enrollments?type%5B%5D=TeacherEnrollment&type%5B%5D=TaEnrollment`,
    );
    expect(staff.ids.length).toBe((all?.length ?? 0) - 25);
  });

  it('filters course users by enrollment_type[]', async () => {
    const users = sim.data.courseUsers(courseId);
    const everyone = await walk(`/api/v1/courses/${courseId}/users?per_page=100`);
    expect(everyone.ids.length).toBe(users?.length);
    const students = await walk(
      `/api/v1/courses/${courseId}/users?enrollment_type%5B%5D=student&per_page=10`,
    );
    expect(students.ids).toHaveLength(25);
    const all = sim.data.enrollments(courseId);
    const studentIds = new Set<number>();
    for (let i = 0; i < (all?.length ?? 0); i++) {
      const enrollment = all?.at(i);
      if (enrollment?.type === 'StudentEnrollment') studentIds.add(enrollment.user_id as number);
    }
    expect(new Set(students.ids)).toEqual(studentIds);
  });
});
