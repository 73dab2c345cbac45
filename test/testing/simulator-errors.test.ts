import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanvasSimulator, startCanvasSimulator } from '../../src/testing/index.js';
import { call, json, nth } from '../support/http.js';

let sim: CanvasSimulator;

beforeAll(async () => {
  sim = await startCanvasSimulator({
    expiredTokens: ['old'],
    forbidden: [{ path: /\/analytics\//, tokens: ['canvas-sync-test-token'] }],
    institution: { courses: 2, students: 20, studentsPerCourse: 10 },
  });
});
afterAll(() => sim.close());

describe('simulator errors', () => {
  it('answers an unknown token 401 with WWW-Authenticate, after charging its bucket', async () => {
    const res = await call(sim, '/api/v1/users/self', { token: 'nope' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="canvas-lms"');
    expect(json(res)).toEqual({ errors: [{ message: 'Invalid access token.' }] });
    expect(res.headers.get('x-rate-limit-remaining')).not.toBeNull();
    expect(sim.stats('nope').requests).toBe(1);
  });

  it('answers an expired token 401 "Expired access token."', async () => {
    const res = await call(sim, '/api/v1/users/self', { token: 'old' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="canvas-lms"');
    expect(json(res)).toEqual({ errors: [{ message: 'Expired access token.' }] });
  });

  it('answers a missing token 401 unauthenticated without rate-limit headers', async () => {
    const res = await call(sim, '/api/v1/users/self', { token: null });
    expect(res.status).toBe(401);
    expect(json(res)).toMatchObject({ status: 'unauthenticated' });
    expect(res.headers.get('x-rate-limit-remaining')).toBeNull();
  });

  it('answers a permission denial 401 without WWW-Authenticate', async () => {
    const courseId = nth(sim.data.courses).id;
    const res = await call(sim, `/api/v1/courses/${courseId}/analytics/student_summaries`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(json(res)).toEqual({
      status: 'unauthorized',
      errors: [{ message: 'user not authorized to perform that action' }],
    });
    sim.setForbidden([]);
    expect(
      (await call(sim, `/api/v1/courses/${courseId}/analytics/student_summaries`)).status,
    ).toBe(200);
  });

  it('answers unknown ids and unknown routes 404 with Canvas JSON', async () => {
    for (const path of ['/api/v1/courses/999999999', '/api/v1/nowhere', '/api/v1/accounts/77']) {
      const res = await call(sim, path);
      expect(res.status).toBe(404);
      expect(json(res)).toEqual({
        errors: [{ message: 'The specified resource does not exist.' }],
      });
      expect(res.headers.get('x-request-cost')).not.toBeNull();
    }
  });

  it('returns string ids when asked with application/json+canvas-string-ids', async () => {
    const courseId = nth(sim.data.courses).id;
    const res = await call(sim, `/api/v1/courses/${courseId}/enrollments?per_page=1`, {
      headers: { Accept: 'application/json+canvas-string-ids' },
    });
    const [enrollment] = json<Array<{ id: unknown; user_id: unknown; user: { id: unknown } }>>(res);
    expect(typeof enrollment?.id).toBe('string');
    expect(typeof enrollment?.user_id).toBe('string');
    expect(typeof enrollment?.user.id).toBe('string');
  });

  it('accepts a grade by PUT with a form body', async () => {
    const courseId = nth(sim.data.courses).id;
    const assignmentId = nth(sim.data.assignments(courseId)).id;
    const studentId = nth(sim.data.submissions(courseId, assignmentId)).user_id;
    const res = await call(
      sim,
      `/api/v1/courses/${courseId}/assignments/${assignmentId}/submissions/${studentId}`,
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'submission[posted_grade]=87',
      },
    );
    expect(res.status).toBe(200);
    expect(json(res)).toMatchObject({ user_id: studentId, score: 87, grade: '87' });
  });
});
