import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CanvasSimulator,
  type CanvasSubmission,
  startCanvasSimulator,
} from '../../src/testing/index.js';
import { call, json, links } from '../support/http.js';

let sim: CanvasSimulator;
let courseId: number;
/** Every submission of the course, from the ground truth. */
let all: CanvasSubmission[];

beforeAll(async () => {
  sim = await startCanvasSimulator({
    institution: { courses: 2, students: 40, studentsPerCourse: 30, assignmentsPerCourse: 6 },
  });
  courseId = sim.data.courses.at(0)?.id ?? 0;
  const list = sim.data.courseSubmissions(courseId);
  all = [];
  for (let i = 0; i < (list?.length ?? 0); i++) {
    const submission = list?.at(i);
    if (submission !== undefined) all.push(submission);
  }
});
afterAll(() => sim.close());

/** Every submission `/students/submissions` lists with `query`, following `next` links. */
async function listed(query: Record<string, string>): Promise<CanvasSubmission[]> {
  const params = new URLSearchParams({ 'student_ids[]': 'all', per_page: '7', ...query });
  let url: string | undefined =
    `${sim.url}/api/v1/courses/${courseId}/students/submissions?${params}`;
  const out: CanvasSubmission[] = [];
  while (url !== undefined) {
    const res = await call(sim, url);
    expect(res.status, res.text).toBe(200);
    out.push(...json<CanvasSubmission[]>(res));
    url = links(res).next;
  }
  return out;
}

const ids = (submissions: readonly CanvasSubmission[]) => submissions.map((s) => s.id);
const laterThan = (at: string | null, since: string) => at !== null && at > since;
/** The `index`-th distinct value of `pick` over the submissions, ascending (a date inside the data). */
function pivot(pick: (s: CanvasSubmission) => string | null, index: number): string {
  const values = [...new Set(all.map(pick).filter((v): v is string => v !== null))].sort();
  const value = values[Math.floor(values.length * index)];
  if (value === undefined) throw new Error('no dates in the data');
  return value;
}

describe('simulator: submitted_since and graded_since', () => {
  it('keeps the submissions submitted strictly after submitted_since, as Canvas (submitted_at > ?)', async () => {
    const since = pivot((s) => s.submitted_at, 0.5);
    const expected = all.filter((s) => laterThan(s.submitted_at, since));
    expect(expected.length).toBeGreaterThan(5);
    expect(expected.length).toBeLessThan(all.length);
    expect(ids(await listed({ submitted_since: since }))).toEqual(ids(expected));
  });

  it('keeps the submissions graded strictly after graded_since; ungraded ones never match', async () => {
    const since = pivot((s) => s.graded_at, 0.3);
    const got = await listed({ graded_since: since });
    expect(ids(got)).toEqual(ids(all.filter((s) => laterThan(s.graded_at, since))));
    expect(got.every((s) => s.graded_at !== null && s.workflow_state === 'graded')).toBe(true);
  });

  it('excludes a submission dated exactly at the bound, includes it from one second before', async () => {
    const since = pivot((s) => s.graded_at, 0.6);
    const at = all.filter((s) => s.graded_at === since).map((s) => s.id);
    expect(at.length).toBeGreaterThan(0);
    const exact = ids(await listed({ graded_since: since }));
    const earlier = new Date(Date.parse(since) - 1000).toISOString().replace('.000Z', 'Z');
    const before = ids(await listed({ graded_since: earlier }));
    for (const id of at) {
      expect(exact).not.toContain(id);
      expect(before).toContain(id);
    }
  });

  it('applies both when both are given (AND): submitted and graded after their bounds', async () => {
    const submittedSince = pivot((s) => s.submitted_at, 0.6);
    const gradedSince = pivot((s) => s.graded_at, 0.4);
    const expected = all.filter(
      (s) => laterThan(s.submitted_at, submittedSince) && laterThan(s.graded_at, gradedSince),
    );
    const onlySubmitted = all.filter((s) => laterThan(s.submitted_at, submittedSince));
    const onlyGraded = all.filter((s) => laterThan(s.graded_at, gradedSince));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(Math.min(onlySubmitted.length, onlyGraded.length));
    const got = await listed({ submitted_since: submittedSince, graded_since: gradedSince });
    expect(ids(got)).toEqual(ids(expected));
  });

  it('reads offsets and fractions; an empty value is no filter', async () => {
    const since = pivot((s) => s.submitted_at, 0.5);
    const ms = Date.parse(since);
    const offset = new Date(ms + 2 * 3_600_000).toISOString().replace('.000Z', '+02:00');
    const fraction = new Date(ms).toISOString().replace('Z', '');
    const utc = ids(await listed({ submitted_since: since }));
    expect(ids(await listed({ submitted_since: offset }))).toEqual(utc);
    expect(ids(await listed({ submitted_since: fraction }))).toEqual(utc);
    expect(ids(await listed({ submitted_since: '', graded_since: '' }))).toEqual(ids(all));
  });

  it('still honours student_ids[] with a filter', async () => {
    const since = pivot((s) => s.submitted_at, 0.2);
    const student = all.find((s) => laterThan(s.submitted_at, since))?.user_id ?? 0;
    const params = new URLSearchParams({
      'student_ids[]': String(student),
      submitted_since: since,
    });
    const res = await call(sim, `/api/v1/courses/${courseId}/students/submissions?${params}`);
    const expected = all.filter((s) => s.user_id === student && laterThan(s.submitted_at, since));
    expect(ids(json<CanvasSubmission[]>(res))).toEqual(ids(expected).slice(0, 10));
  });

  it.each([
    ['submitted_since', 'yesterday'],
    ['submitted_since', '2026-01-05'],
    ['graded_since', '2026-01-05T10:00Z'],
    ['graded_since', '2026-02-30T00:00:00Z'],
    ['graded_since', '1767571200'],
  ])('answers %s=%s 400 with Canvas body', async (name, value) => {
    const params = new URLSearchParams({ 'student_ids[]': 'all', [name]: value });
    const res = await call(sim, `/api/v1/courses/${courseId}/students/submissions?${params}`);
    expect(res.status).toBe(400);
    expect(json(res)).toEqual({ errors: { [name]: `Invalid datetime for ${name}` } });
    expect(res.headers.get('x-request-cost')).not.toBeNull();
  });

  it('is not a filter of the per-assignment listing (Canvas has none there)', async () => {
    const assignmentId = all[0]?.assignment_id;
    const res = await call(
      sim,
      `/api/v1/courses/${courseId}/assignments/${assignmentId}/submissions?per_page=100&graded_since=2999-01-01T00:00:00Z`,
    );
    expect(res.status).toBe(200);
    expect(json<unknown[]>(res)).toHaveLength(30);
  });
});
