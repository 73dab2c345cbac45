import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CanvasAbortError,
  CanvasAuthError,
  CanvasClientClosedError,
  CanvasHttpError,
  CanvasNetworkError,
  CanvasOptionsError,
  CanvasPaginationError,
  CanvasRateLimitError,
  CanvasRequestError,
  CanvasResponseError,
  CanvasSyncError,
  CanvasTimeoutError,
  extractCanvasErrorMessages,
} from '../src/errors/index.js';

const SECRET = 'SECRET_TOKEN_1234';
const leakyUrl = `https://canvas.example.edu/api/v1/courses/1?access_token=${SECRET}&per_page=10`;
const cleanUrl = 'https://canvas.example.edu/api/v1/courses/1?per_page=10';
const requestContextId = '8f0e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

function expectNoSecret(error: CanvasSyncError): void {
  expect(error.message).not.toContain(SECRET);
  expect(JSON.stringify(error)).not.toContain(SECRET);
  expect(inspect(error, { depth: 5 })).not.toContain(SECRET);
  expect(inspect(error, { depth: 5, showHidden: true })).not.toContain(SECRET);
  expect(String(error.stack)).not.toContain(SECRET);
  const url: unknown = Reflect.get(error, 'url');
  if (url !== undefined) expect(url).not.toContain(SECRET);
}

const all = (): CanvasSyncError[] => [
  new CanvasHttpError({ method: 'get', url: leakyUrl, status: 404, attempts: 1 }),
  new CanvasRateLimitError({
    method: 'GET',
    url: leakyUrl,
    status: 429,
    attempts: 1,
    throttleRetries: 20,
  }),
  new CanvasAuthError({ method: 'GET', url: leakyUrl, status: 401, attempts: 1 }),
  new CanvasNetworkError({ method: 'GET', url: leakyUrl, attempts: 3, cause: new Error('boom') }),
  new CanvasTimeoutError({ method: 'GET', url: leakyUrl, attempts: 2, timeoutMs: 30_000 }),
  new CanvasAbortError({ method: 'GET', url: leakyUrl }),
  new CanvasResponseError({ method: 'GET', url: leakyUrl, status: 200, attempts: 1 }),
  new CanvasPaginationError({ reason: 'loop', url: leakyUrl, nextUrl: leakyUrl }),
  new CanvasOptionsError({ issues: [{ path: 'token', message: 'Required' }] }),
  new CanvasClientClosedError(),
];

describe('error hierarchy', () => {
  it.each([
    [CanvasHttpError, 'HTTP_ERROR'],
    [CanvasRateLimitError, 'RATE_LIMITED'],
    [CanvasAuthError, 'AUTH_ERROR'],
    [CanvasNetworkError, 'NETWORK_ERROR'],
    [CanvasTimeoutError, 'TIMEOUT'],
    [CanvasAbortError, 'ABORTED'],
    [CanvasResponseError, 'INVALID_RESPONSE'],
    [CanvasPaginationError, 'PAGINATION_ERROR'],
    [CanvasOptionsError, 'INVALID_OPTIONS'],
    [CanvasClientClosedError, 'CLIENT_CLOSED'],
  ] as const)('%o has its name and code', (ErrorClass, code) => {
    const error = all().find((candidate): boolean => candidate.constructor === ErrorClass);
    if (error === undefined) throw new Error(`no ${ErrorClass.name} in the sample`);
    expect(error.name).toBe(ErrorClass.name);
    expect(error.code).toBe(code);
    expect(String(error.stack)).toMatch(new RegExp(`^${ErrorClass.name}: `));
    expect(error.toJSON()).toMatchObject({ name: ErrorClass.name, code });
    expect(error instanceof ErrorClass).toBe(true);
    expect(error instanceof CanvasSyncError).toBe(true);
    expect(error instanceof Error).toBe(true);
  });

  it('keeps HTTP subclasses instances of CanvasHttpError', () => {
    const [http, rateLimit, auth, network] = all();
    expect(rateLimit).toBeInstanceOf(CanvasHttpError);
    expect(auth).toBeInstanceOf(CanvasHttpError);
    expect(http).not.toBeInstanceOf(CanvasRateLimitError);
    expect(network).not.toBeInstanceOf(CanvasHttpError);
  });

  it('makes every error about a sent request a CanvasRequestError with method, url and attempts', () => {
    const requestErrors = all().filter((error) => error instanceof CanvasRequestError);
    expect(requestErrors.map((error) => error.name).sort()).toEqual([
      'CanvasAuthError',
      'CanvasHttpError',
      'CanvasNetworkError',
      'CanvasRateLimitError',
      'CanvasResponseError',
      'CanvasTimeoutError',
    ]);
    for (const error of requestErrors) {
      expect(error.method).toMatch(/^[A-Z]+$/);
      expect(error.url).toMatch(/^https:\/\//);
      expect(error.url).not.toContain('access_token');
      expect(error.attempts).toBeGreaterThanOrEqual(1);
      expect(error.toJSON()).toMatchObject({
        method: error.method,
        url: error.url,
        attempts: error.attempts,
      });
    }
  });

  it('lets the base class be used directly', () => {
    const error = new CanvasSyncError({ code: 'HTTP_ERROR', message: 'x' });
    expect(error.name).toBe('CanvasSyncError');
    expect(error.toJSON()).toEqual({ name: 'CanvasSyncError', code: 'HTTP_ERROR', message: 'x' });
  });

  it.each(all().map((error) => [error.name, error] as const))(
    '%s never shows the token',
    (_name, error) => {
      expectNoSecret(error);
    },
  );
});

describe('CanvasHttpError', () => {
  it('carries data and a short useful message', () => {
    const error = new CanvasHttpError({
      method: 'get',
      url: leakyUrl,
      status: 404,
      attempts: 1,
      requestContextId,
      body: '{"errors":[{"message":"The specified resource does not exist."}]}',
    });
    expect(error.message).toBe(
      `GET ${cleanUrl} failed with 404 after 1 attempt (request ${requestContextId})`,
    );
    expect(error).toMatchObject({
      status: 404,
      method: 'GET',
      url: cleanUrl,
      attempts: 1,
      requestContextId,
      body: { errors: ['The specified resource does not exist.'] },
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'CanvasHttpError',
      code: 'HTTP_ERROR',
      message: error.message,
      status: 404,
      method: 'GET',
      url: cleanUrl,
      requestContextId,
      attempts: 1,
      body: { errors: ['The specified resource does not exist.'] },
    });
  });

  it('pluralizes attempts and omits a missing request id', () => {
    const error = new CanvasHttpError({ method: 'PUT', url: cleanUrl, status: 500, attempts: 5 });
    expect(error.message).toBe(`PUT ${cleanUrl} failed with 500 after 5 attempts`);
    expect(error.requestContextId).toBeUndefined();
  });

  it('keeps only errors[].message strings, at most 5, truncated to 300 chars', () => {
    const body = {
      errors: [
        { message: 'a'.repeat(1000), student: 'Jane Doe <jane@example.edu>' },
        { message: 'two' },
        { nomessage: 'Jane Doe' },
        'Jane Doe',
        { message: 'three' },
        { message: 'four' },
        { message: 'five' },
        { message: 'six' },
      ],
      user: { name: 'Jane Doe', email: 'jane@example.edu' },
    };
    const error = new CanvasHttpError({
      method: 'POST',
      url: cleanUrl,
      status: 400,
      attempts: 1,
      body,
    });
    expect(error.body).toEqual({ errors: ['a'.repeat(300), 'two', 'three', 'four', 'five'] });
    expect(JSON.stringify(error)).not.toContain('Jane');
    expect(inspect(error, { depth: 5 })).not.toContain('Jane');
  });

  it('drops non-JSON and non-Canvas bodies entirely', () => {
    for (const body of [
      'Jane Doe, jane@example.edu',
      '<html>Jane Doe</html>',
      '{"message":"Jane Doe"}',
      '[{"message":"Jane Doe"}]',
      '{"errors":"Jane Doe"}',
      42,
      null,
      undefined,
    ]) {
      const error = new CanvasHttpError({
        method: 'GET',
        url: cleanUrl,
        status: 400,
        attempts: 1,
        body,
      });
      expect(error.body).toBeUndefined();
      expect(JSON.stringify(error)).not.toContain('Jane');
    }
  });

  it('reads messages of validation errors keyed by attribute', () => {
    expect(
      extractCanvasErrorMessages({
        errors: { name: [{ attribute: 'name', type: 'blank', message: 'blank' }] },
      }),
    ).toEqual({ errors: ['blank'] });
  });
});

describe('CanvasRateLimitError', () => {
  it('carries the rate-limit data', () => {
    const error = new CanvasRateLimitError({
      method: 'GET',
      url: leakyUrl,
      status: 403,
      attempts: 1,
      requestContextId,
      remaining: 18.49214469441995,
      retryAfterMs: undefined,
      throttleRetries: 20,
    });
    expect(error).toMatchObject({
      status: 403,
      remaining: 18.49214469441995,
      retryAfterMs: undefined,
      throttleRetries: 20,
      url: cleanUrl,
    });
    expect(error.message).toBe(
      `GET ${cleanUrl} was throttled with 403 after 20 throttle retries, 18.49214469441995 remaining (request ${requestContextId})`,
    );
    expect(error.toJSON()).toMatchObject({
      name: 'CanvasRateLimitError',
      code: 'RATE_LIMITED',
      remaining: 18.49214469441995,
      throttleRetries: 20,
    });
  });
});

describe('CanvasAuthError', () => {
  it.each([
    ['Invalid access token.', 'invalid', 'is invalid'],
    ['Expired access token.', 'expired', 'is expired'],
    ['Revoked access token.', 'revoked', 'is revoked'],
    ['user authorization required', 'unknown', 'was rejected'],
  ] as const)('reads %j as %s', (message, reason, phrase) => {
    const error = new CanvasAuthError({
      method: 'GET',
      url: leakyUrl,
      status: 401,
      attempts: 1,
      body: JSON.stringify({ errors: [{ message }] }),
    });
    expect(error.reason).toBe(reason);
    expect(error.message).toBe(`GET ${cleanUrl} failed with 401: the access token ${phrase}`);
    expect(error.toJSON()).toMatchObject({ reason, status: 401 });
  });

  it('takes an explicit reason', () => {
    const error = new CanvasAuthError({
      method: 'GET',
      url: cleanUrl,
      status: 401,
      attempts: 1,
      reason: 'expired',
    });
    expect(error.reason).toBe('expired');
  });
});

describe('CanvasNetworkError', () => {
  it('sanitizes its cause', () => {
    const original = Object.assign(new TypeError('fetch failed'), {
      request: {
        url: leakyUrl,
        headers: new Headers({ Authorization: `Bearer ${SECRET}` }),
      },
      config: { headers: { Authorization: `Bearer ${SECRET}` } },
      cause: Object.assign(new Error('read ECONNRESET'), {
        code: 'ECONNRESET',
        syscall: 'read',
        options: { headers: { authorization: `Bearer ${SECRET}` } },
      }),
    });
    const error = new CanvasNetworkError({
      method: 'GET',
      url: leakyUrl,
      attempts: 3,
      cause: original,
    });
    expect(error.message).toBe(
      `GET ${cleanUrl} failed with a network error (ECONNRESET) after 3 attempts`,
    );
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause).not.toBe(original);
    expect(error.cause.name).toBe('TypeError');
    expect(error.cause.message).toBe('fetch failed; caused by Error: read ECONNRESET');
    expect(error.cause.code).toBe('ECONNRESET');
    expect(Object.keys(error.cause)).toEqual(['code']);
    expect(Reflect.get(error.cause, 'request')).toBeUndefined();
    expect(Reflect.get(error.cause, 'cause')).toBeUndefined();
    expectNoSecret(error);
    expect(error.toJSON()).toEqual({
      name: 'CanvasNetworkError',
      code: 'NETWORK_ERROR',
      message: error.message,
      method: 'GET',
      url: cleanUrl,
      attempts: 3,
      cause: {
        name: 'TypeError',
        message: 'fetch failed; caused by Error: read ECONNRESET',
        code: 'ECONNRESET',
      },
    });
  });

  it('redacts tokens quoted in the cause message', () => {
    const error = new CanvasNetworkError({
      method: 'GET',
      url: cleanUrl,
      attempts: 1,
      cause: new Error(`Failed to fetch ${leakyUrl} with Authorization: Bearer ${SECRET}`),
    });
    expect(error.cause.message).toContain('access_token=[REDACTED]');
    expect(error.cause.message).toContain('Bearer [REDACTED]');
    expectNoSecret(error);
  });

  it('copes with non-errors and hostile causes', () => {
    const hostile = {
      get message(): string {
        throw new Error(SECRET);
      },
    };
    for (const cause of ['socket hang up', 42, null, hostile, { code: 'ECONNREFUSED' }]) {
      const error = new CanvasNetworkError({ method: 'GET', url: cleanUrl, attempts: 1, cause });
      expect(error.cause).toBeInstanceOf(Error);
      expectNoSecret(error);
    }
    const refused = new CanvasNetworkError({
      method: 'GET',
      url: cleanUrl,
      attempts: 1,
      cause: { code: 'ECONNREFUSED' },
    });
    expect(refused.cause.code).toBe('ECONNREFUSED');
  });
});

describe('other errors', () => {
  it('CanvasTimeoutError', () => {
    const error = new CanvasTimeoutError({
      method: 'GET',
      url: leakyUrl,
      attempts: 2,
      timeoutMs: 30_000,
    });
    expect(error.message).toBe(`GET ${cleanUrl} timed out (30000 ms per attempt) after 2 attempts`);
    expect(error.toJSON()).toMatchObject({ timeoutMs: 30_000, attempts: 2, url: cleanUrl });
  });

  it('CanvasAbortError with and without a request', () => {
    expect(new CanvasAbortError({ method: 'get', url: leakyUrl }).message).toBe(
      `GET ${cleanUrl} was aborted`,
    );
    const bare = new CanvasAbortError();
    expect(bare.message).toBe('Request was aborted');
    expect(bare.url).toBeUndefined();
  });

  it('CanvasResponseError', () => {
    const error = new CanvasResponseError({
      method: 'GET',
      url: leakyUrl,
      status: 200,
      attempts: 1,
      requestContextId,
    });
    expect(error.message).toBe(
      `GET ${cleanUrl} returned 200 with an invalid body (not valid JSON) after 1 attempt (request ${requestContextId})`,
    );
    expect(error.toJSON()).toMatchObject({
      status: 200,
      requestContextId,
      detail: 'not valid JSON',
    });
    const shape = new CanvasResponseError({
      method: 'GET',
      url: cleanUrl,
      status: 200,
      attempts: 1,
      detail: 'expected a JSON array of records',
    });
    expect(shape.detail).toBe('expected a JSON array of records');
  });

  it('CanvasPaginationError shows only origin and path of a foreign next link', () => {
    const error = new CanvasPaginationError({
      reason: 'foreign-origin',
      url: leakyUrl,
      nextUrl: `https://evil.example/collect?page=2&access_token=${SECRET}&student=jane`,
    });
    expect(error.nextUrl).toBe('https://evil.example/collect');
    expect(error.url).toBe(cleanUrl);
    expect(error.message).toContain('https://evil.example/collect');
    expect(error.message).not.toContain('student=jane');
    expectNoSecret(error);
    expect(error.toJSON()).toMatchObject({ reason: 'foreign-origin', nextUrl: error.nextUrl });
  });

  it('CanvasPaginationError keeps the query of a looping next link, minus the token', () => {
    const error = new CanvasPaginationError({
      reason: 'loop',
      url: cleanUrl,
      nextUrl: `https://canvas.example.edu/api/v1/x?page=bookmark:WzEyM10&access_token=${SECRET}`,
    });
    expect(error.nextUrl).toBe('https://canvas.example.edu/api/v1/x?page=bookmark:WzEyM10');
    expect(error.message).toContain('already followed');
  });

  it('CanvasOptionsError.fromZod lists paths and messages', () => {
    const schema = z.strictObject({
      baseUrl: z.string(),
      retry: z.strictObject({ maxAttempts: z.number().int().min(1) }),
      tags: z.array(z.string()),
    });
    const parsed = schema.safeParse({ baseUrl: 1, retry: { maxAttempts: 0 }, tags: ['a', 2] });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    const error = CanvasOptionsError.fromZod(parsed.error, 'client options');
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'baseUrl',
      'retry.maxAttempts',
      'tags[1]',
    ]);
    expect(error.message).toMatch(
      /^Invalid client options: baseUrl: [^;]+; retry\.maxAttempts: [^;]+; tags\[1\]: [^;]+$/,
    );
    expect(error.toJSON()).toMatchObject({ issues: error.issues });
    const root = CanvasOptionsError.fromZod(z.string().safeParse(1).error as z.ZodError, 'token');
    expect(root.issues[0]?.path).toBe('(root)');
  });

  it('CanvasClientClosedError', () => {
    const error = new CanvasClientClosedError();
    expect(error.message).toBe('The client is closed and accepts no new requests');
    expect(error.toJSON()).toEqual({
      name: 'CanvasClientClosedError',
      code: 'CLIENT_CLOSED',
      message: error.message,
    });
  });
});
