/**
 * Enrollments and the users of a course. A course's enrollments are its teacher, then its TA (if
 * any), then its students by ascending user id, each in a section; student enrollments carry
 * grades drawn around the student's ability.
 *
 * @module
 */
import type {
  CanvasEnrollment,
  CanvasEnrollmentType,
  CanvasGrades,
  CanvasUser,
} from '../canvas-types.js';
import type { Prng } from '../prng.js';
import { sisAccountId, termOf } from './account.js';
import type { AddedStudent } from './changes.js';
import { type Context, rngOf } from './context.js';
import { courseMeta, sectionIntegration, sectionSis } from './courses.js';
import { clamp01, courseUrl, DAY, iso, round2 } from './format.js';
import { ability, letterGrade } from './grading.js';
import { courseId, enrollmentId, sectionId, userId } from './ids.js';
import { IdList, type LazyList, range } from './lazy-list.js';
import { poolIndex, staffAscending, staffMember, windowStart } from './roster.js';
import { buildUser } from './users.js';

/** Enrollment type and role id, by position among the staff (teacher, TA), then for students. */
const STAFF_ROLES = [
  { type: 'TeacherEnrollment', roleId: 4 },
  { type: 'TaEnrollment', roleId: 5 },
] as const satisfies readonly { type: CanvasEnrollmentType; roleId: number }[];
const STUDENT_ROLE = { type: 'StudentEnrollment', roleId: 3 } as const;

/** Grades of student `u` in course `cid`, drawn from `rng` around their ability. */
function studentGrades(ctx: Context, u: number, cid: number, rng: Prng): CanvasGrades {
  const current = round2(100 * clamp01(ability(ctx, u) + (rng.float() - 0.5) * 0.2));
  const final = round2(current * (0.85 + 0.15 * rng.float()));
  const unposted = round2(Math.min(100, current + rng.float() * 3));
  return {
    html_url: courseUrl(cid, `grades/${userId(u)}`),
    current_score: current,
    final_score: final,
    current_grade: letterGrade(current),
    final_grade: letterGrade(final),
    unposted_current_score: unposted,
    unposted_final_score: round2(Math.min(100, final + (unposted - current))),
  };
}

/** What differs between the enrollments of a course. */
interface EnrollmentFields {
  readonly id: number;
  readonly u: number;
  readonly section: number;
  readonly role: { readonly type: CanvasEnrollmentType; readonly roleId: number };
  readonly state: CanvasEnrollment['enrollment_state'];
  readonly created: number;
  readonly updated: number;
  readonly lastActivity: number | null;
  readonly lastAttended: number | null;
  readonly totalActivity: number;
}

/** An enrollment in course `c`, with nested `user`. */
function enrollmentOf(ctx: Context, c: number, f: EnrollmentFields): CanvasEnrollment {
  const m = courseMeta(ctx, c);
  const cid = courseId(c);
  const user = buildUser(ctx, f.u);
  return {
    id: f.id,
    user_id: user.id,
    course_id: cid,
    course_section_id: sectionId(ctx, c, f.section),
    root_account_id: ctx.options.accountId,
    type: f.role.type,
    enrollment_state: f.state,
    role: f.role.type,
    role_id: f.role.roleId,
    limit_privileges_to_course_section: false,
    associated_user_id: null,
    sis_user_id: user.sis_user_id,
    sis_course_id: m.sis,
    sis_section_id: sectionSis(m, f.section),
    sis_account_id: sisAccountId(ctx.options.accountId),
    sis_import_id: 1000 + (c % 40),
    course_integration_id: m.integration,
    section_integration_id: sectionIntegration(ctx, c, f.section),
    created_at: iso(f.created),
    updated_at: iso(f.updated),
    start_at: null,
    end_at: null,
    last_activity_at: f.lastActivity === null ? null : iso(f.lastActivity),
    last_attended_at: f.lastAttended === null ? null : iso(f.lastAttended),
    total_activity_time: f.totalActivity,
    html_url: courseUrl(cid, `users/${user.id}`),
    user,
  };
}

/** The enrollments of course `c`, with nested `user`. */
export function buildEnrollments(ctx: Context, c: number): LazyList<CanvasEnrollment> {
  const { H, P } = ctx;
  const term = termOf(ctx, c);
  const start = windowStart(ctx, c);
  const cid = courseId(c);
  return range(ctx.E, enrollmentId(ctx, c, 0), (j) => {
    const isStaff = j < H;
    const k = j - H;
    const u = isStaff ? staffMember(ctx, c, j) : poolIndex(ctx, start, k);
    const rng = rngOf(ctx.streams.enrollment, c, j);
    const r = rng.float();
    const state = isStaff || r < 0.94 ? 'active' : r < 0.97 ? 'inactive' : 'invited';
    const created = term.start - rng.int(DAY, 20 * DAY);
    const lastActivity = term.start + rng.int(DAY, term.end - term.start);
    const enrollment = enrollmentOf(ctx, c, {
      id: enrollmentId(ctx, c, j),
      u,
      section: isStaff ? 0 : k % P,
      role: (isStaff ? STAFF_ROLES[j] : undefined) ?? STUDENT_ROLE,
      state,
      created,
      updated: created + rng.int(0, 10 * DAY),
      lastActivity: state === 'invited' ? null : lastActivity,
      lastAttended: rng.chance(0.3) ? lastActivity - rng.int(0, 10 * DAY) : null,
      totalActivity: state === 'invited' ? 0 : rng.int(600, 400_000),
    });
    if (!isStaff) enrollment.grades = studentGrades(ctx, u, cid, rng);
    return enrollment;
  });
}

/**
 * The enrollment of a student added to course `c` by a change: active since then, no activity
 * and no grades yet.
 */
export function buildAddedEnrollment(
  ctx: Context,
  c: number,
  student: AddedStudent,
): CanvasEnrollment {
  const enrollment = enrollmentOf(ctx, c, {
    id: student.enrollmentId,
    u: student.u,
    section: student.section,
    role: STUDENT_ROLE,
    state: 'active',
    created: student.at,
    updated: student.at,
    lastActivity: null,
    lastAttended: null,
    totalActivity: 0,
  });
  enrollment.grades = {
    html_url: courseUrl(courseId(c), `grades/${userId(student.u)}`),
    current_score: null,
    final_score: null,
    current_grade: null,
    final_grade: null,
    unposted_current_score: null,
    unposted_final_score: null,
  };
  return enrollment;
}

/** The users enrolled in course `c`, ascending id: its students, then its staff. */
export function buildCourseUsers(ctx: Context, c: number): LazyList<CanvasUser> {
  const { K } = ctx;
  const start = windowStart(ctx, c);
  const team = staffAscending(ctx, c);
  const userAt = (i: number): number => (i < K ? poolIndex(ctx, start, i) : (team[i - K] ?? ctx.S));
  return new IdList(
    K + ctx.H,
    (i) => userId(userAt(i)),
    (i) => buildUser(ctx, userAt(i)),
  );
}
