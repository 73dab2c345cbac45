/**
 * Parsing of the ISO 8601 time parameters Canvas takes (`start_time`, `end_time`, …).
 *
 * @module
 */

/** `YYYY-MM-DD`, optionally `THH:MM[:SS[.fff]]` and a `Z` or `±HH[:]MM` offset. */
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** A date with a time of day to the second, as Canvas's `Api::ISO8601_REGEX` wants it. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/i;

/** The outcome of reading one time parameter. */
export type TimeParam =
  | { readonly ok: true; readonly ms: number | undefined }
  | { readonly ok: false; readonly message: string };

/**
 * Reads the time parameter `name` of a query: absent or empty gives `ms: undefined`; an ISO 8601
 * date or date-time gives its epoch milliseconds (a date alone is midnight UTC, a date-time
 * without offset is UTC, as for an account in UTC); anything else is an error whose message
 * names the parameter. With `dateTime`, a date alone or a time without seconds is an error too
 * (Canvas's `submitted_since` and `graded_since` take `YYYY-MM-DDTHH:MM:SS`, then an optional
 * fraction and offset).
 */
export function readTimeParam(
  searchParams: URLSearchParams,
  name: string,
  { dateTime = false }: { readonly dateTime?: boolean } = {},
): TimeParam {
  const raw = searchParams.get(name);
  if (raw === null || raw.trim() === '') return { ok: true, ms: undefined };
  const text = raw.trim();
  const ms = dateTime && !DATE_TIME.test(text) ? undefined : parseIso8601(text);
  const expected = dateTime ? 'date-time' : 'date or date-time';
  return ms === undefined
    ? { ok: false, message: `${name} must be an ISO 8601 ${expected}, got "${raw}"` }
    : { ok: true, ms };
}

/** Epoch milliseconds of an ISO 8601 date or date-time, or `undefined` when it is not one. */
export function parseIso8601(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00', offset] = match;
  const date = `${year}-${month}-${day}`;
  // The calendar fields must exist as written (no 2026-02-30, no 25:00).
  const midnight = Date.parse(`${date}T00:00:00Z`);
  if (!Number.isFinite(midnight) || new Date(midnight).toISOString().slice(0, 10) !== date) {
    return undefined;
  }
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  const zone = offset === undefined || /^z$/i.test(offset) ? 'Z' : normalizeOffset(offset);
  const time = text.slice(11).replace(/(Z|[+-]\d{2}(?::?\d{2})?)$/i, '');
  const ms = Date.parse(`${date}T${time === '' ? '00:00' : time}${zone}`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `+05`, `+0530` or `+05:30` as `+05:00` / `+05:30`. */
function normalizeOffset(offset: string): string {
  const digits = offset.slice(1).replace(':', '');
  return `${offset.charAt(0)}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
}
