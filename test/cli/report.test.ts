/**
 * The run report of `canvas-sync sync --report FILE`: `.json` validates against the JSON Schema
 * the package ships (`schema/run-report.schema.json`, generated from the zod schema: the file
 * must be what `npm run schema` writes) and its counts equal the summary's; `.html` is written
 * beside it (the page itself is tested in report-html.test.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { reportJsonSchemaText } from '../../src/cli/report.js';
import { startCanvasSimulator } from '../../src/testing/index.js';
import {
  canvasEnv,
  figure,
  identity,
  KINDS,
  NOW,
  recordCounts,
  runExample,
  submissionReads,
  TINY,
  tempDirs,
} from './support.js';

const tempDir = tempDirs();
const SCHEMA_FILE = new URL('../../schema/run-report.schema.json', import.meta.url);

async function validator() {
  const schema = JSON.parse(await readFile(SCHEMA_FILE, 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  // ajv-formats is CommonJS: under Node's ESM its function is the default export's `default`.
  const addFormats = (formats as unknown as { default: (ajv: Ajv2020) => void }).default;
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('the run report', () => {
  it('ships the JSON Schema that the zod schema generates (npm run schema)', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(reportJsonSchemaText());
  });

  it('writes JSON that validates against the shipped schema, with the summary’s counts', async () => {
    const out = await tempDir();
    const [json, html] = [join(out, 'reports/run.json'), join(out, 'run.html')];
    const exit = await runExample([
      ...TINY,
      '--quiet',
      '--out',
      out,
      '--report',
      json,
      '--report',
      html,
    ]);
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain(`report: ${json}\nreport: ${html}\n`);
    const report = JSON.parse(await readFile(json, 'utf8'));
    const validate = await validator();
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);

    expect(report).toMatchObject({
      reportVersion: 1,
      command: 'sync',
      status: 'done',
      exitCode: 0,
      interruptedBy: null,
      resumed: false,
      source: { kind: 'simulator' },
      startedAt: new Date(NOW).toISOString(),
    });
    const [planned, skipped, done, deadLettered] = identity(exit.stdout);
    expect(report.tasks).toEqual({ planned, skipped, done, deadLettered, undone: 0 });
    expect(report.submissionReads).toEqual(submissionReads(exit.stdout));
    const counts = recordCounts(exit.stdout);
    expect(report.records.total).toEqual(counts.total);
    for (const kind of KINDS) expect(report.records.byKind[kind], kind).toEqual(counts[kind]);
    expect(report.requests.sent).toBe(figure(exit.stdout, 'requests'));
    expect(report.courses).toBe(figure(exit.stdout, 'courses'));
    // Every response counted in its second; levels from Canvas's headers, under the hwm.
    const responses = report.series.reduce(
      (sum: number, s: { requests: number }) => sum + s.requests,
      0,
    );
    expect(responses).toBe(report.requests.sent);
    expect(report.bucket.peakLevel).toBeGreaterThan(0);
    expect(report.bucket.peakLevel).toBeLessThanOrEqual(report.bucket.highWaterMark);

    const page = await readFile(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/i);
    expect(page).toContain(report.output.replaceAll('&', '&amp;'));
  });

  it('reports dead letters by reason with exit code 3, and the schema refuses what is not a report', async ({
    onTestFinished,
  }) => {
    const sim = await startCanvasSimulator({
      institution: { courses: 1, students: 10, studentsPerCourse: 10 },
    });
    onTestFinished(() => sim.close());
    const course = sim.data.courses.at(0)?.id;
    sim.setForbidden([{ path: `/api/v1/courses/${course}/sections` }]);
    const out = await tempDir();
    const json = join(out, 'run.json');
    const exit = await runExample(['--quiet', '--out', out, '--report', json], {
      env: canvasEnv(sim),
    });
    expect(exit.code, exit.stderr).toBe(3);
    const report = JSON.parse(await readFile(json, 'utf8'));
    const validate = await validator();
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({
      status: 'dead-letters',
      exitCode: 3,
      source: { kind: 'canvas', origin: new URL(sim.url).origin },
      deadLetters: { total: 1, byReason: { 'http-401': 1 } },
    });
    expect(JSON.stringify(report)).not.toContain(sim.token);

    expect(validate({ ...report, status: 'fine' })).toBe(false);
    expect(validate({ ...report, extra: 1 })).toBe(false);
    const { tasks: _, ...withoutTasks } = report;
    expect(validate(withoutTasks)).toBe(false);
  });
});
