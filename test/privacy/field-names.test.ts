/**
 * Field names are matched case- and separator-insensitively: `sisUserId`, `sis-user-id`,
 * `SIS_USER_ID` and `Sis User Id` all mean `sis_user_id`, in records, in `fields` and in
 * `allow`.
 */
import { describe, expect, it } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import { normalizeFieldName } from '../../src/privacy/field-names.js';
import { FerpaSanitizer, piiCatalog } from '../../src/privacy/index.js';
import { KEY } from './support.js';

type Json = Record<string, unknown>;
const s = new FerpaSanitizer({ key: KEY, keyId: 'k1' });

describe('field-name matching', () => {
  it('normalizes case and separators away', () => {
    for (const name of ['sis_user_id', 'sisUserId', 'sis-user-id', 'SIS_USER_ID', 'Sis User Id']) {
      expect(normalizeFieldName(name)).toBe('sisuserid');
    }
    expect(normalizeFieldName('SISUserID')).toBe('sisuserid');
    expect(normalizeFieldName('user.email')).toBe('useremail');
    expect(normalizeFieldName('__')).toBe('');
  });

  it('gives no two catalog fields the same normalized name', () => {
    const names = piiCatalog.map((entry) => normalizeFieldName(entry.field));
    expect(new Set(names).size).toBe(names.length);
  });

  it.each([
    ['Email', 'drop'],
    ['EMAIL', 'drop'],
    ['SIS_USER_ID', 'pseudonymize'],
    ['sisUserId', 'pseudonymize'],
    ['sis-user-id', 'pseudonymize'],
    ['Sis User Id', 'pseudonymize'],
    ['LOGIN_ID', 'pseudonymize'],
    ['loginId', 'pseudonymize'],
    ['SortableName', 'redact'],
    ['primaryEmail', 'drop'],
    ['Remote-IP', 'drop'],
  ])('treats %s as its catalog field (%s)', (field, action) => {
    expect(s.actionFor(field)).toBe(action);
    const out = s.sanitize({ [field]: 'PLvalue' }) as Json;
    if (action === 'drop') expect(Object.hasOwn(out, field)).toBe(false);
    else expect(out[field]).not.toBe('PLvalue');
  });

  it('recognizes person objects and their holders by any spelling', () => {
    expect(s.actionFor('Name', true)).toBe('redact');
    const out = s.sanitize({
      course: { Name: 'Biology' },
      User: { Name: 'PLname', HTML_URL: 'https://x/users/1' },
      row: { Name: 'PLname2', SortableName: 'S' },
    }) as Record<string, Json>;
    expect(out.course?.Name).toBe('Biology');
    expect(out.User).toEqual({ Name: '[REDACTED]' });
    expect(out.row).toEqual({ Name: '[REDACTED]', SortableName: '[REDACTED]' });
  });

  it('applies `fields` and `allow` by any spelling', () => {
    const custom = new FerpaSanitizer({
      key: KEY,
      keyId: 'k1',
      fields: { CourseId: 'pseudonymize', 'sortable-name': 'keep' },
    });
    expect(custom.sanitize({ course_id: 1, sortableName: 'S' })).toEqual({
      course_id: custom.pseudonym(1),
      sortableName: 'S',
    });
    const allow = new FerpaSanitizer({ key: KEY, mode: 'allowlist', allow: ['current-score'] });
    expect(allow.sanitize({ currentScore: 9, CURRENT_SCORE: 8, grade: 'A' })).toEqual({
      currentScore: 9,
      CURRENT_SCORE: 8,
    });
  });

  it('refuses two spellings of one field with different actions in `fields`', () => {
    const run = () => new FerpaSanitizer({ key: KEY, fields: { email: 'keep', EMAIL: 'drop' } });
    expect(run).toThrow(CanvasOptionsError);
    expect(
      () => new FerpaSanitizer({ key: KEY, fields: { email: 'keep', Email: 'keep' } }),
    ).not.toThrow();
  });

  it('stays correct past the key cache (many distinct keys)', () => {
    const record: Json = {};
    for (let i = 0; i < 25_000; i++) record[`k${i}`] = i;
    record.EMAIL = 'PLmail';
    record.SIS_USER_ID = 'S1';
    const out = s.sanitize(record) as Json;
    expect(Object.hasOwn(out, 'EMAIL')).toBe(false);
    expect(out.SIS_USER_ID).toBe(s.pseudonym('S1'));
    expect(out.k24999).toBe(24_999);
    expect((s.sanitize({ Email: 'x', k1: 1 }) as Json).Email).toBeUndefined();
  });
});
