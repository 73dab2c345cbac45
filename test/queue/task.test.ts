import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { z } from 'zod';
import { CanvasSyncError } from '../../src/errors/index.js';
import { idempotencyKey } from '../../src/idempotency/index.js';
import { createTask, parseTask, type SyncTask, taskKinds } from '../../src/queue/task.js';
import type { syncTaskSchema } from '../../src/queue/task-schema.js';
import { CanvasTaskValidationError } from '../../src/queue/task-validation-error.js';

const NOW = new Date('2025-01-02T03:04:05.678Z');
const USERS = '/api/v1/courses/42/users';

function valid(): SyncTask {
  return createTask({ kind: 'course.users', path: USERS, searchParams: { per_page: '100' } }, NOW);
}

function issuesOf(input: unknown): CanvasTaskValidationError {
  try {
    parseTask(input);
  } catch (error) {
    if (error instanceof CanvasTaskValidationError) return error;
    throw error;
  }
  throw new Error('expected a CanvasTaskValidationError');
}

describe('createTask', () => {
  it('builds a valid v1 task with the GET idempotency key, a UUID and zero retries', () => {
    const task = createTask(
      { kind: 'course.users', path: USERS, searchParams: { 'include[]': ['email', 'avatar_url'] } },
      NOW,
    );
    expect(task).toEqual({
      v: 1,
      id: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      kind: 'course.users',
      path: USERS,
      searchParams: { 'include[]': ['email', 'avatar_url'] },
      key: idempotencyKey({
        method: 'GET',
        path: USERS,
        searchParams: { 'include[]': ['email', 'avatar_url'] },
      }),
      retries: { failures: 0, throttles: 0 },
      createdAt: '2025-01-02T03:04:05.678Z',
    });
    expect(parseTask(task)).toEqual(task);
    expect(JSON.parse(JSON.stringify(task))).toEqual(task);
  });

  it('omits searchParams when none are given, and defaults now to the current time', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2031-02-03T04:05:06.789Z') });
    try {
      const task = createTask({ kind: 'course.sections', path: '/api/v1/courses/1/sections' });
      expect('searchParams' in task).toBe(false);
      expect(task.createdAt).toBe('2031-02-03T04:05:06.789Z');
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives every task a new id but the same key for the same request', () => {
    const a = createTask({ kind: 'course.users', path: USERS, searchParams: { a: '1', b: '2' } });
    const b = createTask({ kind: 'course.users', path: USERS, searchParams: { b: '2', a: '1' } });
    expect(a.id).not.toBe(b.id);
    expect(a.key).toBe(b.key);
    expect(a.key).toMatch(/^v1:[0-9a-f]{64}$/);
    // per_page does not change what is fetched, so it does not change the key.
    expect(
      createTask({ kind: 'course.users', path: USERS, searchParams: { per_page: '50' } }).key,
    ).toBe(createTask({ kind: 'course.users', path: USERS }).key);
    expect(createTask({ kind: 'course.users', path: `${USERS}/x` }).key).not.toBe(a.key);
  });

  it('accepts every kind', () => {
    for (const kind of taskKinds) {
      expect(createTask({ kind, path: '/api/v1/x' }, NOW).kind).toBe(kind);
    }
  });

  it('throws a CanvasTaskValidationError for a bad path, kind, parameter or date', () => {
    const bad: [Parameters<typeof createTask>[0], string][] = [
      [{ kind: 'course.users', path: '/courses/1/users' }, 'path'],
      [{ kind: 'course.users', path: `${USERS}?page=2` }, 'path'],
      [{ kind: 'nope' as 'course.users', path: USERS }, 'kind'],
      [
        { kind: 'course.users', path: USERS, searchParams: { access_token: 'SECRET' } },
        'searchParams.access_token',
      ],
      [
        { kind: 'course.users', path: USERS, searchParams: { x: 3 as unknown as string } },
        'searchParams.x',
      ],
    ];
    for (const [input, path] of bad) {
      let error: unknown;
      try {
        createTask(input, NOW);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(CanvasTaskValidationError);
      expect((error as CanvasTaskValidationError).issues.map((issue) => issue.path)).toContain(
        path,
      );
      expect(JSON.stringify(error)).not.toContain('SECRET');
    }
    expect(() => createTask({ kind: 'course.users', path: USERS }, new Date(Number.NaN))).toThrow(
      CanvasTaskValidationError,
    );
  });
});

describe('parseTask', () => {
  it('accepts a task with notBefore and string or array parameters', () => {
    const task = {
      ...createTask(
        { kind: 'course.users', path: USERS, searchParams: { a: 'x', 'b[]': ['1', '2'] } },
        NOW,
      ),
      notBefore: '2025-01-02T03:05:00Z',
    };
    expect(parseTask(task)).toEqual(task);
  });

  it('rejects unknown keys at the top level and in retries', () => {
    const error = issuesOf({
      ...valid(),
      extra: 1,
      retries: { failures: 0, throttles: 0, more: 1 },
    });
    expect(error.issues).toEqual([
      { path: 'retries', message: 'Unrecognized key: "more"' },
      { path: '(root)', message: 'Unrecognized key: "extra"' },
    ]);
  });

  it('reports every problem by path', () => {
    const error = issuesOf({
      ...valid(),
      v: 2,
      id: '',
      key: 'v1:abc',
      retries: { failures: -1, throttles: 1.5 },
      createdAt: '2025-01-02',
      notBefore: 'soon',
    });
    expect(error).toBeInstanceOf(CanvasSyncError);
    expect(error.name).toBe('CanvasTaskValidationError');
    expect(error.code).toBe('TASK_VALIDATION');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(
      ['retries.failures', 'retries.throttles', 'createdAt', 'id', 'key', 'notBefore', 'v'].sort(),
    );
    expect(error.message).toMatch(/^Invalid sync task: /);
    expect(error.message).toContain('and 2 more');
    expect(error.toJSON()).toMatchObject({
      name: 'CanvasTaskValidationError',
      issues: error.issues,
    });
  });

  it('rejects non-objects and missing fields', () => {
    expect(issuesOf(null).issues).toEqual([{ path: '(root)', message: expect.any(String) }]);
    expect(issuesOf('task').issues[0]?.path).toBe('(root)');
    const { key: _key, ...withoutKey } = valid();
    expect(issuesOf(withoutKey).issues.map((issue) => issue.path)).toEqual(['key']);
  });

  it('never echoes values in the error, whatever the payload holds', () => {
    const secret = 'jane.doe@example.edu';
    const payloads: unknown[] = [
      { ...valid(), path: secret },
      { ...valid(), id: 42, kind: secret, createdAt: secret, notBefore: secret },
      { ...valid(), searchParams: { q: { nested: secret } } },
      { ...valid(), searchParams: { access_token: secret } },
      { ...valid(), key: secret, retries: secret },
      { ...valid(), v: secret },
      [secret],
      secret,
    ];
    for (const payload of payloads) {
      const error = issuesOf(payload);
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error)).not.toContain(secret);
      expect(String(error.stack)).not.toContain(secret);
    }
  });

  it('shortens long unknown key names', () => {
    const error = issuesOf({ ...valid(), ['k'.repeat(500)]: 1 });
    expect(error.message.length).toBeLessThan(200);
  });
});

/** Builds a task payload as a broker could carry it: any path, parameters and key. */
function payload(overrides: Partial<SyncTask>): Record<string, unknown> {
  return { ...valid(), ...overrides };
}

describe('task keys', () => {
  it('refuses a task whose key belongs to another request (a forged key)', () => {
    const genuine = createTask({ kind: 'course.users', path: '/api/v1/courses/7/users' }, NOW);
    const forged = { ...valid(), key: genuine.key };
    const error = issuesOf(forged);
    expect(error.issues).toEqual([{ path: 'key', message: expect.stringMatching(/own request/) }]);
    expect(JSON.stringify(error)).not.toContain(genuine.key);
    // Same path, other parameters: another request, so another key.
    expect(issuesOf({ ...valid(), searchParams: { 'include[]': ['email'] } }).issues).toEqual([
      { path: 'key', message: expect.any(String) },
    ]);
    // The key does not depend on per_page, nor on the order of the parameters.
    expect(parseTask({ ...valid(), searchParams: { per_page: '10' } }).key).toBe(valid().key);
  });
});

describe('task paths and parameters', () => {
  const refusedPaths = [
    '/api/v1/../../admin',
    '/api/v1/courses/1/../../../admin',
    '/api/v1/./courses',
    '/api/v1/%2e%2e/%2e%2e/admin',
    '/api/v1/%2E%2E/admin',
    '/api/v1/%2E./admin',
    '/api/v1/.%2e/admin',
    '/api/v1/%252e%252e/admin',
    '/api/v1/courses/1%2F..%2F..%2Fadmin',
    '/api/v1/courses\\..\\..\\admin',
    '/api/v1/courses/1%5c..%5cadmin',
    '/api/v1//courses',
    '/api/v1/courses/%zz',
    '/api/v1/courses/%00',
    '/api/v1/courses/{1}',
    '/api/v1/courses/Café',
  ];

  it.each(refusedPaths)('refuses the path %s with a CanvasTaskValidationError on path', (path) => {
    const error = issuesOf(payload({ path }));
    expect(error.issues.map((issue) => issue.path)).toContain('path');
    expect(JSON.stringify(error)).not.toContain(path);
  });

  it('refuses dot segments in createTask too, and never resolves them', () => {
    for (const path of refusedPaths.slice(0, 11)) {
      expect(() => createTask({ kind: 'course.users', path }, NOW), path).toThrow(
        CanvasTaskValidationError,
      );
    }
  });

  it('normalizes the encoding of a path in createTask, keeping its key', () => {
    const task = createTask({ kind: 'course.users', path: '/api/v1/courses/sis_course_id:Café' });
    expect(task.path).toBe('/api/v1/courses/sis_course_id:Caf%C3%A9');
    expect(task.key).toBe(
      idempotencyKey({ method: 'GET', path: '/api/v1/courses/sis_course_id:Café' }),
    );
    expect(parseTask(task)).toEqual(task);
  });

  it('accepts encoded dots and slashes inside a segment (SIS ids), and a trailing slash', () => {
    for (const path of [
      '/api/v1/users/sis_login_id:jane%2Edoe/page_views',
      '/api/v1/courses/sis_course_id:A%2FB/users',
      '/api/v1/courses/1/users/',
      '/api/v1/courses/1.json',
    ]) {
      expect(createTask({ kind: 'course.users', path }, NOW).path, path).toBe(path);
    }
  });

  it.each([
    'access_token',
    'ACCESS_TOKEN',
    'Access_Token',
    'access%5Ftoken',
    'access%5ftoken',
    'access%255Ftoken',
    'access_token[]',
    'access_token[x]',
    'access_token%5B%5D',
    ' access_token',
    'ａｃｃｅｓｓ_ｔｏｋｅｎ',
  ])('refuses the parameter name %s', (name) => {
    const secret = 'SECRET-VALUE-123';
    let error: unknown;
    try {
      createTask({ kind: 'course.users', path: USERS, searchParams: { [name]: secret } }, NOW);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(CanvasTaskValidationError);
    expect((error as CanvasTaskValidationError).issues[0]?.message).toMatch(/access token/);
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(issuesOf(payload({ searchParams: { [name]: secret } })).issues.length).toBeGreaterThan(
      0,
    );
  });

  it('refuses a value, a name or a path shaped like a Canvas token, never quoting it', () => {
    const token = `1234~${'aB3'.repeat(21)}x`;
    const inputs: Parameters<typeof createTask>[0][] = [
      { kind: 'course.users', path: USERS, searchParams: { search_term: token } },
      { kind: 'course.users', path: USERS, searchParams: { 'include[]': ['email', token] } },
      { kind: 'course.users', path: USERS, searchParams: { [token]: '1' } },
      { kind: 'course.users', path: `${USERS}/${token}` },
      { kind: 'course.users', path: `${USERS}/${token.replace('~', '%7E')}` },
    ];
    for (const input of inputs) {
      let error: unknown;
      try {
        createTask(input, NOW);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(CanvasTaskValidationError);
      expect(JSON.stringify(error)).not.toContain(token.slice(5));
      expect(String((error as Error).stack)).not.toContain(token.slice(5));
    }
  });
});

describe('SyncTask', () => {
  it('the hand-written interface is exactly the type the schema validates', () => {
    // Checked by the type checker (`npm run typecheck`): a field added to one and not the other
    // fails the build.
    expectTypeOf<z.infer<typeof syncTaskSchema>>().toEqualTypeOf<SyncTask>();
    expectTypeOf<SyncTask>().toEqualTypeOf<z.infer<typeof syncTaskSchema>>();
  });
});

describe('task cursors', () => {
  const TOKEN = '1~abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd';

  it("accepts the task's own path with a query, and keeps the key", () => {
    const task = valid();
    const cursor = `${USERS}?page=bookmark:WzEwMF0&per_page=100`;
    const parsed = parseTask({ ...task, cursor });
    expect(parsed.cursor).toBe(cursor);
    expect(parsed.key).toBe(task.key);
  });

  it('refuses another path, a bare path, a fragment, whitespace or the token', () => {
    const task = valid();
    const bad = [
      '/api/v1/courses/43/users?page=2',
      `${USERS}/../../accounts?page=2`,
      USERS,
      `${USERS}x?page=2`,
      `${USERS}?page=2#top`,
      `${USERS}?page= 2`,
      `${USERS}?page=2&access_token=abc`,
      `${USERS}?page=2&Access_Token=abc`,
      `${USERS}?page=${TOKEN}`,
      `${USERS}?${'p'.repeat(5000)}`,
    ];
    for (const cursor of bad) {
      const error = issuesOf({ ...task, cursor });
      expect(error.issues.map((issue) => issue.path)).toContain('cursor');
      expect(error.message).not.toContain(TOKEN);
    }
  });
});
