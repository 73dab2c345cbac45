import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/queue/adapter.js';
import { rawForDeadLetter, scrubDeadLetter, scrubHandlerResult } from '../../src/queue/delivery.js';
import { isSecretName, scrubSecretText } from '../../src/queue/secret-scrub.js';

const TOKEN = `7~${'aZ09'.repeat(16)}`;
const SECRET = 'Sup3rSecretValue';

describe('scrubSecretText', () => {
  it.each([
    `Bearer ${SECRET}`,
    `authorization: bearer ${SECRET}`,
    `Bearer%20${SECRET}`,
    `access_token=${SECRET}`,
    `?ACCESS_TOKEN=${SECRET}&page=2`,
    `access%5Ftoken=${SECRET}`,
    `access%5ftoken%3D${SECRET}`,
    `access_token[]=${SECRET}`,
    `{"access_token":"${SECRET}"}`,
    `{"Access_Token": "${SECRET}"}`,
    `{\\"access_token\\":\\"${SECRET}\\"}`,
    `refresh_token=${SECRET}`,
    `token ${TOKEN} here`,
    `x${TOKEN.replace('~', '%7E')}`,
    `x${TOKEN.replace('~', '\\u007e')}`,
  ])('scrubs %s', (text) => {
    const scrubbed = scrubSecretText(text);
    expect(scrubbed).toContain('[REDACTED]');
    expect(scrubbed).not.toContain(SECRET);
    expect(scrubbed).not.toContain(TOKEN.slice(2));
  });

  it('leaves ordinary text alone', () => {
    for (const text of ['/api/v1/courses/42/users', 'include[]=email', 'token_type=bearer']) {
      expect(scrubSecretText(text)).toBe(text);
    }
  });

  it('knows secret field names in any case or encoding', () => {
    for (const name of ['access_token', 'ACCESS%5FTOKEN', 'access_token[]', 'Authorization']) {
      expect(isSecretName(name), name).toBe(true);
    }
    expect(isSecretName('token_type')).toBe(false);
  });
});

describe('rawForDeadLetter', () => {
  it('scrubs before truncating, so no part of a token survives the cut', () => {
    const text = `${'x'.repeat(2030)}${TOKEN}`;
    const raw = rawForDeadLetter({ text });
    expect(raw).not.toContain(TOKEN.slice(2, 12));
    expect(rawForDeadLetter(`${'y'.repeat(2040)}${TOKEN}`)).not.toContain(TOKEN.slice(2, 8));
  });

  it('redacts the values of secret-named keys whatever their type, and applies redact last', () => {
    const raw = rawForDeadLetter(
      { access_token: { nested: SECRET }, 'Access%5FToken': 42, note: 'my-own-token' },
      (text) => text.replaceAll('my-own-token', '[REDACTED]'),
    );
    expect(JSON.parse(raw)).toEqual({
      access_token: '[REDACTED]',
      'Access%5FToken': '[REDACTED]',
      note: '[REDACTED]',
    });
  });
});

describe('scrubDeadLetter', () => {
  it('passes every string of a dead letter through the patterns and then redact', () => {
    const own = 'opaque-client-token';
    const letter: DeadLetter = {
      raw: `{"q":"${own}"}`,
      reason: `failed with ${own}`,
      code: 'HTTP_ERROR',
      detail: { requestContextId: encodeURIComponent(own), header: `Bearer ${SECRET}`, n: 1 },
      issues: [{ path: 'searchParams', message: `near ${TOKEN}` }],
      attempts: 2,
      deadAt: '2025-01-01T00:00:00.000Z',
    };
    const redact = (text: string) =>
      text.replaceAll(own, '[REDACTED]').replaceAll(encodeURIComponent(own), '[REDACTED]');
    const scrubbed = scrubDeadLetter(letter, redact);
    const text = JSON.stringify(scrubbed);
    for (const secret of [own, SECRET, TOKEN]) expect(text).not.toContain(secret);
    expect(scrubbed).toMatchObject({ code: 'HTTP_ERROR', attempts: 2, detail: { n: 1 } });
    expect(letter.reason).toBe(`failed with ${own}`); // a copy: the original is untouched
    const throwing = () => {
      throw new Error('redactor bug');
    };
    expect(scrubDeadLetter(letter, throwing).reason).toBe('[REDACTED]');
    expect(
      scrubHandlerResult({ type: 'dead-letter', reason: 'x', detail: { id: own } }, redact),
    ).toEqual({ type: 'dead-letter', reason: 'x', detail: { id: '[REDACTED]' } });
  });
});
