/**
 * The root account and its enrollment terms. Up to three terms follow the academic calendar
 * (Fall, Spring, Summer); more split the year evenly.
 *
 * @module
 */
import type { CanvasAccount, CanvasTerm } from '../canvas-types.js';
import * as W from '../data-names.js';
import { createPrng } from '../prng.js';
import type { Context } from './context.js';
import { DAY, iso, pad } from './format.js';
import { termId } from './ids.js';
import type { TermSpan } from './term-spans.js';

export { type TermSpan, termSpans } from './term-spans.js';

/** Index of the term of course `c` (courses are spread round-robin over the terms). */
export const termIndexOf = (ctx: Context, c: number): number => c % ctx.options.terms;

/** The term of course `c`. */
export function termOf(ctx: Context, c: number): TermSpan {
  const span = ctx.terms[termIndexOf(ctx, c)];
  if (!span) throw new Error('unreachable: term');
  return span;
}

/** The enrollment terms, ascending id. */
export function buildTerms(ctx: Context): CanvasTerm[] {
  return ctx.terms.map((span, t) => ({
    id: termId(t),
    name: span.name,
    start_at: iso(span.start),
    end_at: iso(span.end),
    created_at: iso(ctx.yearStart - 120 * DAY + t * DAY),
    workflow_state: 'active',
    sis_term_id: span.sis,
    sis_import_id: 1000 + t,
    grading_period_group_id: null,
  }));
}

/** SIS id of the account with this id. */
export const sisAccountId = (accountId: number): string => `ACCT-${pad(accountId, 4)}`;

/** The root account. */
export function buildAccount(ctx: Context): CanvasAccount {
  const rng = createPrng(ctx.streams.account);
  const id = ctx.options.accountId;
  return {
    id,
    name: rng.pick(W.institutionNames),
    uuid: rng.chars(40, W.alphanumeric),
    parent_account_id: null,
    root_account_id: null,
    workflow_state: 'active',
    default_time_zone: 'America/New_York',
    sis_account_id: sisAccountId(id),
    integration_id: null,
    sis_import_id: 1000,
    lti_guid: `${rng.chars(40, W.alphanumeric)}:canvas-lms`,
  };
}
