/** `scrubUrl`: identifiers embedded in URLs are redacted, the rest of the URL is kept. */
import { describe, expect, it } from 'vitest';
import { scrubUrl } from '../../src/privacy/free-text.js';
import { FerpaSanitizer } from '../../src/privacy/index.js';
import { KEY } from './support.js';

const BASE = 'https://canvas.example.edu';

describe('scrubUrl', () => {
  it.each([
    ['/users/sis_user_id:S123/profile', '/users/sis_user_id:[REDACTED]/profile'],
    ['/users/SIS_USER_ID:S123', '/users/SIS_USER_ID:[REDACTED]'],
    ['/users/sis_login_id%3Ajdoe?x=1', '/users/sis_login_id%3A[REDACTED]?x=1'],
    ['/users/lti_1_3_id:abc-def', '/users/lti_1_3_id:[REDACTED]'],
    ['/courses/sis_course_id:C1/users', '/courses/sis_course_id:[REDACTED]/users'],
    [
      '/accounts/1/users?login_id=jdoe&per_page=5',
      '/accounts/1/users?login_id=[REDACTED]&per_page=5',
    ],
    ['/users?search_term=Jane%20Doe', '/users?search_term=[REDACTED]'],
    ['/x?user%5Bemail%5D=a%40b.edu', '/x?user%5Bemail%5D=[REDACTED]'],
    ['/login?pseudonym_session[unique_id]=jdoe', '/login?pseudonym_session[unique_id]=[REDACTED]'],
    [
      '/files/3/download?download_frd=1&verifier=Zx9',
      '/files/3/download?download_frd=1&verifier=[REDACTED]',
    ],
    ['/a#sortable_name=Doe', '/a#sortable_name=[REDACTED]'],
    ['/a?x=1&amp;SisUserId=S1', '/a?x=1&amp;SisUserId=[REDACTED]'],
    ['mailto:jane.doe@students.example.edu', 'mailto:[EMAIL]'],
  ])('%s', (path, expected) => {
    expect(scrubUrl(`${BASE}${path}`)).toBe(`${BASE}${expected}`);
  });

  it.each([
    `${BASE}/courses/1001/users/100002`,
    `${BASE}/courses/1/assignments/2/submissions/3?preview=1&version=1`,
    'https://sis.example.edu:8443/thesis:draft',
    'https://lti.example.com/launch?id=7',
    '',
  ])('keeps %s', (url) => {
    expect(scrubUrl(url)).toBe(url);
  });

  it('stays linear on long hostile strings', () => {
    const long = `${BASE}/?${'sis_'.repeat(30_000)}=${'a'.repeat(30_000)}&${'lti-'.repeat(20_000)}`;
    expect(scrubUrl(long).length).toBeGreaterThan(0);
  });
});

describe('URL fields in records', () => {
  const s = new FerpaSanitizer({ key: KEY, keyId: 'k1' });

  it('scrubs url, preview_url, html_url outside person objects, and unlisted *_url fields', () => {
    const out = s.sanitize({
      html_url: `${BASE}/courses/1/users/sis_user_id:S9`,
      url: `${BASE}/users?login_id=jdoe`,
      preview_url: `${BASE}/x?verifier=v`,
      download_url: `${BASE}/files/1?verifier=v2`,
      thumbnailUrl: `${BASE}/t/sis_user_id:S9`,
      topic: { html_url: `${BASE}/courses/1/discussion_topics/2` },
    });
    expect(out).toEqual({
      html_url: `${BASE}/courses/1/users/sis_user_id:[REDACTED]`,
      url: `${BASE}/users?login_id=[REDACTED]`,
      preview_url: `${BASE}/x?verifier=[REDACTED]`,
      download_url: `${BASE}/files/1?verifier=[REDACTED]`,
      thumbnailUrl: `${BASE}/t/sis_user_id:[REDACTED]`,
      topic: { html_url: `${BASE}/courses/1/discussion_topics/2` },
    });
    // With a person marker (`avatar_url`) the object is a person: its html_url is dropped.
    expect(s.sanitize({ avatar_url: `${BASE}/a.png`, html_url: `${BASE}/users/1` })).toEqual({});
    expect(s.actionFor('download_url')).toBe('scrub-url');
    expect(s.actionFor('html_url')).toBe('scrub-url');
    expect(s.actionFor('html_url', true)).toBe('drop');
  });

  it('lets `fields` keep or drop a URL field, and allowlist mode drop unlisted ones', () => {
    const keep = new FerpaSanitizer({ key: KEY, fields: { download_url: 'keep', url: 'drop' } });
    const raw = `${BASE}/files/1?verifier=v2`;
    expect(keep.sanitize({ download_url: raw, url: raw })).toEqual({ download_url: raw });
    const allow = new FerpaSanitizer({ key: KEY, mode: 'allowlist', allow: ['id', 'file_url'] });
    expect(allow.sanitize({ id: 1, file_url: raw, other_url: raw })).toEqual({
      id: 1,
      file_url: `${BASE}/files/1?verifier=[REDACTED]`,
    });
  });
});
