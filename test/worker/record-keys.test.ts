import { describe, expect, it } from 'vitest';
import { createTask } from '../../src/index.js';
import { recordKey, scopeOf, streamOf } from '../../src/worker/record-keys.js';

const enrollments = createTask({
  kind: 'course.enrollments',
  path: '/api/v1/courses/42/enrollments',
  searchParams: { 'state[]': ['active'] },
});

describe('record keys, scopes and streams', () => {
  it('keys a record by kind and Canvas id, whatever the filters of the task', () => {
    const other = createTask({
      kind: 'course.enrollments',
      path: '/api/v1/courses/42/enrollments',
    });
    expect(recordKey(enrollments, { id: 500001 })).toBe('course.enrollments:500001');
    expect(recordKey(other, { id: 500001 })).toBe('course.enrollments:500001');
    expect(recordKey(enrollments, { id: 'sis:1' })).toBe('course.enrollments:sis:1');
  });

  it("keys a course's view of a user by course too", () => {
    const users = (course: number) =>
      createTask({ kind: 'course.users', path: `/api/v1/courses/${course}/users` });
    expect(recordKey(users(42), { id: 7 })).toBe('course.users:courses/42:7');
    expect(recordKey(users(43), { id: 7 })).toBe('course.users:courses/43:7');
  });

  it('keys a record without an id by its canonical content', () => {
    const a = recordKey(enrollments, { b: 1, a: 2 });
    expect(a).toMatch(/^course\.enrollments:sha256:[0-9a-f]{64}$/);
    expect(recordKey(enrollments, { a: 2, b: 1 })).toBe(a);
  });

  it('scopes a task by kind, path and the filters that choose its records, and tells full passes from filtered reads', () => {
    // A filter that chooses records is part of the scope: that pass retires only what it lists.
    expect(scopeOf(enrollments)).toBe(
      'course.enrollments:/api/v1/courses/42/enrollments?state[]=active',
    );
    const unfiltered = { kind: 'course.enrollments' as const, path: enrollments.path };
    expect(scopeOf(unfiltered)).toBe('course.enrollments:/api/v1/courses/42/enrollments');
    // Sorted by name, values in order; windows, include[] and paging left out.
    const mixed = scopeOf({
      ...unfiltered,
      searchParams: {
        'type[]': ['StudentEnrollment', 'TaEnrollment'],
        'include[]': ['avatar_url'],
        per_page: '100',
        'state[]': 'active',
        start_time: '2026-03-01T00:00:00Z',
      },
    });
    expect(mixed).toBe(
      'course.enrollments:/api/v1/courses/42/enrollments?state[]=active&type[]=StudentEnrollment&type[]=TaEnrollment',
    );
    expect(streamOf(enrollments)).toEqual({ stream: 'full', windowEnd: undefined });
    const path = '/api/v1/courses/42/students/submissions';
    const graded = createTask({
      kind: 'course.submissions',
      path,
      searchParams: { 'student_ids[]': ['all'], graded_since: '2026-03-01T00:00:00Z' },
    });
    expect(streamOf(graded)).toEqual({ stream: 'graded', windowEnd: undefined });
    const views = createTask({
      kind: 'user.page_views',
      path: '/api/v1/users/7/page_views',
      searchParams: { start_time: '2026-03-01T00:00:00Z', end_time: '2026-03-08T00:00:00Z' },
    });
    expect(streamOf(views)).toEqual({ stream: 'page-views', windowEnd: '2026-03-08T00:00:00Z' });
  });
});
