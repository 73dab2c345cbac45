/**
 * Text and number formats of generated records: timestamps, zero-padded numbers, uuids,
 * rounding, and the placeholder origin of every URL. All pure and independent of the clock
 * and locale.
 *
 * @module
 */
import { hex32, type Prng } from '../prng.js';

/** Placeholder origin of every `html_url` / `avatar_url` the generator emits. */
export const CANVAS_PLACEHOLDER_ORIGIN = 'https://canvas.example.edu';

/** Seconds in a day. */
export const DAY = 86_400;
/** Seconds in an hour. */
export const HOUR = 3_600;

/** URL of a course (`…/courses/1001`) or of a page of it (`courseUrl(1001, 'grades')` is `…/courses/1001/grades`). */
export function courseUrl(courseId: number, path?: string): string {
  const base = `${CANVAS_PLACEHOLDER_ORIGIN}/courses/${courseId}`;
  return path === undefined ? base : `${base}/${path}`;
}

/** `n` in decimal, zero-padded to `width` digits. */
export const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, i) => pad(i, 2));
const pad2 = (n: number): string => TWO_DIGITS[n] ?? pad(n, 2);

/** ISO 8601 UTC (`2026-09-01T14:03:00Z`) from epoch seconds, without `Date`. */
export function iso(epochSeconds: number): string {
  const t = Math.floor(epochSeconds);
  const days = Math.floor(t / DAY);
  let rem = t - days * DAY;
  const hh = Math.floor(rem / HOUR);
  rem -= hh * HOUR;
  const mi = Math.floor(rem / 60);
  const ss = rem - mi * 60;
  // Howard Hinnant's civil_from_days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${pad2(m)}-${pad2(d)}T${pad2(hh)}:${pad2(mi)}:${pad2(ss)}Z`;
}

/** A random version 4 uuid (four draws of `rng`). */
export function uuidV4(rng: Prng): string {
  const b = hex32(rng.uint32());
  const c = hex32(rng.uint32());
  const variant = '89ab'.charAt(rng.uint32() & 3);
  return `${hex32(rng.uint32())}-${b.slice(0, 4)}-4${b.slice(5)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${hex32(rng.uint32())}`;
}

/** `x` rounded to 1 decimal. */
export const round1 = (x: number): number => Math.round(x * 10) / 10;
/** `x` rounded to 2 decimals. */
export const round2 = (x: number): number => Math.round(x * 100) / 100;
/** `x` clamped to `0..1`. */
export const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));
