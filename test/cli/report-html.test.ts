/**
 * The `.html` run report: one self-contained page holding the report's figures, escaping every
 * string of the report, referencing nothing external, drawing every edge case (no sample, one,
 * 7,200, no level, no record) in a bounded size; and, with Debian's chromium (required under
 * CI=true), rendered headless without a console message, its screenshot kept in .ci/work/.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReportSchema } from '../../src/cli/report.js';
import { downsample, MAX_CHART_POINTS, renderReportHtml } from '../../src/cli/report-html.js';
import { longSeries, realisticReport, reportWith } from './report-fixture.js';

const zero = { inserted: 0, updated: 0, unchanged: 0, deleted: 0 };
const EXTERNAL = [/(src|href)\s*=\s*["']?(https?:)?\/\//i, /@import/i, /url\(\s*["']?http/i];

/** Fails with the texts `html` lacks (rather than the whole page). */
function expectContains(html: string, texts: string[]): void {
  expect(texts.filter((text) => !html.includes(text))).toEqual([]);
}

/** What every page must be: whole, self-contained, scriptless, with no unformatted number. */
function expectSound(html: string): void {
  expect(html.startsWith('<!doctype html>')).toBe(true);
  expectContains(html, ['<html lang="en">', '<meta charset="utf-8">']);
  for (const pattern of EXTERNAL) expect(html).not.toMatch(pattern);
  expect(html).not.toMatch(/<script|<link|<iframe|<img|@font-face|javascript:/i);
  expect(html).not.toMatch(/NaN|Infinity|undefined|\[object/);
  expect(html.match(/<svg role="img"/g)).toHaveLength(3);
  expect(html.match(/<title id="[a-z]+-t">[^<]+<\/title><desc id="[a-z]+-d">/g)).toHaveLength(3);
}

describe('renderReportHtml', () => {
  it('shows the header, the key figures and the three charts of a realistic run', () => {
    const report = realisticReport();
    expect(runReportSchema.parse(report)).toEqual(report);
    const html = renderReportHtml(report);
    expectSound(html);
    expectContains(html, [
      'Done',
      '2026-12-01 09:15:02 UTC',
      '14.0 s',
      'http://127.0.0.1:43117',
      'SQLite /srv/canvas-sync/out/canvas-sync.db',
      '3,480', // tasks
      '23,364', // records inserted
      '3,601', // requests
      '<dt>throttled</dt><dd>2</dd>',
      '<dt>retries</dt><dd>2</dd>',
      '79 %', // of the in-flight bound
      '85 %', // of the outflow
      '653 (93 %)', // peak level of the high-water mark
      '611 (87 %)', // mean level
      'high-water mark 700',
      'course.enrollments',
      '3,080',
      '15,000',
      'assignment.submissions: 15,000 inserted, 0 updated',
    ]);
    expect(html.includes('23364')).toBe(false);
    expect(html.match(/<rect class="thr"/g)).toHaveLength(2);
    expect(html.match(/<circle class="level"/g)).toHaveLength(15);
    expect(html.length).toBeLessThan(40_000);
  });

  it('escapes every string that comes from the report', () => {
    const hostile = '<script>alert(1)</script>';
    const html = renderReportHtml(
      reportWith({
        status: 'dead-letters',
        exitCode: 3,
        output: hostile,
        source: { kind: 'canvas', origin: `https://x.test/"><img src=x onerror=alert(2)>` },
        tool: { name: 'canvas-sync', version: '</style><script>alert(3)</script>' },
        deadLetters: { total: 4, byReason: { [hostile]: 3, 'http 500 & "more"': 1 } },
        records: {
          total: zero,
          byKind: { "<b onmouseover='x'>kind</b>": { ...zero, deleted: 7 } },
        },
      }),
    );
    expectSound(html);
    expect(html.includes(hostile)).toBe(false);
    expect(html.includes('<b ')).toBe(false);
    expectContains(html, [
      '<span class="status dead-letters">Dead letters</span>',
      '<code>&#60;script&#62;alert(1)&#60;/script&#62;</code>',
      'http 500 &#38; &#34;more&#34;',
      '&#60;b onmouseover=&#39;x&#39;&#62;kind&#60;/b&#62;: 7 deleted',
    ]);
    expect(html).toMatch(/<dt>&#60;script&#62;alert\(1\)&#60;\/script&#62;<\/dt><dd>3<\/dd>/);
  });

  it('draws a run of 0 s, a run of 1 s, levels never reported and no record', () => {
    const empty = renderReportHtml(
      reportWith({ elapsedMs: 0, series: [], records: { total: zero, byKind: {} } }),
    );
    expectSound(empty);
    expect(empty.match(/No samples: the run lasted less than a second\./g)).toHaveLength(2);
    expectContains(empty, ['No records.', '<dd>0 ms, exit code 0</dd>']);

    const one = renderReportHtml(
      reportWith({ elapsedMs: 800, series: [{ t: 0, requests: 12, throttled: 1, level: 150 }] }),
    );
    expectSound(one);
    expect(one).toMatch(/<path class="level" d="M[\d.]+ [\d.]+l0 0"\/>/);
    expect(one.match(/<rect class="(req|thr)"/g)).toHaveLength(2);

    const blind = renderReportHtml(
      reportWith({
        series: longSeries(30, false),
        bucket: { highWaterMark: 700, peakLevel: null, meanLevel: null },
        throughput: { ...realisticReport().throughput, inFlightBound: null, meanLatencyMs: null },
      }),
    );
    expectSound(blind);
    expectContains(blind, [
      'No level reported',
      '<path class="level" d=""/>',
      '<dt><span><i class="sw pk"></i>peak level</span></dt><dd>–</dd>',
      '<dt>mean latency</dt><dd>–</dd>',
    ]);
  });

  it('keeps a 2-hour run (7,200 samples) and a 20-hour one to 600 points, peaks kept', () => {
    const series = longSeries(7_200);
    series[4_321] = { t: 4_321, requests: 999, throttled: 5, level: 699 };
    const points = downsample(series);
    expect(points).toHaveLength(MAX_CHART_POINTS);
    expect(points.reduce((sum, p) => sum + p.width, 0)).toBe(7_200);
    expect(points[360]).toMatchObject({ t: 4_320, width: 12, requests: 999, throttled: 5 });
    expect(points[360]?.level).toBe(699);
    const html = renderReportHtml(reportWith({ elapsedMs: 7_200_000, series }));
    expectSound(html);
    expect(html.length).toBeLessThan(120_000);
    expect(html.match(/<rect class="req"/g)).toHaveLength(MAX_CHART_POINTS);
    expect((html.match(/L[\d.]+ [\d.]+/g) ?? []).length).toBeLessThan(MAX_CHART_POINTS);
    expectContains(html, ['>2 h 0 min 0 s, exit code 0<', '>120 min</text>']);
    const longer = renderReportHtml(reportWith({ series: longSeries(72_000) }));
    expect(longer.length).toBeLessThan(120_000);
    expect(longer.match(/<rect class="req"/g)).toHaveLength(MAX_CHART_POINTS);
  });

  it('leaves a gap where no level was reported; a bucket holds the highest level of its seconds', () => {
    const series = longSeries(10).map((s) => ({ ...s, level: s.t % 4 === 2 ? null : s.level }));
    const d = /<path class="level" d="([^"]*)"/.exec(renderReportHtml(reportWith({ series })))?.[1];
    expect(d?.match(/M/g)).toHaveLength(3); // seconds 0-1, 3-5, 7-9
    const sparse = series.map((s) => (s.t === 3 ? { ...s, level: null } : s));
    // levels 500, 537, -, -, 648, 685, -, 568, 605, 642 in buckets of 2 seconds:
    expect(downsample(sparse, 5).map((p) => p.level)).toEqual([537, null, 685, 568, 642]);
    expect(downsample([])).toEqual([]);
  });
});

const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '../..');
/** A console line of chromium's log (`INFO:CONSOLE:1] "…"`, `CONSOLE(1)` in older versions). */
const CONSOLE = /\bCONSOLE\b|Uncaught/;

interface Run {
  code: number | null;
  log: string;
  timedOut: boolean;
}

/**
 * Runs chromium headless with its own profile: a screenshot of `url` into `png`, the log (console
 * messages included) on stderr. Killed, with its whole process group, after `timeoutMs`.
 */
function screenshot(url: string, png: string, profile: string, timeoutMs = 45_000): Promise<Run> {
  const args = [
    ...['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    ...['--disable-extensions', '--hide-scrollbars', '--enable-logging=stderr', '--v=0'],
    `--user-data-dir=${profile}`,
    `--screenshot=${png}`,
    '--window-size=1200,1600',
    url,
  ];
  return new Promise((done, fail) => {
    // Its crash database and caches under `profile` too, not in the user's ~/.config, ~/.cache.
    const env = { ...process.env, XDG_CONFIG_HOME: profile, XDG_CACHE_HOME: profile };
    const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
    const child = spawn(CHROMIUM, args, { detached: true, env, stdio });
    const chunks: Buffer[] = [];
    let timedOut = false;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup(); // any helper process left behind
      done({ code, log: Buffer.concat(chunks).toString('utf8'), timedOut });
    });
  });
}

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("in a real browser (Debian's chromium)", () => {
  const available = existsSync(CHROMIUM);
  it.skipIf(!available && process.env.CI !== 'true')(
    'renders the page with no console message; the screenshot goes to .ci/work/report.png',
    async () => {
      if (!available) {
        throw new Error(
          `CI=true but ${CHROMIUM} is missing: the browser check needs Debian's chromium ` +
            '(apt-get install chromium; .ci/run installs it)',
        );
      }
      const dir = await mkdtemp(join(tmpdir(), 'canvas-sync-report-html-'));
      try {
        const page = join(dir, 'report.html');
        const control = join(dir, 'control.html');
        await writeFile(page, renderReportHtml(realisticReport()));
        // A page that logs to the console: proves that this chromium's log shows such messages.
        await writeFile(
          control,
          '<!doctype html><html lang="en"><meta charset="utf-8"><title>control</title>' +
            '<script>console.error("report-html control message")</script></html>',
        );
        const [run, check] = await Promise.all([
          screenshot(pathToFileURL(page).href, join(dir, 'report.png'), join(dir, 'profile-a')),
          screenshot(pathToFileURL(control).href, join(dir, 'control.png'), join(dir, 'profile-b')),
        ]);
        for (const r of [run, check]) {
          expect(r.timedOut, `chromium timed out:\n${r.log.slice(-4000)}`).toBe(false);
          expect(r.code, `chromium failed:\n${r.log.slice(-4000)}`).toBe(0);
        }
        const controlLines = check.log.split('\n').filter((l) => CONSOLE.test(l));
        expect(controlLines.join('\n'), 'console messages are not in the log').toContain(
          'report-html control message',
        );
        expect(run.log.split('\n').filter((l) => CONSOLE.test(l))).toEqual([]);
        const png = await readFile(join(dir, 'report.png'));
        expect(pngSize(png)).toEqual({ width: 1200, height: 1600 });
        expect(png.length).toBeGreaterThan(50_000); // not a blank page (a blank one is ~10 KB)
        const work = join(ROOT, '.ci', 'work');
        await mkdir(work, { recursive: true });
        const partial = join(work, `report.png.${process.pid}`);
        await copyFile(join(dir, 'report.png'), partial);
        await rename(partial, join(work, 'report.png')); // whole, even with a parallel run
        expect(existsSync(join(work, 'report.png'))).toBe(true);
      } finally {
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
    120_000,
  );
});
