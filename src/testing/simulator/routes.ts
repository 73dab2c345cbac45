import type { CanvasEnrollment, CanvasSubmission } from './canvas-types.js';
import type { Institution } from './data.js';
import type { EndpointName } from './options.js';
import type { KeysetList, PageableList } from './pagination.js';
import { readTimeParam } from './time-param.js';

/** What a route answers, before pagination, faults and headers are applied. */
export type RouteResult =
  | { readonly kind: 'object'; readonly body: unknown }
  | {
      readonly kind: 'collection';
      readonly style: 'numbered';
      readonly list: PageableList<unknown>;
    }
  | { readonly kind: 'collection'; readonly style: 'bookmark'; readonly list: KeysetList<unknown> }
  | { readonly kind: 'not_found' }
  | {
      readonly kind: 'bad_request';
      readonly message: string;
      /** The body, when Canvas's is not the usual `{"errors":[{"message":…}]}`. */
      readonly body?: unknown;
    };

/** What the routes read and write: the institution as it is now, and its means of change. */
export interface RouteWorld {
  /** The institution, changes included. */
  readonly data: Institution;
  /** The enrollments dropped from a course (`enrollment_state: 'deleted'`), ascending id. */
  deletedEnrollments(courseId: string): CanvasEnrollment[];
  /**
   * Grades the submission of a student enrolled now (see `post-grade.ts`) as the
   * token's user; `undefined` when course, assignment or student is unknown.
   */
  postGrade(
    ids: { courseId: string; assignmentId: string; userId: string },
    posted: unknown,
    graderId: number,
  ): CanvasSubmission | undefined;
}

interface RouteInput {
  readonly params: readonly string[];
  readonly searchParams: URLSearchParams;
  readonly body: unknown;
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly endpoint: EndpointName;
  readonly handle: (world: RouteWorld, input: RouteInput) => RouteResult;
}

const NOT_FOUND: RouteResult = { kind: 'not_found' };
const ID = '(\\d+)';

function object(body: unknown): RouteResult {
  return body === undefined ? NOT_FOUND : { kind: 'object', body };
}

function numbered(list: PageableList<unknown> | undefined): RouteResult {
  return list === undefined ? NOT_FOUND : { kind: 'collection', style: 'numbered', list };
}

function bookmarked(list: KeysetList<unknown> | undefined): RouteResult {
  return list === undefined ? NOT_FOUND : { kind: 'collection', style: 'bookmark', list };
}

/** A fixed list (small, already filtered) seen through the pageable interface. */
function arrayList<T>(items: readonly T[]): PageableList<T> {
  return { length: items.length, at: (index) => items[index] };
}

/** A fixed list with numeric ids ascending, seen through the keyset (bookmark) interface. */
function arrayKeyset<T extends { id: number }>(items: readonly T[]): KeysetList<T> {
  return {
    length: items.length,
    at: (index) => items[index],
    indexAfterId: (id) => {
      const key = Number(id);
      if (Number.isNaN(key)) return 0;
      const after = items.findIndex((item) => item.id > key);
      return after === -1 ? items.length : after;
    },
  };
}

/** Canvas's `enrollment_type[]` values on `/courses/:id/users`, as enrollment types. */
const ROLE_TYPES: Readonly<Record<string, string>> = {
  student: 'StudentEnrollment',
  teacher: 'TeacherEnrollment',
  ta: 'TaEnrollment',
  observer: 'ObserverEnrollment',
  designer: 'DesignerEnrollment',
};

/** What each `state[]` value of `/courses/:id/enrollments` stands for, as enrollment states. */
const ENROLLMENT_STATE_GROUPS: Readonly<Record<string, readonly string[]>> = {
  current_and_invited: ['active', 'invited'],
  current_and_future: ['active', 'invited', 'creation_pending'],
  current_and_concluded: ['active', 'completed'],
};

/**
 * `/courses/:id/enrollments`, filtered by `type[]` and `state[]` when given. Without `state[]`
 * every enrollment but deleted ones is listed; `state[]=deleted` lists the dropped ones too.
 */
function courseEnrollments(world: RouteWorld, input: RouteInput): RouteResult {
  const courseId = param(input, 0);
  const all = world.data.enrollments(courseId);
  const types = input.searchParams.getAll('type[]');
  const states = new Set(
    input.searchParams
      .getAll('state[]')
      .flatMap((state) => ENROLLMENT_STATE_GROUPS[state] ?? state),
  );
  if (all === undefined || (types.length === 0 && states.size === 0)) return bookmarked(all);
  const wanted = (enrollment: CanvasEnrollment): boolean =>
    (types.length === 0 || types.includes(enrollment.type)) &&
    (states.size === 0 || states.has(enrollment.enrollment_state));
  const picked: CanvasEnrollment[] = [];
  for (let i = 0; i < all.length; i++) {
    const enrollment = all.at(i);
    if (enrollment !== undefined && wanted(enrollment)) picked.push(enrollment);
  }
  if (states.has('deleted')) {
    picked.push(...world.deletedEnrollments(courseId).filter(wanted));
    picked.sort((a, b) => a.id - b.id);
  }
  return bookmarked(arrayKeyset(picked));
}

/** `/courses/:id/users`, filtered by `enrollment_type[]` when given. */
function courseUsers({ data }: RouteWorld, input: RouteInput): RouteResult {
  const courseId = param(input, 0);
  const all = data.courseUsers(courseId);
  const roles = input.searchParams.getAll('enrollment_type[]');
  const enrollments = data.enrollments(courseId);
  if (all === undefined || enrollments === undefined || roles.length === 0) return numbered(all);
  const wanted = new Set(roles.map((role) => ROLE_TYPES[role]));
  const userIds = new Set<string>();
  for (let i = 0; i < enrollments.length; i++) {
    const enrollment = enrollments.at(i);
    if (enrollment !== undefined && wanted.has(enrollment.type)) {
      userIds.add(String(enrollment.user_id));
    }
  }
  const picked = [];
  for (let i = 0; i < all.length; i++) {
    const user = all.at(i);
    if (user !== undefined && userIds.has(String(user.id))) picked.push(user);
  }
  return numbered(arrayList(picked));
}

function param(input: RouteInput, index: number): string {
  return input.params[index] ?? '';
}

/**
 * `/users/:id/page_views`, limited to `start_time` (inclusive) and `end_time` (exclusive) when
 * given. Stricter than Canvas, which silently ignores a value it cannot parse: here that is a
 * 400, so that a malformed window shows up in tests instead of widening the request.
 */
function userPageViews({ data }: RouteWorld, input: RouteInput): RouteResult {
  const start = readTimeParam(input.searchParams, 'start_time');
  if (!start.ok) return { kind: 'bad_request', message: start.message };
  const end = readTimeParam(input.searchParams, 'end_time');
  if (!end.ok) return { kind: 'bad_request', message: end.message };
  return bookmarked(data.pageViews(param(input, 0), { start: start.ms, end: end.ms }));
}

/** The service account a token belongs to (`/users/self`, and the user of OAuth2 tokens). */
export const SELF_USER = Object.freeze({
  id: 1,
  name: 'Canvas Sync Service Account',
  sortable_name: 'Account, Canvas Sync Service',
  short_name: 'Canvas Sync',
  created_at: '2024-01-01T00:00:00Z',
});

function includes(input: RouteInput): Set<string> {
  return new Set(input.searchParams.getAll('include[]'));
}

function submissionIncludes(input: RouteInput): { user: boolean; submission_comments: boolean } {
  const set = includes(input);
  return { user: set.has('user'), submission_comments: set.has('submission_comments') };
}

/** Canvas's 400 for a `submitted_since` or `graded_since` it cannot read. */
function invalidSince(name: string, message: string): RouteResult {
  return {
    kind: 'bad_request',
    message,
    body: { errors: { [name]: `Invalid datetime for ${name}` } },
  };
}

/**
 * `/courses/:id/students/submissions`: the caller's own submissions (none for a service
 * account) without `student_ids[]`, every student's with `student_ids[]=all`. `submitted_since`
 * and `graded_since` keep the submissions submitted (graded) strictly after the time, as Canvas's
 * `submitted_at > ?`; given both, both apply. A value that is not an ISO 8601 date-time (to the
 * second) is Canvas's 400 `{"errors":{"submitted_since":"Invalid datetime for submitted_since"}}`.
 */
function courseSubmissions({ data }: RouteWorld, input: RouteInput): RouteResult {
  const courseId = param(input, 0);
  const all = data.courseSubmissions(courseId, submissionIncludes(input));
  if (all === undefined) return NOT_FOUND;
  const submittedSince = readTimeParam(input.searchParams, 'submitted_since', { dateTime: true });
  if (!submittedSince.ok) return invalidSince('submitted_since', submittedSince.message);
  const gradedSince = readTimeParam(input.searchParams, 'graded_since', { dateTime: true });
  if (!gradedSince.ok) return invalidSince('graded_since', gradedSince.message);
  const studentIds = input.searchParams.getAll('student_ids[]');
  // Without student_ids Canvas answers with the caller's own submissions: none for a service account.
  if (studentIds.length === 0) return numbered(arrayList([]));
  const everyone = studentIds.includes('all');
  const since = (at: string | null, ms: number | undefined): boolean =>
    ms === undefined || (at !== null && Date.parse(at) > ms);
  if (everyone && submittedSince.ms === undefined && gradedSince.ms === undefined) {
    return numbered(all);
  }
  const wanted = new Set(studentIds);
  const picked: unknown[] = [];
  for (let i = 0; i < all.length; i++) {
    const submission = all.at(i);
    if (
      submission !== undefined &&
      (everyone || wanted.has(String(submission.user_id))) &&
      since(submission.submitted_at, submittedSince.ms) &&
      since(submission.graded_at, gradedSince.ms)
    ) {
      picked.push(submission);
    }
  }
  return numbered(arrayList(picked));
}

function accountCourses({ data }: RouteWorld, input: RouteInput): RouteResult {
  if (param(input, 0) !== String(data.account.id)) return NOT_FOUND;
  const term = input.searchParams.get('enrollment_term_id');
  const courses = data.courses;
  if (term === null) return numbered(courses);
  const picked: unknown[] = [];
  for (let i = 0; i < courses.length; i++) {
    const course = courses.at(i);
    if (course !== undefined && String(course.enrollment_term_id) === term) picked.push(course);
  }
  return numbered(arrayList(picked));
}

/**
 * `PUT /courses/:id/assignments/:id/submissions/:user_id`: grades with
 * `submission[posted_grade]` as the token's user (the service account), through the
 * institution's changes, so that later requests see the grade.
 */
function updateSubmission(world: RouteWorld, input: RouteInput): RouteResult {
  const body = input.body as { submission?: { posted_grade?: unknown } } | undefined;
  const ids = { courseId: param(input, 0), assignmentId: param(input, 1), userId: param(input, 2) };
  return object(world.postGrade(ids, body?.submission?.posted_grade, SELF_USER.id));
}

/** A route of Canvas's REST API: `path` is a regular expression below `/api/v1`, whole. */
function route(
  method: string,
  path: string,
  endpoint: EndpointName,
  handle: Route['handle'],
): Route {
  return { method, pattern: new RegExp(`^/api/v1${path}$`), endpoint, handle };
}

const routes: readonly Route[] = [
  route('GET', '/users/self', 'users.self', () => object({ ...SELF_USER })),
  route('GET', `/users/${ID}`, 'users.show', ({ data }, input) =>
    object(data.user(param(input, 0))),
  ),
  route('GET', `/users/${ID}/page_views`, 'users.page_views', userPageViews),
  route('GET', `/accounts/${ID}`, 'accounts.show', ({ data }, input) =>
    param(input, 0) === String(data.account.id) ? object(data.account) : NOT_FOUND,
  ),
  route('GET', `/accounts/${ID}/terms`, 'accounts.terms', ({ data }, input) =>
    param(input, 0) === String(data.account.id)
      ? object({ enrollment_terms: data.terms })
      : NOT_FOUND,
  ),
  route('GET', `/accounts/${ID}/courses`, 'accounts.courses', accountCourses),
  route('GET', `/courses/${ID}`, 'courses.show', ({ data }, input) =>
    object(data.course(param(input, 0))),
  ),
  route('GET', `/courses/${ID}/users`, 'courses.users', courseUsers),
  route('GET', `/courses/${ID}/enrollments`, 'courses.enrollments', courseEnrollments),
  route('GET', `/courses/${ID}/sections`, 'courses.sections', ({ data }, input) =>
    numbered(data.sections(param(input, 0))),
  ),
  route('GET', `/courses/${ID}/assignments`, 'courses.assignments', ({ data }, input) =>
    numbered(data.assignments(param(input, 0))),
  ),
  route('GET', `/courses/${ID}/assignments/${ID}`, 'courses.assignment', ({ data }, input) =>
    object(data.assignment(param(input, 0), param(input, 1))),
  ),
  route(
    'GET',
    `/courses/${ID}/students/submissions`,
    'courses.students.submissions',
    courseSubmissions,
  ),
  route(
    'GET',
    `/courses/${ID}/assignments/${ID}/submissions`,
    'assignments.submissions',
    ({ data }, input) =>
      numbered(data.submissions(param(input, 0), param(input, 1), submissionIncludes(input))),
  ),
  route(
    'PUT',
    `/courses/${ID}/assignments/${ID}/submissions/${ID}`,
    'submissions.update',
    updateSubmission,
  ),
  route('GET', `/courses/${ID}/discussion_topics`, 'discussion_topics.index', ({ data }, input) =>
    numbered(data.discussionTopics(param(input, 0))),
  ),
  route(
    'GET',
    `/courses/${ID}/discussion_topics/${ID}/entries`,
    'discussion_topics.entries',
    ({ data }, input) => numbered(data.discussionEntries(param(input, 0), param(input, 1))),
  ),
  route(
    'GET',
    `/courses/${ID}/analytics/student_summaries`,
    'analytics.student_summaries',
    ({ data }, input) => numbered(data.studentSummaries(param(input, 0))),
  ),
];

/** A request matched to a route, ready to run. */
export interface MatchedRoute {
  readonly endpoint: EndpointName;
  run(world: RouteWorld, searchParams: URLSearchParams, body: unknown): RouteResult;
}

/** Finds the route for a method and path; `undefined` when none matches (a 404). */
export function matchRoute(method: string, path: string): MatchedRoute | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (match === null) continue;
    const params = match.slice(1).map((value) => value ?? '');
    return {
      endpoint: route.endpoint,
      run: (world, searchParams, body) => route.handle(world, { params, searchParams, body }),
    };
  }
  return undefined;
}
