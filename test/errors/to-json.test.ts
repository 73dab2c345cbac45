import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CanvasAbortError,
  CanvasAuthError,
  CanvasBodyTooLargeError,
  CanvasClientClosedError,
  CanvasHttpError,
  CanvasNetworkError,
  CanvasOptionsError,
  CanvasPaginationError,
  CanvasRateLimitError,
  CanvasRedirectError,
  CanvasResponseError,
  CanvasSyncError,
  type CanvasSyncErrorJSON,
  CanvasTimeoutError,
  CanvasTokenError,
} from '../../src/errors/index.js';
import { CanvasSanitizeError } from '../../src/privacy/sanitize-error.js';
import { CanvasTaskValidationError } from '../../src/queue/task-validation-error.js';
import { CanvasUnsupportedError } from '../../src/queue/unsupported-error.js';
import { CanvasSinkError } from '../../src/sink/sink.js';

const SECRET = 'SECRET_TOKEN_1234';
const url = `https://canvas.example.edu/api/v1/courses/1?access_token=${SECRET}&per_page=10`;
const clean = 'https://canvas.example.edu/api/v1/courses/1?per_page=10';
const request = { method: 'get', url, attempts: 2 } as const;
const sent = { method: 'GET', url: clean, attempts: 2 } as const;

/**
 * Every error class with the exact `toJSON()` it returns: the same keys in the same order (the
 * `JSON.stringify` text depends on it), `undefined`-valued keys included where they are present.
 */
const cases: [string, () => CanvasSyncError, Record<string, unknown>][] = [
  [
    'CanvasSyncError',
    () => new CanvasSyncError({ code: 'HTTP_ERROR', message: 'x', cause: new Error('why') }),
    { name: 'CanvasSyncError', code: 'HTTP_ERROR', message: 'x' },
  ],
  [
    'CanvasHttpError without a body',
    () => new CanvasHttpError({ ...request, status: 404 }),
    {
      name: 'CanvasHttpError',
      code: 'HTTP_ERROR',
      message: `GET ${clean} failed with 404 after 2 attempts`,
      ...sent,
      status: 404,
      requestContextId: undefined,
      body: undefined,
    },
  ],
  [
    'CanvasHttpError with a body',
    () =>
      new CanvasHttpError({
        ...request,
        status: 422,
        requestContextId: 'r1',
        body: { errors: [{ message: 'blank', student: 'Jane' }], user: { name: 'Jane' } },
      }),
    {
      name: 'CanvasHttpError',
      code: 'HTTP_ERROR',
      message: `GET ${clean} failed with 422 after 2 attempts (request r1)`,
      ...sent,
      status: 422,
      requestContextId: 'r1',
      body: { errors: ['blank'] },
    },
  ],
  [
    'CanvasRateLimitError',
    () => new CanvasRateLimitError({ ...request, status: 429, throttleRetries: 3, remaining: 1.5 }),
    {
      name: 'CanvasRateLimitError',
      code: 'RATE_LIMITED',
      message: `GET ${clean} was throttled with 429 after 3 throttle retries, 1.5 remaining`,
      ...sent,
      status: 429,
      requestContextId: undefined,
      body: undefined,
      remaining: 1.5,
      retryAfterMs: undefined,
      throttleRetries: 3,
    },
  ],
  [
    'CanvasAuthError',
    () =>
      new CanvasAuthError({
        ...request,
        status: 401,
        body: '{"errors":[{"message":"Invalid access token."}]}',
      }),
    {
      name: 'CanvasAuthError',
      code: 'AUTH_ERROR',
      message: `GET ${clean} failed with 401: the access token is invalid`,
      ...sent,
      status: 401,
      requestContextId: undefined,
      body: { errors: ['Invalid access token.'] },
      reason: 'invalid',
    },
  ],
  [
    'CanvasNetworkError with a coded cause',
    () =>
      new CanvasNetworkError({
        ...request,
        cause: Object.assign(new TypeError(`fetch failed: ${url}`), {
          code: 'ECONNRESET',
          request: { headers: { authorization: `Bearer ${SECRET}` } },
        }),
      }),
    {
      name: 'CanvasNetworkError',
      code: 'NETWORK_ERROR',
      message: `GET ${clean} failed with a network error (ECONNRESET) after 2 attempts`,
      ...sent,
      cause: {
        name: 'TypeError',
        message:
          'fetch failed: https://canvas.example.edu/api/v1/courses/1?access_token=[REDACTED]&per_page=10',
        code: 'ECONNRESET',
      },
    },
  ],
  [
    'CanvasNetworkError with a bare cause',
    () => new CanvasNetworkError({ ...request, cause: 'socket hang up' }),
    {
      name: 'CanvasNetworkError',
      code: 'NETWORK_ERROR',
      message: `GET ${clean} failed with a network error after 2 attempts`,
      ...sent,
      cause: { name: 'Error', message: 'socket hang up' },
    },
  ],
  [
    'CanvasTimeoutError',
    () => new CanvasTimeoutError({ ...request, timeoutMs: 100 }),
    {
      name: 'CanvasTimeoutError',
      code: 'TIMEOUT',
      message: `GET ${clean} timed out (100 ms per attempt) after 2 attempts`,
      ...sent,
      timeoutMs: 100,
    },
  ],
  [
    'CanvasResponseError',
    () => new CanvasResponseError({ ...request, status: 200 }),
    {
      name: 'CanvasResponseError',
      code: 'INVALID_RESPONSE',
      message: `GET ${clean} returned 200 with an invalid body (not valid JSON) after 2 attempts`,
      ...sent,
      status: 200,
      requestContextId: undefined,
      detail: 'not valid JSON',
    },
  ],
  [
    'CanvasRedirectError to another origin',
    () =>
      new CanvasRedirectError({
        ...request,
        status: 302,
        reason: 'foreign-origin',
        location: `https://evil.example/x?access_token=${SECRET}`,
        maxRedirects: 5,
      }),
    {
      name: 'CanvasRedirectError',
      code: 'REDIRECT_REFUSED',
      message: `GET ${clean} was redirected (302) to another origin (https://evil.example), which never gets the token: not followed`,
      ...sent,
      reason: 'foreign-origin',
      status: 302,
      targetOrigin: 'https://evil.example',
    },
  ],
  [
    'CanvasRedirectError without a location',
    () =>
      new CanvasRedirectError({
        ...request,
        status: 302,
        reason: 'invalid-location',
        maxRedirects: 5,
      }),
    {
      name: 'CanvasRedirectError',
      code: 'REDIRECT_REFUSED',
      message: `GET ${clean} was redirected (302) without a valid Location: not followed`,
      ...sent,
      reason: 'invalid-location',
      status: 302,
      targetOrigin: undefined,
    },
  ],
  [
    'CanvasBodyTooLargeError',
    () => new CanvasBodyTooLargeError({ ...request, status: 200, limitBytes: 10 }),
    {
      name: 'CanvasBodyTooLargeError',
      code: 'BODY_TOO_LARGE',
      message: `GET ${clean} returned 200 with a body larger than 10 bytes: not read`,
      ...sent,
      status: 200,
      limitBytes: 10,
    },
  ],
  [
    'CanvasTokenError of a failed provider',
    () => new CanvasTokenError({ reason: 'provider-failed', cause: new Error(`no ${SECRET}`) }),
    {
      name: 'CanvasTokenError',
      code: 'TOKEN_REFRESH_FAILED',
      message: 'Could not get an access token: the token provider failed',
      reason: 'provider-failed',
    },
  ],
  [
    'CanvasTokenError of a refused refresh',
    () => new CanvasTokenError({ reason: 'oauth-error', status: 400, oauthError: 'invalid_grant' }),
    {
      name: 'CanvasTokenError',
      code: 'TOKEN_REFRESH_FAILED',
      message: 'Could not get an access token: the token endpoint answered 400 (invalid_grant)',
      reason: 'oauth-error',
      status: 400,
      oauthError: 'invalid_grant',
    },
  ],
  [
    'CanvasAbortError without a request',
    () => new CanvasAbortError(),
    {
      name: 'CanvasAbortError',
      code: 'ABORTED',
      message: 'Request was aborted',
      method: undefined,
      url: undefined,
    },
  ],
  [
    'CanvasAbortError with a request',
    () => new CanvasAbortError({ method: 'get', url }),
    {
      name: 'CanvasAbortError',
      code: 'ABORTED',
      message: `GET ${clean} was aborted`,
      method: 'GET',
      url: clean,
    },
  ],
  [
    'CanvasPaginationError',
    () => new CanvasPaginationError({ reason: 'loop', url, nextUrl: url }),
    {
      name: 'CanvasPaginationError',
      code: 'PAGINATION_ERROR',
      message: `Pagination stopped at ${clean}: its next link ${clean} was already followed`,
      reason: 'loop',
      url: clean,
      nextUrl: clean,
    },
  ],
  [
    'CanvasClientClosedError',
    () => new CanvasClientClosedError({ operation: 'GET /api/v1/courses' }),
    {
      name: 'CanvasClientClosedError',
      code: 'CLIENT_CLOSED',
      message: 'The client is closed and accepts no new requests (refused: GET /api/v1/courses)',
    },
  ],
  [
    'CanvasOptionsError',
    () =>
      new CanvasOptionsError({
        what: 'client options',
        issues: [{ path: 'baseUrl', message: 'Invalid URL' }],
      }),
    {
      name: 'CanvasOptionsError',
      code: 'INVALID_OPTIONS',
      message: 'Invalid client options: baseUrl: Invalid URL',
      issues: [{ path: 'baseUrl', message: 'Invalid URL' }],
    },
  ],
  [
    'CanvasTaskValidationError',
    () => new CanvasTaskValidationError({ issues: [{ path: 'kind', message: 'Invalid option' }] }),
    {
      name: 'CanvasTaskValidationError',
      code: 'TASK_VALIDATION',
      message: 'Invalid sync task: kind: Invalid option',
      issues: [{ path: 'kind', message: 'Invalid option' }],
    },
  ],
  [
    'CanvasSanitizeError too deep',
    () => new CanvasSanitizeError({ reason: 'too-deep', maxDepth: 3 }),
    {
      name: 'CanvasSanitizeError',
      code: 'SANITIZE_FAILED',
      message: 'Cannot sanitize: objects and arrays nested deeper than 3 levels (option maxDepth)',
      reason: 'too-deep',
      maxDepth: 3,
    },
  ],
  [
    'CanvasSanitizeError not JSON',
    () => new CanvasSanitizeError({ reason: 'not-json', maxDepth: 3, valueType: 'Date' }),
    {
      name: 'CanvasSanitizeError',
      code: 'SANITIZE_FAILED',
      message: 'Cannot sanitize: a value of type Date is not JSON data',
      reason: 'not-json',
      maxDepth: 3,
      valueType: 'Date',
    },
  ],
  [
    'CanvasSinkError of a closed sink',
    () => new CanvasSinkError({ code: 'SINK_CLOSED', sink: 'JsonlFileSink' }),
    {
      name: 'CanvasSinkError',
      code: 'SINK_CLOSED',
      message: 'The JsonlFileSink is closed and accepts no more records',
      sink: 'JsonlFileSink',
    },
  ],
  [
    'CanvasSinkError of a corrupt file',
    () =>
      new CanvasSinkError({
        code: 'SINK_CORRUPT',
        sink: 'JsonlFileSink',
        path: '/var/lib/sync/users.jsonl',
        line: 7,
      }),
    {
      name: 'CanvasSinkError',
      code: 'SINK_CORRUPT',
      message:
        'The JsonlFileSink file /var/lib/sync/users.jsonl is corrupt: line 7 is not a change line of canvas-sync',
      sink: 'JsonlFileSink',
      path: '/var/lib/sync/users.jsonl',
      line: 7,
    },
  ],
  [
    'CanvasUnsupportedError',
    () => new CanvasUnsupportedError({ method: 'replayDeadLetters' }),
    {
      name: 'CanvasUnsupportedError',
      code: 'UNSUPPORTED',
      message:
        'The queue adapter does not offer replayDeadLetters(), an optional method of QueueAdapter',
      method: 'replayDeadLetters',
    },
  ],
];

describe('toJSON of every error', () => {
  it.each(cases)('%s', (_what, create, expected) => {
    const error = create();
    const json: CanvasSyncErrorJSON = error.toJSON();
    expect(json).toStrictEqual(expected);
    expect(Object.keys(json)).toEqual(Object.keys(expected));
    expect(JSON.stringify(error)).toBe(JSON.stringify(expected));
    expect(JSON.stringify(json)).not.toContain(SECRET);
    expect(inspect(json, { depth: 10 })).not.toContain('stack');
  });

  it('returns fresh plain data, not the error’s own arrays and objects', () => {
    const error = new CanvasHttpError({
      ...request,
      status: 400,
      body: { errors: [{ message: 'blank' }] },
    });
    const json = error.toJSON();
    expect(json.body).toEqual(error.body);
    expect(json.body).not.toBe(error.body);
    const options = new CanvasOptionsError({ issues: [{ path: 'a', message: 'b' }] });
    const issues = options.toJSON().issues as unknown[];
    expect(issues).not.toBe(options.issues);
    expect(issues[0]).not.toBe(options.issues[0]);
  });
});

describe('toJSON of a subclass', () => {
  class Student {
    name = 'Jane Doe';
    toJSON(): unknown {
      return { name: this.name };
    }
  }

  /** A subclass that declares every kind of field a careless subclass could. */
  class Careless extends CanvasSyncError {
    override readonly name = 'Careless';
    readonly plain = { count: 1, tags: ['a', 2, true, null], none: undefined };
    readonly student = new Student();
    readonly when = new Date(0);
    readonly lookup = new Map([['Jane', 1]]);
    readonly callback = (): string => 'Jane';
    readonly big = 10n;
    readonly mixed = ['kept', new Student(), (): void => {}, 3n];
    readonly deep = { a: { b: { c: { d: { e: 'Jane' } } } } };
    readonly proto = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as object;
    readonly bare = Object.assign(Object.create(null) as object, { ok: true });
    #secret = 'Jane Doe';

    constructor() {
      super({ code: 'HTTP_ERROR', message: 'careless', cause: new Error('Jane') });
      Object.defineProperty(this, 'hidden', { value: 'Jane', enumerable: false });
      Object.defineProperty(this, 'computed', { get: () => 'Jane', enumerable: true });
      Object.defineProperty(this, Symbol('symbol'), { value: 'Jane', enumerable: true });
    }

    get secret(): string {
      return this.#secret;
    }
  }

  it('keeps plain data only: no instances, functions, getters, hidden or #private fields', () => {
    const error = new Careless();
    expect(error.secret).toBe('Jane Doe');
    const json = error.toJSON();
    expect(json).toStrictEqual({
      name: 'Careless',
      code: 'HTTP_ERROR',
      message: 'careless',
      plain: { count: 1, tags: ['a', 2, true, null], none: undefined },
      mixed: ['kept', null, null, null],
      deep: { a: { b: { c: {} } } },
      proto: { ok: 1, ['__proto__']: { polluted: true } },
      bare: { ok: true },
    });
    expect(Object.getPrototypeOf(json.proto)).toBe(Object.prototype);
    expect(Object.keys(json.proto as object)).toEqual(['__proto__', 'ok']);
    expect(JSON.stringify(error)).not.toContain('Jane');
    expect(() => JSON.stringify(error)).not.toThrow();
  });

  it('returns copies: changing the JSON does not change the error', () => {
    const error = new Careless();
    const json = error.toJSON();
    (json.plain as { tags: unknown[] }).tags.push('x');
    expect(error.plain.tags).toHaveLength(4);
  });

  it('includes the sanitized cause only where the class asks for it', () => {
    class WithCause extends CanvasSyncError {
      protected static override readonly causeInJSON = true;
    }
    const cause = Object.assign(new Error(`failed with access_token=${SECRET}`), {
      code: 'E1',
      request: { token: SECRET },
    });
    expect(new WithCause({ code: 'HTTP_ERROR', message: 'm', cause }).toJSON()).toStrictEqual({
      name: 'CanvasSyncError',
      code: 'HTTP_ERROR',
      message: 'm',
      cause: { name: 'Error', message: 'failed with access_token=[REDACTED]', code: 'E1' },
    });
    expect(new WithCause({ code: 'HTTP_ERROR', message: 'm' }).toJSON()).not.toHaveProperty(
      'cause',
    );
    expect(new Careless().toJSON()).not.toHaveProperty('cause');
  });
});
