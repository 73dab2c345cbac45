/**
 * The grading model: each student has a fixed ability that drives their course grades and
 * assignment scores, and each submission an outcome (excused, missing, submitted or graded,
 * maybe late) that submissions and analytics both derive from the same random stream.
 *
 * @module
 */
import { createPrng, mixHash, type Prng } from '../prng.js';
import { type Context, rngOf } from './context.js';

/** Ability of the student with pool index `p`, in `0.55..1`. */
export const ability = (ctx: Context, p: number): number =>
  0.55 + 0.45 * createPrng(mixHash(ctx.streams.ability, p)).float();

/** The lowest percentage of each letter grade, best first; below the last is an F. */
const LETTER_GRADES: readonly (readonly [number, string])[] = [
  [93, 'A'],
  [90, 'A-'],
  [87, 'B+'],
  [83, 'B'],
  [80, 'B-'],
  [77, 'C+'],
  [73, 'C'],
  [70, 'C-'],
  [67, 'D+'],
  [60, 'D'],
];

/** US letter grade of a percentage. */
export function letterGrade(percent: number): string {
  for (const [lowest, letter] of LETTER_GRADES) if (percent >= lowest) return letter;
  return 'F';
}

// Relative weights of submission outcomes.
const P_EXCUSED = 0.03;
const P_MISSING = 0.11; // cumulative
const P_UNGRADED = 0.21; // cumulative: submitted, not graded yet
const P_LATE = 0.12; // of submitted ones

/** What became of a submission. */
export type SubmissionKind = 'excused' | 'missing' | 'submitted' | 'graded';

/** The outcome of one submission, and the random stream that goes on to fill in its details. */
export interface SubmissionOutcome {
  /** What became of it. */
  readonly kind: SubmissionKind;
  /** Whether it was submitted late (never for excused or missing ones). */
  readonly late: boolean;
  /** The submission's stream, after the two draws that decided `kind` and `late`. */
  readonly rng: Prng;
}

/** The outcome of the submission of the k-th student of course `c` for assignment `a`. */
export function submissionOutcome(
  ctx: Context,
  c: number,
  a: number,
  k: number,
): SubmissionOutcome {
  const rng = rngOf(ctx.streams.submission, c, a, k);
  const r = rng.float();
  const late = rng.float() < P_LATE;
  if (r < P_EXCUSED) return { kind: 'excused', late: false, rng };
  if (r < P_MISSING) return { kind: 'missing', late: false, rng };
  return { kind: r < P_UNGRADED ? 'submitted' : 'graded', late, rng };
}
