/**
 * Deterministic, lazily computed Canvas institution for the simulator.
 *
 * Nothing is materialized: every record is derived on demand from `(seed, indices)` through its
 * own `hashSeed`-style random stream (`prng.ts`), so any record of a million-record collection
 * costs O(1) to build and the same seed yields the same data in every process and Node version
 * (no `Math.random`, no clock). Ids are positive integers computed by formula (unique per object
 * type, ascending with the index in every `LazyList`); page views have uuid-like string ids that
 * ascend lexicographically instead.
 *
 * This module is the stable entry point; the generator lives in `./institution/`, one module per
 * kind of record (the id formulas are documented in `./institution/ids.ts`).
 *
 * @module
 */
export { CANVAS_PLACEHOLDER_ORIGIN } from './institution/format.js';
export { createInstitution, type Institution } from './institution/institution.js';
export type { LazyList } from './institution/lazy-list.js';
export {
  defaultInstitutionOptions,
  type InstitutionOptions,
  type ResolvedInstitutionOptions,
} from './institution/options.js';
export type { PageViewRange } from './institution/page-views.js';
export type { SubmissionIncludes } from './institution/submissions.js';
