/**
 * Every catalog field of every object type, on realistic records from the simulator's
 * institution, is treated as the catalog says: with the default policy and with
 * `pseudonymizeCanvasIds`.
 */
import { describe, expect, it } from 'vitest';
import {
  FerpaSanitizer,
  type PiiAction,
  type PiiFieldEntry,
  type PiiObjectType,
  piiCatalog,
  renderPiiCatalogMarkdown,
} from '../../src/privacy/index.js';
import type {
  CanvasDiscussionEntry,
  CanvasEnrollment,
  CanvasSubmission,
} from '../../src/testing/index.js';
import { createInstitution } from '../../src/testing/index.js';
import { plantedRecords } from './planted.js';
import { all, expectedPseudonym, KEY } from './support.js';

type Json = Record<string, unknown>;
type Pair = readonly [input: Json, output: Json];

const inst = createInstitution({
  courses: 2,
  students: 30,
  studentsPerCourse: 10,
  teachers: 4,
  assignmentsPerCourse: 3,
  entriesPerTopic: 10,
  pageViewsPerUser: 3,
  commentsPerSubmission: 3,
});

/** Fields the simulator does not generate (older Canvas aliases), so they cannot be checked here. */
const NOT_GENERATED = new Set(['sis_login_id', 'lti_user_id']);

const obj = (value: unknown): Json => value as Json;

/** Input/output pairs of every object of each type, found by walking sanitized records. */
function pairsByType(sanitizer: FerpaSanitizer): Record<PiiObjectType, Pair[]> {
  const pairs: Record<PiiObjectType, Pair[]> = {
    User: [],
    UserDisplay: [],
    Enrollment: [],
    Submission: [],
    SubmissionComment: [],
    DiscussionEntry: [],
    PageView: [],
    StudentSummary: [],
    Login: [],
    Profile: [],
    Conversation: [],
    RubricAssessment: [],
    Attachment: [],
    CommunicationChannel: [],
  };
  const run = <T>(type: PiiObjectType, records: T[], nested?: (pair: Pair, input: T) => void) => {
    for (const record of records) {
      const pair: Pair = [obj(record), obj(sanitizer.sanitize(record))];
      pairs[type].push(pair);
      nested?.(pair, record);
    }
  };
  const courses = all(inst.courses).map((c) => c.id);
  run('User', all(inst.users));
  for (const c of courses) {
    run('Enrollment', all(inst.enrollments(c)), ([, out], e: CanvasEnrollment) => {
      pairs.User.push([obj(e.user), obj(out.user)]);
    });
    run('StudentSummary', all(inst.studentSummaries(c)));
    const include = { user: true, submission_comments: true };
    run('Submission', all(inst.courseSubmissions(c, include)), ([, out], s: CanvasSubmission) => {
      if (s.user !== undefined) pairs.User.push([obj(s.user), obj(out.user)]);
      (s.submission_comments ?? []).forEach((comment, i) => {
        const outComment = obj((out.submission_comments as unknown[])[i]);
        pairs.SubmissionComment.push([obj(comment), outComment]);
        pairs.UserDisplay.push([obj(comment.author), obj(outComment.author)]);
      });
    });
    for (const topic of all(inst.discussionTopics(c))) {
      const entry = (pair: Pair, e: CanvasDiscussionEntry): void => {
        pairs.UserDisplay.push([obj(e.user), obj(pair[1].user)]);
        (e.recent_replies ?? []).forEach((reply, i) => {
          const out = obj((pair[1].recent_replies as unknown[])[i]);
          pairs.DiscussionEntry.push([obj(reply), out]);
          entry([obj(reply), out], reply);
        });
      };
      run('DiscussionEntry', all(inst.discussionEntries(c, topic.id)), entry);
    }
  }
  for (const user of all(inst.users).slice(0, 5)) run('PageView', all(inst.pageViews(user.id)));
  // Objects the simulator does not generate: hand-written, Canvas-shaped (see planted.ts).
  const planted = plantedRecords() as Record<string, Json>;
  const records = (value: unknown): Json[] => (value as Json[]).map(obj);
  run('Login', [planted.login]);
  run('Profile', [planted.profile]);
  run('CommunicationChannel', [planted.channel]);
  run('PageView', records(planted.pageViews));
  run('Conversation', [planted.conversation], ([, out], c) => {
    records(c?.participants).forEach((participant, i) => {
      pairs.Conversation.push([participant, obj((out.participants as unknown[])[i])]);
    });
  });
  run('RubricAssessment', [planted.rubricAssessment], ([, out], a) => {
    records(a?.data).forEach((criterion, i) => {
      pairs.RubricAssessment.push([criterion, obj((out.data as unknown[])[i])]);
    });
  });
  run('Submission', [planted.submission], ([, out], submission) => {
    const criteria = obj(submission?.rubric_assessment);
    for (const [id, criterion] of Object.entries(criteria)) {
      pairs.RubricAssessment.push([obj(criterion), obj(obj(out.rubric_assessment)[id])]);
    }
    records(submission?.attachments).forEach((file, i) => {
      pairs.Attachment.push([file, obj((out.attachments as unknown[])[i])]);
    });
  });
  return pairs;
}

/** The object holding a field: page views keep their user ids in `links`. */
function holder(type: PiiObjectType, field: string, object: Json): Json {
  return type === 'PageView' && (field === 'user' || field === 'real_user')
    ? obj(object.links)
    : object;
}

const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;

/** An identifier left in a URL: an email, a SIS/LTI id, an identifying parameter's value. */
const URL_IDENTIFIER =
  /@|\b(?:sis|lti)_\w*(?::|%3A)(?!\[REDACTED\])|[?&](?:login_id|email|verifier)=(?!\[REDACTED\])/i;

/** Whether `out` is `input` with some parts replaced by markers: its other parts, in order. */
function isScrubbedFrom(out: string, input: string): boolean {
  let from = 0;
  for (const part of out.split(/\[REDACTED\]|\[EMAIL\]/)) {
    const at = input.indexOf(part, from);
    if (at < 0) return false;
    from = at + part.length;
  }
  return true;
}

/** Asserts one field of one object was treated by `action`; false if the input lacks it. */
function expectTreated(field: string, action: PiiAction, input: Json, output: Json): boolean {
  if (!Object.hasOwn(input, field)) return false;
  const value = input[field];
  const where = `${field} (${action})`;
  const nested = typeof value === 'object' && value !== null;
  switch (action) {
    case 'drop':
      expect(Object.hasOwn(output, field), where).toBe(false);
      break;
    case 'redact':
      expect(output[field], where).toBe(value === null ? null : '[REDACTED]');
      break;
    case 'pseudonymize':
      if (nested) expect(typeof output[field], where).toBe('object');
      else if (value === null) expect(output[field], where).toBeNull();
      else {
        expect(output[field], where).toBe(expectedPseudonym(KEY, 'k1', value as string | number));
      }
      break;
    case 'keep':
      if (nested) expect(typeof output[field], where).toBe('object');
      else expect(output[field], where).toBe(value);
      break;
    case 'scrub-url':
      if (typeof value === 'string') {
        const out = output[field] as string;
        expect(out, where).not.toMatch(URL_IDENTIFIER);
        expect(isScrubbedFrom(out, value), where).toBe(true);
        if (!URL_IDENTIFIER.test(value)) expect(out, where).toBe(value);
      } else {
        expect(output[field], where).toBe(value === null ? null : '[REDACTED]');
      }
      break;
    case 'redact-emails':
      expect(output[field], where).toBe(
        typeof value === 'string' ? value.replace(EMAIL, '[EMAIL]') : value,
      );
      break;
  }
  return true;
}

function checkAll(sanitizer: FerpaSanitizer, actionOf: (entry: PiiFieldEntry) => PiiAction) {
  const pairs = pairsByType(sanitizer);
  const checked: string[] = [];
  for (const entry of piiCatalog) {
    for (const type of entry.objectTypes) {
      expect(pairs[type].length, type).toBeGreaterThan(0);
      let seen = 0;
      for (const [input, output] of pairs[type]) {
        const action = actionOf(entry);
        if (
          expectTreated(
            entry.field,
            action,
            holder(type, entry.field, input),
            holder(type, entry.field, output),
          )
        ) {
          seen++;
        }
      }
      if (!NOT_GENERATED.has(entry.field)) {
        expect(seen, `${type}.${entry.field} never generated`).toBeGreaterThan(0);
        checked.push(`${type}.${entry.field}`);
      }
    }
  }
  return checked;
}

describe('catalog', () => {
  it('has one entry per field, each with object types and a note-able shape', () => {
    const fields = piiCatalog.map((entry) => entry.field);
    expect(new Set(fields).size).toBe(fields.length);
    for (const entry of piiCatalog) {
      expect(entry.objectTypes.length, entry.field).toBeGreaterThan(0);
      if (entry.canvasIdAction !== undefined) {
        expect(['canvas-id', 'profile']).toContain(entry.category);
      }
    }
    expect(Object.isFrozen(piiCatalog)).toBe(true);
    expect(Object.isFrozen(piiCatalog[0])).toBe(true);
  });

  it('renders as a Markdown table with one row per field', () => {
    const md = renderPiiCatalogMarkdown();
    const lines = md.split('\n');
    expect(lines[0]).toBe('| Field | Objects | Category | Default action | Note |');
    expect(lines).toHaveLength(piiCatalog.length + 2);
    for (const entry of piiCatalog) {
      expect(md).toContain(`| \`${entry.field}\` | ${entry.objectTypes.join(', ')} |`);
    }
    expect(md).toContain('`redact` in person objects, else `keep`');
    expect(md).toContain('`drop` in person objects, else `scrub-url`');
    expect(md).toContain('`drop` everywhere with `pseudonymizeCanvasIds`');
  });
});

describe('default policy on simulator records', () => {
  const sanitizer = new FerpaSanitizer({ key: KEY, keyId: 'k1' });

  it('treats every catalog field of every object type as the catalog says', () => {
    const checked = checkAll(sanitizer, (entry) => entry.defaultAction);
    // Guard against a vacuous pass: every (type, field) pair the simulator emits was seen.
    expect(checked.length).toBeGreaterThanOrEqual(40);
    expect(checked).toEqual(
      expect.arrayContaining([
        'Enrollment.sis_user_id',
        'Enrollment.html_url',
        'UserDisplay.anonymous_id',
        'SubmissionComment.author_name',
        'DiscussionEntry.message',
        'PageView.remote_ip',
        'PageView.user',
        'StudentSummary.id',
      ]),
    );
  });

  it('keeps person-only fields outside person objects, and every non-catalog field', () => {
    const c = inst.courses.at(0);
    if (c === undefined) throw new Error('no course');
    const course = obj(sanitizer.sanitize(c));
    expect(course).toEqual({
      ...c,
      uuid: expectedPseudonym(KEY, 'k1', c.uuid),
      integration_id:
        c.integration_id === null ? null : expectedPseudonym(KEY, 'k1', c.integration_id),
    });
    for (const assignment of all(inst.assignments(c.id))) {
      expect(sanitizer.sanitize(assignment)).toEqual(assignment);
    }
    for (const section of all(inst.sections(c.id))) {
      expect(obj(sanitizer.sanitize(section)).name).toBe(section.name);
    }
    const topic = inst.discussionTopics(c.id)?.at(0);
    const out = obj(sanitizer.sanitize(topic));
    expect(out.title).toBe(topic?.title);
    expect(out.html_url).toBe(topic?.html_url);
    expect(out.user_name).toBe('[REDACTED]');
    expect(obj(out.author).display_name).toBe('[REDACTED]');
    const enrollment = inst.enrollments(c.id)?.at(5);
    const grades = obj(obj(sanitizer.sanitize(enrollment)).grades);
    expect(grades).toEqual(enrollment?.grades);
  });
});

describe('pseudonymizeCanvasIds', () => {
  const sanitizer = new FerpaSanitizer({ key: KEY, keyId: 'k1', pseudonymizeCanvasIds: true });

  it('pseudonymizes Canvas ids and drops the URLs that embed them', () => {
    checkAll(sanitizer, (entry) => entry.canvasIdAction ?? entry.defaultAction);
  });

  it('keeps references to courses and assignments, drops every html_url', () => {
    const c = inst.courses.at(0)?.id ?? 0;
    const enrollment = inst.enrollments(c)?.at(5);
    const out = obj(sanitizer.sanitize(enrollment));
    expect(out.course_id).toBe(enrollment?.course_id);
    expect(out.user_id).toBe(expectedPseudonym(KEY, 'k1', enrollment?.user_id ?? 0));
    expect(obj(out.user).id).toBe(out.user_id);
    expect(obj(out.grades).html_url).toBeUndefined();
    const topic = obj(sanitizer.sanitize(inst.discussionTopics(c)?.at(0)));
    expect(topic.html_url).toBeUndefined();
    expect(topic.assignment_id).toBeNull();
  });
});
