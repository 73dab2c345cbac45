/**
 * Discussion topics and their entries. Each topic, posted by the course's teacher, has N
 * top-level entries six hours apart, mostly by students (quoting a classmate's name and email
 * now and then); entry n has 0..2 replies following a fixed pattern shifted per topic, so a topic's reply
 * count is known without building its entries.
 *
 * @module
 */
import type { CanvasDiscussionEntry, CanvasDiscussionTopic } from '../canvas-types.js';
import * as W from '../data-names.js';
import type { Prng } from '../prng.js';
import { termOf } from './account.js';
import { type Context, rngOf } from './context.js';
import { courseUrl, DAY, HOUR, iso } from './format.js';
import { courseId, entryId, topicId } from './ids.js';
import { IdList, type LazyList, range } from './lazy-list.js';
import { poolIndex, staffMember, windowStart } from './roster.js';
import { buildDisplay, person } from './users.js';

/** Replies of consecutive top-level entries; sums to 4 over any 5 consecutive entries. */
const REPLY_PATTERN = [0, 1, 0, 2, 1] as const;

/** When a topic was posted, its stream after that draw, and the shift of its reply pattern. */
interface TopicMeta {
  readonly rng: Prng;
  readonly posted: number;
  readonly offset: number;
}

function topicMeta(ctx: Context, c: number, d: number): TopicMeta {
  const rng = rngOf(ctx.streams.topic, c, d);
  const term = termOf(ctx, c);
  const posted = term.start + rng.int(0, Math.max(0, term.end - term.start - 30 * DAY));
  const offset = rng.int(0, 4);
  return { rng, posted, offset };
}

const replyCount = (offset: number, n: number): number => REPLY_PATTERN[(n + offset) % 5] ?? 0;

/** Replies of all `N` entries of a topic whose pattern is shifted by `offset`. */
function replyTotal(N: number, offset: number): number {
  let total = Math.floor(N / 5) * 4;
  for (let n = N - (N % 5); n < N; n++) total += replyCount(offset, n);
  return total;
}

function buildTopic(ctx: Context, c: number, d: number): CanvasDiscussionTopic {
  const { N } = ctx;
  const { rng, posted, offset } = topicMeta(ctx, c, d);
  const cid = courseId(c);
  const id = topicId(ctx, c, d);
  const author = buildDisplay(ctx, staffMember(ctx, c, 0), cid);
  const replies = N + replyTotal(N, offset);
  return {
    id,
    title: W.fill(rng.pick(W.topicTemplates), { n: d + 1 }),
    message: `<p>${rng.pick(W.sentences)}</p><p>Reply to at least two classmates.</p>`,
    html_url: courseUrl(cid, `discussion_topics/${id}`),
    posted_at: iso(posted),
    created_at: iso(posted - rng.int(HOUR, 3 * DAY)),
    last_reply_at: N > 0 ? iso(posted + N * 6 * HOUR + 3 * HOUR) : null,
    require_initial_post: rng.chance(0.3),
    discussion_subentry_count: replies,
    read_state: 'read',
    unread_count: rng.int(0, replies),
    assignment_id: null,
    published: true,
    locked: false,
    pinned: d === 0,
    position: d + 1,
    discussion_type: 'threaded',
    user_name: author.display_name,
    author,
  };
}

/** The discussion topics of course `c`. */
export function buildTopics(ctx: Context, c: number): LazyList<CanvasDiscussionTopic> {
  return range(ctx.D, topicId(ctx, c, 0), (d) => buildTopic(ctx, c, d));
}

/** Entry `n` of topic `d` of course `c` (`r = 0`), or its reply `r` (1..2). */
function buildEntry(
  ctx: Context,
  c: number,
  d: number,
  topic: TopicMeta,
  n: number,
  r: number,
): CanvasDiscussionEntry {
  const { K, H, D } = ctx;
  const cid = courseId(c);
  const start = windowStart(ctx, c);
  const rng = rngOf(ctx.streams.entry, c * D + d, n, r);
  const byStaff = K === 0 || (r > 0 && rng.chance(0.25));
  const k = K === 0 ? 0 : rng.int(0, K - 1);
  const u = byStaff ? staffMember(ctx, c, rng.int(0, H - 1)) : poolIndex(ctx, start, k);
  const user = buildDisplay(ctx, u, cid);
  const id = entryId(ctx, c, d, n, r);
  const created = topic.posted + n * 6 * HOUR + r * HOUR + rng.int(0, 50 * 60);
  const edited = rng.chance(0.15);
  let message = `<p>${rng.pick(W.sentences)}</p>`;
  if (K > 1 && rng.chance(0.2)) {
    const other = byStaff ? rng.int(0, K - 1) : (k + rng.int(1, K - 1)) % K;
    const quoted = person(ctx, poolIndex(ctx, start, other));
    message =
      `<p>Replying to <strong>${quoted.name}</strong> ` +
      `(<a href="mailto:${quoted.email}">${quoted.email}</a>):</p>${message}`;
  }
  const entry: CanvasDiscussionEntry = {
    id,
    user_id: user.id,
    user_name: user.display_name,
    message,
    created_at: iso(created),
    updated_at: iso(edited ? created + rng.int(60, DAY) : created),
    editor_id: edited ? user.id : null,
    parent_id: r === 0 ? null : id - r,
    read_state: rng.chance(0.7) ? 'read' : 'unread',
    rating_count: null,
    rating_sum: null,
    user,
    has_more_replies: false,
  };
  if (r === 0) {
    const replies = replyCount(topic.offset, n);
    if (replies > 0) {
      entry.recent_replies = [];
      for (let x = replies; x >= 1; x--) {
        entry.recent_replies.push(buildEntry(ctx, c, d, topic, n, x));
      }
    }
  }
  return entry;
}

/** The top-level entries of topic `d` of course `c`, each with its `recent_replies`. */
export function buildEntries(ctx: Context, c: number, d: number): LazyList<CanvasDiscussionEntry> {
  return new IdList(
    ctx.N,
    (n) => entryId(ctx, c, d, n, 0),
    (n) => buildEntry(ctx, c, d, topicMeta(ctx, c, d), n, 0),
  );
}
