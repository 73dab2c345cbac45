/**
 * A tour of the Canvas simulator: what a paged walk looks like, and what
 * happens to a naive client that fires requests in parallel.
 *
 *   npm run example
 */
import { startCanvasSimulator } from '../src/testing/index.js';

const sim = await startCanvasSimulator({
  latencyMs: (request) => 30 + 20 * request.random(),
  institution: { courses: 40, students: 3_000, studentsPerCourse: 75 },
});
const headers = { Authorization: `Bearer ${sim.token}` };

try {
  console.log(`Canvas simulator listening on ${sim.url}`);
  const course = sim.data.courses.at(0);
  if (course === undefined) throw new Error('the institution has no course');

  // 1. One request at a time, following the Link header: never throttled, but slow.
  let next: string | undefined = `${sim.url}/api/v1/courses/${course.id}/enrollments?per_page=20`;
  let records = 0;
  let pages = 0;
  while (next !== undefined) {
    const res = await fetch(next, { headers });
    const page = (await res.json()) as unknown[];
    records += page.length;
    pages++;
    console.log(
      `page ${pages}: ${page.length} enrollments, remaining ${res.headers.get('x-rate-limit-remaining')}, cost ${res.headers.get('x-request-cost')}`,
    );
    next = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
  }
  console.log(`walked ${records} enrollments of "${course.name}" in ${pages} pages\n`);

  // 2. Forty requests at once: the bucket fills and Canvas throttles the rest.
  sim.resetStats();
  const burst = await Promise.all(
    Array.from({ length: 40 }, () => fetch(`${sim.url}/api/v1/users/self`, { headers })),
  );
  const statuses = new Map<number, number>();
  for (const res of burst) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const stats = sim.stats();
  console.log('a burst of 40 parallel requests:');
  for (const [status, count] of statuses) console.log(`  ${count} × HTTP ${status}`);
  console.log(
    `  most in flight: ${stats.maxInFlight}, peak bucket level: ${stats.peakLevel.toFixed(1)} of ${sim.bucket.highWaterMark}`,
  );
  const throttled = burst.find((res) => res.status === 429);
  if (throttled !== undefined)
    console.log(`  a throttled body: ${JSON.stringify(await throttled.text())}`);
  console.log("\ncanvas-sync's client paces itself from these headers so that this never happens.");
} finally {
  await sim.close();
}
