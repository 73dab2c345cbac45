/**
 * How fast the simulator serves, side by side with a bare `node:http` server
 * answering the same bytes: the ratio tells whether the simulator could be the
 * bottleneck of a pacing benchmark (it must serve far more than the ~350
 * requests/second a Canvas token allows in flight).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCanvasSimulator } from '../src/testing/index.js';
import { formatTable } from './table.js';

const REQUESTS = 3_000;
const CONCURRENCY = 16;

async function drive(url: string, token: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < REQUESTS) {
      next++;
      const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return REQUESTS / ((performance.now() - started) / 1000);
}

export async function benchSimulator(): Promise<void> {
  const sim = await startCanvasSimulator({
    allowlistedTokens: ['bench'],
    institution: { courses: 4, students: 1_000, studentsPerCourse: 500 },
  });
  const courseId = sim.data.courses.at(0)?.id ?? 0;
  const path = `/api/v1/courses/${courseId}/enrollments?per_page=100`;
  const sample = await fetch(`${sim.url}${path}`, { headers: { Authorization: 'Bearer bench' } });
  const body = Buffer.from(await sample.arrayBuffer());

  const bare = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}${path}`;

  try {
    await drive(bareUrl, 'bench'); // warm-up of the client side
    const bareRate = await drive(bareUrl, 'bench');
    const simRate = await drive(`${sim.url}${path}`, 'bench');
    console.log(
      `\nSimulator throughput: ${REQUESTS} GETs of a 100-enrollment page (${(body.length / 1024).toFixed(0)} KiB), ${CONCURRENCY} in flight\n`,
    );
    console.log(
      formatTable(
        ['server', 'requests/s', 'ratio to bare'],
        [
          ['bare node:http, same bytes', bareRate.toFixed(0), '1.00'],
          ['canvas simulator', simRate.toFixed(0), (simRate / bareRate).toFixed(2)],
        ],
      ),
    );
  } finally {
    await sim.close();
    await new Promise((resolve) => bare.close(resolve));
  }
}
