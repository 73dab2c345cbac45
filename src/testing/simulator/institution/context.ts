/**
 * What every record builder of an institution shares: the resolved options and sizes, the
 * seeds of the independent random streams, the academic year and the term calendar.
 *
 * Each record gets its own random stream, derived by {@link rngOf} from the seed of its kind
 * and its indices, so any record is built in O(1) and independently of all the others.
 *
 * @module
 */
import { createPrng, hashSeed, mixHash, type Prng } from '../prng.js';
import { DAY } from './format.js';
import { assertIdsFit, type Sizes, sizesOf } from './ids.js';
import {
  type InstitutionOptions,
  type ResolvedInstitutionOptions,
  resolveOptions,
} from './options.js';
import { assertSlotsFit } from './page-view-slots.js';
import { type TermSpan, termSpans } from './term-spans.js';

/** Tag of each random stream; a stream's seed is `hashSeed(root, tag)`. */
const STREAM_TAGS = {
  account: 'account',
  year: 'year',
  window: 'window',
  user: 'user',
  net: 'net',
  course: 'course',
  section: 'section',
  enrollment: 'enrollment',
  ability: 'ability',
  assignment: 'assignment',
  submission: 'submission',
  comment: 'comment',
  topic: 'topic',
  entry: 'entry',
  pageView: 'page view',
  addedPageView: 'added page view',
  summary: 'summary',
} as const;

/** The seed of each random stream of an institution, by kind of record. */
export type Streams = { readonly [kind in keyof typeof STREAM_TAGS]: number };

/** Everything the record builders of one institution share. */
export interface Context extends Sizes {
  /** The options, defaults applied. */
  readonly options: ResolvedInstitutionOptions;
  /** Seed of the whole institution, from which every stream derives. */
  readonly root: number;
  /** Seeds of the random streams. */
  readonly streams: Streams;
  /** Start of the academic year (August 24, 00:00 UTC), epoch seconds. */
  readonly yearStart: number;
  /** End (exclusive) of the span of page views, epoch seconds. */
  readonly pageViewsEnd: number;
  /** Length of the span of page views, seconds. */
  readonly pageViewSpan: number;
  /** Pool index of the first student of course 0 (see `roster.ts`). */
  readonly windowOffset: number;
  /** The enrollment terms, in order. */
  readonly terms: readonly TermSpan[];
}

/**
 * Resolves and validates `options` and derives the shared state of an institution: O(terms).
 *
 * @throws RangeError for invalid options, when the largest id would not be a safe integer, or
 *   when the page views' slots would not fit their ids (see `page-view-slots.ts`).
 */
export function createContext(options: InstitutionOptions): Context {
  const o = resolveOptions(options);
  const sizes = sizesOf(o);
  assertIdsFit(sizes);
  const root = hashSeed(o.seed, 'canvas-sync simulator');
  const seeds: Partial<Record<keyof Streams, number>> = {};
  for (const [kind, tag] of Object.entries(STREAM_TAGS) as [keyof Streams, string][]) {
    seeds[kind] = hashSeed(root, tag);
  }
  const streams = seeds as Streams;
  const year = 2024 + (streams.year % 4);
  const yearStart = Date.UTC(year, 7, 24) / 1000; // Aug 24 00:00 UTC; Date.UTC is a pure function
  const pageViewsEnd =
    o.pageViewsUntil === undefined ? yearStart + 280 * DAY : Math.floor(o.pageViewsUntil / 1000);
  const pageViewSpan = o.pageViewDays * DAY;
  assertSlotsFit({ V: sizes.V, pageViewSpan }, pageViewsEnd);
  return {
    ...sizes,
    options: o,
    root,
    streams,
    yearStart,
    pageViewsEnd,
    pageViewSpan,
    windowOffset: sizes.S > 0 ? streams.window % sizes.S : 0,
    terms: termSpans(o.terms, year, yearStart),
  };
}

/** A fresh random stream for one record: the stream `s` of its kind mixed with its indices. */
export function rngOf(s: number, a: number, b?: number, c?: number): Prng {
  let h = mixHash(s, a);
  if (b !== undefined) h = mixHash(h, b);
  if (c !== undefined) h = mixHash(h, c);
  return createPrng(h);
}
