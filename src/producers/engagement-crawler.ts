/**
 * {@link engagementCrawler}: discussions, page views and course analytics.
 *
 * @module
 */

import { z } from 'zod';
import { parseOptions } from '../errors/index.js';
import type { CreateTaskInput } from '../queue/task.js';
import { type CourseRef, type PlanContext, type Producer, planningWalk } from './producer.js';

/**
 * The time window of page views, ISO 8601.
 * @category Pipeline
 */
export interface PageViewWindow {
  /** Start of the window (`start_time`), ISO 8601. */
  startTime: string;
  /** End of the window (`end_time`), ISO 8601. */
  endTime: string;
}

/**
 * Options of {@link engagementCrawler}.
 * @category Pipeline
 */
export interface EngagementCrawlerOptions {
  /** Plan `course.discussions` and one `discussion.entries` task per topic. @defaultValue true */
  discussions?: boolean | undefined;
  /** Plan a `course.student_summaries` task (Canvas course analytics). @defaultValue true */
  analytics?: boolean | undefined;
  /**
   * Plan one `user.page_views` task per student of the planned courses (each student once per
   * run, however many courses they take), over this window; `false` for none. Give a fixed
   * window (e.g. whole days): it is part of the tasks' keys, so a re-run with the same window
   * plans the same tasks. @defaultValue false
   */
  pageViews?: PageViewWindow | false | undefined;
}

const optionsSchema = z.strictObject({
  discussions: z.boolean().optional(),
  analytics: z.boolean().optional(),
  pageViews: z
    .union([
      z.literal(false),
      z
        .strictObject({
          startTime: z.iso.datetime({ offset: true }),
          endTime: z.iso.datetime({ offset: true }),
        })
        .refine((w) => Date.parse(w.startTime) < Date.parse(w.endTime), {
          message: 'startTime must be before endTime',
        }),
    ])
    .optional(),
});

interface IdOnly {
  id: number | string;
}

/**
 * The engagement producer: for each course, a `course.discussions` task and one
 * `discussion.entries` task per topic (read from the topic list), a `course.student_summaries`
 * task, and, with a `pageViews` window, one `user.page_views` task per student (read from the
 * course's student list).
 *
 * Memory: the crawler remembers the ids of the students it has planned page views for, so that
 * a student in five courses gets one task; about 50 bytes per student. Make a new crawler for
 * each run.
 *
 * @throws CanvasOptionsError for an unknown option or an invalid window.
 *
 * @example
 * ```ts
 * const day = 24 * 60 * 60 * 1000;
 * const end = new Date(Math.floor(Date.now() / day) * day); // today, 00:00 UTC
 * await runProducers({
 *   client: canvas,
 *   queue,
 *   scope: { accountId: 1 },
 *   producers: [
 *     engagementCrawler({
 *       pageViews: { startTime: new Date(end.getTime() - 7 * day).toISOString(), endTime: end.toISOString() },
 *     }),
 *   ],
 * });
 * ```
 * @category Pipeline
 */
export function engagementCrawler(options: EngagementCrawlerOptions = {}): Producer {
  const o = parseOptions(optionsSchema, options, 'engagementCrawler options');
  const plannedUsers = new Set<string>();
  return {
    name: 'engagement',
    async *plan(course: CourseRef, context: PlanContext): AsyncGenerator<CreateTaskInput> {
      const base = `/api/v1/courses/${course.id}`;
      if (o.discussions ?? true) {
        yield { kind: 'course.discussions', path: `${base}/discussion_topics` };
        for await (const topic of planningWalk<IdOnly>(context, `${base}/discussion_topics`)) {
          yield {
            kind: 'discussion.entries',
            path: `${base}/discussion_topics/${topic.id}/entries`,
          };
        }
      }
      if (o.analytics ?? true) {
        yield { kind: 'course.student_summaries', path: `${base}/analytics/student_summaries` };
      }
      const window = o.pageViews ?? false;
      if (window === false) return;
      const students = planningWalk<IdOnly>(context, `${base}/users`, {
        'enrollment_type[]': ['student'],
      });
      for await (const student of students) {
        const id = String(student.id);
        if (plannedUsers.has(id)) continue;
        plannedUsers.add(id);
        yield {
          kind: 'user.page_views',
          path: `/api/v1/users/${id}/page_views`,
          searchParams: { start_time: window.startTime, end_time: window.endTime },
        };
      }
    },
  };
}
