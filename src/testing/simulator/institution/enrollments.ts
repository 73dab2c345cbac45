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

/** The enrollments of course `c`, with nested `user`. */
export function buildEnrollments(ctx: Context, c: number): LazyList<CanvasEnrollment> {
  const { H, P } = ctx;
  const m = courseMeta(ctx, c);
  const term = termOf(ctx, c);
  const start = windowStart(ctx, c);
  const cid = courseId(c);
  const accountSis = sisAccountId(ctx.options.accountId);
  return range(ctx.E, enrollmentId(ctx, c, 0), (j) => {
    const isStaff = j < H;
    const k = j - H;
    const u = isStaff ? staffMember(ctx, c, j) : poolIndex(ctx, start, k);
    const section = isStaff ? 0 : k % P;
    const user = buildUser(ctx, u);
    const rng = rngOf(ctx.streams.enrollment, c, j);
    const role = (isStaff ? STAFF_ROLES[j] : undefined) ?? STUDENT_ROLE;
    const r = rng.float();
    const state = isStaff || r < 0.94 ? 'active' : r < 0.97 ? 'inactive' : 'invited';
    const created = term.start - rng.int(DAY, 20 * DAY);
    const lastActivity = term.start + rng.int(DAY, term.end - term.start);
    const enrollment: CanvasEnrollment = {
      id: enrollmentId(ctx, c, j),
      user_id: user.id,
      course_id: cid,
      course_section_id: sectionId(ctx, c, section),
      root_account_id: ctx.options.accountId,
      type: role.type,
      enrollment_state: state,
      role: role.type,
      role_id: role.roleId,
      limit_privileges_to_course_section: false,
      associated_user_id: null,
      sis_user_id: user.sis_user_id,
      sis_course_id: m.sis,
      sis_section_id: sectionSis(m, section),
      sis_account_id: accountSis,
      sis_import_id: 1000 + (c % 40),
      course_integration_id: m.integration,
      section_integration_id: sectionIntegration(ctx, c, section),
      created_at: iso(created),
      updated_at: iso(created + rng.int(0, 10 * DAY)),
      start_at: null,
      end_at: null,
      last_activity_at: state === 'invited' ? null : iso(lastActivity),
      last_attended_at: rng.chance(0.3) ? iso(lastActivity - rng.int(0, 10 * DAY)) : null,
      total_activity_time: state === 'invited' ? 0 : rng.int(600, 400_000),
      html_url: courseUrl(cid, `users/${user.id}`),
      user,
    };
    if (!isStaff) enrollment.grades = studentGrades(ctx, u, cid, rng);
    return enrollment;
  });
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
