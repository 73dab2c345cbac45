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
  | { readonly kind: 'bad_request'; readonly message: string };

interface RouteInput {
  readonly params: readonly string[];
  readonly searchParams: URLSearchParams;
  readonly body: unknown;
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly endpoint: EndpointName;
  readonly handle: (data: Institution, input: RouteInput) => RouteResult;
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

/** `/courses/:id/enrollments`, filtered by `type[]` when given. */
function courseEnrollments(data: Institution, input: RouteInput): RouteResult {
  const all = data.enrollments(param(input, 0));
  const types = input.searchParams.getAll('type[]');
  if (all === undefined || types.length === 0) return bookmarked(all);
  const picked = [];
  for (let i = 0; i < all.length; i++) {
    const enrollment = all.at(i);
    if (enrollment !== undefined && types.includes(enrollment.type)) picked.push(enrollment);
  }
  return bookmarked(arrayKeyset(picked));
}

/** `/courses/:id/users`, filtered by `enrollment_type[]` when given. */
function courseUsers(data: Institution, input: RouteInput): RouteResult {
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
function userPageViews(data: Institution, input: RouteInput): RouteResult {
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

function courseSubmissions(data: Institution, input: RouteInput): RouteResult {
  const courseId = param(input, 0);
  const all = data.courseSubmissions(courseId, submissionIncludes(input));
  if (all === undefined) return NOT_FOUND;
  const studentIds = input.searchParams.getAll('student_ids[]');
  // Without student_ids Canvas answers with the caller's own submissions: none for a service account.
  if (studentIds.length === 0) return numbered(arrayList([]));
  if (studentIds.includes('all')) return numbered(all);
  const wanted = new Set(studentIds);
  const picked: unknown[] = [];
  for (let i = 0; i < all.length; i++) {
    const submission = all.at(i);
    if (submission !== undefined && wanted.has(String(submission.user_id))) picked.push(submission);
  }
  return numbered(arrayList(picked));
}

function accountCourses(data: Institution, input: RouteInput): RouteResult {
  if (param(input, 0) !== String(data.account.id)) return NOT_FOUND;
  const term = input.searchParams.get('enrollment_term_id');
  if (term === null) return numbered(data.courses);
  const picked: unknown[] = [];
  for (let i = 0; i < data.courses.length; i++) {
    const course = data.courses.at(i);
    if (course !== undefined && String(course.enrollment_term_id) === term) picked.push(course);
  }
  return numbered(arrayList(picked));
}

function updateSubmission(data: Institution, input: RouteInput): RouteResult {
  const list = data.submissions(param(input, 0), param(input, 1));
  if (list === undefined) return NOT_FOUND;
  const index = findByUser(list, param(input, 2));
  const submission = index >= 0 ? list.at(index) : undefined;
  if (submission === undefined) return NOT_FOUND;
  const body = input.body as { submission?: { posted_grade?: unknown } } | undefined;
  const posted = body?.submission?.posted_grade;
  if (posted !== undefined) {
    const score = Number(posted);
    submission.grade = String(posted);
    submission.score = Number.isFinite(score) ? score : submission.score;
    submission.workflow_state = 'graded';
  }
  return object(submission);
}

function findByUser(list: PageableList<{ user_id: number | string }>, userId: string): number {
  for (let i = 0; i < list.length; i++) {
    if (String(list.at(i)?.user_id) === userId) return i;
  }
  return -1;
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
  route('GET', `/users/${ID}`, 'users.show', (data, input) => object(data.user(param(input, 0)))),
  route('GET', `/users/${ID}/page_views`, 'users.page_views', userPageViews),
  route('GET', `/accounts/${ID}`, 'accounts.show', (data, input) =>
    param(input, 0) === String(data.account.id) ? object(data.account) : NOT_FOUND,
  ),
  route('GET', `/accounts/${ID}/terms`, 'accounts.terms', (data, input) =>
    param(input, 0) === String(data.account.id)
      ? object({ enrollment_terms: data.terms })
      : NOT_FOUND,
  ),
  route('GET', `/accounts/${ID}/courses`, 'accounts.courses', accountCourses),
  route('GET', `/courses/${ID}`, 'courses.show', (data, input) =>
    object(data.course(param(input, 0))),
  ),
  route('GET', `/courses/${ID}/users`, 'courses.users', courseUsers),
  route('GET', `/courses/${ID}/enrollments`, 'courses.enrollments', courseEnrollments),
  route('GET', `/courses/${ID}/sections`, 'courses.sections', (data, input) =>
    numbered(data.sections(param(input, 0))),
  ),
  route('GET', `/courses/${ID}/assignments`, 'courses.assignments', (data, input) =>
    numbered(data.assignments(param(input, 0))),
  ),
  route('GET', `/courses/${ID}/assignments/${ID}`, 'courses.assignment', (data, input) =>
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
    (data, input) =>
      numbered(data.submissions(param(input, 0), param(input, 1), submissionIncludes(input))),
  ),
  route(
    'PUT',
    `/courses/${ID}/assignments/${ID}/submissions/${ID}`,
    'submissions.update',
    updateSubmission,
  ),
  route('GET', `/courses/${ID}/discussion_topics`, 'discussion_topics.index', (data, input) =>
    numbered(data.discussionTopics(param(input, 0))),
  ),
  route(
    'GET',
    `/courses/${ID}/discussion_topics/${ID}/entries`,
    'discussion_topics.entries',
    (data, input) => numbered(data.discussionEntries(param(input, 0), param(input, 1))),
  ),
  route(
    'GET',
    `/courses/${ID}/analytics/student_summaries`,
    'analytics.student_summaries',
    (data, input) => numbered(data.studentSummaries(param(input, 0))),
  ),
];

/** A request matched to a route, ready to run. */
export interface MatchedRoute {
  readonly endpoint: EndpointName;
  run(data: Institution, searchParams: URLSearchParams, body: unknown): RouteResult;
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
      run: (data, searchParams, body) => route.handle(data, { params, searchParams, body }),
    };
  }
  return undefined;
}
