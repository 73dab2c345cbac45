import { describe, expect, it } from 'vitest';
import {
  CanvasAuthError,
  CanvasOptionsError,
  CanvasSyncClient,
  CanvasTokenError,
  refreshTokenProvider,
  type TokenProvider,
} from '../../src/index.js';
import type { CanvasSimulator } from '../../src/testing/index.js';
import {
  createClient,
  eventsOf,
  recordEvents,
  rejectionOf,
  renderings,
  startSim,
} from '../support/client.js';

const CLIENT_ID = '10000000000042';
const CLIENT_SECRET = 'Cl1ent-S3cret-z9y8x7w6v5u4';
const REFRESH_TOKEN = '42~R3fresh-T0ken-q1w2e3r4t5y6';
const SELF = '/api/v1/users/self';

async function oauthSim(): Promise<CanvasSimulator> {
  return startSim({
    oauthClients: [
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshTokens: [REFRESH_TOKEN] },
    ],
  });
}

function provider(sim: CanvasSimulator, overrides: { clientSecret?: string } = {}) {
  return refreshTokenProvider({
    baseUrl: sim.url,
    clientId: CLIENT_ID,
    clientSecret: overrides.clientSecret ?? CLIENT_SECRET,
    refreshToken: REFRESH_TOKEN,
  });
}

/** Wraps a provider to record the tokens it handed out. */
function recording(inner: TokenProvider): { provider: TokenProvider; issued: string[] } {
  const issued: string[] = [];
  return {
    issued,
    provider: async () => {
      const token = await inner();
      issued.push(token);
      return token;
    },
  };
}

function expectNone(texts: readonly string[], secrets: readonly string[]): void {
  for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('token providers', () => {
  for (const authMode of ['header', 'query'] as const) {
    it(`refreshes an expired token once and retries the request (${authMode} auth)`, async () => {
      const sim = await oauthSim();
      const { provider: tokens, issued } = recording(provider(sim));
      const client = createClient(sim, { token: tokens, authMode });
      const events = recordEvents(client);
      const refreshed: unknown[] = [];
      client.on('token-refreshed', (event) => refreshed.push(event));

      await expect(client.get(SELF)).resolves.toMatchObject({ id: expect.anything() });
      expect(issued).toHaveLength(1);
      sim.expireToken(issued[0] as string);

      await expect(client.get(SELF)).resolves.toMatchObject({ id: expect.anything() });
      expect(issued).toHaveLength(2);
      expect(issued[1]).not.toBe(issued[0]);
      expect(refreshed).toEqual([
        { method: 'GET', url: expect.stringContaining(SELF), attempt: 1 },
      ]);
      expect(sim.authCounts()).toMatchObject({ tokensIssued: 2, expiredToken: 1 });
      // The refresh did not use up an attempt, and nothing quotes a token or a secret.
      expect(eventsOf(events, 'retry')).toEqual([]);
      expectNone(
        events.map((event) => JSON.stringify(event.payload)),
        [...issued, CLIENT_SECRET, REFRESH_TOKEN],
      );
    });
  }

  it('requests in flight when the token expires share one refresh', async () => {
    const sim = await oauthSim();
    const { provider: tokens, issued } = recording(provider(sim));
    const client = createClient(sim, { token: tokens });
    await client.get(SELF);
    sim.expireToken(issued[0] as string);
    const results = await Promise.all(Array.from({ length: 12 }, () => client.get(SELF)));
    expect(results).toHaveLength(12);
    expect(issued).toHaveLength(2);
    expect(sim.authCounts().refreshRequests).toBe(2);
  });

  it('a second expired answer with a fresh token is final', async () => {
    const sim = await startSim({ tokens: ['valid-token'], expiredTokens: ['stale-token'] });
    let calls = 0;
    const client = createClient(sim, {
      token: async () => {
        calls++;
        return 'stale-token';
      },
    });
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasAuthError);
    expect(error).toMatchObject({ reason: 'expired', attempts: 2 });
    expect(calls).toBe(2);
    expectNone(renderings(error), ['stale-token']);
  });

  it('an invalid (not expired) token is not refreshed', async () => {
    const sim = await startSim({ tokens: ['valid-token'] });
    let calls = 0;
    const client = createClient(sim, {
      token: async () => {
        calls++;
        return 'unknown-token';
      },
    });
    await expect(client.get(SELF)).rejects.toMatchObject({
      name: 'CanvasAuthError',
      reason: 'invalid',
    });
    expect(calls).toBe(1);
  });

  it('a refused refresh is a CanvasTokenError without the secrets', async () => {
    const sim = await oauthSim();
    const client = createClient(sim, {
      token: provider(sim, { clientSecret: `${CLIENT_SECRET}-wrong` }),
    });
    const error = await rejectionOf(client.get(SELF));
    expect(error).toBeInstanceOf(CanvasTokenError);
    expect(error).toMatchObject({
      reason: 'oauth-error',
      status: 401,
      oauthError: 'invalid_client',
    });
    expectNone(renderings(error), [CLIENT_SECRET, REFRESH_TOKEN]);
    expect(sim.stats(sim.token).requests).toBe(0);
  });

  it("a provider's failure is a CanvasTokenError, its secrets redacted", async () => {
    const sim = await oauthSim();
    const client = createClient(sim, {
      token: async () => {
        throw new Error(`vault said no: refresh_token=${REFRESH_TOKEN} "access_token":"1~abc"`);
      },
    });
    const error = await rejectionOf(client.get(SELF));
    expect(error).toMatchObject({ name: 'CanvasTokenError', reason: 'provider-failed' });
    expectNone(renderings(error), [REFRESH_TOKEN, '1~abc']);
    // A later request asks the provider again: a failure is not kept.
    await expect(client.get(SELF)).rejects.toBeInstanceOf(CanvasTokenError);
  });

  for (const bad of ['', '  ', 'two words', 42, undefined]) {
    it(`a provider returning ${JSON.stringify(bad)} is a CanvasTokenError`, async () => {
      const sim = await oauthSim();
      const client = createClient(sim, { token: async () => bad as string });
      await expect(client.get(SELF)).rejects.toMatchObject({
        name: 'CanvasTokenError',
        reason: 'invalid-token',
      });
    });
  }

  it('refreshTokenProvider validates its options without quoting the secrets', () => {
    for (const options of [
      { baseUrl: 'http://canvas.example.edu' },
      { clientSecret: '' },
      { refreshToken: 'has space' },
      { extra: CLIENT_SECRET },
    ]) {
      let thrown: unknown;
      try {
        refreshTokenProvider({
          baseUrl: 'https://canvas.example.edu',
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          refreshToken: REFRESH_TOKEN,
          ...options,
        } as Parameters<typeof refreshTokenProvider>[0]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CanvasOptionsError);
      expectNone(renderings(thrown), [CLIENT_SECRET, REFRESH_TOKEN]);
    }
  });

  it('the token option must be a string or a function', () => {
    expect(
      () =>
        new CanvasSyncClient({
          baseUrl: 'https://canvas.example.edu',
          token: 42 as unknown as string,
        }),
    ).toThrow(CanvasOptionsError);
  });
});
