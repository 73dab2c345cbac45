/**
 * Fail-closed handling of input the catalog does not expect: a PII field whose value is not the
 * expected scalar is replaced whole; nesting is bounded by `maxDepth`; values that are not JSON
 * data (cycles, functions, BigInt, symbols, class instances) get a `CanvasSanitizeError` that
 * never quotes the input.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CanvasOptionsError, CanvasSyncError } from '../../src/errors/index.js';
import { FerpaSanitizer, type FerpaSanitizerOptions } from '../../src/privacy/index.js';
import { CanvasSanitizeError } from '../../src/privacy/sanitize-error.js';
import { KEY } from './support.js';

type Json = Record<string, unknown>;
const s = new FerpaSanitizer({ key: KEY, keyId: 'k1' });

function nested(depth: number, leaf: unknown = 'PLleaf'): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { child: value } : [value];
  return value;
}

function sanitizeError(run: () => unknown): CanvasSanitizeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CanvasSanitizeError);
    expect(error).toBeInstanceOf(CanvasSyncError);
    return error as CanvasSanitizeError;
  }
  throw new Error('expected a CanvasSanitizeError');
}

describe('unexpected shapes under PII fields fail closed', () => {
  it.each([
    ['sis_user_id: {value}', { sis_user_id: { value: 'PLx' } }, 'sis_user_id'],
    ['login_id: {unique_id}', { login_id: { unique_id: 'PLx' } }, 'login_id'],
    ['message: {html}', { message: { html: 'PLx' } }, 'message'],
    ['comment: [{text}]', { comment: [{ text: 'PLx' }] }, 'comment'],
    ['body: [string]', { body: ['PLx'] }, 'body'],
    ['message: number', { message: 12345 }, 'message'],
    ['uuid: [{…}]', { uuid: [{ id: 'PLx' }] }, 'uuid'],
    ['sis_user_id: [[…]]', { sis_user_id: [['PLx']] }, 'sis_user_id'],
    ['sis_user_id: boolean', { sis_user_id: true }, 'sis_user_id'],
    ['html_url: {href}', { html_url: { href: 'PLx' } }, 'html_url'],
    ['url: [string]', { url: ['https://x/?login_id=PLx'] }, 'url'],
  ])('%s becomes [REDACTED] as a whole', (_what, input, field) => {
    const out = s.sanitize(input) as Json;
    expect(out[field]).toBe('[REDACTED]');
    expect(JSON.stringify(out)).not.toContain('PLx');
  });

  it('keeps the expected shapes: scalars, null, arrays of identifiers, person objects', () => {
    const out = s.sanitize({
      sis_user_id: ['S1', 2, null],
      login_id: null,
      message: null,
      body: 'mail a@b.edu',
      user: { id: 1, name: 'N', sortable_name: 'S' },
    }) as Json;
    expect(out.sis_user_id).toEqual([s.pseudonym('S1'), s.pseudonym(2), null]);
    expect(out.login_id).toBeNull();
    expect(out.message).toBeNull();
    expect(out.body).toBe('mail [EMAIL]');
    expect(out.user).toEqual({ id: 1, name: '[REDACTED]', sortable_name: '[REDACTED]' });
  });

  it('walks person objects under user/author when Canvas ids are pseudonymized', () => {
    const p = new FerpaSanitizer({ key: KEY, keyId: 'k1', pseudonymizeCanvasIds: true });
    const out = p.sanitize({
      user: { id: 1, name: 'PLx', email: 'PLy' },
      author: [{ id: 2, display_name: 'PLz' }],
      links: { user: 3, real_user: { id: 'PLw' } },
    }) as Json;
    expect(out.user).toEqual({ id: p.pseudonym(1), name: '[REDACTED]' });
    expect(out.author).toEqual([{ id: p.pseudonym(2), display_name: '[REDACTED]' }]);
    expect(out.links).toEqual({ user: p.pseudonym(3), real_user: '[REDACTED]' });
  });
});

describe('depth bound', () => {
  it('throws a typed error, not a RangeError, on 20,000-deep nesting', () => {
    const error = sanitizeError(() => s.sanitize(nested(20_000)));
    expect(error.reason).toBe('too-deep');
    expect(error.maxDepth).toBe(100);
    expect(error.code).toBe('SANITIZE_FAILED');
    expect(error.name).toBe('CanvasSanitizeError');
  });

  it('accepts exactly maxDepth levels of objects and arrays, refuses one more', () => {
    const small = new FerpaSanitizer({ key: KEY, maxDepth: 5 });
    expect(small.sanitize(nested(5))).toEqual(nested(5));
    expect(sanitizeError(() => small.sanitize(nested(6))).maxDepth).toBe(5);
    expect(s.sanitize(nested(100))).toEqual(nested(100));
    expect(sanitizeError(() => s.sanitize(nested(101))).reason).toBe('too-deep');
    // Also when the deep part is under a pseudonymized person holder.
    const p = new FerpaSanitizer({ key: KEY, pseudonymizeCanvasIds: true, maxDepth: 3 });
    expect(() => p.sanitize({ user: { a: { b: {} } } })).toThrow(CanvasSanitizeError);
    expect(() => p.sanitize({ user: [{ a: {} }] })).toThrow(CanvasSanitizeError);
  });

  it('validates maxDepth: an integer from 1 to 1000', () => {
    for (const maxDepth of [0, 1001, 2.5, '10']) {
      const run = () => new FerpaSanitizer({ key: KEY, maxDepth } as FerpaSanitizerOptions);
      expect(run).toThrow(CanvasOptionsError);
    }
    const deep = new FerpaSanitizer({ key: KEY, maxDepth: 1000 });
    expect(deep.sanitize(nested(1000))).toEqual(nested(1000));
  });
});

describe('values that are not JSON data', () => {
  it('reports a cycle as a cycle', () => {
    const a: Json = { id: 1 };
    a.self = a;
    expect(sanitizeError(() => s.sanitize(a)).reason).toBe('cycle');
    const list: unknown[] = [];
    list.push({ items: list });
    expect(sanitizeError(() => s.sanitize({ list })).reason).toBe('cycle');
  });

  it('copies shared (acyclic) references twice, as JSON would', () => {
    const shared = { id: 1 };
    expect(s.sanitize({ a: shared, b: [shared, shared] })).toEqual({
      a: { id: 1 },
      b: [{ id: 1 }, { id: 1 }],
    });
  });

  it.each([
    ['a function', { id: 1, run: () => 'PLsecret' }, 'function'],
    ['a BigInt', { total: 10n }, 'bigint'],
    ['a BigInt identifier', { sis_user_id: 1234567n }, 'bigint'],
    ['a symbol', { tag: Symbol('PLsecret') }, 'symbol'],
    ['a Date', { at: new Date(0) }, 'Date'],
    ['a Map', { m: new Map([['PLsecret', 1]]) }, 'Map'],
    ['a class instance', { x: new (class Student {})() }, 'Student'],
    ['a top-level function', () => 1, 'function'],
  ])('rejects %s with its type, never its value', (_what, input, type) => {
    const error = sanitizeError(() => s.sanitize(input));
    expect(error.reason).toBe('not-json');
    expect(error.valueType).toBe(type);
    const text = `${error.message} ${JSON.stringify(error)} ${inspect(error)}`;
    expect(text).not.toContain('PLsecret');
  });

  it('accepts null-prototype objects, undefined and non-finite numbers', () => {
    const bare = Object.assign(Object.create(null) as Json, { id: 1, email: 'a@b.edu' });
    expect(s.sanitize({ bare, u: undefined, n: Number.NaN })).toEqual({
      bare: { id: 1 },
      u: undefined,
      n: Number.NaN,
    });
  });

  it('has safe, data-only JSON', () => {
    const error = sanitizeError(() => s.sanitize(nested(200, 'PLsecret')));
    expect(error.toJSON()).toEqual({
      name: 'CanvasSanitizeError',
      code: 'SANITIZE_FAILED',
      message: error.message,
      reason: 'too-deep',
      maxDepth: 100,
    });
    expect(error.message).toMatch(/deeper than 100/);
    expect(error.message).not.toContain('PLsecret');
  });
});
