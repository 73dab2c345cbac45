/**
 * Courses and their sections. Course `c` belongs to term `c mod terms`; its students are spread
 * round-robin over its sections.
 *
 * @module
 */
import type { CanvasCourse, CanvasSection } from '../canvas-types.js';
import * as W from '../data-names.js';
import { hex32, mixHash, type Prng } from '../prng.js';
import { termIndexOf, termOf } from './account.js';
import { type Context, rngOf } from './context.js';
import { DAY, iso, pad } from './format.js';
import { courseId, sectionId, termId } from './ids.js';
import { type LazyList, range } from './lazy-list.js';

/** The identity of a course, and its stream after the draws that made it. */
export interface CourseMeta {
  /** Course code, e.g. `BIO 214`. */
  readonly code: string;
  /** Subject, e.g. `Biology`. */
  readonly subject: string;
  /** Course title. */
  readonly title: string;
  /** SIS course id. */
  readonly sis: string;
  /** Integration id. */
  readonly integration: string;
  /** The course's stream, after the draws of this identity. */
  readonly rng: Prng;
}

/** The identity of course `c`. */
export function courseMeta(ctx: Context, c: number): CourseMeta {
  const rng = rngOf(ctx.streams.course, c);
  const [code, subject] = rng.pick(W.subjects);
  const number = rng.int(100, 499);
  return {
    code: `${code} ${number}`,
    subject,
    title: W.fill(rng.pick(W.courseTitleTemplates), { s: subject }),
    sis: `${code}${number}-${termOf(ctx, c).sis}-${pad(c + 1, 4)}`,
    integration: `crs-${rng.hex(10)}`,
    rng,
  };
}

/** The course record of course `c`. */
export function buildCourse(ctx: Context, c: number): CanvasCourse {
  const m = courseMeta(ctx, c);
  const rng = m.rng;
  const term = termOf(ctx, c);
  const accountId = ctx.options.accountId;
  return {
    id: courseId(c),
    name: m.title,
    course_code: m.code,
    uuid: rng.chars(40, W.alphanumeric),
    workflow_state: 'available',
    account_id: accountId,
    root_account_id: accountId,
    enrollment_term_id: termId(termIndexOf(ctx, c)),
    sis_course_id: m.sis,
    integration_id: m.integration,
    sis_import_id: 1000 + rng.int(0, 40),
    start_at: iso(term.start),
    end_at: iso(term.end),
    created_at: iso(term.start - rng.int(20 * DAY, 90 * DAY)),
    default_view: rng.pick(['modules', 'wiki', 'syllabus', 'feed', 'assignments'] as const),
    is_public: false,
    public_syllabus: rng.chance(0.3),
    license: 'private',
    time_zone: 'America/New_York',
    course_format: rng.pick(['on_campus', 'online', 'blended'] as const),
    total_students: ctx.K,
    grading_standard_id: null,
    apply_assignment_group_weights: rng.chance(0.5),
    hide_final_grades: false,
    restrict_enrollments_to_course_dates: false,
    blueprint: false,
  };
}

/** SIS id of section `s` of the course with identity `m`. */
export const sectionSis = (m: CourseMeta, s: number): string => `${m.sis}-S${pad(s + 1, 2)}`;

/** Integration id of section `s` of course `c`. */
export function sectionIntegration(ctx: Context, c: number, s: number): string {
  const h = mixHash(ctx.streams.section, c * ctx.P + s);
  return `sec-${hex32(h)}${hex32(mixHash(h, 1)).slice(0, 2)}`;
}

/** The sections of course `c`. */
export function buildSections(ctx: Context, c: number): LazyList<CanvasSection> {
  const { K, P } = ctx;
  const m = courseMeta(ctx, c);
  const term = termOf(ctx, c);
  return range(P, sectionId(ctx, c, 0), (s) => ({
    id: sectionId(ctx, c, s),
    name: `${m.code} Section ${pad(s + 1, 2)}`,
    course_id: courseId(c),
    sis_section_id: sectionSis(m, s),
    sis_course_id: m.sis,
    integration_id: sectionIntegration(ctx, c, s),
    sis_import_id: 1000 + (c % 40),
    nonxlist_course_id: null,
    start_at: iso(term.start),
    end_at: iso(term.end),
    created_at: iso(term.start - 30 * DAY),
    restrict_enrollments_to_section_dates: false,
    total_students: K > s ? Math.ceil((K - s) / P) : 0,
  }));
}
