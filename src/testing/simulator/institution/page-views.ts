/**
 * Page views, in fixed time slots: the time line from the epoch is cut into slots of
 * `pageViewDays` days / V (V = `pageViewsPerUser`; see `page-view-slots.ts`), and each slot `k`
 * holds one view of each user `u`, dated (with seeded jitter) in the slot. A view's id, time and
 * content derive from `(u, k)` only, never from the span, so institutions whose spans end at
 * different times (simulators started on different days) agree on every view they both list.
 *
 * A user's page views are the views dated in `[pageViewsUntil - pageViewDays days,
 * pageViewsUntil)` (none before 1970), oldest first: V - 1, V or V + 1 of them, as the two slots
 * cut by the span's ends have their view inside it or not (exactly V when the span starts at a
 * slot boundary). Each views the user's dashboard or a page of one of their courses (its home,
 * grades, an assignment or a discussion topic), from one of the user's two IPs and two user
 * agents.
 *
 * Page view ids are uuid-like strings: the slot index as 12 hex digits (the first 0..7), the
 * user index as 8, then 12 of a hash, so a user's views ascend lexicographically and never
 * collide across users. Views added by changes have ids of their own: `f`, their time (epoch
 * seconds) as 11 hex digits, the user index, then their number among the user's added views, so
 * they never collide with a generated view of any span, and sort after them.
 *
 * @module
 */
import type { CanvasPageView } from '../canvas-types.js';
import { hex32, mixHash, type Prng } from '../prng.js';
import { type Context, rngOf } from './context.js';
import { CANVAS_PLACEHOLDER_ORIGIN, courseUrl, iso, round2 } from './format.js';
import { assignmentId, courseId, type Sizes, topicId, userId } from './ids.js';
import { IdList, type LazyList } from './lazy-list.js';
import { network } from './network.js';
import { slotOf, slotTime } from './page-view-slots.js';
import { randomCourseOf } from './roster.js';

/** The page a view shows. */
interface Target {
  readonly url: string;
  readonly contextType: CanvasPageView['context_type'];
  readonly context: number;
  readonly assetType: string | null;
  readonly asset: number | null;
  readonly controller: string;
  readonly action: string;
  readonly participated: boolean;
}

/** Pages of course assets, by the kind drawn for a course page view (0 and 1). */
const ASSET_PAGES = [
  {
    assetType: 'Assignment',
    controller: 'assignments',
    count: (z: Sizes) => z.A,
    id: assignmentId,
    participation: 0.2,
  },
  {
    assetType: 'DiscussionTopic',
    controller: 'discussion_topics',
    count: (z: Sizes) => z.D,
    id: topicId,
    participation: 0.15,
  },
] as const;

/** A page of course `cid` that is not an asset's. */
const courseTarget = (cid: number, url: string, controller: string, action: string): Target => ({
  url,
  contextType: 'Course',
  context: cid,
  assetType: null,
  asset: null,
  controller,
  action,
  participated: false,
});

/** A page of course `c` (its home, grades, an assignment or a topic), drawn with `rng`. */
function coursePage(ctx: Context, c: number, rng: Prng): Target {
  const cid = courseId(c);
  const kind = rng.int(0, 3);
  const page = kind < ASSET_PAGES.length ? ASSET_PAGES[kind] : undefined;
  const count = page === undefined ? 0 : page.count(ctx);
  if (page !== undefined && count > 0) {
    const asset = page.id(ctx, c, rng.int(0, count - 1));
    return {
      url: courseUrl(cid, `${page.controller}/${asset}`),
      contextType: 'Course',
      context: cid,
      assetType: page.assetType,
      asset,
      controller: page.controller,
      action: 'show',
      participated: rng.chance(page.participation),
    };
  }
  return kind === 2
    ? courseTarget(cid, courseUrl(cid, 'grades'), 'gradebooks', 'grade_summary')
    : courseTarget(cid, courseUrl(cid), 'courses', 'show');
}

/** The dashboard of the user with id `uid`. */
const dashboard = (uid: number): Target => ({
  url: `${CANVAS_PLACEHOLDER_ORIGIN}/`,
  contextType: 'User',
  context: uid,
  assetType: null,
  asset: null,
  controller: 'users',
  action: 'user_dashboard',
  participated: false,
});

const TWO_POW_32 = 2 ** 32;

/** The `digits` (at most 12) low hex digits of `n`, an integer in `0 .. 2**48 - 1`. */
const hex48 = (n: number, digits: number): string =>
  `${hex32(Math.floor(n / TWO_POW_32)).slice(4)}${hex32(n >>> 0)}`.slice(12 - digits);

/** `8-4-4-4-12` from 12 hex digits, user `u` and 12 more hex digits. */
const uuidLike = (head: string, u: number, tail: string): string => {
  const user = hex32(u);
  return `${head.slice(0, 8)}-${head.slice(8)}-${user.slice(0, 4)}-${user.slice(4)}-${tail}`;
};

/** Id of the page view of user `u` in slot `k`. */
export function pageViewId(ctx: Context, u: number, k: number): string {
  const h1 = mixHash(mixHash(ctx.streams.pageView, u), k);
  const h2 = mixHash(h1, 1);
  return uuidLike(hex48(k, 12), u, `${hex32(h1)}${hex32(h2).slice(0, 4)}`);
}

/**
 * Id of the `n`-th page view added to user `u` by changes (0, 1, …), created at `at` (epoch
 * seconds): `f` and 11 hex digits of `at`, where a generated view's id starts 0..7.
 */
export function addedPageViewId(ctx: Context, u: number, n: number, at: number): string {
  const h = mixHash(mixHash(mixHash(ctx.streams.addedPageView, u), n), at);
  return uuidLike(`f${hex48(at, 11)}`, u, `${hex32(n)}${hex32(h).slice(0, 4)}`);
}

/** The random stream of the view of user `u` in slot `k`; its first draw is the jitter. */
const slotRng = (ctx: Context, u: number, k: number): Prng => rngOf(ctx.streams.pageView, u, k);

/** Creation time of the view of user `u` in slot `k`, epoch seconds (`rng` at its first draw). */
const createdAt = (ctx: Context, k: number, rng: Prng): number => slotTime(ctx, k, rng.float());

/** Page view `id` of user `u`, created at `created` (epoch seconds), drawn with `rng`. */
function pageView(ctx: Context, u: number, id: string, created: number, rng: Prng): CanvasPageView {
  const net = network(ctx, u);
  const uid = userId(u);
  const c = randomCourseOf(ctx, u, rng);
  const mobile = rng.chance(0.3);
  const page = c >= 0 ? coursePage(ctx, c, rng) : dashboard(uid);
  return {
    id,
    url: page.url,
    context_type: page.contextType,
    asset_type: page.assetType,
    controller: page.controller,
    action: page.action,
    interaction_seconds: rng.chance(0.1) ? null : rng.int(1, 900),
    created_at: iso(created),
    updated_at: iso(created),
    user_agent: net.agents[mobile ? 1 : 0],
    remote_ip: net.ips[rng.chance(0.6) ? 0 : 1],
    http_method: page.participated ? 'post' : 'get',
    render_time: round2(0.05 + rng.float() * 2),
    participated: page.participated,
    contributed: false,
    summarized: null,
    app_name: null,
    links: {
      user: uid,
      context: page.context,
      asset: page.asset,
      real_user: null,
      account: ctx.options.accountId,
    },
  };
}

/** The page view of user `u` in slot `k`. */
export function buildPageView(ctx: Context, u: number, k: number): CanvasPageView {
  const rng = slotRng(ctx, u, k);
  const created = createdAt(ctx, k, rng);
  return pageView(ctx, u, pageViewId(ctx, u, k), created, rng);
}

/** The `n`-th page view added to user `u` by changes, created at `at` (epoch seconds). */
export function buildAddedPageView(ctx: Context, u: number, n: number, at: number): CanvasPageView {
  const rng = rngOf(ctx.streams.addedPageView, u, n, at);
  return pageView(ctx, u, addedPageViewId(ctx, u, n, at), at, rng);
}

/**
 * A time window of page views, epoch milliseconds; either end may be open.
 * @category Testing
 */
export interface PageViewRange {
  /** Earliest `created_at` included (inclusive). @defaultValue no lower bound */
  readonly start?: number | undefined;
  /** `created_at` before which views are included (exclusive). @defaultValue no upper bound */
  readonly end?: number | undefined;
}

/**
 * The first slot whose view of user `u` is created at or after second `t` (at least 0): the slot
 * of `t` or the next one, since the views' times ascend with their slots (see `slotTime`).
 */
function firstAtOrAfter(ctx: Context, u: number, t: number): number {
  const k = slotOf(ctx, t);
  return createdAt(ctx, k, slotRng(ctx, u, k)) >= t ? k : k + 1;
}

/**
 * The page views of user `u`, oldest first: those created in the span, and in `window` when one
 * is given (start inclusive, end exclusive). O(1): the slots of the window's two ends.
 */
export function buildPageViews(
  ctx: Context,
  u: number,
  window: PageViewRange = {},
): LazyList<CanvasPageView> {
  const end = ctx.pageViewsEnd;
  // Seconds t with t * 1000 >= ms are those with t >= ceil(ms / 1000).
  const lo = Math.max(0, end - ctx.pageViewSpan, Math.ceil((window.start ?? 0) / 1000));
  const hi = Math.min(end, Math.ceil((window.end ?? end * 1000) / 1000));
  const some = ctx.V > 0 && lo < hi; // false for an empty or inverted window (or a NaN end)
  const from = some ? firstAtOrAfter(ctx, u, lo) : 0;
  const to = some ? firstAtOrAfter(ctx, u, hi) : 0;
  return new IdList(
    to - from,
    (i) => pageViewId(ctx, u, from + i),
    (i) => buildPageView(ctx, u, from + i),
    false,
  );
}
