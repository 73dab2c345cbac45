/**
 * How fast the simulator serves, side by side with a bare `node:http` server
 * answering the same bytes, for a small object and for a full page of 100
 * enrollments. The ratio tells how much of a pacing benchmark's budget the
 * simulator itself uses (client and simulator share this process).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCanvasSimulator } from '../src/testing/index.js';
import { formatTable } from './table.js';

const REQUESTS = 2_000;
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

async function bareServerFor(body: Buffer): Promise<{ url: string; close: () => Promise<void> }> {
  const bare = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(bare.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => bare.close(() => resolve())),
  };
}

export async function benchSimulator(): Promise<void> {
  const sim = await startCanvasSimulator({
    allowlistedTokens: ['bench'],
    institution: { courses: 4, students: 1_000, studentsPerCourse: 500 },
  });
  const courseId = sim.data.courses.at(0)?.id ?? 0;
  const cases = [
    ['GET /users/self', '/api/v1/users/self'],
    ['GET 100 enrollments', `/api/v1/courses/${courseId}/enrollments?per_page=100`],
  ] as const;
  const rows: string[][] = [];
  try {
    for (const [label, path] of cases) {
      const sample = await fetch(`${sim.url}${path}`, {
        headers: { Authorization: 'Bearer bench' },
      });
      const body = Buffer.from(await sample.arrayBuffer());
      const bare = await bareServerFor(body);
      try {
        await drive(`${bare.url}${path}`, 'bench'); // warm-up
        const bareRate = await drive(`${bare.url}${path}`, 'bench');
        const simRate = await drive(`${sim.url}${path}`, 'bench');
        const size = `${(body.length / 1024).toFixed(1)} KiB`;
        rows.push([
          label,
          size,
          bareRate.toFixed(0),
          simRate.toFixed(0),
          (simRate / bareRate).toFixed(2),
        ]);
      } finally {
        await bare.close();
      }
    }
  } finally {
    await sim.close();
  }
  console.log(
    `\nSimulator throughput: ${REQUESTS} GETs per case, ${CONCURRENCY} in flight, client in the same process\n`,
  );
  console.log(
    formatTable(['case', 'body', 'bare req/s', 'simulator req/s', 'simulator / bare'], rows),
  );
}
