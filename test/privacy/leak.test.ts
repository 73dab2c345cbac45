/**
 * Leak checks: the sanitized records of every endpoint of a small institution contain none of
 * its students' raw PII strings (`inst.studentPii()`), compared as whole tokens (see
 * `containsToken`), in process and over HTTP from the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLinkHeader } from '../../src/http/link-header.js';
import { FerpaSanitizer } from '../../src/privacy/index.js';
import {
  type CanvasSimulator,
  createInstitution,
  startCanvasSimulator,
} from '../../src/testing/index.js';
import { PLANTED, plantedRecords } from './planted.js';
import { all, everyEndpoint, findLeaks, KEY } from './support.js';

const SIZE = {
  courses: 3,
  students: 36,
  studentsPerCourse: 12,
  teachers: 4,
  assignmentsPerCourse: 3,
  topicsPerCourse: 2,
  entriesPerTopic: 10,
  pageViewsPerUser: 24,
  commentsPerSubmission: 3,
} as const;

const FREE_TEXT = new Set(['message', 'body', 'comment']);

/** The value without its free-text fields, at any depth. */
function withoutFreeText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutFreeText);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !FREE_TEXT.has(key))
      .map(([key, item]) => [key, withoutFreeText(item)]),
  );
}

describe('leak check over every endpoint of an institution', () => {
  const inst = createInstitution(SIZE);
  const records = everyEndpoint(inst);
  const pii = inst.studentPii();
  const names = new Set(
    all(inst.users)
      .slice(0, SIZE.students)
      .flatMap((u) => [u.name, u.sortable_name, u.short_name, u.first_name, u.last_name]),
  );

  it('finds every PII string in the raw records (the check can fail)', () => {
    expect(pii.length).toBeGreaterThan(SIZE.students * 10);
    expect(findLeaks(records, pii)).toHaveLength(pii.length);
  });

  it('finds none in the sanitized records with freeText: redact-all', () => {
    const s = new FerpaSanitizer({ key: KEY, keyId: 'k1', freeText: 'redact-all' });
    for (const [endpoint, list] of Object.entries(records)) {
      expect(findLeaks(s.sanitize(list), pii), endpoint).toEqual([]);
    }
  });

  it('finds none with pseudonymizeCanvasIds, nor in allowlist mode', () => {
    const policies = [
      new FerpaSanitizer({ key: KEY, freeText: 'redact-all', pseudonymizeCanvasIds: true }),
      new FerpaSanitizer({
        key: KEY,
        mode: 'allowlist',
        allow: ['id', 'user_id', 'user', 'grades', 'current_score', 'score', 'page_views'],
      }),
    ];
    for (const s of policies) expect(findLeaks(s.sanitize(records), pii)).toEqual([]);
  });

  it('with the default policy, finds none outside free text, and only names inside it', () => {
    const s = new FerpaSanitizer({ key: KEY, keyId: 'k1' });
    const sanitized = s.sanitize(records);
    expect(findLeaks(withoutFreeText(sanitized), pii)).toEqual([]);
    // Names quoted in discussion messages are a documented gap of 'redact-emails'.
    const inText = findLeaks(sanitized, pii).map((hit) => hit.slice(hit.indexOf(': ') + 2));
    expect(inText.filter((value) => !names.has(value))).toEqual([]);
  });
});

describe('leak check of planted values (issue 9)', () => {
  const records = plantedRecords();

  it('finds every planted value in the raw records (the check can fail)', () => {
    expect(findLeaks(records, PLANTED)).toHaveLength(PLANTED.length);
  });

  it('finds none with the default policy, in any kind of record', () => {
    const s = new FerpaSanitizer({ key: KEY, keyId: 'k1' });
    for (const [kind, record] of Object.entries(records)) {
      expect(findLeaks(s.sanitize(record), PLANTED), kind).toEqual([]);
    }
  });

  it('finds none with pseudonymizeCanvasIds, redact-all, keep, nor in allowlist mode', () => {
    const policies = [
      new FerpaSanitizer({ key: KEY, pseudonymizeCanvasIds: true, freeText: 'redact-all' }),
      new FerpaSanitizer({ key: KEY, freeText: 'keep', fields: { message: 'redact' } }),
      new FerpaSanitizer({
        key: KEY,
        mode: 'allowlist',
        allow: ['id', 'user', 'participants', 'attachments', 'url', 'html_url', 'comments'],
      }),
    ];
    for (const s of policies) {
      const leaks = findLeaks(s.sanitize(records), PLANTED);
      // `freeText: 'keep'` keeps free text by request: only the free-text plants may survive.
      expect(leaks.filter((hit) => !/@|PLtext16/.test(hit))).toEqual([]);
    }
  });
});

describe('leak check over HTTP', () => {
  let sim: CanvasSimulator;
  const TOKEN = 'privacy-test-token';

  beforeAll(async () => {
    sim = await startCanvasSimulator({ allowlistedTokens: [TOKEN], institution: SIZE });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** Every page of a collection, following `Link: rel="next"`. */
  async function fetchAll(path: string): Promise<unknown[]> {
    const pages: unknown[] = [];
    let url: string | undefined = `${sim.url}${path}`;
    while (url !== undefined) {
      const res: Response = await fetch(url, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(res.status, url).toBe(200);
      pages.push(await res.json());
      url = parseLinkHeader(res.headers.get('link')).next;
    }
    return pages;
  }

  it('finds no student PII in sanitized pages of every student-data endpoint', async () => {
    const inst = sim.data;
    const course = inst.courses.at(0)?.id ?? 0;
    const assignment = inst.assignments(course)?.at(0)?.id ?? 0;
    const topic = inst.discussionTopics(course)?.at(0)?.id ?? 0;
    const student = inst.users.at(0)?.id ?? 0;
    const include = 'include[]=user&include[]=submission_comments';
    const paths = [
      `/api/v1/courses/${course}/users?per_page=5`,
      `/api/v1/courses/${course}/enrollments?per_page=5`,
      `/api/v1/courses/${course}/assignments/${assignment}/submissions?${include}&per_page=7`,
      `/api/v1/courses/${course}/students/submissions?student_ids[]=all&${include}&per_page=50`,
      `/api/v1/courses/${course}/discussion_topics/${topic}/entries?per_page=4`,
      `/api/v1/courses/${course}/analytics/student_summaries?per_page=5`,
      `/api/v1/users/${student}/page_views?per_page=4`,
      `/api/v1/users/${student}`,
    ];
    const pii = inst.studentPii();
    const s = new FerpaSanitizer({ key: KEY, keyId: 'k1', freeText: 'redact-all' });
    let raw = 0;
    for (const path of paths) {
      const pages = await fetchAll(path);
      expect(pages.length, path).toBeGreaterThan(0);
      raw += findLeaks(pages, pii).length;
      for (const page of pages) expect(findLeaks(s.sanitize(page), pii), path).toEqual([]);
    }
    // The raw pages did carry PII: the check had something to find.
    expect(raw).toBeGreaterThan(100);
  });
});
