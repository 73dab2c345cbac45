/**
 * The dates and names of an academic year's enrollment terms (pure), apart from the account so
 * that the context can compute them without importing the account module.
 *
 * @module
 */
import { DAY, pad } from './format.js';

/** The dates and names of one enrollment term. */
export interface TermSpan {
  /** First second of the term, epoch seconds. */
  readonly start: number;
  /** Start of the last minute of the term, epoch seconds. */
  readonly end: number;
  /** Display name, e.g. `Fall 2025`. */
  readonly name: string;
  /** SIS id, e.g. `2025FA`. */
  readonly sis: string;
}

const SEASONS = [
  { name: 'Fall', code: 'FA', startDay: 0, days: 116, nextYear: false },
  { name: 'Spring', code: 'SP', startDay: 141, days: 117, nextYear: true },
  { name: 'Summer', code: 'SU', startDay: 274, days: 75, nextYear: true },
] as const;

/** The `count` terms of the academic year `year` (`year`–`year + 1`) starting at `yearStart`. */
export function termSpans(count: number, year: number, yearStart: number): TermSpan[] {
  const spans: TermSpan[] = [];
  for (let t = 0; t < count; t++) {
    const season = count <= 3 ? SEASONS[t] : undefined;
    if (season) {
      const seasonYear = season.nextYear ? year + 1 : year;
      const start = yearStart + season.startDay * DAY;
      spans.push({
        start,
        end: start + season.days * DAY - 60,
        name: `${season.name} ${seasonYear}`,
        sis: `${seasonYear}${season.code}`,
      });
    } else {
      const days = Math.max(1, Math.floor(350 / count));
      const start = yearStart + t * days * DAY;
      spans.push({
        start,
        end: start + days * DAY - 60,
        name: `Term ${t + 1} ${year}-${year + 1}`,
        sis: `${year}T${pad(t + 1, 2)}`,
      });
    }
  }
  return spans;
}
