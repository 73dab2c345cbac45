import { describe, expect, it } from 'vitest';
import { CanvasOptionsError, FerpaSanitizer, type ResponseSanitizer } from '../../src/index.js';
import { createClient, startSim } from '../support/client.js';

/** Drops `email` wherever it is and counts its calls: enough to see the wiring. */
function dropEmails(): ResponseSanitizer & { calls: number } {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (key !== 'email') out[key] = strip(field);
    }
    return out;
  };
  const sanitizer = {
    calls: 0,
    sanitize(value: unknown): unknown {
      sanitizer.calls++;
      return strip(value);
    },
  };
  return sanitizer;
}

describe('CanvasSyncClient sanitize option', () => {
  it('passes every body through the sanitizer before get, request and paginate return it', async () => {
    const sim = await startSim();
    const sanitizer = dropEmails();
    const client = createClient(sim, { sanitizer });
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const enrollments: Array<{ user: Record<string, unknown> }> = [];
    for await (const enrollment of client.paginate<{ user: Record<string, unknown> }>(
      `/api/v1/courses/${courseId}/enrollments`,
      { perPage: 10 },
    )) {
      enrollments.push(enrollment);
    }
    expect(enrollments.length).toBe(sim.data.enrollments(courseId)?.length);
    expect(enrollments.every((e) => !('email' in e.user) && 'name' in e.user)).toBe(true);
    const userId = sim.data.users.at(0)?.id ?? 0;
    const user = await client.get<Record<string, unknown>>(`/api/v1/users/${userId}`);
    expect(user).not.toHaveProperty('email');
    const response = await client.request<Record<string, unknown>>(
      'GET',
      `/api/v1/users/${userId}`,
    );
    expect(response.data).not.toHaveProperty('email');
    expect(sanitizer.calls).toBe(Math.ceil(enrollments.length / 10) + 2);
  });

  it('returns bodies untouched with sanitizer: false, and rejects a sanitizer without sanitize()', async () => {
    const sim = await startSim();
    const client = createClient(sim, { sanitizer: false });
    const userId = sim.data.users.at(0)?.id ?? 0;
    expect(await client.get(`/api/v1/users/${userId}`)).toHaveProperty('email');
    expect(() => createClient(sim, { sanitizer: {} as ResponseSanitizer })).toThrow(
      CanvasOptionsError,
    );
    expect(() => createClient(sim, { sanitizer: {} as ResponseSanitizer })).toThrow(/sanitize/);
  });

  it('does not retry or disguise an error the sanitizer throws', async () => {
    const sim = await startSim();
    const client = createClient(sim, {
      sanitizer: {
        sanitize: () => {
          throw new RangeError('policy refused');
        },
      },
    });
    await expect(client.get('/api/v1/users/self')).rejects.toThrow(RangeError);
    expect(sim.stats().requests).toBe(1);
  });
});

describe('CanvasSyncClient with FerpaSanitizer', () => {
  it('returns no raw student identifier from any page of enrollments or submissions', async () => {
    const sim = await startSim();
    const sanitizer = new FerpaSanitizer({ key: 'k'.repeat(40), keyId: 'test' });
    const client = createClient(sim, { sanitizer });
    const courseId = sim.data.courses.at(0)?.id ?? 0;
    const pages: unknown[] = [];
    for await (const page of client.pages(`/api/v1/courses/${courseId}/enrollments`)) {
      pages.push(page.items);
    }
    for await (const page of client.pages(`/api/v1/courses/${courseId}/students/submissions`, {
      searchParams: { 'student_ids[]': 'all', 'include[]': ['user', 'submission_comments'] },
    })) {
      pages.push(page.items);
    }
    const text = JSON.stringify(pages);
    const raw = sim.data.studentPii().filter((value) => value.length >= 8);
    expect(raw.length).toBeGreaterThan(100);
    expect(raw.filter((value) => text.includes(value))).toEqual([]);
    expect(text).toContain('ps_test_');
  });
});
