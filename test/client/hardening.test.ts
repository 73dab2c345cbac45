import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  CanvasBodyTooLargeError,
  CanvasHttpError,
  CanvasNetworkError,
  CanvasOptionsError,
  CanvasPaginationError,
  CanvasRedirectError,
  CanvasSyncClient,
  type CanvasSyncClientOptions,
} from '../../src/index.js';
import {
  constructionError,
  createClient,
  eventsOf,
  recordEvents,
  rejectionOf,
  renderings,
  type StubRequest,
  startStubServer,
} from '../support/client.js';

/** A token with characters that percent-encode, so each encoded form can be looked for. */
const SECRET = '7~Zq/9+x=Sec-T0k3n-a1b2c3d4e5f6';
/** Every form the token must not take in anything the client lets out. */
const FORMS = [
  SECRET,
  encodeURIComponent(SECRET),
  encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
  new URLSearchParams({ s: SECRET }).toString().slice(2),
];
const SELF = '/api/v1/users/self';

function expectNoSecret(texts: readonly string[]): void {
  for (const text of texts) for (const form of FORMS) expect(text).not.toContain(form);
}

/** The token as the stub received it, by header or by query parameter. */
function receivedToken(request: StubRequest): string {
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  return new URL(request.url, 'http://x').searchParams.get('access_token') ?? '';
}

function answer(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

describe('the token is redacted by value', () => {
  const echoes: Array<[string, (token: string, request: StubRequest) => string]> = [
    ['the bare token', (token) => `Invalid token ${token}`],
    ['the Authorization header', (token) => `Bad header: Authorization: Bearer ${token}`],
    ['the percent-encoded token', (token) => `bad request to ?x=${encodeURIComponent(token)}`],
    [
      'the raw request',
      (_token, request) => `cannot route ${request.url} (${request.headers.authorization})`,
    ],
  ];
  for (const authMode of ['header', 'query'] as const) {
    for (const status of [400, 401, 403, 404, 422, 500]) {
      for (const [what, echo] of echoes) {
        it(`in a ${status} body echoing ${what} (${authMode} auth)`, async () => {
          const stub = await startStubServer((request, res) => {
            const headers: Record<string, string> =
              status === 401 ? { 'WWW-Authenticate': 'Bearer realm="canvas-lms"' } : {};
            answer(
              res,
              status,
              { errors: [{ message: echo(receivedToken(request), request) }] },
              headers,
            );
          });
          const client = createClient(stub.url, {
            token: SECRET,
            authMode,
            retry: { maxAttempts: 1 },
          });
          const events = recordEvents(client);
          const error = await rejectionOf(client.get(SELF));
          expect(error).toBeInstanceOf(CanvasHttpError);
          expect(receivedToken(stub.requests[0] as StubRequest)).toBe(SECRET);
          expectNoSecret(renderings(error));
          expectNoSecret(events.map((event) => JSON.stringify(event.payload)));
          // Canvas's message itself is kept, only the token is gone.
          expect((error as CanvasHttpError).body?.errors[0]).toContain('[REDACTED]');
        });
      }
    }
  }

  const thrown = [
    (token: string) => `{"access_token":"${token}"}`,
    (token: string) => `access_token: ${token}`,
    (token: string) => `token=${encodeURIComponent(token)}`,
    (token: string) => `Authorization: Bearer%20${encodeURIComponent(token)}`,
    (token: string) => `request failed: ${token}`,
  ];
  for (const [index, message] of thrown.entries()) {
    it(`in the error a custom fetch throws (${index + 1})`, async () => {
      const fetch = async (): Promise<Response> => {
        const cause = new Error(message(SECRET));
        throw new TypeError(`fetch failed near ${SECRET}`, { cause });
      };
      const client = createClient('http://127.0.0.1:9', {
        token: SECRET,
        fetch,
        retry: { maxAttempts: 2 },
      });
      const events = recordEvents(client);
      const error = await rejectionOf(client.get(SELF));
      expect(error).toBeInstanceOf(CanvasNetworkError);
      expectNoSecret(renderings(error));
      expectNoSecret(events.map((event) => JSON.stringify(event.payload)));
    });
  }

  it('redact() replaces every form of the token in any text', () => {
    const client = new CanvasSyncClient({ baseUrl: 'https://canvas.example.edu', token: SECRET });
    const text = FORMS.map((form) => `a ${form} b`).join(' | ');
    const redacted = client.redact(text);
    expectNoSecret([redacted]);
    expect(redacted.match(/\[REDACTED\]/g)).toHaveLength(FORMS.length);
  });
});

describe('redirects', () => {
  for (const authMode of ['header', 'query'] as const) {
    for (const status of [301, 302, 303, 307, 308]) {
      it(`a ${status} to another origin ends in CanvasRedirectError, nothing sent there (${authMode} auth)`, async () => {
        const foreign = await startStubServer((_request, res) =>
          answer(res, 200, { stolen: true }),
        );
        const canvas = await startStubServer((_request, res) => {
          res.writeHead(status, { Location: `${foreign.url}/collect?x=1` });
          res.end();
        });
        const client = createClient(canvas.url, { token: SECRET, authMode });
        for (const send of [
          () => client.get(SELF),
          () => client.request('POST', '/api/v1/courses/1/enrollments', { json: { a: 1 } }),
        ]) {
          const error = await rejectionOf(send());
          expect(error).toBeInstanceOf(CanvasRedirectError);
          const redirect = error as CanvasRedirectError;
          expect(redirect).toMatchObject({
            reason: 'foreign-origin',
            status,
            targetOrigin: foreign.url,
          });
          // Only the origin is named: not the path or query of the target.
          for (const text of renderings(error)) expect(text).not.toContain('/collect');
          expectNoSecret(renderings(error));
        }
        expect(foreign.requests).toHaveLength(0);
        expect(canvas.requests).toHaveLength(2);
      });
    }
  }

  it('follows same-origin redirects, sending the token again (query auth) and a GET after a 303', async () => {
    const canvas = await startStubServer((request, res) => {
      const path = new URL(request.url, 'http://x').pathname;
      if (path === '/api/v1/moved') {
        res.writeHead(request.method === 'POST' ? 303 : 301, {
          Location: '/api/v1/here?page=2#frag',
        });
        res.end();
      } else answer(res, 200, { method: request.method, token: receivedToken(request) === SECRET });
    });
    const client = createClient(canvas.url, { token: SECRET, authMode: 'query' });
    await expect(client.get('/api/v1/moved')).resolves.toEqual({ method: 'GET', token: true });
    const posted = await client.request('POST', '/api/v1/moved', { json: { a: 1 } });
    expect(posted.data).toEqual({ method: 'GET', token: true });
    expect(
      canvas.requests.map((request) => `${request.method} ${request.url.split('?')[0]}`),
    ).toEqual(['GET /api/v1/moved', 'GET /api/v1/here', 'POST /api/v1/moved', 'GET /api/v1/here']);
    expect(canvas.requests[3]?.body).toBe('');
  });

  it('a 307 keeps the method and the body', async () => {
    const canvas = await startStubServer((request, res) => {
      if (request.url.startsWith('/api/v1/old')) {
        res.writeHead(307, { Location: '/api/v1/new' });
        res.end();
      } else answer(res, 200, { method: request.method, body: request.body });
    });
    const client = createClient(canvas.url, { token: SECRET });
    const response = await client.request('POST', '/api/v1/old', { json: { a: 1 } });
    expect(response.data).toEqual({ method: 'POST', body: '{"a":1}' });
  });

  it(`stops after maxRedirects in a row`, async () => {
    const canvas = await startStubServer((_request, res) => {
      res.writeHead(302, { Location: '/api/v1/again' });
      res.end();
    });
    const client = createClient(canvas.url, { token: SECRET, maxRedirects: 3 });
    const error = await rejectionOf(client.get(SELF));
    expect(error).toMatchObject({ name: 'CanvasRedirectError', reason: 'too-many-redirects' });
    expect(canvas.requests).toHaveLength(4);
  });

  it('a redirect without a Location is refused', async () => {
    const canvas = await startStubServer((_request, res) => {
      res.writeHead(302);
      res.end();
    });
    const client = createClient(canvas.url, { token: SECRET });
    const error = await rejectionOf(client.get(SELF));
    expect(error).toMatchObject({ name: 'CanvasRedirectError', reason: 'invalid-location' });
  });
});

describe('response body limit', () => {
  /** Streams `total` bytes of a JSON array, without Content-Length, and counts what got out. */
  async function streamingServer(total: number) {
    const sent = { bytes: 0, finished: false };
    const stub = await startStubServer((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.write('[');
      const pump = (): void => {
        while (sent.bytes < total) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        sent.finished = true;
        res.end(']');
      };
      res.on('error', () => undefined);
      pump();
    });
    return { stub, sent };
  }

  it('stops reading the moment the body crosses maxResponseBytes', async () => {
    const total = 256 * 1024 * 1024;
    const { stub, sent } = await streamingServer(total);
    const client = createClient(stub.url, { token: SECRET, maxResponseBytes: 1024 * 1024 });
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasBodyTooLargeError);
    expect(error).toMatchObject({ status: 200, limitBytes: 1024 * 1024, code: 'BODY_TOO_LARGE' });
    expect(sent.finished).toBe(false);
    expect(sent.bytes).toBeLessThan(total / 4);
    // Not retried: the same body would come again.
    expect(stub.requests).toHaveLength(1);
  });

  it('refuses a declared Content-Length beyond the limit without reading', async () => {
    const stub = await startStubServer((_request, res) => {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': String(5 * 1024 * 1024),
      });
      res.write('[');
    });
    const client = createClient(stub.url, { token: SECRET, maxResponseBytes: 1024 * 1024 });
    await expect(client.get(SELF)).rejects.toBeInstanceOf(CanvasBodyTooLargeError);
  });

  it('reads a body just under the limit', async () => {
    const records = Array.from({ length: 200 }, (_, id) => ({ id, name: 'x'.repeat(100) }));
    const stub = await startStubServer((_request, res) => answer(res, 200, records));
    const limit = Buffer.byteLength(JSON.stringify(records)) + 1;
    const client = createClient(stub.url, {
      token: SECRET,
      maxResponseBytes: Math.max(1024, limit),
    });
    await expect(client.get(SELF)).resolves.toHaveLength(200);
  });
});

describe('pagination loop detection compares normalized URLs', () => {
  const variants: Array<[string, (url: string) => string]> = [
    ['a #fragment', (url) => `${url}#again`],
    ['a trailing &', (url) => `${url}&`],
    ['parameters in another order', (url) => url.replace('page=2&per_page=5', 'per_page=5&page=2')],
  ];
  for (const [what, vary] of variants) {
    it(`a next link that differs only by ${what} is a loop`, async () => {
      let served = 0;
      const stub = await startStubServer((request, res) => {
        served++;
        const next = `http://${request.headers.host}/api/v1/items?page=2&per_page=5`;
        const link = served === 1 ? next : vary(next);
        answer(res, 200, [{ id: served }], { Link: `<${link}>; rel="next"` });
        if (served > 10) throw new Error('the loop was not caught');
      });
      const client = createClient(stub.url, { token: SECRET });
      const seen: unknown[] = [];
      const error = await rejectionOf(
        (async () => {
          for await (const item of client.paginate('/api/v1/items', { perPage: 5 }))
            seen.push(item);
        })(),
      );
      expect(error).toBeInstanceOf(CanvasPaginationError);
      expect(error).toMatchObject({ reason: 'loop' });
      // The page whose next link repeats is not yielded: a collection that starts over yields
      // nothing twice.
      expect(seen).toEqual([{ id: 1 }]);
      expect(served).toBe(2);
    });
  }
});

describe('durations are bounded by what a timer can hold', () => {
  const invalid: Array<[string, Partial<CanvasSyncClientOptions>]> = [
    ['timeoutMs', { timeoutMs: 3e9 }],
    ['retry.baseDelayMs', { retry: { baseDelayMs: 3e9 } }],
    ['retry.maxDelayMs', { retry: { maxDelayMs: 2 ** 31 } }],
    ['retry.maxRetryAfterMs', { retry: { maxRetryAfterMs: 2 ** 40 } }],
    ['maxRedirects', { maxRedirects: 21 }],
    ['maxResponseBytes', { maxResponseBytes: 10 }],
  ];
  for (const [path, options] of invalid) {
    it(`refuses ${path} out of range`, () => {
      const thrown = constructionError(SECRET, options);
      expect(thrown).toBeInstanceOf(CanvasOptionsError);
      expect((thrown as CanvasOptionsError).issues.map((issue) => issue.path)).toEqual([path]);
    });
  }

  it('accepts the largest timer', () => {
    const options = { timeoutMs: 2 ** 31 - 1, retry: { maxDelayMs: 2 ** 31 - 1 } };
    expect(
      () =>
        new CanvasSyncClient({ baseUrl: 'https://canvas.example.edu', token: SECRET, ...options }),
    ).not.toThrow();
  });
});

describe('implausible rate-limit headers', () => {
  it('are ignored and reported as pacing-anomaly events, the value only', async () => {
    const sent = ['-1000000.0', 'garbage', '699.5'];
    const stub = await startStubServer((_request, res) => {
      answer(
        res,
        200,
        {},
        { 'X-Rate-Limit-Remaining': sent.shift() ?? '700.0', 'X-Request-Cost': '0.1' },
      );
    });
    const client = createClient(stub.url, { token: SECRET });
    const events = recordEvents(client);
    for (let i = 0; i < 3; i++) await client.get(SELF);
    expect(eventsOf(events, 'pacing-anomaly')).toEqual([
      { kind: 'implausible-header', header: 'x-rate-limit-remaining', value: -1_000_000 },
      { kind: 'implausible-header', header: 'x-rate-limit-remaining', value: 'garbage' },
    ]);
    expect(eventsOf(events, 'paced')).toEqual([]);
    expect(client.stats()).toMatchObject({ remaining: 699.5, highWaterMark: 700 });
  });

  it('a plausibility ceiling below the high-water mark is refused', () => {
    expect(
      () =>
        new CanvasSyncClient({
          baseUrl: 'https://canvas.example.edu',
          token: SECRET,
          pacing: { maxPlausibleRemaining: 500 },
        }),
    ).toThrow(/maxPlausibleRemaining/);
  });
});
