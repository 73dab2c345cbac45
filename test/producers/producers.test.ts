import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CanvasAbortError,
  CanvasAuthError,
  CanvasOptionsError,
  engagementCrawler,
  gradeExporter,
  MemoryQueueAdapter,
  type Producer,
  type RunProducersOptions,
  rosterScanner,
  runProducers,
  type SyncTask,
} from '../../src/index.js';
import { defaultPlanRetry, listCourses } from '../../src/producers/index.js';
import type { CanvasSimulator } from '../../src/testing/index.js';
import { createClient, startSim, startStubServer } from '../support/client.js';

/** A fixed week: planning only copies it into the tasks. */
const WINDOW = { startTime: '2026-03-02T00:00:00.000Z', endTime: '2026-03-09T00:00:00.000Z' };

/** A queue that records what is enqueued and in how many calls, without consuming. */
function recordingQueue() {
  const queue = new MemoryQueueAdapter();
  const tasks: SyncTask[] = [];
  const batches: number[] = [];
  const enqueue = queue.enqueue.bind(queue);
  queue.enqueue = async (input) => {
    const list = Array.isArray(input) ? input : [input as SyncTask];
    tasks.push(...list);
    batches.push(list.length);
    await enqueue(input);
  };
  onTestFinished(() => queue.close());
  return { queue, tasks, batches };
}

/** Plans with `producers` into a recording queue; the whole account unless `scope` says otherwise. */
async function plan(
  sim: CanvasSimulator,
  options: Partial<RunProducersOptions> & Pick<RunProducersOptions, 'producers'>,
) {
  const recorded = recordingQueue();
  const result = await runProducers({
    client: options.client ?? createClient(sim),
    scope: { accountId: sim.data.account.id },
    ...options,
    queue: recorded.queue,
  });
  return { result, ...recorded };
}

function courseIds(sim: CanvasSimulator): number[] {
  return Array.from({ length: sim.data.courses.length }, (_, i) => sim.data.courses.at(i)?.id ?? 0);
}

function studentIdsOf(sim: CanvasSimulator, courseId: number): number[] {
  const list = sim.data.enrollments(courseId);
  const ids: number[] = [];
  for (let i = 0; i < (list?.length ?? 0); i++) {
    const enrollment = list?.at(i);
    if (enrollment?.type === 'StudentEnrollment') ids.push(enrollment.user_id as number);
  }
  return ids;
}

describe('producers', () => {
  it('rosterScanner plans sections and enrollments for every course of the account', async () => {
    const sim = await startSim();
    const { result, tasks } = await plan(sim, {
      producers: [rosterScanner({ enrollmentTypes: ['StudentEnrollment'] })],
    });
    const courses = courseIds(sim);
    expect(result).toMatchObject({ courses: courses.length, enqueued: 2 * courses.length });
    expect(result.byKind).toEqual({
      'course.sections': courses.length,
      'course.enrollments': courses.length,
    });
    expect(tasks.map((task) => task.path).sort()).toEqual(
      courses
        .flatMap((id) => [`/api/v1/courses/${id}/enrollments`, `/api/v1/courses/${id}/sections`])
        .sort(),
    );
    const enrollments = tasks.find((task) => task.kind === 'course.enrollments');
    expect(enrollments?.searchParams).toEqual({ 'type[]': ['StudentEnrollment'] });
    // Planning the roster needs no request beyond the course list.
    expect(sim.stats().requests).toBe(1);
  });

  it('gradeExporter plans the assignments and one submissions task per assignment', async () => {
    const sim = await startSim();
    const { result, tasks } = await plan(sim, { producers: [gradeExporter()] });
    const courses = courseIds(sim);
    const expected = courses.flatMap((course) => {
      const list = sim.data.assignments(course);
      return Array.from(
        { length: list?.length ?? 0 },
        (_, i) => `/api/v1/courses/${course}/assignments/${list?.at(i)?.id}/submissions`,
      );
    });
    expect(expected.length).toBe(4);
    expect(result.byKind).toEqual({
      'course.assignments': courses.length,
      'assignment.submissions': expected.length,
    });
    const submissions = tasks.filter((task) => task.kind === 'assignment.submissions');
    expect(submissions.map((task) => task.path).sort()).toEqual(expected.sort());
    for (const task of submissions) {
      expect(task.searchParams).toEqual({ 'include[]': ['submission_comments'] });
    }
  });

  it('engagementCrawler plans discussions, entries, analytics and page views once per student', async () => {
    const sim = await startSim();
    const { result, tasks } = await plan(sim, {
      producers: [engagementCrawler({ pageViews: WINDOW })],
    });
    const courses = courseIds(sim);
    const students = new Set(courses.flatMap((id) => studentIdsOf(sim, id)));
    // 2 courses of 30 from a pool of 40: some students take both.
    expect(students.size).toBeLessThan(60);
    const topics = courses.reduce((n, id) => n + (sim.data.discussionTopics(id)?.length ?? 0), 0);
    expect(result.byKind).toEqual({
      'course.discussions': courses.length,
      'discussion.entries': topics,
      'course.student_summaries': courses.length,
      'user.page_views': students.size,
    });
    const pageViews = tasks.filter((task) => task.kind === 'user.page_views');
    expect(new Set(pageViews.map((task) => task.path))).toEqual(
      new Set([...students].map((id) => `/api/v1/users/${id}/page_views`)),
    );
    expect(pageViews[0]?.searchParams).toEqual({
      start_time: WINDOW.startTime,
      end_time: WINDOW.endTime,
    });
    expect(result.duplicates).toBe(0);
    // Without a window, no page views and no student listing.
    const before = sim.stats().requests;
    const again = await plan(sim, {
      scope: { courseIds: courses },
      producers: [engagementCrawler({ analytics: false })],
    });
    expect(again.tasks.some((task) => task.kind === 'user.page_views')).toBe(false);
    expect(again.tasks.some((task) => task.kind === 'course.student_summaries')).toBe(false);
    expect(sim.stats().requests - before).toBe(courses.length);
  });

  it('plans the same task keys when run again, and skips what the caller says is done', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const plan = (skip?: (task: SyncTask) => boolean) => {
      const recorded = recordingQueue();
      const run = runProducers({
        client,
        queue: recorded.queue,
        scope: { accountId: sim.data.account.id },
        producers: [rosterScanner(), gradeExporter(), engagementCrawler({ pageViews: WINDOW })],
        skip,
      });
      return run.then((result) => ({ result, tasks: recorded.tasks }));
    };
    const first = await plan();
    const second = await plan();
    const keys = (tasks: SyncTask[]) => tasks.map((task) => task.key).sort();
    expect(keys(second.tasks)).toEqual(keys(first.tasks));
    expect(new Set(keys(first.tasks)).size).toBe(first.tasks.length);
    // Ids differ (each enqueue is a unit of work); keys do not.
    expect(second.tasks[0]?.id).not.toBe(first.tasks[0]?.id);

    const done = new Set(first.tasks.slice(0, 10).map((task) => task.key));
    const third = await plan((task) => done.has(task.key));
    expect(third.result.skipped).toBe(10);
    expect(third.result.enqueued).toBe(first.tasks.length - 10);
    expect(third.tasks.some((task) => done.has(task.key))).toBe(false);
  });

  it('enqueues a task two producers plan only once', async () => {
    const sim = await startSim();
    const { result, tasks } = await plan(sim, {
      producers: [rosterScanner(), rosterScanner({ sections: false })],
    });
    expect(result.duplicates).toBe(sim.data.courses.length);
    expect(tasks).toHaveLength(2 * sim.data.courses.length);
  });

  it('streams the course list: tasks are enqueued before the last page of courses is read', async () => {
    const sim = await startSim({
      institution: { courses: 250, students: 20, studentsPerCourse: 2 },
    });
    const client = createClient(sim);
    const listingRequests: number[] = [];
    let listed = 0;
    client.on('request', (event) => {
      if (event.url.includes('/accounts/')) listed++;
    });
    const { queue, batches } = recordingQueue();
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = async (input) => {
      listingRequests.push(listed);
      await enqueue(input);
    };
    const result = await runProducers({
      client,
      queue,
      scope: { accountId: sim.data.account.id },
      producers: [rosterScanner({ enrollments: false })],
      batchSize: 10,
    });
    expect(result.enqueued).toBe(250);
    expect(batches.every((size) => size <= 10)).toBe(true);
    expect(listed).toBe(3);
    // The first batch went out while only the first page of courses had been asked for.
    expect(listingRequests[0]).toBe(1);
  });

  it('resumes a course listing at the page that failed, planning each course once', async () => {
    const sim = await startSim({
      institution: { courses: 250, students: 20, studentsPerCourse: 2 },
      faults: { serverErrorRate: 0.5, pathPattern: /\/accounts\/1\/courses/ },
    });
    const client = createClient(sim, { retry: { maxAttempts: 1 } });
    const { queue } = recordingQueue();
    const result = await runProducers({
      client,
      queue,
      scope: { accountId: 1 },
      producers: [rosterScanner({ enrollments: false })],
      planRetry: { maxAttempts: 20, baseDelayMs: 1 },
    });
    expect(result).toMatchObject({ courses: 250, enqueued: 250, duplicates: 0, failures: [] });
    const failed = sim.faultCounts().serverError;
    expect(failed).toBeGreaterThan(0);
    // Three pages, each asked for again only after it failed: never from the first page.
    expect(sim.stats().requests).toBe(3 + failed);
  });

  it('gives up on a page after planRetry.maxAttempts and records the course', async () => {
    const sim = await startSim({
      faults: { serverErrorRate: 1, serverErrorStatuses: [503], pathPattern: /\/assignments$/ },
    });
    const client = createClient(sim, { retry: { maxAttempts: 1 } });
    const { queue } = recordingQueue();
    const [course] = courseIds(sim);
    const result = await runProducers({
      client,
      queue,
      scope: { courseIds: [course ?? 0] },
      producers: [gradeExporter()],
      planRetry: { maxAttempts: 3, baseDelayMs: 1 },
    });
    expect(result.failures).toEqual([
      { courseId: String(course), producer: 'grades', code: 'HTTP_ERROR', status: 503 },
    ]);
    expect(sim.stats().requests).toBe(3);
  });

  it.each([409, 501])(
    'stops listing at once on a %i, permanent for the client and the worker alike',
    async (status) => {
      // The simulator never answers 409 or 501: a stub server does.
      const stub = await startStubServer((_request, res) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end('{"errors":[{"message":"no"}]}');
      });
      const client = createClient(stub.url);
      const listing = listCourses(
        client,
        { accountId: 1 },
        { retry: { ...defaultPlanRetry, baseDelayMs: 1 } },
      );
      await expect(listing.next()).rejects.toMatchObject({ code: 'HTTP_ERROR', status });
      expect(stub.requests).toHaveLength(1);
    },
  );

  it('retries a listing page through a 503 with backoff, as the worker would', async () => {
    let answered = 0;
    const stub = await startStubServer((_request, res) => {
      answered++;
      res.writeHead(answered < 3 ? 503 : 200, { 'Content-Type': 'application/json' });
      res.end(answered < 3 ? '{}' : '[{"id":7}]');
    });
    const client = createClient(stub.url, { retry: { maxAttempts: 1 } });
    const courses = [];
    for await (const course of listCourses(
      client,
      { accountId: 1 },
      { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } },
    )) {
      courses.push(course);
    }
    expect(courses).toEqual([{ id: 7 }]);
    expect(stub.requests).toHaveLength(3);
  });

  it('records a course that cannot be planned and goes on with the others', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const { queue } = recordingQueue();
    const [good] = courseIds(sim);
    const progress: number[] = [];
    const result = await runProducers({
      client,
      queue,
      scope: { courseIds: [999_999, good ?? 0] },
      producers: [gradeExporter(), rosterScanner()],
      onCourse: (p) => progress.push(p.courses),
    });
    expect(result.failures).toEqual([
      { courseId: '999999', producer: 'grades', code: 'HTTP_ERROR', status: 404 },
    ]);
    expect(result.courses).toBe(2);
    expect(progress.sort()).toEqual([1, 2]);
    // The failed course's roster tasks are still planned (the worker dead-letters them).
    expect(result.byKind['course.sections']).toBe(2);
    expect(result.byKind['assignment.submissions']).toBe(2);
  });

  it('stops on an authentication error, and on abort', async () => {
    const sim = await startSim();
    const badToken = createClient(sim.url, { token: 'not-a-token', retry: { maxAttempts: 1 } });
    const { queue } = recordingQueue();
    const scope = { accountId: sim.data.account.id };
    await expect(
      runProducers({ client: badToken, queue, scope, producers: [rosterScanner()] }),
    ).rejects.toBeInstanceOf(CanvasAuthError);

    const controller = new AbortController();
    const client = createClient(sim);
    let planned = 0;
    const slow: Producer = {
      name: 'slow',
      async *plan(course) {
        planned++;
        controller.abort();
        yield { kind: 'course.sections', path: `/api/v1/courses/${course.id}/sections` };
      },
    };
    const aborted = runProducers({
      client,
      queue,
      scope,
      producers: [slow],
      courseConcurrency: 1,
      signal: controller.signal,
    });
    await expect(aborted).rejects.toBeInstanceOf(CanvasAbortError);
    expect(planned).toBe(1);
    // The batch in hand was enqueued before the run stopped.
    expect((await queue.stats()).queued).toBe(1);
  });

  it('lists the courses of a term only', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const term = sim.data.terms[0];
    const courses = [];
    for await (const course of listCourses(client, { accountId: 1, termId: term?.id ?? 0 })) {
      courses.push(course.id);
    }
    const expected = courseIds(sim).filter(
      (id) => sim.data.course(id)?.enrollment_term_id === term?.id,
    );
    expect(courses).toEqual(expected);
    expect(courses.length).toBeLessThan(sim.data.courses.length);
  });

  it('rejects invalid options before any request, naming each field', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const queue = new MemoryQueueAdapter();
    const base = { client, queue, producers: [rosterScanner()] };
    const issuesOf = async (run: () => unknown) => {
      try {
        await run();
      } catch (error) {
        expect(error).toBeInstanceOf(CanvasOptionsError);
        return (error as CanvasOptionsError).issues.map((issue) => issue.path);
      }
      throw new Error('expected a CanvasOptionsError');
    };
    expect(await issuesOf(() => runProducers({ ...base, scope: {} }))).toEqual(['scope']);
    expect(
      await issuesOf(() => runProducers({ ...base, scope: { accountId: 1, courseIds: [1] } })),
    ).toEqual(['scope']);
    expect(
      await issuesOf(() =>
        runProducers({ ...base, scope: { accountId: '1/../2' }, batchSize: 0, producers: [] }),
      ),
    ).toEqual(['scope.accountId', 'producers', 'batchSize']);
    expect(await issuesOf(() => rosterScanner({ enrollmentTypes: ['Student'] }))).toEqual([
      'enrollmentTypes[0]',
    ]);
    expect(
      await issuesOf(() =>
        engagementCrawler({ pageViews: { startTime: WINDOW.endTime, endTime: WINDOW.startTime } }),
      ),
    ).toEqual(['pageViews']);
    expect(
      await issuesOf(() => gradeExporter({ comment: true } as Parameters<typeof gradeExporter>[0])),
    ).toEqual(['(root)']);
    expect(sim.stats().requests).toBe(0);
  });
});
