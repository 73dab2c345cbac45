/**
 * FerpaSanitizer throughput on 100,000 enrollments with their nested users (200 courses × 500
 * students, default policy), side by side in one run with the two ways of deep-copying the same
 * records it competes with: `structuredClone` and `JSON.parse(JSON.stringify())`. The sanitizer
 * is a deep copy that also looks up every field and computes HMACs, so the verdict is its ratio
 * to `structuredClone` (target ≤ 3×).
 *
 * The records are built once, up front, from `createInstitution`; each method gets a warm-up
 * pass over the first 10,000 records, then one timed pass over all of them.
 *
 * Each enrollment carries 6 distinct identifiers to pseudonymize (`sis_user_id` twice), and one
 * HMAC costs a few microseconds, so the pseudonym cache decides the ratio. With a pool of 20,000
 * students each one is in 5 of the 200 courses, and consecutive courses share no students: a
 * student's identifiers come back only after ~140,000 others, so a cache smaller than that
 * (the default 10,000) cannot hit across courses. Three sanitizer rows show the range: the
 * default cache, a cache large enough for the population (what a long-running worker reaches),
 * and a pool of 500 students in every course (the cache always hits).
 */
import { FerpaSanitizer } from '../src/privacy/index.js';
import { type CanvasEnrollment, createInstitution } from '../src/testing/index.js';
import { formatTable } from './table.js';

const COURSES = 200;
const PER_COURSE = 500;
const RECORDS = 100_000;
const WARM_UP = 10_000;
const KEY = Buffer.from('canvas-sync benchmark key, 32+ bytes long');

function enrollments(students: number): CanvasEnrollment[] {
  const inst = createInstitution({
    courses: COURSES,
    students,
    studentsPerCourse: PER_COURSE,
    teachers: 50,
  });
  const out: CanvasEnrollment[] = [];
  for (let c = 0; c < COURSES && out.length < RECORDS; c++) {
    const list = inst.enrollments(inst.courses.at(c)?.id ?? 0);
    for (let i = 0; list !== undefined && i < list.length && out.length < RECORDS; i++) {
      const record = list.at(i);
      if (record !== undefined) out.push(record);
    }
  }
  return out;
}

/**
 * Time of one pass over all records of a fresh `copy` from `make`, after a warm-up pass of
 * another (so that the timed sanitizer starts with an empty cache), in ms.
 */
function time(records: readonly unknown[], make: () => (record: unknown) => unknown): number {
  let sink = 0;
  const warm = make();
  for (let i = 0; i < WARM_UP; i++) sink += warm(records[i]) === undefined ? 1 : 0;
  const copy = make();
  const started = performance.now();
  for (const record of records) sink += copy(record) === undefined ? 1 : 0;
  const ms = performance.now() - started;
  if (sink !== 0) throw new Error('a copy returned undefined');
  return ms;
}

const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;

type Method = readonly [label: string, make: () => (record: unknown) => unknown];

export async function benchSanitize(): Promise<void> {
  /** Makes `sanitize` of a new sanitizer with this cache size. */
  const sanitizing = (cacheSize?: number) => (): ((record: unknown) => unknown) => {
    const s = new FerpaSanitizer(
      cacheSize === undefined ? { key: KEY, keyId: 'b' } : { key: KEY, keyId: 'b', cacheSize },
    );
    return (record) => s.sanitize(record);
  };
  const clone = () => (record: unknown) => structuredClone(record);
  const roundTrip = () => (record: unknown) => JSON.parse(JSON.stringify(record));
  const datasets: [string, number, Method[]][] = [
    [
      '20,000 students',
      20_000,
      [
        ['structuredClone', clone],
        ['JSON.parse(JSON.stringify())', roundTrip],
        ['sanitize, no cache', sanitizing(0)],
        ['sanitize, cache 10k', sanitizing(10_000)],
        ['sanitize, cache 200k (default)', sanitizing()],
      ],
    ],
    [
      '500 students',
      500,
      [
        ['structuredClone', clone],
        ['sanitize, cache 10k', sanitizing(10_000)],
        ['sanitize, cache 200k (default)', sanitizing()],
      ],
    ],
  ];
  const rows: string[][] = [];
  let mb = 0;
  for (const [pool, students, methods] of datasets) {
    const records = enrollments(students);
    let bytes = 0;
    for (const record of records) bytes += Buffer.byteLength(JSON.stringify(record));
    mb = bytes / 1e6;
    let cloneMs = 0;
    for (const [label, make] of methods) {
      const ms = time(records, make);
      if (label === 'structuredClone') cloneMs = ms;
      rows.push([
        pool,
        label,
        ms.toFixed(0),
        ((records.length / ms) * 1000).toFixed(0),
        ((mb / ms) * 1000).toFixed(1),
        `${(ms / cloneMs).toFixed(2)}×`,
        peakRssMb().toFixed(0),
      ]);
    }
  }
  console.log(
    `\nSanitizer throughput: ${RECORDS.toLocaleString('en')} enrollments with nested users ` +
      `(${COURSES} courses × ${PER_COURSE} students, ~${mb.toFixed(0)} MB of JSON), default ` +
      'policy; one pass after a 10,000-record warm-up\n',
  );
  console.log(
    formatTable(
      ['pool', 'method', 'ms', 'records/s', 'MB/s JSON', 'vs clone', 'peak RSS MB'],
      rows,
    ),
  );
}
