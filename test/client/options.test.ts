import { describe, expect, it } from 'vitest';
import {
  CanvasOptionsError,
  CanvasSyncClient,
  type CanvasSyncClientOptions,
} from '../../src/index.js';
import { createClient, renderings, startSim } from '../support/client.js';

const TOKEN = 'opt-T0ken-9c1e2b7d';
const BASE = 'https://canvas.example.edu';

/** Builds a client from options that may be invalid on purpose. */
function build(options: Record<string, unknown>): CanvasSyncClient {
  return new CanvasSyncClient({
    baseUrl: BASE,
    token: TOKEN,
    ...options,
  } as CanvasSyncClientOptions);
}

/** The `CanvasOptionsError` thrown by `build(options)`; fails when none is thrown. */
function optionsError(options: Record<string, unknown>): CanvasOptionsError {
  let thrown: unknown;
  try {
    build(options);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CanvasOptionsError);
  const error = thrown as CanvasOptionsError;
  expect(error.code).toBe('INVALID_OPTIONS');
  for (const text of renderings(error)) expect(text).not.toContain(TOKEN);
  return error;
}

function paths(error: CanvasOptionsError): string[] {
  return error.issues.map((issue) => issue.path);
}

describe('CanvasSyncClient options', () => {
  it('accepts the minimal options and closes cleanly', async () => {
    const client = build({});
    expect(client.stats()).toMatchObject({ requests: 0, responses: 0, highWaterMark: 700 });
    await client.close();
  });

  it('rejects unknown keys, naming them', () => {
    const top = optionsError({ tokne: TOKEN });
    expect(top.message).toContain('tokne');
    const pacing = optionsError({ pacing: { burst: 3 } });
    expect(pacing.message).toContain('burst');
    expect(paths(pacing)).toContain('pacing');
    const retry = optionsError({ retry: { tries: 3 } });
    expect(retry.message).toContain('tries');
    expect(paths(retry)).toContain('retry');
  });

  it('rejects negative numbers, naming the field', () => {
    expect(paths(optionsError({ timeoutMs: -1 }))).toEqual(['timeoutMs']);
    expect(paths(optionsError({ timeoutMs: 0 }))).toEqual(['timeoutMs']);
    const outflow = optionsError({ pacing: { outflowPerSecond: -5 } });
    expect(paths(outflow)).toEqual(['pacing.outflowPerSecond']);
    expect(outflow.message).toContain('pacing.outflowPerSecond');
    expect(paths(optionsError({ pacing: { highWaterMark: -700 } }))).toEqual([
      'pacing.highWaterMark',
    ]);
    expect(paths(optionsError({ pacing: { maxConcurrent: 0 } }))).toEqual(['pacing.maxConcurrent']);
    expect(paths(optionsError({ retry: { maxAttempts: 0 } }))).toEqual(['retry.maxAttempts']);
    expect(paths(optionsError({ retry: { baseDelayMs: -5 } }))).toEqual(['retry.baseDelayMs']);
    expect(paths(optionsError({ timeoutMs: Number.NaN }))).toEqual(['timeoutMs']);
  });

  it('lists every invalid field at once', () => {
    const error = optionsError({ timeoutMs: -1, perPage: 500, pacing: { outflowPerSecond: 0 } });
    expect(paths(error).sort()).toEqual(['pacing.outflowPerSecond', 'perPage', 'timeoutMs']);
    for (const path of paths(error)) expect(error.message).toContain(path);
  });

  it('requires https:// except on loopback hosts', () => {
    const remote = optionsError({ baseUrl: 'http://canvas.example.edu' });
    expect(paths(remote)).toEqual(['baseUrl']);
    expect(remote.message).toMatch(/https/);
    expect(paths(optionsError({ baseUrl: 'http://10.0.0.7:3000' }))).toEqual(['baseUrl']);
    expect(paths(optionsError({ baseUrl: 'ftp://canvas.example.edu' }))).toEqual(['baseUrl']);
    expect(paths(optionsError({ baseUrl: 'canvas.example.edu' }))).toEqual(['baseUrl']);
    expect(paths(optionsError({ baseUrl: 'https://canvas.example.edu/?x=1' }))).toEqual([
      'baseUrl',
    ]);
    const credentials = optionsError({ baseUrl: `https://user:${TOKEN}@canvas.example.edu` });
    expect(paths(credentials)).toEqual(['baseUrl']);
    const query = optionsError({ baseUrl: `https://canvas.example.edu/?access_token=${TOKEN}` });
    expect(paths(query)).toEqual(['baseUrl']);

    for (const baseUrl of [
      'https://canvas.example.edu',
      'https://canvas.example.edu/',
      new URL('https://canvas.example.edu'),
      'http://127.0.0.1:3000',
      'http://localhost:3000',
      'http://[::1]:3000',
    ]) {
      expect(() => build({ baseUrl }), String(baseUrl)).not.toThrow();
    }
  });

  it('rejects an empty or whitespace token without quoting it', () => {
    for (const token of ['', '   ', '\n\t']) {
      const error = optionsError({ token });
      expect(paths(error)).toEqual(['token']);
      expect(error.message).toMatch(/empty/);
    }
    const spaced = `${TOKEN} ${TOKEN}`;
    const error = optionsError({ token: spaced });
    expect(paths(error)).toEqual(['token']);
    expect(error.message).toMatch(/whitespace/);
    expect(paths(optionsError({ token: 12345 }))).toEqual(['token']);
    expect(paths(optionsError({ token: undefined }))).toEqual(['token']);
  });

  it('sends a token read with a trailing newline trimmed (it still authenticates)', async () => {
    const sim = await startSim({ tokens: ['trimmed-token-1'] });
    const client = createClient(sim, { token: 'trimmed-token-1\n' });
    await expect(client.get('/api/v1/users/self')).resolves.toMatchObject({ id: 1 });
    expect(sim.stats('trimmed-token-1').requests).toBe(1);
  });

  it('rejects Authorization among the extra headers, in any letter case', () => {
    for (const name of ['Authorization', 'authorization', 'AUTHORIZATION']) {
      const error = optionsError({ headers: { [name]: `Bearer ${TOKEN}` } });
      expect(paths(error)).toEqual(['headers']);
      expect(error.message).toMatch(/Authorization/);
    }
    expect(() => build({ headers: { 'X-Trace': 'abc' } })).not.toThrow();
    expect(paths(optionsError({ headers: { 'X-Count': 3 } }))).toEqual(['headers.X-Count']);
  });

  it('keeps perPage within 1..100', () => {
    for (const perPage of [0, -1, 101, 1000, 2.5]) {
      expect(paths(optionsError({ perPage })), String(perPage)).toEqual(['perPage']);
    }
    for (const perPage of [1, 50, 100]) expect(() => build({ perPage })).not.toThrow();
  });

  it('checks the types of authMode, stringIds, signal, fetch and random', () => {
    expect(paths(optionsError({ authMode: 'cookie' }))).toEqual(['authMode']);
    expect(paths(optionsError({ stringIds: 'yes' }))).toEqual(['stringIds']);
    expect(paths(optionsError({ signal: {} }))).toEqual(['signal']);
    expect(paths(optionsError({ fetch: 'fetch' }))).toEqual(['fetch']);
    expect(paths(optionsError({ random: 0.5 }))).toEqual(['random']);
    expect(() =>
      build({
        authMode: 'query',
        stringIds: true,
        signal: new AbortController().signal,
        fetch: (input: Request | string | URL, init?: RequestInit) => fetch(input, init),
        random: () => 0.5,
      }),
    ).not.toThrow();
  });

  it('checks that clock has now, epochNow, setTimeout and clearTimeout methods', () => {
    const clock = {
      now: () => 0,
      epochNow: () => 0,
      setTimeout: () => 1,
      clearTimeout: () => undefined,
    };
    for (const invalid of [Date, 0, null, { ...clock, epochNow: 5 }, { now: clock.now }]) {
      const error = optionsError({ clock: invalid });
      expect(paths(error), String(invalid)).toEqual(['clock']);
      expect(error.message).toContain('now, epochNow, setTimeout and clearTimeout methods');
    }
    expect(() => build({ clock })).not.toThrow();
  });

  it('does not let a per-request Authorization header replace the token', async () => {
    // RequestOptions.headers is documented as "Extra headers (not `Authorization`)".
    const sim = await startSim({ tokens: ['client-token-1', 'other-token-2'] });
    const client = createClient(sim);
    for (const name of ['Authorization', 'authorization']) {
      let outcome: unknown;
      try {
        outcome = await client.get('/api/v1/users/self', {
          headers: { [name]: 'Bearer other-token-2' },
        });
      } catch (error) {
        outcome = error;
      }
      // Refusing the header outright is fine too, as long as it is never sent.
      if (outcome instanceof Error) expect(outcome, name).toBeInstanceOf(CanvasOptionsError);
      expect(sim.stats('other-token-2').requests, name).toBe(0);
    }
  });
});

describe('CanvasSyncClient per-call options', () => {
  /** The CanvasOptionsError a call rejects with, before any request is sent. */
  async function callError(call: Promise<unknown>): Promise<CanvasOptionsError> {
    const error = await call.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(CanvasOptionsError);
    return error as CanvasOptionsError;
  }

  it('checks every option of request, get and pages, naming each field and refusing unknown keys', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const self = '/api/v1/users/self';
    const cases: [Promise<unknown>, string[], RegExp][] = [
      [client.get(self, { priority: 1.5 }), ['priority'], /from -1000000 to 1000000/],
      [client.get(self, { priority: 2e6 }), ['priority'], /from -1000000 to 1000000/],
      [client.get(self, { signal: 'stop' as never }), ['signal'], /must be an AbortSignal/],
      [
        client.get(self, { headers: { 'X-Id': 1 as never } }),
        ['headers.X-Id'],
        /Invalid request options/,
      ],
      [client.get(self, { timeout: 5 } as never), ['(root)'], /Unrecognized key: "timeout"/],
      [client.pages(self, { perPage: 0 }).next(), ['perPage'], /from 1 to 100/],
      [
        client.pages(self, { perPage: 101, priority: Number.NaN }).next(),
        ['priority', 'perPage'],
        /Invalid pagination options/,
      ],
      [client.pages(self, { itemsOf: 'items' as never }).next(), ['itemsOf'], /itemsOf/],
      [
        client.pages(self, { per_page: 10 } as never).next(),
        ['(root)'],
        /Unrecognized key: "per_page"/,
      ],
    ];
    for (const [call, expected, message] of cases) {
      const error = await callError(call);
      expect(paths(error), message.source).toEqual(expected);
      expect(error.message).toMatch(message);
    }
    expect(sim.stats().requests).toBe(0);
  });
});

describe('CanvasSyncClient pacing option consistency', () => {
  it('rejects a high-water mark no request could ever fit under', () => {
    const error = optionsError({ pacing: { highWaterMark: 50 } });
    expect(paths(error)).toEqual(['pacing.highWaterMark']);
    expect(error.message).toMatch(/upFrontCost \+ safetyMargin \(55\)/);
    expect(() => build({ pacing: { highWaterMark: 56 } })).not.toThrow();
  });
});
