/**
 * Run reports for the HTML report's tests and for `docs/report.png`: a realistic first run against
 * the simulator's institution (40 courses, 3,000 students: the figures of the README's example),
 * and variations of it. Every report is checked against {@link runReportSchema}.
 */
import { type ReportSample, type RunReport, runReportSchema } from '../../src/cli/report.js';

/** Responses, throttles and bucket levels of each second of the realistic run (15 samples). */
const REQUESTS = [148, 251, 262, 259, 266, 263, 258, 261, 264, 257, 262, 260, 259, 255, 76];
const THROTTLED = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0];
const LEVELS = [212, 468, 596, 631, 644, 650, 648, 652, 646, 651, 649, 653, 647, 638, 402];

/** A counts object: `inserted` new records, nothing else. */
const inserted = (n: number) => ({ inserted: n, updated: 0, unchanged: 0, deleted: 0 });

/**
 * A 14 s first run against the simulator: 3,480 tasks, 3,601 requests (2 throttled, retried),
 * the bucket level climbing to 653 of its 700 high-water mark, 23,364 records inserted over 8 kinds.
 */
export function realisticReport(): RunReport {
  return runReportSchema.parse({
    reportVersion: 1,
    tool: { name: 'canvas-sync', version: '0.1.0' },
    command: 'sync',
    status: 'done',
    exitCode: 0,
    interruptedBy: null,
    startedAt: '2026-12-01T09:15:02.318Z',
    endedAt: '2026-12-01T09:15:16.330Z',
    elapsedMs: 14_012,
    source: { kind: 'simulator', origin: 'http://127.0.0.1:43117' },
    output: 'SQLite /srv/canvas-sync/out/canvas-sync.db',
    resumed: false,
    pageViews: { startTime: '2026-11-24T00:00:00.000Z', endTime: '2026-12-01T00:00:00.000Z' },
    courses: 40,
    tasks: { planned: 3_480, skipped: 0, done: 3_480, deadLettered: 0, undone: 0 },
    submissionReads: { whole: 200, since: 0 },
    records: {
      total: inserted(23_364),
      byKind: {
        'course.sections': inserted(80),
        'course.enrollments': inserted(3_080),
        'course.assignments': inserted(200),
        'assignment.submissions': inserted(15_000),
        'course.discussions': inserted(80),
        'discussion.entries': inserted(800),
        'course.student_summaries': inserted(3_000),
        'user.page_views': inserted(1_124),
      },
    },
    deadLetters: { total: 0, byReason: {} },
    requests: { sent: 3_601, throttled: 2, retries: 2, failures: 0 },
    bucket: { highWaterMark: 700, peakLevel: 653, meanLevel: 611.4 },
    throughput: {
      requestsPerSecond: 257,
      costPerSecond: 8.46,
      ratioToOutflow: 0.846,
      meanLatencyMs: 40,
      inFlightBound: 325,
      ratioToInFlightBound: 0.791,
    },
    series: REQUESTS.map((requests, t) => ({
      t,
      requests,
      throttled: THROTTLED[t] ?? 0,
      level: LEVELS[t] ?? null,
    })),
  });
}

/** {@link realisticReport} with `changes` applied, checked against the schema. */
export function reportWith(changes: Partial<RunReport>): RunReport {
  return runReportSchema.parse({ ...realisticReport(), ...changes });
}

/**
 * `seconds` samples of a steady run: 250 requests a second, a throttle every 97 s and the level
 * swinging between 500 and 690 (null everywhere when `levels` is false).
 */
export function longSeries(seconds: number, levels = true): ReportSample[] {
  return Array.from({ length: seconds }, (_, t) => ({
    t,
    requests: 240 + (t % 21),
    throttled: t % 97 === 0 ? 1 : 0,
    level: levels ? 500 + ((t * 37) % 191) : null,
  }));
}
