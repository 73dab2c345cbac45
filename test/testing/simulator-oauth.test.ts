import { afterEach, describe, expect, it } from 'vitest';
import {
  type CanvasSimulator,
  type CanvasSimulatorOptions,
  startCanvasSimulator,
} from '../../src/testing/index.js';
import { fakeClock } from '../support/fake-clock.js';
import { call, json, type RawResponse } from '../support/http.js';

const CLIENT = {
  clientId: '10000000000001',
  clientSecret: 's3cret',
  refreshTokens: ['r-1', 'r-2'],
};
const OTHER = { clientId: '10000000000002', clientSecret: 'other', refreshTokens: ['r-other'] };

interface Grant {
  access_token: string;
  token_type: string;
  expires_in: number;
  user: { id: number; name: string };
}

let sim: CanvasSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: CanvasSimulatorOptions = {}) {
  const clock = fakeClock();
  sim = await startCanvasSimulator({
    clock: clock.now,
    oauthClients: [CLIENT, OTHER],
    institution: { courses: 1, students: 5, studentsPerCourse: 5 },
    ...options,
  });
  return { sim, clock };
}

function refresh(
  s: CanvasSimulator,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return call(s, '/login/oauth2/token', {
    token: null,
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

const good = (refreshToken = 'r-1') => ({
  grant_type: 'refresh_token',
  client_id: CLIENT.clientId,
  client_secret: CLIENT.clientSecret,
  refresh_token: refreshToken,
});

describe('simulator: POST /login/oauth2/token', () => {
  it("answers a refresh with Canvas's shape, and the new token works with its own bucket", async () => {
    const { sim } = await start();
    const res = await refresh(sim, good());
    expect(res.status).toBe(200);
    const grant = json<Grant>(res);
    expect(grant).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      user: { id: 1, name: 'Canvas Sync Service Account' },
    });
    expect(grant.access_token).toMatch(/^1~[A-Za-z0-9]{64}$/);
    expect(grant).not.toHaveProperty('refresh_token');
    const api = await call(sim, '/api/v1/users/self', { token: grant.access_token });
    expect(api.status).toBe(200);
    expect(sim.stats(grant.access_token).served).toBe(1);
    expect(sim.stats().requests).toBe(0);
    expect(sim.authCounts()).toMatchObject({ refreshRequests: 1, tokensIssued: 1 });
  });

  it('expires an issued token after accessTokenTtlMs by the simulator clock', async () => {
    const { sim, clock } = await start({ accessTokenTtlMs: 60_000 });
    const grant = json<Grant>(await refresh(sim, good()));
    expect(grant.expires_in).toBe(60);
    clock.advance(59_999);
    expect((await call(sim, '/api/v1/users/self', { token: grant.access_token })).status).toBe(200);
    clock.advance(1);
    const res = await call(sim, '/api/v1/users/self', { token: grant.access_token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="canvas-lms"');
    expect(json(res)).toEqual({ errors: [{ message: 'Expired access token.' }] });
    expect(sim.authCounts().expiredToken).toBe(1);
    // The same refresh token gets a fresh one.
    const next = json<Grant>(await refresh(sim, good()));
    expect(next.access_token).not.toBe(grant.access_token);
    expect((await call(sim, '/api/v1/users/self', { token: next.access_token })).status).toBe(200);
  });

  it('replaces the previous access token of a refresh token: the old one becomes invalid', async () => {
    const { sim, clock } = await start();
    const first = json<Grant>(await refresh(sim, good()));
    clock.advance(10_000);
    const second = json<Grant>(await refresh(sim, good()));
    expect(second.access_token).not.toBe(first.access_token);
    const old = await call(sim, '/api/v1/users/self', { token: first.access_token });
    expect(old.status).toBe(401);
    expect(json(old)).toEqual({ errors: [{ message: 'Invalid access token.' }] });
    expect((await call(sim, '/api/v1/users/self', { token: second.access_token })).status).toBe(
      200,
    );
    // Another refresh token of the same client has its own access token.
    const other = json<Grant>(await refresh(sim, good('r-2')));
    expect((await call(sim, '/api/v1/users/self', { token: second.access_token })).status).toBe(
      200,
    );
    expect((await call(sim, '/api/v1/users/self', { token: other.access_token })).status).toBe(200);
  });

  it('answers refreshes within refreshReuseMs with the same token and the time it has left', async () => {
    const { sim, clock } = await start();
    const first = json<Grant>(await refresh(sim, good()));
    clock.advance(4_000);
    const again = json<Grant>(await refresh(sim, good()));
    expect(again.access_token).toBe(first.access_token);
    expect(again.expires_in).toBe(3596);
    expect(sim.authCounts()).toMatchObject({ refreshRequests: 2, tokensIssued: 1 });
    // An expired token is never handed out again, however recent.
    sim.expireToken(first.access_token);
    const fresh = json<Grant>(await refresh(sim, good()));
    expect(fresh.access_token).not.toBe(first.access_token);
    expect(fresh.expires_in).toBe(3600);
  });

  it('regenerates on every refresh with refreshReuseMs 0', async () => {
    const { sim } = await start({ refreshReuseMs: 0 });
    const first = json<Grant>(await refresh(sim, good()));
    const second = json<Grant>(await refresh(sim, good()));
    expect(second.access_token).not.toBe(first.access_token);
  });

  it('accepts JSON bodies and HTTP Basic client authentication', async () => {
    const { sim } = await start();
    const viaJson = await call(sim, '/login/oauth2/token', {
      token: null,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...good(), client_id: Number(CLIENT.clientId) }),
    });
    expect(viaJson.status).toBe(200);
    const basic = Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64');
    const viaBasic = await refresh(
      sim,
      { grant_type: 'refresh_token', refresh_token: 'r-2' },
      { Authorization: `Basic ${basic}` },
    );
    expect(viaBasic.status).toBe(200);
  });

  it.each([
    [{ client_id: '999' }, 401, 'invalid_client', 'unknown client'],
    [{ client_secret: 'wrong' }, 401, 'invalid_client', 'invalid client'],
    [{ refresh_token: 'r-unknown' }, 400, 'invalid_request', 'refresh_token not found'],
    [{ refresh_token: 'r-other' }, 400, 'invalid_grant', 'incorrect client'],
    [{ refresh_token: '' }, 400, 'invalid_request', /must provide the refresh_token/],
    [{ grant_type: 'password' }, 400, 'unsupported_grant_type', /not currently supported/],
  ])('answers %j with %i %s, as Canvas does', async (change, status, error, description) => {
    const { sim } = await start();
    const res = await refresh(sim, { ...good(), ...change });
    expect(res.status).toBe(status);
    expect(res.headers.get('www-authenticate')).toBeNull();
    const body = json<{ error: string; error_description: string }>(res);
    expect(body.error).toBe(error);
    expect(body.error_description).toMatch(description);
    expect(sim.authCounts()).toMatchObject({
      refreshRequests: 1,
      refreshRejected: 1,
      tokensIssued: 0,
    });
  });

  it('is not rate-limited: it works while every API token is throttled and charges no bucket', async () => {
    const { sim } = await start({
      blockedTokens: ['canvas-sync-test-token'],
      highWaterMark: 1,
      maximum: 1,
    });
    for (let i = 0; i < 5; i++) expect((await refresh(sim, good())).status).toBe(200);
    expect((await call(sim, '/api/v1/users/self')).status).toBe(429);
    expect(sim.stats().requests).toBe(1);
  });

  it('revoking an issued token revokes its refresh token too', async () => {
    const { sim } = await start();
    const grant = json<Grant>(await refresh(sim, good()));
    sim.revokeToken(grant.access_token);
    const api = await call(sim, '/api/v1/users/self', { token: grant.access_token });
    expect(json(api)).toEqual({ errors: [{ message: 'Revoked access token.' }] });
    const res = await refresh(sim, good());
    expect(res.status).toBe(400);
    expect(json(res)).toEqual({
      error: 'invalid_request',
      error_description: 'refresh_token not found',
    });
    expect((await refresh(sim, good('r-2'))).status).toBe(200);
  });

  it('refuses to expire a token it has replaced', async () => {
    const { sim } = await start({ refreshReuseMs: 0 });
    const first = json<Grant>(await refresh(sim, good()));
    await refresh(sim, good());
    expect(() => sim.expireToken(first.access_token)).toThrow(TypeError);
  });

  it('answers the token endpoint only for POST; other methods get the API 404', async () => {
    const { sim } = await start();
    const res = await call(sim, '/login/oauth2/token');
    expect(res.status).toBe(404);
  });
});

describe('simulator: OAuth option validation', () => {
  it.each([
    [{ oauthClients: [{ clientId: 'a', clientSecret: '', refreshTokens: ['r'] }] }, /clientSecret/],
    [{ oauthClients: [{ clientId: 'a', clientSecret: 's', refreshTokens: [] }] }, /refreshTokens/],
    [
      { oauthClients: [CLIENT, { ...OTHER, clientId: CLIENT.clientId }] },
      /oauthClients\.1\.clientId: clientId is given twice/,
    ],
    [
      { oauthClients: [CLIENT, { ...OTHER, refreshTokens: ['r-2'] }] },
      /oauthClients\.1\.refreshTokens: a refresh token belongs to one client/,
    ],
    [{ oauthClients: [{ ...CLIENT, scopes: [] }] }, /Unrecognized key: "scopes"/],
    [{ accessTokenTtlMs: 0 }, /accessTokenTtlMs/],
    [{ accessTokenTtlMs: Number.POSITIVE_INFINITY }, /accessTokenTtlMs/],
    [{ refreshReuseMs: -1 }, /refreshReuseMs/],
    [{ revokedTokens: [''] }, /revokedTokens/],
  ])('rejects %j', async (options, message) => {
    await expect(startCanvasSimulator(options as never)).rejects.toThrow(TypeError);
    await expect(startCanvasSimulator(options as never)).rejects.toThrow(message);
  });
});
