import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ResponseSanitizer } from '../../src/client/client-options.js';
import { CanvasOptionsError } from '../../src/errors/index.js';
import { redactEmails } from '../../src/privacy/free-text.js';
import { FerpaSanitizer, type FerpaSanitizerOptions } from '../../src/privacy/index.js';
import { createInstitution } from '../../src/testing/index.js';
import { all, deepFreeze, expectedPseudonym, KEY, KEY2 } from './support.js';

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => value as Json;

const inst = createInstitution({ courses: 2, students: 40, studentsPerCourse: 20, teachers: 3 });
const courseId = inst.courses.at(0)?.id ?? 0;

function optionsError(options: unknown): CanvasOptionsError {
  try {
    new FerpaSanitizer(options as FerpaSanitizerOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(CanvasOptionsError);
    return error as CanvasOptionsError;
  }
  throw new Error('expected a CanvasOptionsError');
}

describe('pseudonyms', () => {
  it('follow ps_<keyId>_<base64url of the first 16 bytes of HMAC-SHA256>', () => {
    const s = new FerpaSanitizer({ key: KEY, keyId: 'k1' });
    expect(s.keyId).toBe('k1');
    expect(s.pseudonym('S1234567')).toBe(expectedPseudonym(KEY, 'k1', 'S1234567'));
    expect(s.pseudonym('S1234567')).toMatch(/^ps_k1_[A-Za-z0-9_-]{22}$/);
    expect(s.pseudonym('')).toMatch(/^ps_k1_[A-Za-z0-9_-]{22}$/);
  });

  it('are stable for one key across instances, and the same for a number and its digits', () => {
    const a = new FerpaSanitizer({ key: KEY, keyId: 'k1' });
    const b = new FerpaSanitizer({ key: new Uint8Array(KEY), keyId: 'k1', cacheSize: 0 });
    expect(a.pseudonym(100_001)).toBe(b.pseudonym('100001'));
    expect(a.pseudonym('S0000001')).toBe(a.pseudonym('S0000001'));
    expect(a.pseudonym('S0000001')).not.toBe(a.pseudonym('S0000002'));
    // A string key is its UTF-8 bytes.
    const c = new FerpaSanitizer({ key: KEY.toString('utf8'), keyId: 'k1' });
    expect(c.pseudonym(42)).toBe(a.pseudonym(42));
  });

  it('differ between keys, with different prefixes (rotation)', () => {
    const k1 = new FerpaSanitizer({ key: KEY, keyId: 'k1' });
    const k2 = new FerpaSanitizer({ key: KEY2, keyId: 'k2' });
    const sis = inst.users.at(0)?.sis_user_id ?? '';
    expect(k1.pseudonym(sis).startsWith('ps_k1_')).toBe(true);
    expect(k2.pseudonym(sis).startsWith('ps_k2_')).toBe(true);
    expect(k1.pseudonym(sis).slice(6)).not.toBe(k2.pseudonym(sis).slice(6));
    expect(FerpaSanitizer.keyIdOf(k2.pseudonym(sis))).toBe('k2');
    expect(FerpaSanitizer.keyIdOf(sis)).toBeUndefined();
    expect(FerpaSanitizer.keyIdOf('ps_k1_short')).toBeUndefined();
  });

  it('default the key id to a fingerprint of the key', () => {
    const a = new FerpaSanitizer({ key: KEY });
    const b = new FerpaSanitizer({ key: KEY2 });
    expect(a.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(b.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(a.keyId).not.toBe(b.keyId);
    expect(new FerpaSanitizer({ key: KEY }).keyId).toBe(a.keyId);
    expect(a.pseudonym(1)).toBe(expectedPseudonym(KEY, a.keyId ?? '', 1));
  });

  it('do not depend on the cache (size 0, 2 with eviction, default)', () => {
    const ids = [...Array(20).keys()].map((i) => `S${i % 7}`);
    const expected = ids.map((id) => expectedPseudonym(KEY, 'k1', id));
    for (const cacheSize of [0, 2, 10_000]) {
      const s = new FerpaSanitizer({ key: KEY, keyId: 'k1', cacheSize });
      expect(ids.map((id) => s.pseudonym(id))).toEqual(expected);
    }
  });

  it('pseudonym() rejects values that are not strings or finite numbers', () => {
    const s = new FerpaSanitizer({ key: KEY, keyId: 'k1' });
    expect(() => s.pseudonym({} as unknown as string)).toThrow(TypeError);
    expect(() => s.pseudonym(Number.NaN)).toThrow(TypeError);
  });
});

describe('sanitize', () => {
  const s = new FerpaSanitizer({ key: KEY, keyId: 'k1' });

  it('does not mutate its (deep-frozen) input and shares no object with it', () => {
    const records = deepFreeze(all(inst.enrollments(courseId)));
    const before = JSON.stringify(records);
    const out = s.sanitize(records) as Json[];
    expect(JSON.stringify(records)).toBe(before);
    expect(out).not.toBe(records);
    const first = records[records.length - 1];
    const outFirst = out[out.length - 1];
    expect(outFirst).not.toBe(first);
    expect(obj(outFirst).user).not.toBe(first?.user);
    expect(obj(outFirst).grades).not.toBe(first?.grades);
    expect(obj(outFirst).grades).toEqual(first?.grades);
  });

  it('walks nested arrays and objects at any depth, unknown objects by field name', () => {
    const deep = {
      export: [[{ rows: [{ student: { sis_user_id: 'S1', email: 'a@b.edu', score: 9 } }] }]],
      note: 'kept',
      n: 3,
      flags: [true, null, 'x'],
    };
    expect(s.sanitize(deep)).toEqual({
      export: [[{ rows: [{ student: { sis_user_id: s.pseudonym('S1'), score: 9 } }] }]],
      note: 'kept',
      n: 3,
      flags: [true, null, 'x'],
    });
  });

  it('returns primitives outside any field unchanged', () => {
    expect(s.sanitize('a@b.edu')).toBe('a@b.edu');
    expect(s.sanitize(42)).toBe(42);
    expect(s.sanitize(null)).toBeNull();
    expect(s.sanitize([1, 'x'])).toEqual([1, 'x']);
  });

  it('applies actions to every value of a field: arrays, nulls, objects', () => {
    const out = obj(
      s.sanitize({
        sis_user_id: ['S1', 2, null, true, { email: 'x@y.edu', uuid: 'u' }],
        integration_id: ['S1', 2, null],
        name: null,
        sortable_name: null,
        short_name: { anything: 1 },
        login_id: null,
      }),
    );
    // Issue 9: an identifier array holding anything but strings, numbers and nulls (here a
    // boolean and an object) fails closed as a whole.
    expect(out.sis_user_id).toBe('[REDACTED]');
    expect(out.integration_id).toEqual([s.pseudonym('S1'), s.pseudonym(2), null]);
    expect(out.name).toBeNull();
    expect(out.sortable_name).toBeNull();
    expect(out.short_name).toBe('[REDACTED]');
    expect(out.login_id).toBeNull();
  });

  it('copies a "__proto__" key as an own field, never as the prototype', () => {
    const input = JSON.parse('{"__proto__":{"email":"a@b.edu","id":1},"id":2}') as Json;
    const out = obj(s.sanitize(input));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"id":1},"id":2}');
  });

  it('honours field overrides in every object', () => {
    const custom = new FerpaSanitizer({
      key: KEY,
      keyId: 'k1',
      fields: {
        email: 'pseudonymize',
        sortable_name: 'keep',
        course_id: 'pseudonymize',
        name: 'drop',
      },
    });
    const e = inst.enrollments(courseId)?.at(5);
    const out = obj(custom.sanitize(e));
    const user = obj(out.user);
    expect(user.email).toBe(custom.pseudonym(e?.user.email ?? ''));
    expect(user.sortable_name).toBe(e?.user.sortable_name);
    expect(Object.hasOwn(user, 'name')).toBe(false);
    expect(out.course_id).toBe(custom.pseudonym(courseId));
    expect(custom.actionFor('name')).toBe('drop');
    expect(custom.actionFor('name', true)).toBe('drop');
    expect(s.actionFor('name')).toBe('keep');
    expect(s.actionFor('name', true)).toBe('redact');
    expect(s.actionFor('some_field')).toBe('keep');
  });

  it('is a ResponseSanitizer for the client', () => {
    const sanitizer: ResponseSanitizer = s;
    expect(sanitizer.sanitize({ email: 'a@b.edu' })).toEqual({});
  });
});

describe('allowlist mode', () => {
  const allow = ['id', 'course_id', 'type', 'enrollment_state', 'grades', 'current_score', 'user'];
  const s = new FerpaSanitizer({ key: KEY, keyId: 'k1', mode: 'allowlist', allow });

  it('keeps only allowed fields, plus pseudonymized identifiers', () => {
    const e = inst.enrollments(courseId)?.at(5);
    if (e === undefined) throw new Error('no enrollment');
    const out = obj(s.sanitize(e));
    expect(Object.keys(out).sort()).toEqual(
      ['course_id', 'enrollment_state', 'grades', 'id', 'sis_user_id', 'type', 'user'].sort(),
    );
    expect(out.grades).toEqual({ current_score: e.grades?.current_score });
    const user = obj(out.user);
    expect(Object.keys(user).sort()).toEqual(
      ['id', 'integration_id', 'login_id', 'lti_id', 'past_uuid', 'sis_user_id', 'uuid'].sort(),
    );
    expect(user.sis_user_id).toBe(s.pseudonym(e.user.sis_user_id ?? ''));
    expect(s.mode).toBe('allowlist');
  });

  it('drops a nested object whose field is not allowed, and keeps catalog actions on allowed fields', () => {
    const narrow = new FerpaSanitizer({
      key: KEY,
      keyId: 'k1',
      mode: 'allowlist',
      allow: ['id', 'sortable_name', 'email'],
    });
    const e = inst.enrollments(courseId)?.at(5);
    const out = obj(narrow.sanitize(e));
    expect(Object.hasOwn(out, 'user')).toBe(false);
    const user = obj(narrow.sanitize(e?.user));
    expect(user.sortable_name).toBe('[REDACTED]');
    expect(Object.hasOwn(user, 'email')).toBe(false);
  });

  it('lets `fields` override, and needs no key when nothing is pseudonymized', () => {
    const keyless = new FerpaSanitizer({
      mode: 'allowlist',
      allow: ['id', 'score'],
      fields: Object.fromEntries(
        ['sis_user_id', 'sis_login_id', 'integration_id', 'login_id', 'lti_id', 'lti_user_id']
          .concat(['uuid', 'past_uuid', 'anonymous_id', 'unique_id'])
          .map((f) => [f, 'drop' as const]),
      ),
    });
    expect(keyless.keyId).toBeUndefined();
    expect(keyless.sanitize({ id: 1, score: 2, sis_user_id: 'S1', grade: 'A' })).toEqual({
      id: 1,
      score: 2,
    });
    expect(() => keyless.pseudonym('x')).toThrow(CanvasOptionsError);
  });
});

describe('free text', () => {
  const entries = all(inst.courses).flatMap((c) =>
    all(inst.discussionTopics(c.id)).flatMap((t) => all(inst.discussionEntries(c.id, t.id))),
  );
  const quoting = entries.filter((e) => e.message.includes('mailto:'));

  it('redacts the emails the generator quotes in discussion messages', () => {
    expect(quoting.length).toBeGreaterThan(0);
    const s = new FerpaSanitizer({ key: KEY, keyId: 'k1' });
    for (const entry of quoting) {
      const out = obj(s.sanitize(entry));
      expect(out.message).not.toMatch(/@/);
      expect(out.message).toContain('<a href="mailto:[EMAIL]">[EMAIL]</a>');
    }
  });

  it('does not catch names inside text (documented limitation; use redact-all)', () => {
    const entry = quoting[0];
    const quoted = /<strong>([^<]+)<\/strong>/.exec(entry?.message ?? '')?.[1] ?? '';
    expect(quoted).not.toBe('');
    const s = new FerpaSanitizer({ key: KEY, keyId: 'k1' });
    expect(obj(s.sanitize(entry)).message).toContain(quoted);
    const all = new FerpaSanitizer({ key: KEY, keyId: 'k1', freeText: 'redact-all' });
    expect(obj(all.sanitize(entry)).message).toBe('[REDACTED]');
    const keep = new FerpaSanitizer({ key: KEY, keyId: 'k1', freeText: 'keep' });
    expect(obj(keep.sanitize(entry)).message).toBe(entry?.message);
  });

  it('recognizes plain, URL-encoded and HTML-entity addresses', () => {
    expect(redactEmails('Mail Jane.Doe+cs@Students.Example.EDU now')).toBe('Mail [EMAIL] now');
    expect(redactEmails('mailto:jane%40example.edu')).toBe('mailto:[EMAIL]');
    expect(redactEmails('jane&#64;example.edu and bo&#x40;x.org')).toBe('[EMAIL] and [EMAIL]');
    expect(redactEmails('(a@b.c)')).toBe('([EMAIL])');
    expect(redactEmails('no address @ here, 50% off')).toBe('no address @ here, 50% off');
    expect(redactEmails('x'.repeat(100_000))).toHaveLength(100_000);
  });
});

describe('options', () => {
  it('require a key when the policy pseudonymizes', () => {
    const error = optionsError({});
    expect(error.issues[0]?.path).toBe('key');
    expect(error.message).toMatch(/pseudonymizes sis_user_id/);
    expect(error.code).toBe('INVALID_OPTIONS');
  });

  it('measure the key in bytes, at least 32', () => {
    expect(optionsError({ key: 'k'.repeat(31) }).issues[0]?.path).toBe('key');
    expect(optionsError({ key: new Uint8Array(31) }).issues[0]?.path).toBe('key');
    // 16 two-byte characters are 32 bytes.
    expect(new FerpaSanitizer({ key: 'é'.repeat(16) }).keyId).toMatch(/^[0-9a-f]{8}$/);
  });

  it.each([
    ['an unknown option', { key: KEY, bogus: true }, '(root)'],
    ['an unknown action', { key: KEY, fields: { email: 'hash' } }, 'fields.email'],
    ['unkeyed hashing', { key: KEY, fields: { email: 'sha256' } }, 'fields.email'],
    ['an unknown mode', { key: KEY, mode: 'blocklist' }, 'mode'],
    ['a keyId with "_"', { key: KEY, keyId: 'has_underscore' }, 'keyId'],
    ['an empty keyId', { key: KEY, keyId: '' }, 'keyId'],
    ['a keyId without key', { keyId: 'k1', fields: {} }, 'keyId'],
    ['allow in denylist mode', { key: KEY, allow: ['id'] }, 'allow'],
    ['an unknown freeText', { key: KEY, freeText: 'redact-names' }, 'freeText'],
    ['a negative cacheSize', { key: KEY, cacheSize: -1 }, 'cacheSize'],
    ['a numeric key', { key: 12345 }, 'key'],
    ['a non-boolean flag', { key: KEY, pseudonymizeCanvasIds: 'yes' }, 'pseudonymizeCanvasIds'],
  ])('reject %s', (_what, options, path) => {
    const error = optionsError(options);
    expect(error.issues.map((issue) => issue.path)).toContain(path);
    expect(error.message).toMatch(/^Invalid FerpaSanitizer options: /);
  });

  it('never quote the key or a value in errors', () => {
    const secret = 'my-institution-secret-key-31byt';
    expect(Buffer.byteLength(secret)).toBe(31);
    const e1 = optionsError({ key: secret, fields: { email: 'secret-action-value' } });
    const text = `${e1.message} ${JSON.stringify(e1.toJSON())} ${inspect(e1)}`;
    expect(text).not.toContain(secret);
    expect(text).not.toContain('secret-action-value');
    expect(e1.issues.map((issue) => issue.path).sort()).toEqual(['fields.email', 'key']);
  });

  it('keep the key out of inspection and serialization of the sanitizer', () => {
    const secret = 'another-institution-secret-key-of-40-byte';
    const s = new FerpaSanitizer({ key: secret, keyId: 'k9' });
    expect(inspect(s, { showHidden: true, depth: 5 })).not.toContain(secret);
    expect(JSON.stringify(s)).not.toContain(secret);
  });

  it('copy a byte key: changing the caller’s buffer later changes nothing', () => {
    const bytes = new Uint8Array(KEY);
    const s = new FerpaSanitizer({ key: bytes, keyId: 'k1', cacheSize: 0 });
    bytes.fill(7);
    expect(s.pseudonym('S1')).toBe(expectedPseudonym(KEY, 'k1', 'S1'));
  });
});
