import { afterEach, describe, expect, it } from 'vitest';
import { taskKinds } from '../../src/queue/task-types.js';
import {
  type CanvasEnrollment,
  type CanvasPageView,
  type CanvasSimulator,
  type CanvasSimulatorOptions,
  type CanvasSubmission,
  createInstitution,
  type SimulatorCollectionChange,
  startCanvasSimulator,
} from '../../src/testing/index.js';
import { fakeClock } from '../support/fake-clock.js';
import { call, json, links } from '../support/http.js';

const HOUR_MS = 3_600_000;
/** After every generated academic year (2024-2028), so that `graded_since` a recent time finds only changes. */
const UNTIL = Date.parse('2030-01-07T00:00:00Z');
const INSTITUTION = {
  courses: 3,
  students: 24,
  studentsPerCourse: 8,
  teachers: 3,
  assignmentsPerCourse: 3,
  topicsPerCourse: 2,
  entriesPerTopic: 4,
  pageViewsPerUser: 4,
  pageViewDays: 30,
  pageViewsUntil: UNTIL,
};
const EVERYTHING = {
  grade: 4,
  submit: 3,
  addEnrollments: 2,
  dropEnrollments: 2,
  pageViews: 5,
  editEntries: 2,
};

const running: CanvasSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

/** A simulator on a fake clock, an hour after its page views end (time moves only when told). */
async function start(options: CanvasSimulatorOptions = {}) {
  const clock = fakeClock(UNTIL);
  const sim = await startCanvasSimulator({ clock, institution: INSTITUTION, ...options });
  running.push(sim);
  clock.advance(HOUR_MS);
  return { sim, clock };
}

/** Every record of a listing, following `next` links. */
async function walk<T = Record<string, unknown>>(
  sim: CanvasSimulator,
  path: string,
  query = '',
  perPage = 100,
): Promise<T[]> {
  let url: string | undefined = `${sim.url}${path}?per_page=${perPage}${query}`;
  const out: T[] = [];
  while (url !== undefined) {
    const res = await call(sim, url);
    expect(res.status, `${path}: ${res.text}`).toBe(200);
    out.push(...json<T[]>(res));
    url = links(res).next;
  }
  return out;
}

/** Path → record id → record JSON, of every listing a sync of the whole institution reads. */
type Snapshot = Map<string, Map<string, string>>;

async function crawl(sim: CanvasSimulator): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  const read = async (path: string, query = '') => {
    const records = await walk<{ id: number | string }>(sim, path, query);
    snapshot.set(path, new Map(records.map((r) => [String(r.id), JSON.stringify(r)])));
    return records;
  };
  const courses = await read('/api/v1/accounts/1/courses');
  for (const { id } of courses) {
    const base = `/api/v1/courses/${id}`;
    await read(`${base}/enrollments`);
    await read(`${base}/users`);
    await read(`${base}/sections`);
    await read(`${base}/students/submissions`, '&student_ids[]=all');
    for (const assignment of await read(`${base}/assignments`)) {
      await read(`${base}/assignments/${assignment.id}/submissions`);
    }
    for (const topic of await read(`${base}/discussion_topics`)) {
      await read(`${base}/discussion_topics/${topic.id}/entries`);
    }
    await read(`${base}/analytics/student_summaries`);
  }
  for (let u = 0; u < INSTITUTION.students; u++)
    await read(`/api/v1/users/${100_001 + u}/page_views`);
  return snapshot;
}

/** What changed between two crawls, as the report writes it (ids as strings, ascending). */
function diff(before: Snapshot, after: Snapshot) {
  const out: { path: string; inserted: string[]; updated: string[]; deleted: string[] }[] = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const was = before.get(path) ?? new Map<string, string>();
    const now = after.get(path) ?? new Map<string, string>();
    const change = {
      path,
      inserted: [...now.keys()].filter((id) => !was.has(id)),
      updated: [...now.keys()].filter((id) => was.has(id) && was.get(id) !== now.get(id)),
      deleted: [...was.keys()].filter((id) => !now.has(id)),
    };
    if (change.inserted.length + change.updated.length + change.deleted.length > 0)
      out.push(change);
  }
  return out;
}

const asStrings = (collections: readonly SimulatorCollectionChange[]) =>
  collections.map(({ path, inserted, updated, deleted }) => ({
    path,
    inserted: inserted.map(String),
    updated: updated.map(String),
    deleted: deleted.map(String),
  }));

/** The task kind of each listing path, as the library's producers plan them. */
const KIND_OF: readonly [RegExp, string | null][] = [
  [/^\/api\/v1\/accounts\/\d+\/courses$/, null],
  [/\/courses\/\d+\/enrollments$/, 'course.enrollments'],
  [/\/courses\/\d+\/users$/, 'course.users'],
  [/\/courses\/\d+\/sections$/, 'course.sections'],
  [/\/courses\/\d+\/assignments$/, 'course.assignments'],
  [/\/courses\/\d+\/students\/submissions$/, 'course.submissions'],
  [/\/assignments\/\d+\/submissions$/, 'assignment.submissions'],
  [/\/courses\/\d+\/discussion_topics$/, 'course.discussions'],
  [/\/entries$/, 'discussion.entries'],
  [/\/users\/\d+\/page_views$/, 'user.page_views'],
  [/\/analytics\/student_summaries$/, 'course.student_summaries'],
];
const kindOf = (path: string) => KIND_OF.find(([pattern]) => pattern.test(path))?.[1];

function countsByKind(changes: ReturnType<typeof diff>) {
  const sums = Object.fromEntries(
    taskKinds.map((kind) => [kind, { inserted: 0, updated: 0, deleted: 0 }]),
  );
  for (const change of changes) {
    const kind = kindOf(change.path);
    if (kind === null || kind === undefined) continue;
    const sum = sums[kind] ?? { inserted: 0, updated: 0, deleted: 0 };
    sum.inserted += change.inserted.length;
    sum.updated += change.updated.length;
    sum.deleted += change.deleted.length;
  }
  return sums;
}

describe('simulator: change()', () => {
  it('reports exactly what a crawl of every listing sees change, by listing and by task kind', async () => {
    const { sim } = await start();
    const before = await crawl(sim);
    const report = sim.change(EVERYTHING);
    const after = await crawl(sim);
    const seen = diff(before, after);

    expect(asStrings(report.collections)).toEqual(seen);
    expect(report.byKind).toEqual(countsByKind(seen));
    for (const collection of report.collections)
      expect(collection.kind).toBe(kindOf(collection.path));
    expect(report.graded).toHaveLength(4);
    expect(report.submitted).toHaveLength(3);
    expect(report.enrollmentsAdded).toHaveLength(2);
    expect(report.enrollmentsDropped).toHaveLength(2);
    expect(report.pageViewsAdded).toHaveLength(5);
    expect(report.entriesEdited).toHaveLength(2);
    // Each change is seen where Canvas shows it.
    const { A, changedSubmissions } = { A: 3, changedSubmissions: 4 + 3 };
    expect(report.byKind).toMatchObject({
      'course.enrollments': { inserted: 2, updated: 0, deleted: 2 },
      'course.users': { inserted: 2, updated: 0, deleted: 2 },
      'course.student_summaries': { inserted: 2, updated: 0, deleted: 2 },
      'course.submissions': { inserted: 2 * A, updated: changedSubmissions, deleted: 2 * A },
      'assignment.submissions': { inserted: 2 * A, updated: changedSubmissions, deleted: 2 * A },
      'user.page_views': { inserted: 5, updated: 0, deleted: 0 },
      'discussion.entries': { inserted: 0, updated: 2, deleted: 0 },
      'course.assignments': { inserted: 0, updated: 0, deleted: 0 },
      'course.discussions': { inserted: 0, updated: 0, deleted: 0 },
    });
  });

  it.each([1, 2, 3, 4, 5])(
    'stays exact over successive calls on a changed institution (seed %i)',
    async (seed) => {
      const { sim, clock } = await start({ seed });
      let before = await crawl(sim);
      for (const options of [
        {
          grade: 6,
          submit: 6,
          addEnrollments: 6,
          dropEnrollments: 6,
          pageViews: 8,
          editEntries: 3,
        },
        {
          grade: 10,
          submit: 4,
          addEnrollments: 4,
          dropEnrollments: 8,
          pageViews: 3,
          editEntries: 5,
        },
        { grade: 30, dropEnrollments: 2, addEnrollments: 1 },
      ]) {
        clock.advance(60_000);
        const report = sim.change(options);
        const after = await crawl(sim);
        const seen = diff(before, after);
        expect(asStrings(report.collections)).toEqual(seen);
        expect(report.byKind).toEqual(countsByKind(seen));
        before = after;
      }
    },
  );

  it('dates every change at the simulator clock, to the second, and writes what Canvas would', async () => {
    const { sim } = await start();
    const report = sim.change(EVERYTHING);
    const at = new Date(UNTIL + HOUR_MS).toISOString().replace('.000Z', 'Z');
    expect(report.at).toBe(at);
    for (const ref of report.graded) {
      const submission = await submissionOf(sim, ref.courseId, ref.assignmentId, ref.userId);
      expect(submission).toMatchObject({ workflow_state: 'graded', graded_at: at, posted_at: at });
      expect(submission.score).not.toBeNull();
      expect([100_001 + 24, 100_001 + 25, 100_001 + 26]).toContain(submission.grader_id);
    }
    for (const ref of report.submitted) {
      const submission = await submissionOf(sim, ref.courseId, ref.assignmentId, ref.userId);
      expect(submission).toMatchObject({
        workflow_state: 'submitted',
        submitted_at: at,
        missing: false,
      });
    }
    for (const ref of report.entriesEdited) {
      const entries = await walk<{ id: number; updated_at: string; editor_id: number }>(
        sim,
        `/api/v1/courses/${ref.courseId}/discussion_topics/${ref.topicId}/entries`,
      );
      expect(entries.find((e) => e.id === ref.id)).toMatchObject({
        updated_at: at,
        editor_id: ref.userId,
      });
    }
    for (const ref of report.pageViewsAdded) expect(ref.createdAt).toBe(at);
  });

  it('is deterministic: the same seed and counts on the same institution make the same changes', async () => {
    const one = await start();
    const two = await start();
    const options = { ...EVERYTHING, seed: 42, at: Date.parse('2026-02-01T12:00:00.750Z') };
    const a = one.sim.change(options);
    const b = two.sim.change(options);
    expect(a).toEqual(b);
    expect(a.seed).toBe(42);
    expect(a.at).toBe('2026-02-01T12:00:00Z');
    const c = (await start()).sim.change({ ...options, seed: 43 });
    expect(c.graded).not.toEqual(a.graded);
  });

  it('draws each call from its own default seed, the same from one run to the next', async () => {
    const one = await start();
    const two = await start();
    const first = one.sim.change(EVERYTHING);
    const second = one.sim.change(EVERYTHING);
    expect(second.seed).not.toBe(first.seed);
    expect(second.graded).not.toEqual(first.graded);
    expect(two.sim.change(EVERYTHING)).toEqual(first);
    expect(two.sim.change(EVERYTHING)).toEqual(second);
  });

  it('makes fewer changes when candidates run out, and says so', async () => {
    const { sim } = await start({ institution: { ...INSTITUTION, studentsPerCourse: 24 } });
    const report = sim.change({ addEnrollments: 5, dropEnrollments: 1 });
    expect(report.enrollmentsAdded).toEqual([]); // every student is in every course already
    expect(report.enrollmentsDropped).toHaveLength(1);
    expect(sim.change({ editEntries: 1000 }).entriesEdited).toHaveLength(3 * 2 * 4);
  });

  it('refuses invalid options, naming each', async () => {
    const { sim } = await start();
    expect(() => sim.change({ grade: -1 })).toThrow(/Invalid change options: grade/);
    expect(() => sim.change({ submit: 1.5, at: -5 })).toThrow(/submit.*at/);
    expect(() => sim.change({ unknown: 1 } as never)).toThrow(TypeError);
  });

  it('reflects every change in sim.data', async () => {
    const { sim } = await start();
    const report = sim.change(EVERYTHING);
    for (const ref of report.enrollmentsDropped) {
      expect(sim.data.enrollments(ref.courseId)?.indexOfId(ref.id)).toBe(-1);
      expect(sim.data.courseUsers(ref.courseId)?.indexOfId(ref.userId)).toBe(-1);
    }
    for (const ref of report.enrollmentsAdded) {
      const enrollments = sim.data.enrollments(ref.courseId);
      const index = enrollments?.indexOfId(ref.id) ?? -1;
      expect(enrollments?.at(index)).toMatchObject({
        user_id: ref.userId,
        enrollment_state: 'active',
      });
      expect(sim.data.course(ref.courseId)?.total_students).toBeDefined();
    }
    for (const ref of report.graded) {
      const list = sim.data.submissions(ref.courseId, ref.assignmentId);
      expect(list?.at(list.indexOfId(ref.id))?.graded_at).toBe(report.at);
    }
    for (const ref of report.pageViewsAdded) {
      const views = sim.data.pageViews(ref.userId);
      expect(views?.at(views.indexOfId(ref.id))?.created_at).toBe(report.at);
    }
  });
});

describe('simulator: dropped and added enrollments', () => {
  it('lists a dropped enrollment only with state[]=deleted, and an added one by default', async () => {
    const { sim } = await start();
    const report = sim.change({ dropEnrollments: 3, addEnrollments: 3 });
    for (const ref of report.enrollmentsDropped) {
      const path = `/api/v1/courses/${ref.courseId}/enrollments`;
      expect((await walk<CanvasEnrollment>(sim, path)).map((e) => e.id)).not.toContain(ref.id);
      const deleted = await walk<CanvasEnrollment>(sim, path, '&state[]=deleted');
      expect(deleted.find((e) => e.id === ref.id)).toMatchObject({
        enrollment_state: 'deleted',
        updated_at: report.at,
        user_id: ref.userId,
      });
      expect(deleted.every((e) => e.enrollment_state === 'deleted')).toBe(true);
      const active = await walk<CanvasEnrollment>(sim, path, '&state[]=active');
      expect(active.every((e) => e.enrollment_state === 'active')).toBe(true);
      const both = await walk<CanvasEnrollment>(sim, path, '&state[]=active&state[]=deleted', 2);
      const ids = both.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(ids).toContain(ref.id);
      // Gone from the student's submissions, so grading it is a 404 as for any non-student.
      const assignment = sim.data.assignments(ref.courseId)?.at(0)?.id;
      const res = await call(
        sim,
        `/api/v1/courses/${ref.courseId}/assignments/${assignment}/submissions/${ref.userId}`,
        {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: '{"submission":{"posted_grade":"5"}}',
        },
      );
      expect(res.status).toBe(404);
    }
    for (const ref of report.enrollmentsAdded) {
      const enrollments = await walk<CanvasEnrollment>(
        sim,
        `/api/v1/courses/${ref.courseId}/enrollments`,
      );
      expect(enrollments.at(-1)?.id).toBeGreaterThanOrEqual(ref.id);
      expect(enrollments.find((e) => e.id === ref.id)).toMatchObject({
        type: 'StudentEnrollment',
        enrollment_state: 'active',
        course_section_id: ref.sectionId,
        created_at: report.at,
        grades: { current_score: null },
      });
      const submissions = await walk<CanvasSubmission>(
        sim,
        `/api/v1/courses/${ref.courseId}/students/submissions`,
        `&student_ids[]=${ref.userId}`,
      );
      expect(submissions).toHaveLength(3);
      expect(submissions.every((s) => s.workflow_state === 'unsubmitted')).toBe(true);
    }
  });

  it('pages a changed listing as a whole one: bookmarks and numbered pages', async () => {
    const { sim } = await start();
    const report = sim.change({ dropEnrollments: 6, addEnrollments: 6, grade: 5 });
    const courseIds = new Set(report.enrollmentsAdded.map((r) => r.courseId));
    for (const courseId of courseIds) {
      for (const [path, query] of [
        [`/api/v1/courses/${courseId}/enrollments`, ''],
        [`/api/v1/courses/${courseId}/users`, ''],
        [`/api/v1/courses/${courseId}/students/submissions`, '&student_ids[]=all'],
        [`/api/v1/courses/${courseId}/analytics/student_summaries`, ''],
      ] as const) {
        const whole = await walk<{ id: number }>(sim, path, query);
        const paged = await walk<{ id: number }>(sim, path, query, 3);
        expect(paged).toEqual(whole);
        expect(whole.map((r) => r.id)).toEqual([...whole.map((r) => r.id)].sort((a, b) => a - b));
      }
    }
  });

  it('keeps course and section total_students equal to the students listed', async () => {
    const { sim } = await start();
    const report = sim.change({ dropEnrollments: 4, addEnrollments: 3 });
    const courseIds = new Set(
      [...report.enrollmentsAdded, ...report.enrollmentsDropped].map((r) => r.courseId),
    );
    for (const courseId of courseIds) {
      const students = (
        await walk<CanvasEnrollment>(sim, `/api/v1/courses/${courseId}/enrollments`)
      ).filter((e) => e.type === 'StudentEnrollment');
      const course = await walk<{ id: number; total_students: number }>(
        sim,
        '/api/v1/accounts/1/courses',
      );
      expect(course.find((c) => c.id === courseId)?.total_students).toBe(students.length);
      for (const section of await walk<{ id: number; total_students: number }>(
        sim,
        `/api/v1/courses/${courseId}/sections`,
      )) {
        const inSection = students.filter((e) => e.course_section_id === section.id).length;
        expect(section.total_students).toBe(inSection);
      }
    }
  });
});

describe('simulator: page views added by change()', () => {
  it('serves them in a window that contains their time, and only there', async () => {
    const { sim, clock } = await start();
    const lastRunEnd = new Date(clock.epochNow()).toISOString();
    clock.advance(10 * 60_000);
    const report = sim.change({ pageViews: 6 });
    clock.advance(60_000);
    const now = new Date(clock.epochNow()).toISOString();
    const byUser = new Map<number, string[]>();
    for (const ref of report.pageViewsAdded)
      byUser.set(ref.userId, [...(byUser.get(ref.userId) ?? []), ref.id]);
    for (const [userId, ids] of byUser) {
      const path = `/api/v1/users/${userId}/page_views`;
      const inWindow = await walk<CanvasPageView>(
        sim,
        path,
        `&start_time=${lastRunEnd}&end_time=${now}`,
      );
      expect(inWindow.map((v) => v.id)).toEqual(ids);
      const endsAtChange = await walk<CanvasPageView>(sim, path, `&end_time=${report.at}`);
      expect(endsAtChange.some((v) => ids.includes(v.id))).toBe(false);
      const all = await walk<CanvasPageView>(sim, path, '', 3);
      expect(all.map((v) => v.id).slice(-ids.length)).toEqual(ids);
      const generated = createInstitution({ ...INSTITUTION, seed: sim.data.options.seed });
      expect(all).toHaveLength((generated.pageViews(userId)?.length ?? 0) + ids.length);
    }
  });
});

describe('simulator: grading by PUT', () => {
  it('sticks: later listings show the grade, graded_at and grader_id, and graded_since finds it', async () => {
    const { sim, clock } = await start();
    const course = sim.data.courses.at(0)?.id ?? 0;
    const assignment = sim.data.assignments(course)?.at(1)?.id ?? 0;
    const student = sim.data.submissions(course, assignment)?.at(2)?.user_id ?? 0;
    const before = new Date(clock.epochNow() - 1000).toISOString();
    clock.advance(5_000);
    const res = await call(
      sim,
      `/api/v1/courses/${course}/assignments/${assignment}/submissions/${student}`,
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ submission: { posted_grade: '7.5' } }),
      },
    );
    expect(res.status).toBe(200);
    const at = new Date(clock.epochNow()).toISOString().replace('.000Z', 'Z');
    const expected = {
      user_id: student,
      score: 7.5,
      grade: '7.5',
      workflow_state: 'graded',
      graded_at: at,
      grader_id: 1,
    };
    expect(json(res)).toMatchObject(expected);
    expect(await submissionOf(sim, course, assignment, student)).toMatchObject(expected);
    const perAssignment = await walk<CanvasSubmission>(
      sim,
      `/api/v1/courses/${course}/assignments/${assignment}/submissions`,
    );
    expect(perAssignment.find((s) => s.user_id === student)).toMatchObject(expected);
    const recent = await walk<CanvasSubmission>(
      sim,
      `/api/v1/courses/${course}/students/submissions`,
      `&student_ids[]=all&graded_since=${before}`,
    );
    expect(recent.map((s) => s.user_id)).toEqual([student]);
    const data = sim.data.submissions(course, assignment);
    expect(data?.at(2)).toMatchObject(expected);
  });

  it('answers a PUT without a grade with the submission unchanged', async () => {
    const { sim } = await start();
    const course = sim.data.courses.at(0)?.id ?? 0;
    const assignment = sim.data.assignments(course)?.at(0)?.id ?? 0;
    const original = sim.data.submissions(course, assignment)?.at(0);
    const res = await call(
      sim,
      `/api/v1/courses/${course}/assignments/${assignment}/submissions/${original?.user_id}`,
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      },
    );
    expect(json(res)).toEqual(original);
  });
});

/** The submission of a student for an assignment, as `/students/submissions` lists it now. */
async function submissionOf(
  sim: CanvasSimulator,
  courseId: number,
  assignmentId: number,
  userId: number,
): Promise<CanvasSubmission> {
  const all = await walk<CanvasSubmission>(
    sim,
    `/api/v1/courses/${courseId}/students/submissions`,
    `&student_ids[]=${userId}`,
  );
  const found = all.find((s) => s.assignment_id === assignmentId);
  if (found === undefined) throw new Error(`no submission of ${userId} for ${assignmentId}`);
  return found;
}
