/**
 * Importing `canvas-sync` never loads an optional integration's library: each lives on its own
 * subpath, with its library as an optional (peer) dependency.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The libraries of the optional integrations, as a pattern of the specifiers that load them. */
const OPTIONAL =
  '^(@libsql/|libsql(/|$)|pg(/|$)|pg-|bullmq(/|$)|ioredis(/|$)|bottleneck(/|$)|amqplib(/|$)|@aws-sdk/)';

/**
 * Imports `target` in a child process whose resolve hook throws on any optional library's
 * specifier, so that loading one, statically or not, fails the import.
 */
async function importRefusingOptional(
  target: string,
): Promise<{ code: number | null; output: string }> {
  const hook = `export async function resolve(specifier, context, next) {
    if (new RegExp(${JSON.stringify(OPTIONAL)}).test(specifier)) throw new Error('OPTIONAL_LOADED ' + specifier);
    return next(specifier, context);
  }`;
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
    await import(${JSON.stringify(pathToFileURL(target).href)});
    console.log('IMPORTED');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  return { code, output };
}

describe('optional integrations', () => {
  it('are not loaded by the root entry; each subpath trips the check with its library', async () => {
    const [root, sqlite, postgres, bullmq, rabbitmq, sqs] = await Promise.all([
      importRefusingOptional(join(REPO, 'src/index.ts')),
      importRefusingOptional(join(REPO, 'src/sink/sqlite/index.ts')),
      importRefusingOptional(join(REPO, 'src/sink/postgres/index.ts')),
      importRefusingOptional(join(REPO, 'src/queue/bullmq/index.ts')),
      importRefusingOptional(join(REPO, 'src/queue/rabbitmq/index.ts')),
      importRefusingOptional(join(REPO, 'src/queue/sqs/index.ts')),
    ]);
    expect(root.output).not.toContain('OPTIONAL_LOADED');
    expect(root).toMatchObject({ code: 0, output: expect.stringContaining('IMPORTED') });
    expect(sqlite.code).not.toBe(0);
    expect(sqlite.output).toContain('OPTIONAL_LOADED @libsql/client');
    expect(postgres.code).not.toBe(0);
    expect(postgres.output).toContain('OPTIONAL_LOADED pg');
    expect(bullmq.code).not.toBe(0);
    expect(bullmq.output).toMatch(/OPTIONAL_LOADED (bullmq|ioredis)/);
    expect(rabbitmq.code).not.toBe(0);
    expect(rabbitmq.output).toContain('OPTIONAL_LOADED amqplib');
    expect(sqs.code).not.toBe(0);
    expect(sqs.output).toContain('OPTIONAL_LOADED @aws-sdk/client-sqs');
  });
});
