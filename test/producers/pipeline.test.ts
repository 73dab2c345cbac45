import { describe, expect, it, onTestFinished } from 'vitest';
import {
  engagementCrawler,
  FerpaSanitizer,
  gradeExporter,
  MemoryQueueAdapter,
  MemorySink,
  rosterScanner,
  runProducers,
  SyncWorker,
  type TaskKind,
} from '../../src/index.js';
import type { CanvasSimulator } from '../../src/testing/index.js';
import { createClient, startSim } from '../support/client.js';

/** The simulator's page views end here (pinned, not the time it starts)… */
const PAGE_VIEWS_UNTIL = Date.parse('2026-03-16T00:00:00Z');
/** …so this week, the one before the last, always holds some. */
const WINDOW = { startTime: '2026-03-02T00:00:00.000Z', endTime: '2026-03-09T00:00:00.000Z' };

/** Producers and a worker pool running together on the memory queue, until every task ends. */
async function syncInstitution(
  sim: CanvasSimulator,
  sink: MemorySink<unknown>,
  options: { now?: () => Date; incremental?: boolean } = {},
) {
  // No retries in the client: every injected fault reaches the worker or the planner.
  const client = createClient(sim, { perPage: 10, retry: { maxAttempts: 1 } });
  const queue = new MemoryQueueAdapter();
  const worker = new SyncWorker({
    client,
    queue,
    sink,
    // Discussion entries quote classmates by name: keep no free text at all.
    sanitizer: new FerpaSanitizer({ key: 'p'.repeat(40), keyId: 'pipe', freeText: 'redact-all' }),
    concurrency: 6,
    retry: { baseDelayMs: 10, maxDelayMs: 50, throttleDelayMs: 10, maxAttempts: 8 },
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  onTestFinished(() => worker.close());
  await worker.start();
  const planned = await runProducers({
    client,
    queue,
    scope: { accountId: sim.data.account.id },
    producers: [rosterScanner(), gradeExporter(), engagementCrawler({ pageViews: WINDOW })],
    ...(options.incremental === true ? { state: sink } : {}),
    planRetry: { maxAttempts: 8, baseDelayMs: 5 },
  });
  await worker.idle({ pollMs: 10 });
  await worker.close({ drain: true });
  return { planned, stats: worker.stats(), deadLetters: await worker.deadLetters() };
}

describe('the pipeline: producers → memory queue → workers → sink', () => {
  it('accounts for every task under 5 % 5xx, 2 % resets and 3 % malformed bodies, and stores no record twice', async () => {
    const sim = await startSim({
      institution: {
        courses: 6,
        students: 120,
        studentsPerCourse: 30,
        assignmentsPerCourse: 3,
        pageViewsUntil: PAGE_VIEWS_UNTIL,
      },
      faults: { serverErrorRate: 0.05, resetRate: 0.02, malformedJsonRate: 0.03 },
    });
    const sink = new MemorySink<unknown>();
    const { planned, stats, deadLetters } = await syncInstitution(sim, sink);

    expect(planned.failures).toEqual([]);
    expect(planned.enqueued).toBeGreaterThan(100);
    // Nothing lost: tasks enqueued = done + dead-lettered, each dead letter with a reason.
    expect(stats.done + stats.deadLettered).toBe(planned.enqueued);
    expect(deadLetters).toHaveLength(stats.deadLettered);
    for (const letter of deadLetters) expect(letter.reason).toMatch(/^[a-z0-9-]+$/);
    const faults = sim.faultCounts();
    expect(faults.serverError + faults.reset + faults.malformedJson).toBeGreaterThan(10);
    expect(stats.retried).toBeGreaterThan(0);

    const keys = sink.keys();
    expect(new Set(keys).size).toBe(keys.length);
    expect(stats.records.inserted).toBe(keys.length);
    const text = JSON.stringify(sink.records());
    const raw = sim.data.studentPii().filter((value) => value.length >= 8);
    expect(raw.filter((value) => text.includes(value))).toEqual([]);

    // Run it all again over the same sink, faults off: the same keys, nothing new stored
    // except what dead-lettered tasks could not fetch the first time.
    sim.setFaults({});
    const again = await syncInstitution(sim, sink);
    expect(again.planned.enqueued).toBe(planned.enqueued);
    expect(again.stats.deadLettered).toBe(0);
    expect(new Set(sink.keys()).size).toBe(sink.keys().length);
    if (stats.deadLettered === 0) expect(again.stats.records.inserted).toBe(0);
    // Nothing changed in Canvas: nothing updated or deleted, every record read again once.
    expect(again.stats.records).toMatchObject({ updated: 0, deleted: 0 });
    expect(again.stats.records.unchanged + again.stats.records.inserted).toBe(sink.keys().length);
  });

  it('reports exactly what changed in Canvas on the next run: inserts, updates and deletions by kind', async () => {
    const sim = await startSim({
      institution: {
        courses: 4,
        students: 60,
        studentsPerCourse: 20,
        assignmentsPerCourse: 3,
        pageViewsUntil: PAGE_VIEWS_UNTIL,
      },
    });
    const sink = new MemorySink<unknown>();
    const first = await syncInstitution(sim, sink);
    expect(first.stats.deadLettered).toBe(0);
    expect(first.stats.records).toMatchObject({ updated: 0, deleted: 0 });

    const report = sim.change({
      grade: 6,
      submit: 4,
      addEnrollments: 3,
      dropEnrollments: 2,
      pageViews: 8,
      editEntries: 2,
      at: Date.parse('2026-03-05T12:00:00Z'), // inside the page-view window
    });
    const second = await syncInstitution(sim, sink);
    expect(second.stats.deadLettered).toBe(0);
    const zero = { inserted: 0, updated: 0, deleted: 0 };
    // The listings the producers plan (not course.users nor course.submissions by default).
    const planned = Object.keys(second.planned.byKind).sort();
    expect(planned.length).toBeGreaterThanOrEqual(8);
    const expected = Object.fromEntries(
      planned.map((kind) => [kind, report.byKind[kind as TaskKind]]),
    );
    const synced = Object.fromEntries(
      planned.map((kind) => {
        const counts = second.stats.byKind[kind];
        return [
          kind,
          counts === undefined
            ? zero
            : { inserted: counts.inserted, updated: counts.updated, deleted: counts.deleted },
        ];
      }),
    );
    expect(synced).toEqual(expected);
    expect(second.stats.records.updated).toBeGreaterThan(0);
    expect(second.stats.records.deleted).toBeGreaterThan(0);
    // A dropped enrollment is kept as a tombstone, not removed.
    const dropped = report.enrollmentsDropped[0];
    expect((await sink.get(`course.enrollments:${dropped?.id}`))?.deletedAt).toBeDefined();

    // Nothing changed since: nothing inserted, updated or deleted.
    const third = await syncInstitution(sim, sink);
    expect(third.stats.records).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
  });

  it('plans only the submissions graded or submitted since the last run, when given the sink as state', async () => {
    const sim = await startSim({
      institution: { courses: 3, students: 40, studentsPerCourse: 15, assignmentsPerCourse: 4 },
    });
    const sink = new MemorySink<unknown>();
    const at = (day: string) => () => new Date(`2030-01-${day}T08:00:00Z`);
    // The first run reads every assignment whole (no watermark yet) and records when.
    const first = await syncInstitution(sim, sink, { now: at('01'), incremental: true });
    expect(first.planned.byKind['course.submissions']).toBeUndefined();
    const fullReads = first.planned.byKind['assignment.submissions'] ?? 0;
    expect(fullReads).toBe(12);

    const report = sim.change({ grade: 5, submit: 3, at: Date.parse('2030-01-02T08:00:00Z') });
    const requestsBefore = sim.stats().requests;
    const second = await syncInstitution(sim, sink, { now: at('03'), incremental: true });
    // Two filtered reads per course instead of one read per assignment.
    expect(second.planned.byKind['course.submissions']).toBe(6);
    expect(second.planned.byKind['assignment.submissions']).toBeUndefined();
    const submissions = second.stats.byKind['assignment.submissions'];
    expect(submissions?.updated).toBe(report.byKind['assignment.submissions'].updated);
    expect(submissions).toMatchObject({ inserted: 0, deleted: 0 });
    // Fewer requests than the first run's.
    expect(sim.stats().requests - requestsBefore).toBeLessThan(requestsBefore);

    // The watermarks advanced: a run with nothing new reads nothing of the submissions.
    const third = await syncInstitution(sim, sink, { now: at('04'), incremental: true });
    expect(third.stats.byKind['assignment.submissions']).toMatchObject({ inserted: 0, updated: 0 });
  });

  it('reads a course whole when a student came or left since, so incremental runs capture inserts and deletes', async () => {
    const sim = await startSim({
      institution: { courses: 6, students: 60, studentsPerCourse: 15, assignmentsPerCourse: 3 },
    });
    const sink = new MemorySink<unknown>();
    const at = (day: string) => () => new Date(`2030-01-${day}T08:00:00Z`);
    await syncInstitution(sim, sink, { now: at('01'), incremental: true });

    const report = sim.change({
      grade: 5,
      submit: 4,
      addEnrollments: 2,
      dropEnrollments: 2,
      editEntries: 1,
      at: Date.parse('2030-01-02T08:00:00Z'),
    });
    const rosterChanged = new Set(
      [...report.enrollmentsAdded, ...report.enrollmentsDropped].map((e) => e.courseId),
    );
    expect(rosterChanged.size).toBeGreaterThan(0);
    expect(rosterChanged.size).toBeLessThan(6);
    const second = await syncInstitution(sim, sink, { now: at('03'), incremental: true });
    expect(second.stats.deadLettered).toBe(0);
    // Courses whose roster changed are read whole (3 assignments each), the others filtered.
    expect(second.planned.byKind['assignment.submissions']).toBe(3 * rosterChanged.size);
    expect(second.planned.byKind['course.submissions']).toBe(2 * (6 - rosterChanged.size));
    // Every kind the producers planned reports exactly the simulator's changes, deletes included.
    const zero = { inserted: 0, updated: 0, deleted: 0 };
    const kinds = Object.keys(second.planned.byKind).filter(
      (kind) => kind !== 'course.submissions',
    );
    const synced = Object.fromEntries(
      kinds.map((kind) => {
        const counts = second.stats.byKind[kind] ?? zero;
        return [
          kind,
          { inserted: counts.inserted, updated: counts.updated, deleted: counts.deleted },
        ];
      }),
    );
    const expected = Object.fromEntries(
      kinds.map((kind) => [kind, report.byKind[kind as TaskKind]]),
    );
    expect(synced).toEqual(expected);
    const submissions = report.byKind['assignment.submissions'];
    expect(submissions.inserted).toBeGreaterThan(0);
    expect(submissions.deleted).toBeGreaterThan(0);
    // The dropped students' submissions are tombstones now.
    const tombstoned = sink
      .stored()
      .filter(
        (stored) =>
          stored.key.startsWith('assignment.submissions:') && stored.deletedAt !== undefined,
      );
    expect(tombstoned.length).toBe(submissions.deleted);

    // Nothing changed since: the roster check finds nobody new, and the reads are filtered again.
    const third = await syncInstitution(sim, sink, { now: at('04'), incremental: true });
    expect(third.planned.byKind['assignment.submissions']).toBeUndefined();
    expect(third.planned.byKind['course.submissions']).toBe(12);
    expect(third.stats.records).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
  });
});
