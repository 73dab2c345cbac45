import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readJsonState, writeFileAtomic } from '../../src/cli/state-file.js';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'canvas-sync-state-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('writeFileAtomic', () => {
  it('creates and replaces a file, leaving no temporary file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, '{"a":1}\n');
    await writeFileAtomic(path, '{"a":2}\n');
    expect(await readFile(path, 'utf8')).toBe('{"a":2}\n');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('leaves the target as it was and removes its temporary file when the rename fails', async () => {
    const dir = await tempDir();
    const target = join(dir, 'taken');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'x');
    await expect(writeFileAtomic(target, 'new')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['taken']);
    expect(await readFile(join(target, 'inside'), 'utf8')).toBe('x');
  });
});

describe('readJsonState', () => {
  it('tells a missing file, an empty or torn one and a JSON one apart, never quoting it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'empty.json'), ' \n');
    await writeFile(join(dir, 'torn.json'), '{"secret":"jane.doe@example.edu","x');
    await writeFile(join(dir, 'ok.json'), '{"a":[1]}');
    expect(await readJsonState(join(dir, 'missing.json'))).toEqual({ status: 'missing' });
    expect(await readJsonState(join(dir, 'empty.json'))).toEqual({
      status: 'unreadable',
      problem: 'it is empty',
    });
    const torn = await readJsonState(join(dir, 'torn.json'));
    expect(torn.status).toBe('unreadable');
    expect(JSON.stringify(torn)).not.toContain('jane');
    expect(await readJsonState(join(dir, 'ok.json'))).toEqual({ status: 'ok', value: { a: [1] } });
    await expect(readJsonState(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
