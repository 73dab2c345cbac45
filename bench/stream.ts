/**
 * Streams 1,000,000 enrollments (nested users) through `paginate()` with the
 * FERPA sanitizer on, five courses walked at once. The client runs in a child
 * process whose V8 heap is capped at 96 MB (`--max-old-space-size=96`), the
 * simulator in this one: if memory grew with the number of pages, the child
 * would run out of heap; its peak RSS is what the run reports, with the live
 * heap after a last garbage collection. (Left to itself, V8 lets the heap of a
 * busy process grow well past its live set before it collects, so an uncapped
 * RSS says more about V8's heuristics than about the client.)
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSimThread } from './sim-thread.js';
import type { StreamReport } from './stream-client.js';
import { formatTable } from './table.js';

const COURSES = 5;
const STUDENTS_PER_COURSE = 199_998; // + a teacher and a TA: 200,000 enrollments a course
const FIRST_COURSE_ID = 1001;
const TOKEN = 'stream-bench';
const HEAP_CAP_MB = 96;

export async function benchStream(): Promise<void> {
  const sim = await startSimThread({
    highWaterMark: 700,
    maximum: 800,
    outflowPerSecond: 10,
    upFrontCost: 50,
    cost: 0.01,
    latencyMs: 0,
    tokens: [TOKEN],
    seed: 1,
    institution: {
      courses: COURSES,
      students: STUDENTS_PER_COURSE,
      studentsPerCourse: STUDENTS_PER_COURSE,
    },
  });
  let report: StreamReport;
  try {
    const child = fork(
      fileURLToPath(new URL('./stream-client.ts', import.meta.url)),
      [sim.url, TOKEN, String(COURSES), String(FIRST_COURSE_ID)],
      { execArgv: ['--import', 'tsx', `--max-old-space-size=${HEAP_CAP_MB}`, '--expose-gc'] },
    );
    report = await new Promise<StreamReport>((resolve, reject) => {
      child.once('message', (message) => resolve(message as StreamReport));
      child.once('exit', (code) => reject(new Error(`stream client exited with ${code}`)));
    });
  } finally {
    await sim.close();
  }
  const mb = (bytes: number | undefined) =>
    bytes === undefined ? 'n/a' : (bytes / 1024 / 1024).toFixed(0);
  console.log(
    `\nStreaming ${report.records.toLocaleString('en-US')} enrollments through paginate() with FerpaSanitizer, ${COURSES} courses at once (client heap capped at ${HEAP_CAP_MB} MB)\n`,
  );
  console.log(
    formatTable(
      [
        'records',
        'seconds',
        'records/s',
        'client peak RSS MB',
        'live heap after GC MB',
        'throttled',
      ],
      [
        [
          String(report.records),
          report.seconds.toFixed(1),
          (report.records / report.seconds).toFixed(0),
          mb(report.peakRssBytes),
          mb(report.liveHeapBytes),
          String(report.throttled),
        ],
      ],
    ),
  );
  const pass = report.peakRssBytes < 200 * 1024 * 1024;
  console.log(`\nTarget: client peak RSS under 200 MB: ${pass ? 'PASS' : 'MISS'}`);
}
