/**
 * Page views: V per user, spread evenly (with seeded jitter) over the span of `pageViewDays` days
 * that ends at `pageViewsUntil` (by default the academic year), oldest first. Each
 * views the user's dashboard or a page of one of their courses (its home, grades, an assignment
 * or a discussion topic), from one of the user's two IPs and two user agents.
 *
 * Page view ids are uuid-like strings that start with the view index and then the user index as
 * 8 hex digits each, so a user's views ascend lexicographically and never collide across users.
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

/** Id of page view `v` of user `u`. */
export function pageViewId(ctx: Context, u: number, v: number): string {
  const h1 = mixHash(mixHash(ctx.streams.pageView, u), v);
  const h2 = mixHash(h1, 1);
  const h3 = hex32(mixHash(h1, 2));
  const user = hex32(u);
  return `${hex32(v)}-${user.slice(0, 4)}-${user.slice(4)}-${hex32(h1).slice(0, 4)}-${hex32(h2)}${h3.slice(0, 4)}`;
}

/** Creation time of page view `v` of user `u`, epoch seconds, from the first draw of `rng`. */
function createdAt(ctx: Context, rng: Prng, v: number): number {
  const span = ctx.pageViewSpan;
  return ctx.pageViewsEnd - span + Math.floor(((v + rng.float()) * span) / Math.max(ctx.V, 1));
}

/**
 * Page view `v` of user `u`; dated `at` (epoch seconds) when given, as the views added by changes
 * are (their `v` counts on from `V`).
 */
export function buildPageView(ctx: Context, u: number, v: number, at?: number): CanvasPageView {
  const rng = rngOf(ctx.streams.pageView, u, v);
  const drawn = createdAt(ctx, rng, v);
  const created = at ?? drawn;
  const net = network(ctx, u);
  const uid = userId(u);
  const c = randomCourseOf(ctx, u, rng);
  const mobile = rng.chance(0.3);
  const page = c >= 0 ? coursePage(ctx, c, rng) : dashboard(uid);
  return {
    id: pageViewId(ctx, u, v),
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

/** First view index of user `u` created at or after `ms` (epoch ms); views ascend in time. */
function firstAtOrAfter(ctx: Context, u: number, ms: number): number {
  let lo = 0;
  let hi = ctx.V;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (createdAt(ctx, rngOf(ctx.streams.pageView, u, mid), mid) * 1000 < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The page views of user `u`, oldest first, only those created in `window` when one is given
 * (start inclusive, end exclusive); found by binary search on the creation times, O(log V).
 */
export function buildPageViews(
  ctx: Context,
  u: number,
  window: PageViewRange = {},
): LazyList<CanvasPageView> {
  const from = window.start === undefined ? 0 : firstAtOrAfter(ctx, u, window.start);
  const to = window.end === undefined ? ctx.V : firstAtOrAfter(ctx, u, window.end);
  const length = Math.max(0, to - from);
  return new IdList(
    length,
    (i) => pageViewId(ctx, u, from + i),
    (i) => buildPageView(ctx, u, from + i),
    false,
  );
}
