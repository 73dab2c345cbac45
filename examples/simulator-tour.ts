/**
 * A tour: what a paged walk of Canvas looks like, what happens to a naive
 * script that fires requests in parallel, and the same burst through
 * canvas-sync's paced client. Runs against the embedded Canvas simulator.
 *
 *   npm run example:tour
 */
import { CanvasSyncClient } from '../src/index.js';
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

  // 3. The same burst, ten times bigger, through the paced client: nothing throttled.
  sim.resetStats();
  const canvas = new CanvasSyncClient({ baseUrl: sim.url, token: sim.token });
  const started = performance.now();
  await Promise.all(Array.from({ length: 400 }, () => canvas.get('/api/v1/users/self')));
  const seconds = (performance.now() - started) / 1000;
  const client = canvas.stats();
  console.log('\n400 requests at once through CanvasSyncClient:');
  console.log(
    `  ${client.responses} responses in ${seconds.toFixed(1)} s (${(400 / seconds).toFixed(0)}/s), ${sim.stats().throttled} throttled, at most ${client.maxInFlight} in flight`,
  );
  let enrollments = 0;
  for await (const _ of canvas.paginate(`/api/v1/courses/${course.id}/enrollments`)) enrollments++;
  console.log(`  paginate() streamed ${enrollments} enrollments at per_page=100`);
  await canvas.close();
} finally {
  await sim.close();
}
