/**
 * Re-runs keep the warehouse current: `canvas-sync sync` run in-process three times
 * against one simulated Canvas (given by variables, as a real one), which `sim.change(...)`
 * changes between the first and the second run. The second run reports, kind by kind, exactly
 * the records the change inserted, updated and deleted; the third, with nothing changed, none.
 * In every output: SQLite (the default), JSON Lines change logs (`--format jsonl`) and
 * PostgreSQL (`--db $CANVAS_SYNC_PG_URL`, which `.ci/run` sets: skipped without it, failing
 * without it under CI).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, type OnTestFinishedHandler } from 'vitest';
import {
  type SimulatorChangeReport,
  type SimulatorCollectionChange,
  startCanvasSimulator,
} from '../../src/testing/index.js';
import {
  canvasEnv,
  DAY,
  dayOf,
  identity,
  KINDS,
  live,
  NOW,
  readChangeLogs,
  readDatabase,
  readPostgres,
  recordCounts,
  runExample,
  type Stored,
  submissionReads,
  tempDirs,
  tempSchema,
} from './support.js';

const tempDir = tempDirs();
const PG_URL = process.env.CANVAS_SYNC_PG_URL || undefined;
const UNDER_CI = process.env.CI === 'true';

/** What the simulator changes between the first and the second run. */
const CHANGES = {
  grade: 6,
  submit: 4,
  addEnrollments: 3,
  dropEnrollments: 2,
  pageViews: 5,
  editEntries: 3,
  // On the day of the first run, after it: inside the second run's page-view window.
  at: NOW,
};

/**
 * The warehouse key of a record a change touched: kind and id, and for the kinds that are a
 * course's view of a user, the course (as `SyncWorker` keys them).
 */
function keyOf(collection: SimulatorCollectionChange, id: number | string): string {
  if (collection.kind === 'course.student_summaries') {
    const course = /\/(courses\/[^/]+)/.exec(collection.path)?.[1];
    return `${collection.kind}:${course}:${id}`;
  }
  return `${collection.kind}:${id}`;
}

/** The keys the change deleted, and those it inserted or updated, of the kinds synced. */
function changedKeys(report: SimulatorChangeReport) {
  const synced = report.collections.filter((c) => (KINDS as readonly unknown[]).includes(c.kind));
  return {
    deleted: new Set(synced.flatMap((c) => c.deleted.map((id) => keyOf(c, id)))),
    written: new Set(
      synced.flatMap((c) => [...c.inserted, ...c.updated].map((id) => keyOf(c, id))),
    ),
  };
}

/**
 * Runs the job four times into one output (`args`), read back by `read`: at NOW, after
 * `sim.change(CHANGES)` a day later, a day after that with nothing changed, and once more with
 * `--full`; checks what each run reads, reports and what the warehouse holds.
 */
async function threeRuns(
  args: string[],
  read: (dir: string) => Promise<Map<string, Stored>>,
  onTestFinished: (handler: OnTestFinishedHandler) => void,
) {
  // Page views end at the first run's day: its window holds some, the next ones only the change's.
  const sim = await startCanvasSimulator({
    seed: 7,
    institution: { courses: 3, students: 30, studentsPerCourse: 12, pageViewsUntil: dayOf(NOW) },
  });
  onTestFinished(() => sim.close());
  const courses = sim.data.courses.length;
  const out = await tempDir();
  const env = canvasEnv(sim);
  const run = (now: number, more: string[] = []) =>
    runExample([...args, ...more, '--quiet', '--out', out], { env, now: () => now });

  const first = await run(NOW);
  expect(first.code, first.stderr).toBe(0);
  // The first run reads every assignment whole.
  const assignments = submissionReads(first.stdout).whole;
  expect(submissionReads(first.stdout)).toEqual({ whole: assignments, since: 0 });
  expect(assignments).toBeGreaterThanOrEqual(2 * courses);
  const before = await read(out);
  expect(live(before)).toHaveLength(recordCounts(first.stdout).total.inserted);

  const report = sim.change(CHANGES);
  // The change touches rosters, grades and submissions, summaries, entries and page views.
  const touched = [
    'course.enrollments',
    'assignment.submissions',
    'course.student_summaries',
    'discussion.entries',
    'user.page_views',
  ] as const;
  for (const kind of touched) {
    const { inserted, updated, deleted } = report.byKind[kind];
    expect(inserted + updated + deleted, kind).toBeGreaterThan(0);
  }
  expect(report.byKind['course.enrollments'].deleted).toBe(CHANGES.dropEnrollments);
  expect(report.byKind['user.page_views'].inserted).toBe(CHANGES.pageViews);

  const second = await run(NOW + DAY);
  expect(second.code, second.stderr).toBe(0);
  // Incremental: a course whose roster changed is read whole (which captures the dropped
  // students' submissions), the others through two filtered reads each.
  const rosterChanged = new Set(
    [...report.enrollmentsAdded, ...report.enrollmentsDropped].map((e) => e.courseId),
  );
  expect(rosterChanged.size).toBeGreaterThan(0);
  expect(rosterChanged.size).toBeLessThan(courses);
  const reads = submissionReads(second.stdout);
  expect(reads.since).toBe(2 * (courses - rosterChanged.size));
  expect(reads.whole).toBeGreaterThan(0);
  expect(reads.whole).toBeLessThan(assignments);
  expect(second.stdout).toContain('the page views of 2026-03-04 to 2026-03-05');
  const counts = recordCounts(second.stdout);
  const total = { inserted: 0, updated: 0, deleted: 0 };
  for (const kind of KINDS) {
    const { inserted, updated, deleted } = counts[kind];
    expect({ inserted, updated, deleted }, kind).toEqual(report.byKind[kind]);
    total.inserted += inserted;
    total.updated += updated;
    total.deleted += deleted;
  }
  expect(counts.total).toMatchObject(total);
  // Every record fetched again that did not change is counted unchanged: the full passes saw
  // every live record, but those they found gone; the page views, only the window's; the
  // submissions, those of the courses read whole and those the filtered reads returned.
  const fullKinds = KINDS.filter(
    (kind) => kind !== 'user.page_views' && kind !== 'assignment.submissions',
  );
  for (const kind of fullKinds) {
    const { unchanged, updated, deleted } = counts[kind];
    expect(unchanged + updated + deleted, kind).toBe(live(before, kind).length);
  }
  expect(counts['user.page_views'].unchanged).toBe(0);

  // The warehouse: the changed records written, the deleted ones tombstoned, the rest as before.
  const after = await read(out);
  const changed = changedKeys(report);
  for (const [key, stored] of after) {
    if (changed.deleted.has(key)) expect(stored.deleted, key).toBe(true);
    else if (changed.written.has(key)) expect(stored.deleted, key).toBe(false);
    else expect(stored, key).toEqual(before.get(key));
  }
  for (const key of changed.written) expect(after.get(key)?.deleted, key).toBe(false);
  const graded = report.graded[0];
  expect(after.get(`assignment.submissions:${graded?.id}`)?.record).toMatchObject({
    workflow_state: 'graded',
    graded_at: report.at,
  });

  const third = await run(NOW + 2 * DAY);
  expect(third.code, third.stderr).toBe(0);
  expect(third.stdout).toContain('the page views of 2026-03-05 to 2026-03-06');
  const quiet = recordCounts(third.stdout);
  for (const kind of [...KINDS, 'total'] as const) {
    expect(quiet[kind], kind).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
  }
  for (const kind of fullKinds) {
    expect(quiet[kind].unchanged, kind).toBe(live(after, kind).length);
  }
  // Nobody came or left: every course's submissions through filtered reads.
  expect(submissionReads(third.stdout)).toEqual({ whole: 0, since: 2 * courses });
  expect(quiet['assignment.submissions'].unchanged).toBeLessThan(
    live(after, 'assignment.submissions').length,
  );
  expect(await read(out)).toEqual(after);

  // --full reads every assignment whole again, and finds nothing new either.
  const full = await run(NOW + 3 * DAY, ['--full']);
  expect(full.code, full.stderr).toBe(0);
  expect(submissionReads(full.stdout)).toEqual({ whole: assignments, since: 0 });
  expect(recordCounts(full.stdout)['assignment.submissions']).toEqual({
    inserted: 0,
    updated: 0,
    unchanged: live(after, 'assignment.submissions').length,
    deleted: 0,
  });
}

describe.concurrent('canvas-sync sync, run again after Canvas changed', () => {
  // Concurrent tests: each registers its clean-up on its own context (`onTestFinished`).
  it('SQLite (the default): reports and stores exactly what changed, then nothing', async ({
    onTestFinished,
  }) => {
    await threeRuns([], readDatabase, onTestFinished);
  });

  it('JSON Lines change logs (--format jsonl): reports and logs exactly what changed, then nothing', async ({
    onTestFinished,
  }) => {
    await threeRuns(['--format', 'jsonl'], readChangeLogs, onTestFinished);
  });

  it.skipIf(PG_URL === undefined && !UNDER_CI)(
    'PostgreSQL (--db): reports and stores exactly what changed, then nothing',
    async ({ onTestFinished }) => {
      if (PG_URL === undefined) {
        expect.fail(
          'CI=true but CANVAS_SYNC_PG_URL is not set: .ci/run starts PostgreSQL and sets it',
        );
      }
      // A schema no other test (or run) uses, dropped afterwards.
      const schema = tempSchema(PG_URL, onTestFinished);
      const read = () => readPostgres(PG_URL, schema);
      await threeRuns(['--db', PG_URL, '--db-schema', schema], read, onTestFinished);
    },
  );

  it('tries the dead-lettered page-view tasks of the last run again, though their window is behind', async ({
    onTestFinished,
  }) => {
    const sim = await startCanvasSimulator({
      institution: { courses: 2, students: 20, studentsPerCourse: 12, pageViewsUntil: dayOf(NOW) },
    });
    onTestFinished(() => sim.close());
    // A student with page views in the first run's window, whose page views are refused to it.
    const firstWindow = { start: dayOf(NOW) - 7 * DAY, end: dayOf(NOW) };
    const course = sim.data.courses.at(0)?.id ?? 0;
    const roster = sim.data.enrollments(course);
    const student = Array.from({ length: roster?.length ?? 0 }, (_, i) => roster?.at(i))
      .filter((enrollment) => enrollment?.type === 'StudentEnrollment')
      .map((enrollment) => enrollment?.user_id ?? 0)
      .find((user) => (sim.data.pageViews(user, firstWindow)?.length ?? 0) > 0);
    const views = sim.data.pageViews(student ?? 0, firstWindow)?.length ?? 0;
    expect(views).toBeGreaterThan(0);
    sim.setForbidden([{ path: `/api/v1/users/${student}/page_views` }]);
    const out = await tempDir();
    const env = canvasEnv(sim);
    const run = (now: number) => runExample(['--quiet', '--out', out], { env, now: () => now });

    const first = await run(NOW);
    // Every task accounted for, one dead-lettered: exit code 3.
    expect(first.code, first.stderr).toBe(3);
    expect(first.stdout).toMatch(/dead letters +1 http-401/);
    expect(first.stdout).toContain('1 dead-lettered: see canvas-sync dead-letters (exit code 3)');
    expect(first.stdout).toContain(`${join(out, 'dead-letters.jsonl')}: 1 tasks`);
    const [planned, , , dead] = identity(first.stdout);
    expect(dead).toBe(1);

    // Allowed again: the next run fetches that task of the first window besides its own.
    sim.setForbidden([]);
    const second = await run(NOW + DAY);
    expect(second.code, second.stderr).toBe(0);
    expect(identity(second.stdout)).toEqual([planned + 1, 0, planned + 1, 0]);
    expect(recordCounts(second.stdout)['user.page_views']).toEqual({
      inserted: views,
      updated: 0,
      unchanged: 0,
      deleted: 0,
    });
    expect(await readdir(out)).not.toContain('dead-letters.jsonl');
  });
});
