/**
 * The package as a user gets it: `npm pack` (which builds `dist/`), the tarball installed into
 * an empty folder from the registry's dependencies, then the `canvas-sync` command run with
 * `npx`, plain `node` (no tsx): `--help`, `--version`, and a whole simulated sync that writes its
 * warehouse and a report valid against the schema the package ships.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
/** The environment without any Canvas setting of the machine running the tests. */
const ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('CANVAS_')),
);

let dir: string;
let app: string;

/** Runs `npx canvas-sync …args` in the app folder; resolves to its exit code and output. */
async function canvasSync(args: string[]) {
  try {
    const { stdout, stderr } = await run('npx', ['--no-install', 'canvas-sync', ...args], {
      cwd: app,
      env: ENV,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('the packed package, installed into an empty folder', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'canvas-sync-package-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], {
      cwd: ROOT,
      env: ENV,
      maxBuffer: 16 * 1024 * 1024,
    });
    const tarball = join(dir, stdout.trim().split('\n').at(-1) ?? '');
    app = join(dir, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
    await run('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: app, env: ENV });
  }, 240_000);

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('runs canvas-sync --help and --version with plain node', async () => {
    const help = await canvasSync(['--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: canvas-sync <command> \[options\]/);
    for (const command of ['sync', 'dead-letters', 'simulator']) {
      expect(help.stdout).toContain(`  ${command} `);
    }
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    expect((await canvasSync(['--version'])).stdout).toBe(`${version}\n`);
    const sync = await canvasSync(['sync', '--help']);
    expect(sync.stdout).toMatch(/^Usage: canvas-sync sync \[options\]/);
    // Not installed: tsx and vitest, which the command must not need.
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
  });

  it('runs canvas-sync sync --simulate --courses 5 to the end, with its output and report', async () => {
    const result = await canvasSync([
      'sync',
      '--simulate',
      '--courses',
      '5',
      '--quiet',
      '--out',
      'out',
      '--report',
      'out/run.json',
      '--report',
      'out/run.html',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/every task accounted for: ([\d,]+) planned - 0 done earlier/);
    expect(existsSync(join(app, 'out/canvas-sync.db'))).toBe(true);
    expect(existsSync(join(app, 'out/run.html'))).toBe(true);
    const report = JSON.parse(await readFile(join(app, 'out/run.json'), 'utf8'));
    const schemaPath = join(app, 'node_modules/canvas-sync/schema/run-report.schema.json');
    const schema = JSON.parse(await readFile(schemaPath, 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    (formats as unknown as { default: (ajv: Ajv2020) => void }).default(ajv);
    const validate = ajv.compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({ status: 'done', exitCode: 0, courses: 5 });
  });
});
