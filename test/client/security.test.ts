import { describe, expect, it } from 'vitest';
import {
  CanvasAbortError,
  CanvasAuthError,
  CanvasClientClosedError,
  CanvasHttpError,
  CanvasNetworkError,
  CanvasOptionsError,
  CanvasPaginationError,
  CanvasRateLimitError,
  CanvasResponseError,
  type CanvasSyncClient,
  type CanvasSyncClientOptions,
  CanvasTimeoutError,
} from '../../src/index.js';
import type { CanvasSimulatorOptions } from '../../src/testing/index.js';
import {
  constructionError,
  createClient,
  deadUrl,
  type RecordedEvent,
  recordEvents,
  rejectionOf,
  renderings,
  startSim,
  startStubServer,
  type TestClientOptions,
} from '../support/client.js';
import { nth, until } from '../support/http.js';

/** The secret every scenario uses; long and distinctive so any leak is found. */
const SECRET = 'Sec-T0k3n-a1b2c3d4e5f6';
const SELF = '/api/v1/users/self';

type AuthMode = 'header' | 'query';

interface Outcome {
  readonly error: unknown;
  readonly events: readonly RecordedEvent[];
}

/** Runs `act` with a client of a simulator set up by `simOptions`, token {@link SECRET}. */
async function againstSim(
  authMode: AuthMode,
  simOptions: CanvasSimulatorOptions,
  act: (client: CanvasSyncClient, courseId: number) => Promise<unknown>,
  clientOptions: TestClientOptions = {},
): Promise<Outcome> {
  const sim = await startSim({ tokens: [SECRET], ...simOptions });
  const client = createClient(sim, { authMode, token: SECRET, ...clientOptions });
  const events = recordEvents(client);
  const error = await rejectionOf(act(client, nth(sim.data.courses).id));
  return { error, events };
}

/** Consumes a walk; rejects with whatever ended it. */
async function drain(records: AsyncIterable<unknown>): Promise<void> {
  for await (const _record of records) {
    // nothing: only the error matters
  }
}

interface Scenario {
  readonly name: string;
  readonly expected: abstract new (...args: never[]) => Error;
  readonly run: (authMode: AuthMode) => Promise<Outcome>;
}

const scenarios: readonly Scenario[] = [
  {
    name: 'invalid token (401)',
    expected: CanvasAuthError,
    run: (authMode) =>
      againstSim(authMode, { tokens: ['another-token'] }, (client) => client.get(SELF)),
  },
  {
    name: 'expired token (401)',
    expected: CanvasAuthError,
    run: (authMode) =>
      againstSim(authMode, { tokens: ['another-token'], expiredTokens: [SECRET] }, (client) =>
        client.get(SELF),
      ),
  },
  {
    name: 'permission denied (401 without WWW-Authenticate)',
    expected: CanvasHttpError,
    run: (authMode) =>
      againstSim(authMode, { forbidden: [{ path: SELF }] }, (client) => client.get(SELF)),
  },
  {
    name: 'not found (404)',
    expected: CanvasHttpError,
    run: (authMode) => againstSim(authMode, {}, (client) => client.get('/api/v1/courses/424242')),
  },
  {
    name: 'token in the path query (404)',
    expected: CanvasHttpError,
    run: (authMode) =>
      againstSim(authMode, {}, (client) =>
        client.get(`/api/v1/courses/424242?access_token=${SECRET}&x=1`),
      ),
  },
  {
    name: 'server errors until attempts run out (5xx)',
    expected: CanvasHttpError,
    run: (authMode) =>
      againstSim(authMode, { faults: { serverErrorRate: 1 } }, (client) => client.get(SELF), {
        retry: { maxAttempts: 2 },
      }),
  },
  {
    name: 'blocked token (throttled)',
    expected: CanvasRateLimitError,
    run: (authMode) =>
      againstSim(authMode, { blockedTokens: [SECRET] }, (client) => client.get(SELF), {
        retry: { maxThrottleRetries: 1 },
        pacing: { outflowPerSecond: 1_000 },
      }),
  },
  {
    name: 'connection reset (network)',
    expected: CanvasNetworkError,
    run: (authMode) =>
      againstSim(authMode, { faults: { resetRate: 1 } }, (client) => client.get(SELF), {
        retry: { maxAttempts: 2 },
      }),
  },
  {
    name: 'connection refused (network)',
    expected: CanvasNetworkError,
    run: async (authMode) => {
      const client = createClient(await deadUrl(), {
        authMode,
        token: SECRET,
        retry: { maxAttempts: 2 },
      });
      const events = recordEvents(client);
      return { error: await rejectionOf(client.get(SELF)), events };
    },
  },
  {
    name: 'timeout',
    expected: CanvasTimeoutError,
    run: (authMode) =>
      againstSim(
        authMode,
        { faults: { slowRate: 1, slowMs: 3_000 } },
        (client) => client.get(SELF),
        { timeoutMs: 25, retry: { maxAttempts: 2 } },
      ),
  },
  {
    name: 'malformed JSON',
    expected: CanvasResponseError,
    run: (authMode) =>
      againstSim(authMode, { faults: { malformedJsonRate: 1 } }, (client) => client.get(SELF), {
        retry: { maxAttempts: 2 },
      }),
  },
  {
    name: 'pagination: next link on a foreign origin',
    expected: CanvasPaginationError,
    run: async (authMode) => {
      const foreign = await startStubServer();
      const outcome = await againstSim(
        authMode,
        { faults: { foreignNextRate: 1, foreignOrigin: foreign.url } },
        (client, courseId) =>
          drain(client.paginate(`/api/v1/courses/${courseId}/enrollments`, { perPage: 5 })),
      );
      expect(foreign.requests).toHaveLength(0);
      return outcome;
    },
  },
  {
    name: 'pagination: loop on an invalid bookmark',
    expected: CanvasPaginationError,
    run: (authMode) =>
      againstSim(authMode, { faults: { invalidBookmarkRate: 1 } }, (client, courseId) =>
        drain(client.paginate(`/api/v1/courses/${courseId}/enrollments`, { perPage: 5 })),
      ),
  },
  {
    name: 'abort in flight',
    expected: CanvasAbortError,
    run: async (authMode) => {
      const sim = await startSim({ tokens: [SECRET], faults: { slowRate: 1, slowMs: 3_000 } });
      const client = createClient(sim, { authMode, token: SECRET });
      const events = recordEvents(client);
      const controller = new AbortController();
      const pending = rejectionOf(client.get(SELF, { signal: controller.signal }));
      await until(() => sim.stats(SECRET).inFlight === 1);
      controller.abort();
      return { error: await pending, events };
    },
  },
  {
    name: 'closed client',
    expected: CanvasClientClosedError,
    run: async (authMode) => {
      const sim = await startSim({ tokens: [SECRET] });
      const client = createClient(sim, { authMode, token: SECRET });
      const events = recordEvents(client);
      await client.get(SELF);
      await client.close();
      return { error: await rejectionOf(client.get(SELF)), events };
    },
  },
  {
    name: 'absolute URL on another origin',
    expected: TypeError,
    run: async (authMode) => {
      const foreign = await startStubServer();
      const outcome = await againstSim(authMode, {}, (client) =>
        client.get(`${foreign.url}/api/v1/users/self?access_token=${SECRET}`),
      );
      expect(foreign.requests).toHaveLength(0);
      return outcome;
    },
  },
];

describe.each(['header', 'query'] as const)('the token never leaks (%s auth)', (authMode) => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const { error, events } = await scenario.run(authMode);
      expect(error).toBeInstanceOf(scenario.expected);
      for (const text of renderings(error)) expect(text).not.toContain(SECRET);
      for (const event of events) expect(JSON.stringify(event.payload)).not.toContain(SECRET);
    });
  }
});

describe('the token never leaks from option errors', () => {
  const invalid: Array<[string, Partial<CanvasSyncClientOptions>]> = [
    ['a remote http:// baseUrl', { baseUrl: 'http://canvas.example.edu' }],
    [
      'the token in the baseUrl query',
      { baseUrl: `https://canvas.example.edu/?access_token=${SECRET}` },
    ],
    ['the token as baseUrl credentials', { baseUrl: `https://me:${SECRET}@canvas.example.edu` }],
    ['an Authorization header', { headers: { Authorization: `Bearer ${SECRET}` } }],
    ['a token with inner whitespace', { token: `${SECRET} ${SECRET}` }],
    ['an unknown key holding the token', { apiKey: SECRET } as Partial<CanvasSyncClientOptions>],
    [
      'the token in a wrong-typed field',
      { timeoutMs: SECRET } as unknown as Partial<CanvasSyncClientOptions>,
    ],
  ];
  for (const [name, options] of invalid) {
    it(name, () => {
      const thrown = constructionError(SECRET, options);
      expect(thrown).toBeInstanceOf(CanvasOptionsError);
      for (const text of renderings(thrown)) expect(text).not.toContain(SECRET);
    });
  }
});
