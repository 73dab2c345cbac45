/**
 * `npm run bench -- sinks`: how fast each sink stores what a sync fetches, as a ratio to the
 * rate Canvas's bucket lets one token fetch records. The target: every sink keeps up with three
 * times that rate, so storing never slows a sync down.
 *
 * The records are enrollments as the simulator serves them (about 1.9 KB of JSON each, a nested user included), written
 * in pages of 100 as the worker does: a first run (every record inserted, within a pass), a
 * second run of the same data (every record unchanged: a version comparison and a "seen" mark),
 * and a run in which every record changed. PostgreSQL is measured when `CANVAS_SYNC_PG_URL` is
 * set (`.ci/run` sets it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlFileSink, MemorySink, type Sink } from '../src/index.js';
import { PostgresSink } from '../src/sink/postgres/index.js';
import { SqliteSink } from '../src/sink/sqlite/index.js';
import { createInstitution } from '../src/testing/index.js';
import { formatTable } from './table.js';

const PAGE = 100;
const PAGES = 100;

/**
 * Records per second one token may fetch at the bucket's steady rate: Canvas leaks 10 units a
 * second, and a page of 100 records costs about 0.02 + 0.002 × 100 = 0.22 units (the simulator's
 * default cost model, from Canvas's measured costs).
 */
const BUCKET_RECORDS_PER_SECOND = (10 / (0.02 + 0.002 * PAGE)) * PAGE;

interface Enrollment {
  id: number;
  [field: string]: unknown;
}

/** `PAGES` pages of `PAGE` enrollments of the simulator's default institution. */
function pages(): Enrollment[][] {
  const inst = createInstitution({ courses: 60, students: 3_000, studentsPerCourse: 200 });
  const all: Enrollment[] = [];
  for (let c = 0; all.length < PAGE * PAGES; c++) {
    const list = inst.enrollments(inst.courses.at(c)?.id ?? 0);
    for (let i = 0; i < (list?.length ?? 0) && all.length < PAGE * PAGES; i++) {
      all.push(list?.at(i) as unknown as Enrollment);
    }
  }
  return Array.from({ length: PAGES }, (_, p) => all.slice(p * PAGE, (p + 1) * PAGE));
}

/** Writes every page in one pass over one scope; records per second. */
async function run(sink: Sink<Enrollment>, data: Enrollment[][]): Promise<number> {
  const started = performance.now();
  const pass = await sink.beginPass('course.enrollments:/api/v1/accounts/1/enrollments');
  for (const page of data) {
    await sink.write(page, {
      key: (record) => `course.enrollments:${record.id}`,
      kind: 'course.enrollments',
      pass,
    });
  }
  await sink.completePass(pass);
  await sink.flush();
  return (PAGE * PAGES) / ((performance.now() - started) / 1000);
}

/** Measures a sink over three runs: inserts, unchanged, every record changed. */
async function measure(name: string, sink: Sink<Enrollment>, data: Enrollment[][]) {
  const changed = data.map((page) => page.map((record) => ({ ...record, updated_at: 'x' })));
  try {
    const rates = [await run(sink, data), await run(sink, data), await run(sink, changed)];
    return [
      name,
      ...rates.map(
        (rate) =>
          `${Math.round(rate).toLocaleString('en-US')} (${(rate / BUCKET_RECORDS_PER_SECOND).toFixed(1)}×)`,
      ),
    ];
  } finally {
    await sink.close();
  }
}

export async function benchSinks(): Promise<void> {
  console.log("\n== sinks: records per second, and as a multiple of the bucket's rate ==");
  const data = pages();
  const dir = await mkdtemp(join(tmpdir(), 'canvas-sync-bench-sinks-'));
  const rows: string[][] = [];
  try {
    rows.push(await measure('MemorySink', new MemorySink<Enrollment>(), data));
    rows.push(await measure('JsonlFileSink', await JsonlFileSink.open(join(dir, 'e.jsonl')), data));
    rows.push(
      await measure('SqliteSink', await SqliteSink.open({ path: join(dir, 'e.db') }), data),
    );
    const url = process.env.CANVAS_SYNC_PG_URL;
    if (url !== undefined && url !== '') {
      const schema = `bench_${process.pid}`;
      const sink = await PostgresSink.open<Enrollment>({ connectionString: url, schema });
      rows.push(await measure('PostgresSink', sink, data));
    } else {
      rows.push(['PostgresSink', 'not measured: CANVAS_SYNC_PG_URL is not set', '', '']);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    formatTable(['sink', 'first run (inserts)', 'same data (unchanged)', 'all changed'], rows),
  );
  console.log(
    `${(PAGE * PAGES).toLocaleString('en-US')} enrollments in pages of ${PAGE}, one pass each; ` +
      `the bucket lets one token fetch about ${Math.round(BUCKET_RECORDS_PER_SECOND).toLocaleString('en-US')} records/s ` +
      '(target: 3× or more).',
  );
}
