/**
 * Child-process side of `stream.ts`: walks the courses through `paginate()`
 * with the FERPA sanitizer on and reports records, time and its own peak RSS
 * (the simulator lives in the parent, so it is not counted).
 */
import { CanvasSyncClient, FerpaSanitizer } from '../src/index.js';

export interface StreamReport {
  readonly records: number;
  readonly seconds: number;
  readonly peakRssBytes: number;
  readonly liveHeapBytes: number | undefined;
  readonly throttled: number;
}

const [url = '', token = '', courses = '0', firstCourse = '0'] = process.argv.slice(2);
const client = new CanvasSyncClient({
  baseUrl: url,
  token,
  sanitizer: new FerpaSanitizer({ key: 'bench-key-'.repeat(4), keyId: 'bench' }),
});
let peakRssBytes = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
}, 20);
let records = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(courses) }, async (_, index) => {
    const path = `/api/v1/courses/${Number(firstCourse) + index}/enrollments`;
    for await (const _enrollment of client.paginate(path)) records++;
  }),
);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
const collect = (globalThis as { gc?: () => void }).gc;
collect?.();
const report: StreamReport = {
  records,
  seconds,
  peakRssBytes,
  liveHeapBytes: collect === undefined ? undefined : process.memoryUsage().heapUsed,
  throttled: client.stats().throttled,
};
await client.close();
process.send?.(report);
