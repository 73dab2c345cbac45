/**
 * Who is in which course. Users are indexed students first (`0..S-1`), then teachers
 * (`S..S+T-1`).
 *
 * The K students of course c are a window of consecutive pool indices (wrapping around the
 * pool) starting at `windowOffset + c·K`, so that consecutive courses share no students until
 * the pool is exhausted. Teacher `c mod T` teaches course c, with teacher `(c + 1) mod T` as TA
 * when there are at least two teachers.
 *
 * @module
 */
import type { Prng } from '../prng.js';
import type { Context } from './context.js';

/** Pool index of the first student (before wrapping) of course `c`. */
export const windowStart = ({ S, K, windowOffset }: Context, c: number): number =>
  S === 0 ? 0 : (windowOffset + (c % S) * K) % S;

/** Pool index of the k-th student (ascending) of the course whose window starts at `start`. */
export function poolIndex({ S, K }: Context, start: number, k: number): number {
  const wrapped = start + K - S; // how many pool indices wrapped around to 0..wrapped-1
  if (wrapped <= 0) return start + k;
  return k < wrapped ? k : start + (k - wrapped);
}

/** User index of staff member `j` of course `c`: 0 the teacher, 1 the TA (when `H` is 2). */
export const staffMember = ({ S, T }: Context, c: number, j: number): number => S + ((c + j) % T);

/** User indices of the staff of course `c`, ascending. */
export function staffAscending(ctx: Context, c: number): number[] {
  const team: number[] = [];
  for (let j = 0; j < ctx.H; j++) team.push(staffMember(ctx, c, j));
  return team.sort((x, y) => x - y);
}

/** A course of user `u` drawn uniformly with `rng` (one draw), or -1 when the user has none. */
export function randomCourseOf(ctx: Context, u: number, rng: Prng): number {
  const { S, K, C, T } = ctx;
  if (u < S) {
    if (K === 0 || C === 0) return -1;
    const q = (((u - ctx.windowOffset) % S) + S) % S; // position of u in the unrolled window sequence
    const count = C * K > q ? Math.ceil((C * K - q) / S) : 0;
    if (count === 0) return -1;
    return Math.floor((q + rng.int(0, count - 1) * S) / K);
  }
  const t = u - S;
  const count = t < C ? Math.ceil((C - t) / T) : 0;
  return count === 0 ? -1 : t + rng.int(0, count - 1) * T;
}
