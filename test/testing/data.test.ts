import { describe, expect, it } from 'vitest';
import type {
  CanvasDiscussionEntry,
  CanvasEnrollment,
  CanvasSubmission,
  CanvasUser,
} from '../../src/testing/simulator/canvas-types.js';
import {
  CANVAS_PLACEHOLDER_ORIGIN,
  createInstitution,
  defaultInstitutionOptions,
  type Institution,
  type LazyList,
} from '../../src/testing/simulator/data.js';
import * as names from '../../src/testing/simulator/data-names.js';
import { createPrng, hashSeed, hex32, mixHash } from '../../src/testing/simulator/prng.js';

const FIRST_STUDENT_NAME = 'Quentin Mwangi';
const FINGERPRINT = 2_811_296_774;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

function all<T>(list: LazyList<T>): T[] {
  const out: T[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list.at(i);
    if (item === undefined) throw new Error(`hole at ${i}`);
    out.push(item);
  }
  return out;
}

function defined<T>(value: T | undefined): T {
  expect(value).toBeDefined();
  return value as T;
}

/** Asserts ids strictly ascend (numbers numerically, strings by code unit) and returns them. */
function ascendingIds<T extends { id: number | string }>(list: LazyList<T>): (number | string)[] {
  const ids = all(list).map((record) => record.id);
  for (let i = 1; i < ids.length; i++) {
    const previous = ids[i - 1] as number | string;
    const current = ids[i] as number | string;
    if (!(previous < current)) throw new Error(`ids not ascending at ${i}: ${previous} ${current}`);
  }
  return ids;
}

function addUnique(seen: Set<number | string>, ids: readonly (number | string)[], what: string) {
  for (const id of ids) {
    if (seen.has(id)) throw new Error(`duplicate ${what} id ${id}`);
    seen.add(id);
  }
}

const courseIds = (inst: Institution): number[] => all(inst.courses).map((course) => course.id);

/** A sample of every collection of an institution, for determinism checks. */
function sample(inst: Institution) {
  const course = defined(inst.courses.at(1));
  const assignment = defined(inst.assignments(course.id)?.at(0));
  const topic = defined(inst.discussionTopics(course.id)?.at(1));
  const include = { user: true, submission_comments: true };
  return {
    account: inst.account,
    terms: inst.terms,
    course,
    courseById: inst.course(course.id),
    users: [inst.users.at(0), inst.users.at(17), inst.users.at(inst.users.length - 1)],
    sections: all(defined(inst.sections(course.id))),
    enrollments: [0, 1, 2, 9].map((i) => inst.enrollments(course.id)?.at(i)),
    courseUsers: [0, 5, 31].map((i) => inst.courseUsers(course.id)?.at(i)),
    assignment,
    assignmentById: inst.assignment(course.id, assignment.id),
    submissions: [0, 3, 29].map((i) => inst.submissions(course.id, assignment.id, include)?.at(i)),
    courseSubmissions: [0, 77, 149].map((i) => inst.courseSubmissions(course.id, include)?.at(i)),
    topic,
    entries: all(defined(inst.discussionEntries(course.id, topic.id))),
    pageViews: [0, -1].map((i) => {
      const views = inst.pageViews(100_001 + 4);
      return views?.at(i < 0 ? views.length + i : i);
    }),
    summaries: [0, 11].map((i) => inst.studentSummaries(course.id)?.at(i)),
    pii: inst.studentPii(3),
  };
}

describe('prng', () => {
  it('matches frozen reference values (same stream on every platform and Node version)', () => {
    expect([hashSeed(1, 'user', 0), hashSeed('canvas'), mixHash(0, 1)]).toEqual([
      2806184360, 3142731717, 2277397642,
    ]);
    const rng = createPrng(12_345);
    expect([rng.uint32(), rng.uint32(), rng.int(1, 6), rng.hex(12), rng.chars(10, 'abc')]).toEqual([
      3283241497,
      613117429,
      5,
      '1ec7438dcbcf',
      'aabbaaabaa',
    ]);
  });

  it('separates parts and types', () => {
    expect(hashSeed('ab', 'c')).not.toBe(hashSeed('a', 'bc'));
    expect(hashSeed(1)).not.toBe(hashSeed('1'));
    expect(hashSeed(2 ** 32)).not.toBe(hashSeed(0));
    expect(hashSeed(-1)).not.toBe(hashSeed(2 ** 32 - 1));
    expect(mixHash(7, 2 ** 40)).not.toBe(mixHash(7, 0));
    expect(hex32(0x1f)).toBe('0000001f');
    expect(hex32(0xdeadbeef)).toBe('deadbeef');
  });

  it('draws uniformly enough within bounds', () => {
    const rng = createPrng(hashSeed('uniformity'));
    const counts = [0, 0, 0, 0, 0, 0];
    let outOfBounds = 0;
    for (let i = 0; i < 60_000; i++) {
      const face = rng.int(1, 6);
      counts[face - 1] = (counts[face - 1] ?? 0) + 1;
      const f = rng.float();
      if (!(f >= 0 && f < 1)) outOfBounds++;
    }
    expect(outOfBounds).toBe(0);
    expect(counts.reduce((a, b) => a + b)).toBe(60_000);
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
    expect(rng.chars(41, 'xyz')).toMatch(/^[xyz]{41}$/);
    expect(rng.hex(13)).toMatch(/^[0-9a-f]{13}$/);
    expect(rng.int(5, 5)).toBe(5);
    expect(() => rng.pick([])).toThrow(RangeError);
  });
});

describe('createInstitution: determinism', () => {
  it('the same seed gives deep-equal data in every collection', () => {
    const a = sample(createInstitution({ seed: 7 }));
    const b = sample(createInstitution({ seed: 7 }));
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('is pinned: the default institution has a frozen fingerprint', () => {
    // Changes when the generator changes on purpose; must never change between runs or platforms.
    const inst = createInstitution();
    expect(defined(inst.users.at(0)).name).toBe(FIRST_STUDENT_NAME);
    expect(hashSeed(JSON.stringify(sample(inst)))).toBe(FINGERPRINT);
  });

  it('builds fresh objects: mutating one does not change the next', () => {
    const inst = createInstitution();
    const first = defined(inst.enrollments(1001)?.at(3));
    first.user.name = 'changed';
    delete first.grades;
    const again = defined(inst.enrollments(1001)?.at(3));
    expect(again.user.name).not.toBe('changed');
    expect(again.grades).toBeDefined();
  });

  it('different seeds give different data', () => {
    const a = sample(createInstitution({ seed: 1 }));
    const b = sample(createInstitution({ seed: 2 }));
    expect(a.users[0]).not.toEqual(b.users[0]);
    expect(a.enrollments).not.toEqual(b.enrollments);
    expect(a.submissions).not.toEqual(b.submissions);
    expect(a.entries).not.toEqual(b.entries);
    expect(a.pageViews).not.toEqual(b.pageViews);
    expect(a.pii).not.toEqual(b.pii);
  });

  it('uses a seed-derived academic year, not the clock', () => {
    const years = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const start = defined(createInstitution({ seed }).terms[0]?.start_at ?? undefined);
      expect(start).toMatch(/^20(24|25|26|27)-08-24T00:00:00Z$/);
      years.add(start.slice(0, 4));
    }
    expect(years.size).toBeGreaterThan(1);
  });
});

describe('createInstitution: ids', () => {
  it('are unique per type and ascending in every list of the default institution', () => {
    const inst = createInstitution();
    const o = inst.options;
    const seen = {
      course: new Set<number | string>(),
      user: new Set<number | string>(),
      section: new Set<number | string>(),
      enrollment: new Set<number | string>(),
      assignment: new Set<number | string>(),
      submission: new Set<number | string>(),
      comment: new Set<number | string>(),
      topic: new Set<number | string>(),
      entry: new Set<number | string>(),
      pageView: new Set<number | string>(),
    };
    addUnique(seen.course, ascendingIds(inst.courses), 'course');
    addUnique(seen.user, ascendingIds(inst.users), 'user');
    expect(inst.courses.length).toBe(o.courses);
    expect(inst.users.length).toBe(o.students + o.teachers);
    expect(inst.terms.map((term) => term.id)).toEqual([1, 2]);
    for (const id of courseIds(inst)) {
      addUnique(seen.section, ascendingIds(defined(inst.sections(id))), 'section');
      addUnique(seen.enrollment, ascendingIds(defined(inst.enrollments(id))), 'enrollment');
      ascendingIds(defined(inst.courseUsers(id)));
      ascendingIds(defined(inst.studentSummaries(id)));
      const assignments = defined(inst.assignments(id));
      addUnique(seen.assignment, ascendingIds(assignments), 'assignment');
      const perAssignment: (number | string)[] = [];
      for (const assignment of all(assignments)) {
        const list = defined(
          inst.submissions(id, assignment.id, { user: true, submission_comments: true }),
        );
        perAssignment.push(...ascendingIds(list));
        for (const submission of all(list)) {
          const commentIds = (submission.submission_comments ?? []).map((c) => c.id);
          addUnique(seen.comment, commentIds, 'comment');
        }
      }
      addUnique(seen.submission, perAssignment, 'submission');
      expect(ascendingIds(defined(inst.courseSubmissions(id)))).toEqual(perAssignment);
      const topics = defined(inst.discussionTopics(id));
      addUnique(seen.topic, ascendingIds(topics), 'topic');
      for (const topic of all(topics)) {
        const entries = defined(inst.discussionEntries(id, topic.id));
        const ids = ascendingIds(entries);
        const replies = all(entries).flatMap((entry) => entry.recent_replies ?? []);
        addUnique(seen.entry, [...ids, ...replies.map((reply) => reply.id)], 'entry');
      }
    }
    for (const user of all(inst.users)) {
      const views = defined(inst.pageViews(user.id));
      // One view per slot: the span's two edge slots may hold theirs outside it.
      expect(Math.abs(views.length - o.pageViewsPerUser)).toBeLessThanOrEqual(1);
      addUnique(seen.pageView, ascendingIds(views), 'page view');
    }
    expect(seen.enrollment.size).toBe(o.courses * (o.studentsPerCourse + 2));
    expect(seen.submission.size).toBe(o.courses * o.assignmentsPerCourse * o.studentsPerCourse);
    expect(seen.comment.size).toBeGreaterThan(0);
    const uuidLike = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const [type, set] of Object.entries(seen)) {
      const malformed = [...set].filter((id) =>
        typeof id === 'number' ? !(Number.isSafeInteger(id) && id > 0) : !uuidLike.test(id),
      );
      expect(malformed, type).toEqual([]);
    }
  });

  it('indexOfId / indexAfterId find records by number, digit string and edge', () => {
    const inst = createInstitution();
    const lists: LazyList<{ id: number | string }>[] = [
      inst.courses,
      inst.users,
      defined(inst.enrollments(1005)),
      defined(inst.courseUsers(1011)),
      defined(inst.courseSubmissions(1003)),
      defined(inst.discussionEntries(1002, defined(inst.discussionTopics(1002)?.at(1)).id)),
      defined(inst.studentSummaries(1008)),
    ];
    for (const list of lists) {
      const ids = all(list).map((record) => record.id as number);
      ids.forEach((id, i) => {
        expect(list.indexOfId(id)).toBe(i);
        expect(list.indexOfId(String(id))).toBe(i);
        expect(list.indexAfterId(id)).toBe(i + 1);
        expect(list.indexAfterId(String(id))).toBe(i + 1);
        expect(list.indexAfterId(id - 0.5)).toBe(i);
        expect(list.indexOfId(id + 0.5)).toBe(-1);
      });
      const first = ids[0] ?? 0;
      const last = ids[ids.length - 1] ?? 0;
      expect(list.indexOfId(first - 1)).toBe(-1);
      expect(list.indexOfId(last + 1)).toBe(-1);
      expect(list.indexAfterId(first - 1)).toBe(0);
      expect(list.indexAfterId(0)).toBe(0);
      expect(list.indexAfterId(-5)).toBe(0);
      expect(list.indexAfterId(last)).toBe(list.length);
      expect(list.indexAfterId(String(last + 1000))).toBe(list.length);
      expect(list.indexAfterId(Number.POSITIVE_INFINITY)).toBe(list.length);
      expect(list.indexOfId(`0${first}`)).toBe(0);
      for (const garbage of ['', 'abc', `${first}x`, '-1', '1.5', ' 1', 'NaN']) {
        expect(list.indexOfId(garbage)).toBe(-1);
        expect(list.indexAfterId(garbage)).toBe(0);
      }
      expect(list.indexOfId(Number.NaN)).toBe(-1);
      expect(list.indexAfterId(Number.NaN)).toBe(0);
      expect(list.at(-1)).toBeUndefined();
      expect(list.at(list.length)).toBeUndefined();
      expect(list.at(0.5)).toBeUndefined();
    }
  });

  it('indexOfId / indexAfterId work on uuid-like page view ids', () => {
    const views = defined(createInstitution().pageViews(100_010));
    const ids = all(views).map((view) => view.id);
    ids.forEach((id, i) => {
      expect(views.indexOfId(id)).toBe(i);
      expect(views.indexAfterId(id)).toBe(i + 1);
    });
    expect(views.indexOfId(`${ids[0]}0`)).toBe(-1);
    expect(views.indexOfId(12)).toBe(-1);
    expect(views.indexAfterId('')).toBe(0);
    expect(views.indexAfterId('g')).toBe(views.length);
  });

  it('supports keyset pagination: pages after the last id cover the list exactly once', () => {
    const inst = createInstitution();
    for (const list of [
      defined(inst.enrollments(1004)) as LazyList<{ id: number | string }>,
      defined(inst.pageViews(100_001)) as LazyList<{ id: number | string }>,
    ]) {
      const seen: (number | string)[] = [];
      let start = 0;
      for (let guard = 0; start < list.length; guard++) {
        if (guard > list.length) throw new Error('keyset pagination does not advance');
        const page = [];
        for (let i = start; i < Math.min(list.length, start + 7); i++)
          page.push(defined(list.at(i)));
        seen.push(...page.map((record) => record.id));
        const lastId = page[page.length - 1]?.id;
        start = list.indexAfterId(String(lastId));
      }
      expect(seen).toEqual(all(list).map((record) => record.id));
    }
  });

  it('empty lists answer consistently', () => {
    const inst = createInstitution({ students: 0, assignmentsPerCourse: 0, topicsPerCourse: 0 });
    for (const list of [
      defined(inst.courseSubmissions(1001)),
      defined(inst.assignments(1001)),
      defined(inst.discussionTopics(1001)),
      defined(inst.studentSummaries(1001)),
    ] as LazyList<{ id: number }>[]) {
      expect(list.length).toBe(0);
      expect(list.at(0)).toBeUndefined();
      expect(list.indexOfId(1)).toBe(-1);
      expect(list.indexAfterId(1)).toBe(0);
    }
  });
});

describe('createInstitution: records', () => {
  const inst = createInstitution();
  // The default institution with a third of its courses, for the checks of every record of a
  // course (enrollments, submissions): each course has the same shape as in the default one.
  const fewerCourses = createInstitution({ courses: 4 });

  const userPii: (keyof CanvasUser)[] = [
    'name',
    'sortable_name',
    'short_name',
    'first_name',
    'last_name',
    'sis_user_id',
    'integration_id',
    'login_id',
    'email',
    'avatar_url',
    'pronouns',
    'bio',
    'title',
    'locale',
    'effective_locale',
    'time_zone',
    'last_login',
    'lti_id',
    'uuid',
    'past_uuid',
    'created_at',
  ];
  const expectUser = (user: CanvasUser | undefined) => {
    const u = defined(user);
    expect(Number.isSafeInteger(u.id)).toBe(true);
    expect(typeof u.sis_import_id).toBe('number');
    for (const key of userPii) {
      const value = u[key];
      expect(typeof value, key).toBe('string');
      expect((value as string).length, key).toBeGreaterThan(0);
    }
    expect(u.name).toBe(`${u.first_name} ${u.last_name}`);
    expect(u.sortable_name).toBe(`${u.last_name}, ${u.first_name}`);
    expect(u.lti_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(u.uuid).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(u.past_uuid).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(u.last_login).toMatch(ISO);
    expect(u.created_at).toMatch(ISO);
    expect(u.avatar_url.startsWith(`${CANVAS_PLACEHOLDER_ORIGIN}/`)).toBe(true);
  };

  it('users carry every PII field with realistic values', () => {
    const users = all(inst.users);
    users.forEach(expectUser);
    const students = users.slice(0, inst.options.students);
    const teachers = users.slice(inst.options.students);
    for (const s of students) {
      expect(s.email).toMatch(/^[a-z]+\.[a-z]+\d+@students\.example\.edu$/);
      expect(s.sis_user_id).toMatch(/^S\d{7}$/);
    }
    for (const t of teachers) expect(t.email).toMatch(/^[a-z]+\.[a-z]+\d+@example\.edu$/);
    const unique = (values: unknown[]) => new Set(values).size;
    for (const key of ['email', 'sis_user_id', 'login_id', 'lti_id', 'uuid'] as const) {
      expect(unique(users.map((u) => u[key])), key).toBe(users.length);
    }
    expect(students.some((s) => /[^\x20-\x7e]/.test(s.name))).toBe(true);
    expect(inst.user(students[0]?.id ?? 0)).toEqual(students[0]);
    expect(inst.user(String(teachers[0]?.id))).toEqual(teachers[0]);
  });

  it('enrollments: teacher(s) first, nested user with user_id, grades for students only', () => {
    const inst = fewerCourses;
    for (const id of courseIds(inst)) {
      const enrollments: CanvasEnrollment[] = all(defined(inst.enrollments(id)));
      expect(enrollments.length).toBe(inst.options.studentsPerCourse + 2);
      expect(enrollments[0]?.type).toBe('TeacherEnrollment');
      expect(enrollments[1]?.type).toBe('TaEnrollment');
      const sectionIds = all(defined(inst.sections(id))).map((s) => s.id);
      for (const e of enrollments) {
        expect(e.user.id).toBe(e.user_id);
        expect(e.course_id).toBe(id);
        expect(e.role).toBe(e.type);
        expect(sectionIds).toContain(e.course_section_id);
        expectUser(e.user);
        expect(e.sis_user_id).toBe(e.user.sis_user_id);
        for (const key of [
          'sis_course_id',
          'sis_section_id',
          'sis_account_id',
          'course_integration_id',
          'section_integration_id',
          'html_url',
          'enrollment_state',
        ] as const) {
          expect(typeof e[key], key).toBe('string');
          expect((e[key] as string).length).toBeGreaterThan(0);
        }
        expect('last_activity_at' in e && 'last_attended_at' in e).toBe(true);
        expect(typeof e.total_activity_time).toBe('number');
        if (e.type === 'StudentEnrollment') {
          const g = defined(e.grades);
          expect(g.html_url.startsWith(CANVAS_PLACEHOLDER_ORIGIN)).toBe(true);
          for (const score of [
            g.current_score,
            g.final_score,
            g.unposted_current_score,
            g.unposted_final_score,
          ]) {
            expect(score).toBeGreaterThanOrEqual(0);
            expect(score).toBeLessThanOrEqual(100);
          }
          expect(g.current_grade).toMatch(/^[A-DF][+-]?$/);
          expect(g.final_grade).toMatch(/^[A-DF][+-]?$/);
        } else {
          expect('grades' in e).toBe(false);
        }
      }
      const students = enrollments.filter((e) => e.type === 'StudentEnrollment');
      const perSection = new Map<number, number>();
      for (const e of students) {
        perSection.set(e.course_section_id, (perSection.get(e.course_section_id) ?? 0) + 1);
      }
      for (const section of all(defined(inst.sections(id)))) {
        expect(perSection.get(section.id) ?? 0).toBe(section.total_students);
      }
    }
  });

  it('courseUsers matches the enrollments and ascends by user id', () => {
    const courseCount = new Map<number, number>();
    for (const id of courseIds(inst)) {
      const enrollments = all(defined(inst.enrollments(id)));
      const users = all(defined(inst.courseUsers(id)));
      expect(users.map((u) => u.id)).toEqual(
        enrollments.map((e) => e.user_id).sort((a, b) => a - b),
      );
      const byId = new Map(enrollments.map((e) => [e.user_id, e.user]));
      for (const user of users) expect(user).toEqual(byId.get(user.id));
      const students = enrollments.filter((e) => e.type === 'StudentEnrollment');
      expect(students.map((e) => e.user_id)).toEqual(
        users.slice(0, students.length).map((u) => u.id),
      );
      expect(new Set(students.map((e) => e.user_id)).size).toBe(students.length);
      for (const e of students) courseCount.set(e.user_id, (courseCount.get(e.user_id) ?? 0) + 1);
      expect(defined(inst.course(id)).total_students).toBe(students.length);
      const summaries = all(defined(inst.studentSummaries(id)));
      expect(summaries.map((s) => s.id)).toEqual(students.map((e) => e.user_id));
    }
    // 12 courses × 30 seats over 300 students: everyone is enrolled, some twice.
    expect(courseCount.size).toBe(inst.options.students);
  });

  it('courses, terms, sections and assignments look like Canvas', () => {
    const course = defined(inst.course('1002'));
    expect(course.workflow_state).toBe('available');
    expect(course.account_id).toBe(inst.account.id);
    expect(inst.terms.map((t) => t.id)).toContain(course.enrollment_term_id);
    expect(course.sis_course_id).toMatch(/^[A-Z]+\d{3}-\d{4}(FA|SP)-\d{4}$/);
    expect(course.course_code).toMatch(/^[A-Z]+ \d{3}$/);
    for (const term of inst.terms) {
      for (const date of [term.start_at, term.end_at, term.created_at]) {
        const value = defined(date ?? undefined);
        expect(value).toMatch(ISO);
        expect(new Date(value).toISOString().replace('.000Z', 'Z')).toBe(value);
      }
    }
    const assignment = defined(inst.assignments(1002)?.at(2));
    expect(inst.assignment(1002, String(assignment.id))).toEqual(assignment);
    expect(assignment.course_id).toBe(1002);
    expect(assignment.html_url).toBe(
      `${CANVAS_PLACEHOLDER_ORIGIN}/courses/1002/assignments/${assignment.id}`,
    );
    const due = defined(assignment.due_at ?? undefined);
    expect(new Date(due).toISOString().replace('.000Z', 'Z')).toBe(due);
    expect(due >= defined(inst.terms[0]?.start_at ?? undefined)).toBe(true);
  });

  it('submissions: one per student, some late/missing/excused, includes on demand', () => {
    const inst = fewerCourses;
    const kinds = { late: 0, missing: 0, excused: 0, graded: 0, submitted: 0, comments: 0 };
    for (const id of courseIds(inst)) {
      const students = all(defined(inst.courseUsers(id))).slice(0, inst.options.studentsPerCourse);
      // Every included user equals one of these, so checking them once checks every one.
      students.forEach(expectUser);
      for (const assignment of all(defined(inst.assignments(id)))) {
        const plain = all(defined(inst.submissions(id, assignment.id)));
        const full = all(
          defined(inst.submissions(id, assignment.id, { user: true, submission_comments: true })),
        );
        expect(plain.map((s) => s.user_id)).toEqual(students.map((u) => u.id));
        expect(full).toHaveLength(students.length);
        full.forEach((s: CanvasSubmission, i) => {
          expect('user' in defined(plain[i])).toBe(false);
          expect('submission_comments' in defined(plain[i])).toBe(false);
          const { user, submission_comments, ...rest } = s;
          expect(rest).toEqual(plain[i]);
          expect(user).toEqual(students[i]);
          expect(s.assignment_id).toBe(assignment.id);
          if (s.late) kinds.late++;
          if (s.missing) kinds.missing++;
          if (s.excused) kinds.excused++;
          if (s.workflow_state === 'graded' && !s.excused) {
            kinds.graded++;
            expect(s.score).toBeGreaterThanOrEqual(0);
            expect(s.score).toBeLessThanOrEqual(assignment.points_possible);
            expect(typeof s.grade).toBe('string');
            expect(s.graded_at).toMatch(ISO);
            expect(s.grader_id).toBeGreaterThan(0);
          }
          if (s.workflow_state === 'submitted') kinds.submitted++;
          if (s.missing || s.excused) {
            expect(s.submitted_at).toBeNull();
            expect(s.score).toBeNull();
          } else {
            expect(s.submitted_at).toMatch(ISO);
            expect(s.submission_type).not.toBeNull();
          }
          const comments = defined(submission_comments);
          expect(comments.length).toBeLessThanOrEqual(inst.options.commentsPerSubmission);
          for (const c of comments) {
            kinds.comments++;
            expect(c.author.id).toBe(c.author_id);
            expect(c.author_name).toBe(c.author.display_name);
            expect(c.comment.length).toBeGreaterThan(0);
            expect(c.created_at).toMatch(ISO);
            for (const key of [
              'anonymous_id',
              'display_name',
              'avatar_image_url',
              'html_url',
            ] as const) {
              expect(c.author[key].length).toBeGreaterThan(0);
            }
            expect('pronouns' in c.author).toBe(true);
          }
        });
      }
    }
    for (const [kind, count] of Object.entries(kinds)) expect(count, kind).toBeGreaterThan(10);
  });

  it('student summaries agree with the submissions', () => {
    const id = 1006;
    const subs = all(defined(inst.courseSubmissions(id)));
    for (const summary of all(defined(inst.studentSummaries(id)))) {
      const mine = subs.filter((s) => s.user_id === summary.id);
      const t = summary.tardiness_breakdown;
      expect(t.total).toBe(inst.options.assignmentsPerCourse);
      expect(t.missing).toBe(mine.filter((s) => s.missing).length);
      expect(t.late).toBe(mine.filter((s) => s.late).length);
      expect(t.floating).toBe(mine.filter((s) => s.excused).length);
      expect(t.on_time + t.late + t.missing + t.floating).toBe(t.total);
      expect(summary.page_views).toBeLessThanOrEqual(summary.max_page_views);
      expect(summary.participations).toBeLessThanOrEqual(summary.max_participations);
      expect([1, 2, 3]).toContain(summary.page_views_level);
    }
  });

  it('discussions: entries with replies, ~1 in 5 quoting another student by name and email', () => {
    let entries = 0;
    let quoting = 0;
    for (const id of courseIds(inst)) {
      const students = new Map(
        all(defined(inst.courseUsers(id)))
          .slice(0, inst.options.studentsPerCourse)
          .map((u) => [u.email, u]),
      );
      for (const topic of all(defined(inst.discussionTopics(id)))) {
        expect(topic.author.id).toBe(defined(inst.enrollments(id)?.at(0)).user_id);
        const list = all(defined(inst.discussionEntries(id, String(topic.id))));
        expect(list.length).toBe(inst.options.entriesPerTopic);
        const replies = list.flatMap((e) => e.recent_replies ?? []);
        expect(topic.discussion_subentry_count).toBe(list.length + replies.length);
        const check = (entry: CanvasDiscussionEntry) => {
          entries++;
          expect(entry.user.id).toBe(entry.user_id);
          expect(entry.user_name).toBe(entry.user.display_name);
          expect(entry.message).toMatch(/^<p>/);
          expect(entry.updated_at >= entry.created_at).toBe(true);
          const quoted = /mailto:([^"]+)"/.exec(entry.message);
          if (quoted) {
            quoting++;
            const student = defined(students.get(quoted[1] ?? ''));
            expect(entry.message).toContain(student.name);
            expect(student.id).not.toBe(entry.user_id);
          }
        };
        for (const entry of list) {
          check(entry);
          expect(entry.parent_id).toBeNull();
          const mine = entry.recent_replies ?? [];
          expect(mine.length).toBeLessThanOrEqual(2);
          expect(entry.has_more_replies).toBe(false);
          for (const reply of mine) {
            check(reply);
            expect(reply.parent_id).toBe(entry.id);
            expect(reply.created_at > entry.created_at).toBe(true);
          }
        }
      }
    }
    expect(quoting / entries).toBeGreaterThan(0.1);
    expect(quoting / entries).toBeLessThan(0.3);
  });

  it('page views: links, dates ascending, campus/home IPs and agents', () => {
    for (const uid of [100_001, 100_150, 100_300, 100_308]) {
      const views = all(defined(inst.pageViews(uid)));
      for (let i = 0; i < views.length; i++) {
        const v = defined(views[i]);
        expect(v.links.user).toBe(uid);
        expect(v.links.account).toBe(inst.account.id);
        expect(v.remote_ip).toMatch(/^(10\.\d+|172\.(1[6-9]|2\d|3[01]))\.\d+\.\d+$/);
        expect(v.user_agent).toMatch(/^Mozilla\/5\.0 \(/);
        expect(v.url.startsWith(CANVAS_PLACEHOLDER_ORIGIN)).toBe(true);
        expect(v.created_at).toMatch(ISO);
        if (i > 0) expect(v.created_at >= defined(views[i - 1]).created_at).toBe(true);
        if (v.context_type === 'Course') {
          const context = defined(v.links.context ?? undefined);
          expect(all(defined(inst.courseUsers(context))).map((u) => u.id)).toContain(uid);
        }
      }
      expect(views.some((v) => v.context_type === 'Course')).toBe(true);
    }
  });

  it('studentPii lists the raw identifying strings of students, and only of students', () => {
    const pii = new Set(inst.studentPii());
    const first = defined(inst.users.at(0));
    for (const value of [
      first.name,
      first.sortable_name,
      first.email,
      first.sis_user_id,
      first.login_id,
      first.lti_id,
      first.uuid,
      first.integration_id,
    ]) {
      expect(pii.has(defined(value ?? undefined))).toBe(true);
    }
    const views = all(defined(inst.pageViews(first.id)));
    for (const view of views) {
      expect(pii.has(view.remote_ip)).toBe(true);
      expect(pii.has(view.user_agent)).toBe(true);
    }
    const one = inst.studentPii(1);
    expect(one).toContain(first.email);
    expect(one.length).toBeLessThan(pii.size);
    expect(inst.studentPii(0)).toEqual([]);
    const teacher = defined(inst.users.at(inst.options.students));
    expect(pii.has(teacher.name)).toBe(false);
    expect(pii.has(teacher.email ?? '')).toBe(false);
    expect(pii.has(teacher.last_name)).toBe(false);
  });

  it('student names are not substrings of generic text, staff names or field names', () => {
    const studentNames = [...names.studentFirstNames, ...names.studentLastNames];
    const generic: string[] = [
      ...names.staffFirstNames,
      ...names.staffLastNames,
      ...names.institutionNames,
      ...names.subjects.flat(),
      ...names.courseTitleTemplates,
      ...names.assignmentTemplates,
      ...names.topicTemplates,
      ...names.sentences,
      ...names.staffComments,
      ...names.studentComments,
      ...names.studentBios,
      ...names.staffBios,
      ...names.studentTitles,
      ...names.staffTitles,
      ...names.pronounChoices,
      ...names.locales,
      ...names.timeZones,
      ...names.desktopPlatforms,
      ...names.phoneModels,
      CANVAS_PLACEHOLDER_ORIGIN,
      'Mozilla AppleWebKit KHTML like Gecko Chrome Safari Edg iPhone CPU OS Mac CriOS Linux Android',
      'Submit by the due date; see the rubric. Reply to at least two classmates. Replying to',
      'Section Term Fall Spring Summer',
    ];
    // Field names of every record type.
    const s = sample(inst);
    const keys = (value: unknown): string[] =>
      value !== null && typeof value === 'object'
        ? Object.entries(value).flatMap(([k, v]) => [k, ...keys(v)])
        : [];
    generic.push(...keys(s), ...keys(inst.discussionTopics(1001)?.at(0)), ...keys(inst.account));
    const text = generic.join('\n').toLowerCase();
    for (const name of studentNames) {
      expect(text.includes(name.toLowerCase()), name).toBe(false);
    }
    for (const name of studentNames) expect(name.length).toBeGreaterThanOrEqual(3);
  });

  it('folds names to ASCII for emails', () => {
    expect(names.asciiFold('Nguyễn')).toBe('nguyen');
    expect(names.asciiFold("O'Connor")).toBe('oconnor');
    expect(names.asciiFold('Łukasz')).toBe('lukasz');
    expect(names.asciiFold('Ødegaard')).toBe('odegaard');
    for (const name of [...names.studentFirstNames, ...names.studentLastNames]) {
      expect(names.asciiFold(name), name).toMatch(/^[a-z]{2,}$/);
    }
  });
});

describe('createInstitution: unknown ids', () => {
  const inst = createInstitution();
  const unknownCourses: (number | string)[] = [999, 1000, 1013, 0, -1, '1001x', '', 'abc', 1001.5];

  it('answers undefined for unknown courses, users, assignments and topics', () => {
    for (const id of unknownCourses) {
      expect(inst.course(id)).toBeUndefined();
      expect(inst.sections(id)).toBeUndefined();
      expect(inst.enrollments(id)).toBeUndefined();
      expect(inst.courseUsers(id)).toBeUndefined();
      expect(inst.assignments(id)).toBeUndefined();
      expect(inst.assignment(id, 3001)).toBeUndefined();
      expect(inst.submissions(id, 3001)).toBeUndefined();
      expect(inst.courseSubmissions(id)).toBeUndefined();
      expect(inst.discussionTopics(id)).toBeUndefined();
      expect(inst.discussionEntries(id, 4001)).toBeUndefined();
      expect(inst.studentSummaries(id)).toBeUndefined();
    }
    expect(inst.course(1012)).toBeDefined();
    expect(inst.course('1001')).toEqual(inst.courses.at(0));
    // An assignment or topic of another course is unknown here.
    const otherAssignment = defined(inst.assignments(1002)?.at(0)).id;
    expect(inst.assignment(1001, otherAssignment)).toBeUndefined();
    expect(inst.submissions(1001, otherAssignment)).toBeUndefined();
    expect(inst.submissions(1001, 'x')).toBeUndefined();
    expect(inst.assignment(1002, otherAssignment)).toBeDefined();
    const otherTopic = defined(inst.discussionTopics(1002)?.at(0)).id;
    expect(inst.discussionEntries(1001, otherTopic)).toBeUndefined();
    expect(inst.discussionEntries(1002, otherTopic)).toBeDefined();
    for (const id of [100_000, 100_001 + 308, 'abc', -1, 1001]) {
      expect(inst.user(id)).toBeUndefined();
      expect(inst.pageViews(id)).toBeUndefined();
    }
    expect(inst.pageViews('100001')).toBeDefined();
  });
});

describe('createInstitution: options', () => {
  it('has documented defaults and validates', () => {
    expect(createInstitution().options).toEqual(defaultInstitutionOptions);
    expect(defaultInstitutionOptions).toMatchObject({ seed: 1, courses: 12, students: 300 });
    for (const bad of [
      { terms: 0 },
      { sectionsPerCourse: 0 },
      { teachers: 0 },
      { students: -1 },
      { courses: 1.5 },
      { seed: Number.NaN },
      { accountId: 0 },
      { pageViewsPerUser: Number.POSITIVE_INFINITY },
    ]) {
      expect(() => createInstitution(bad)).toThrow(RangeError);
    }
    expect(() =>
      createInstitution({ courses: 2 ** 40, students: 2 ** 20, studentsPerCourse: 2 ** 20 }),
    ).toThrow(RangeError);
  });

  it('clamps studentsPerCourse and handles small shapes', () => {
    const inst = createInstitution({ students: 10, studentsPerCourse: 30, teachers: 1, terms: 5 });
    expect(inst.options.studentsPerCourse).toBe(10);
    expect(inst.terms).toHaveLength(5);
    expect(new Set(inst.terms.map((t) => t.name)).size).toBe(5);
    const enrollments = all(defined(inst.enrollments(1001)));
    expect(enrollments).toHaveLength(11);
    expect(enrollments.filter((e) => e.type !== 'StudentEnrollment')).toHaveLength(1);
    expect(all(defined(inst.courseUsers(1001))).map((u) => u.id)).toEqual(
      Array.from({ length: 11 }, (_, i) => 100_001 + i),
    );
    const empty = createInstitution({ students: 0, courses: 3 });
    expect(all(defined(empty.enrollments(1003))).map((e) => e.type)).toEqual([
      'TeacherEnrollment',
      'TaEnrollment',
    ]);
    expect(defined(empty.submissions(1001, 3001)).length).toBe(0);
    const entries = all(defined(empty.discussionEntries(1001, 4001)));
    expect(entries.length).toBe(10);
    expect(empty.studentPii()).toEqual([]);
    expect(Math.abs(defined(empty.pageViews(100_001)).length - 20)).toBeLessThanOrEqual(1);
    expect(createInstitution({ courses: 0 }).courses.length).toBe(0);
  });
});

// How fast: `npm run bench -- institution` (per-record cost at 10k, 1M and 10M enrollments).
describe('createInstitution: scale', () => {
  it('serves 1M enrollments by random access, with unique ids', () => {
    const inst = createInstitution({ courses: 1000, studentsPerCourse: 1000, students: 50_000 });
    const perCourse = 1002;
    let total = 0;
    for (const id of [1001, 1500, 2000]) total += defined(inst.enrollments(id)).length;
    expect(total).toBe(3 * perCourse);
    const rng = createPrng(99);
    const ids = new Set<number>();
    const pairs = new Set<string>();
    const wrong: string[] = [];
    for (let n = 0; n < 2_000; n++) {
      const c = rng.int(0, 999);
      const j = rng.int(0, perCourse - 1);
      const list = defined(inst.enrollments(1001 + c));
      const enrollment = defined(list.at(j));
      // One assertion for the whole loop: each enrollment's course, user and index by id.
      if (
        enrollment.course_id !== 1001 + c ||
        enrollment.user.id !== enrollment.user_id ||
        list.indexOfId(enrollment.id) !== j
      ) {
        wrong.push(`course ${1001 + c} index ${j}: ${JSON.stringify(enrollment).slice(0, 200)}`);
      }
      ids.add(enrollment.id);
      pairs.add(`${c}:${j}`);
    }
    expect(wrong).toEqual([]);
    expect(ids.size).toBe(pairs.size); // distinct (course, index) ⇒ distinct ids
    expect(pairs.size).toBeGreaterThan(1_990);
    const last = defined(inst.enrollments(2000)?.at(perCourse - 1));
    expect(last.id).toBe(500_001 + 1000 * perCourse - 1);
    expect(defined(inst.courseSubmissions(2000)).length).toBe(5000);
    const sub = defined(inst.courseSubmissions(2000)?.at(4999));
    expect(sub.id).toBe(1_000_001 + 1000 * 5 * 1000 - 1);
  });

  it('keeps user identifiers unique in a pool of millions', () => {
    const inst = createInstitution({ students: 12_000_000, courses: 1, studentsPerCourse: 1 });
    const picks = [0, 1, 999_999, 1_000_000, 5_000_000, 9_999_999, 10_000_000, 11_999_999];
    const users = picks.map((i) => defined(inst.users.at(i)));
    for (const key of ['id', 'sis_user_id', 'email', 'login_id', 'uuid'] as const) {
      expect(new Set(users.map((u) => u[key])).size, key).toBe(picks.length);
    }
    for (const u of users) expect(u.sis_user_id).toMatch(/^S\d{7,8}$/);
    const ips = picks.map((i) => defined(inst.pageViews(100_001 + i)?.at(0)).remote_ip);
    expect(ips.every((ip) => /^(10|172)\./.test(ip))).toBe(true);
  });

  it('handles 100k students with 5k-student courses, windows wrapping the pool', () => {
    const inst = createInstitution({ students: 100_000, courses: 200, studentsPerCourse: 5_000 });
    for (const id of [1001, 1100, 1200]) {
      const users = defined(inst.courseUsers(id));
      expect(users.length).toBe(5_002);
      let previous = 0;
      const seen = new Set<number>();
      for (let i = 0; i < users.length; i += 1 + (i % 97)) {
        const user = defined(users.at(i));
        expect(user.id).toBeGreaterThan(previous);
        previous = user.id;
        seen.add(user.id);
        expect(users.indexOfId(user.id)).toBe(i);
      }
      const e = defined(inst.enrollments(id));
      expect(e.at(4_000)?.user_id).toBe(users.at(3_998)?.id);
    }
    // Windows of 5000 over a 100k pool: 20 courses fill the pool, so some course wraps around.
    const wraps = courseIdsOf(inst).filter((id) => {
      const users = defined(inst.courseUsers(id));
      return defined(users.at(4_999)).id - defined(users.at(0)).id > 5_000;
    });
    expect(wraps.length).toBeGreaterThan(0);
    for (const id of wraps.slice(0, 2)) {
      const ids = ascendingIds(defined(inst.courseUsers(id))); // throws unless strictly ascending
      expect(ids).toHaveLength(5_002);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});

function courseIdsOf(inst: Institution): number[] {
  return Array.from({ length: inst.courses.length }, (_, c) => 1001 + c);
}
