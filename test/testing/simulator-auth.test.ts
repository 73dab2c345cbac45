import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanvasSimulator, startCanvasSimulator } from '../../src/testing/index.js';
import { call, json } from '../support/http.js';

const CHALLENGE = 'Bearer realm="canvas-lms"';
let sim: CanvasSimulator;

beforeAll(async () => {
  sim = await startCanvasSimulator({
    tokens: ['main', 'second', 'third'],
    expiredTokens: ['old'],
    revokedTokens: ['gone'],
    forbidden: [{ path: '/api/v1/accounts/1', tokens: ['main'] }],
    institution: { courses: 1, students: 5, studentsPerCourse: 5 },
  });
});
afterAll(() => sim.close());

describe('simulator: 401s for tokens', () => {
  it('asks for credentials when a request carries no token', async () => {
    sim.resetStats();
    const res = await call(sim, '/api/v1/users/self', { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(CHALLENGE);
    expect(json(res)).toEqual({
      status: 'unauthenticated',
      errors: [{ message: 'user authorization required' }],
    });
    expect(sim.authCounts().unauthenticated).toBe(1);
  });

  it.each([
    ['nobody', 'Invalid access token.'],
    ['old', 'Expired access token.'],
    ['gone', 'Revoked access token.'],
  ])('answers token %s 401 %s with WWW-Authenticate', async (token, message) => {
    const res = await call(sim, '/api/v1/users/self', { token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(CHALLENGE);
    expect(json(res)).toEqual({ errors: [{ message }] });
    expect(sim.stats(token).unauthorized).toBe(1);
  });

  it('answers a permission problem 401 without WWW-Authenticate, and counts no refusal', async () => {
    sim.resetStats();
    const res = await call(sim, '/api/v1/accounts/1', { token: 'main' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(sim.stats('main').unauthorized).toBe(0);
    expect(sim.authCounts()).toMatchObject({ invalidToken: 0, expiredToken: 0, revokedToken: 0 });
  });

  it('expires a configured token on demand', async () => {
    expect((await call(sim, '/api/v1/users/self', { token: 'second' })).status).toBe(200);
    sim.expireToken('second');
    const res = await call(sim, '/api/v1/users/self', { token: 'second' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(CHALLENGE);
    expect(json(res)).toEqual({ errors: [{ message: 'Expired access token.' }] });
    expect((await call(sim, '/api/v1/users/self', { token: 'main' })).status).toBe(200);
  });

  it('revokes a configured token on demand; revoked wins over expired', async () => {
    sim.revokeToken('third');
    sim.revokeToken('old');
    for (const token of ['third', 'old']) {
      const res = await call(sim, '/api/v1/users/self', { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(CHALLENGE);
      expect(json(res)).toEqual({ errors: [{ message: 'Revoked access token.' }] });
    }
  });

  it('refuses to expire or revoke a token it does not know', () => {
    expect(() => sim.expireToken('never-issued')).toThrow(TypeError);
    expect(() => sim.revokeToken('never-issued')).toThrow(/Unknown access token/);
  });

  it('counts refusals by reason and clears them with resetStats', async () => {
    sim.resetStats();
    await call(sim, '/api/v1/users/self', { token: 'nobody' });
    await call(sim, '/api/v1/users/self', { token: 'second' });
    await call(sim, '/api/v1/users/self', { token: 'gone' });
    await call(sim, '/api/v1/users/self', { token: 'gone' });
    expect(sim.authCounts()).toEqual({
      refreshRequests: 0,
      tokensIssued: 0,
      refreshRejected: 0,
      unauthenticated: 0,
      invalidToken: 1,
      expiredToken: 1,
      revokedToken: 2,
    });
    sim.resetStats();
    expect(sim.authCounts().revokedToken).toBe(0);
    expect(sim.stats('gone').unauthorized).toBe(0);
  });
});
