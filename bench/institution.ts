/**
 * `npm run bench -- institution`: random access into a generated institution at growing sizes.
 * `createInstitution` computes every record from its indices on demand, so reading an enrollment
 * (and finding it again by id) should cost the same in a million-enrollment institution as in a
 * small one. Each size reads the same number of enrollments at seeded random (course, index)
 * pairs, each followed by `indexOfId` of the id read, after a warm-up pass; the verdict is each
 * size's cost per read as a ratio to the smallest size's, measured side by side in this run
 * (target: close to 1×, not growing with the size).
 */

import { createInstitution } from '../src/testing/index.js';
import { createPrng } from '../src/testing/simulator/prng.js';
import { formatTable } from './table.js';

const READS = 20_000;
const WARM_UP = 2_000;
const PER_COURSE = 1_000;
const SIZES = [
  ['10k enrollments', 10, 5_000],
  ['1M enrollments', 1_000, 50_000],
  ['10M enrollments', 10_000, 500_000],
] as const;

/** Reads `reads` enrollments at random (course, index) pairs and finds each by id; in ms. */
function randomReads(courses: number, students: number, reads: number, seed: number): number {
  const inst = createInstitution({ courses, students, studentsPerCourse: PER_COURSE });
  const firstCourse = inst.courses.at(0)?.id ?? 0;
  const perCourse = inst.enrollments(firstCourse)?.length ?? 0;
  const rng = createPrng(seed);
  let misses = 0;
  const started = performance.now();
  for (let n = 0; n < reads; n++) {
    const list = inst.enrollments(firstCourse + rng.int(0, courses - 1));
    const index = rng.int(0, perCourse - 1);
    const enrollment = list?.at(index);
    if (enrollment === undefined || list?.indexOfId(enrollment.id) !== index) misses++;
  }
  const ms = performance.now() - started;
  if (misses > 0) throw new Error(`${misses} enrollments were not found again by id`);
  return ms;
}

export async function benchInstitution(): Promise<void> {
  const rows: string[][] = [];
  let smallestUs = 0;
  for (const [label, courses, students] of SIZES) {
    randomReads(courses, students, WARM_UP, 1);
    const us = (randomReads(courses, students, READS, 99) / READS) * 1000;
    if (smallestUs === 0) smallestUs = us;
    rows.push([
      label,
      `${courses.toLocaleString('en')} × ${(PER_COURSE + 2).toLocaleString('en')}`,
      us.toFixed(1),
      `${(us / smallestUs).toFixed(2)}×`,
    ]);
  }
  console.log(
    `\nInstitution random access: ${READS.toLocaleString('en')} enrollments read at seeded ` +
      'random (course, index) pairs, each found again by id, after a warm-up pass\n',
  );
  console.log(formatTable(['institution', 'courses × enrollments', 'µs/read', 'vs 10k'], rows));
}
