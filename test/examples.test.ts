/**
 * The examples in examples/ run as written (each a process of its own, as a reader runs it, with
 * no CANVAS_ variable), and the custom sink of examples/custom-sink.ts keeps the Sink contract.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ChangeFeedSink } from '../examples/custom-sink.js';
import { runSinkConformance } from '../src/testing/sink-conformance.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** A run that takes longer is killed: the test then fails on its exit, not on vitest's timeout. */
const RUN_LIMIT_MS = 25_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx examples/<file>` from the repository's root. */
function runExample(file: string): Promise<Run> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('CANVAS_')),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: RUN_LIMIT_MS,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('examples/ as processes', () => {
  const timeout = RUN_LIMIT_MS + 5_000;

  it(
    'simulator-tour.ts walks a course, is throttled in a burst, and is not through the client',
    async () => {
      const run = await runExample('simulator-tour.ts');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^walked [1-9]\d* enrollments of ".+" in [1-9]\d* pages$/m);
      expect(run.stdout).toMatch(/^a burst of 40 parallel requests:$/m);
      expect(run.stdout).toMatch(/^ {2}400 responses in [\d.]+ s /m);
    },
    timeout,
  );

  it(
    'custom-producer.ts plans the active topics and stores their entries',
    async () => {
      const run = await runExample('custom-producer.ts');
      expect(run.code, run.stderr).toBe(0);
      const planned = /^planned ([1-9]\d*) discussion\.entries tasks in 4 courses/m.exec(
        run.stdout,
      );
      expect(planned, run.stdout).not.toBeNull();
      // Every task planned is done, none dead-lettered.
      expect(run.stdout).toContain(`\n${planned?.[1]} tasks done, 0 dead-lettered, `);
      expect(run.stdout).toMatch(/^stored [1-9]\d* discussion entries/m);
      // Sanitized: free text redacted.
      expect(run.stdout).toContain('"message":"[REDACTED]"');
    },
    timeout,
  );

  it(
    'custom-sink.ts feeds one line per change the worker counted',
    async () => {
      const run = await runExample('custom-sink.ts');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^first run: (\d+) changes \(\1 inserted\), e\.g\.$/m);
      const second =
        /^second run: (\d+) changes \((\d+) inserted, (\d+) updated, (\d+) deleted\):$/m.exec(
          run.stdout,
        );
      expect(second, run.stdout).not.toBeNull();
      const [changes, inserted, updated, deleted] = (second ?? []).slice(1).map(Number);
      expect([inserted, deleted]).toEqual([2, 1]);
      expect(changes).toBe((inserted ?? 0) + (updated ?? 0) + (deleted ?? 0));
      expect(run.stdout).toMatch(/^ {2}\S+,delete,course\.enrollments,course\.enrollments:\d+,/m);
    },
    timeout,
  );
});

runSinkConformance('ChangeFeedSink (examples/custom-sink.ts)', async ({ now }) => {
  return new ChangeFeedSink({ now });
});

describe('ChangeFeedSink', () => {
  it('feeds inserts, updates, deletes and restores, once each, in call order', async () => {
    let time = Date.parse('2026-03-02T08:00:00.000Z');
    const sink = new ChangeFeedSink<{ id: number; name: string }>({ now: () => new Date(time) });
    const options = { key: (row: { id: number }) => `users:${row.id}`, kind: 'users' };
    const scope = 'users:/api/v1/courses/1/users';

    const pass = await sink.beginPass(scope);
    // Concurrent calls, not awaited one by one: applied and fed in call order.
    await Promise.all([
      sink.write(
        [
          { id: 1, name: 'a' },
          { id: 2, name: 'b' },
          { id: 1, name: 'repeated' },
        ],
        { ...options, pass },
      ),
      sink.write([{ id: 1, name: 'A' }], { ...options, scope }),
      sink.write([{ id: 1, name: 'A' }], { ...options, scope }),
    ]);
    await sink.completePass(pass);
    time += 60_000;
    const next = await sink.beginPass(scope);
    await sink.write([{ id: 1, name: 'A' }], { ...options, pass: next });
    await sink.completePass(next); // users:2 is gone
    time += 60_000;
    await sink.write([{ id: 2, name: 'b' }], { ...options, scope }); // and back
    await expect(sink.write([{ id: 3, name: 'c' }], { key: () => '' })).rejects.toThrow(
      /records\[0\]/,
    );
    await sink.close();

    const versionOf = (key: string) => sink.stored().find((stored) => stored.key === key)?.version;
    const [v1, v2] = [versionOf('users:1'), versionOf('users:2')];
    expect(sink.feed.map((line) => line.split(',').slice(0, 4).join(','))).toEqual([
      '2026-03-02T08:00:00.000Z,insert,users,users:1',
      '2026-03-02T08:00:00.000Z,insert,users,users:2',
      '2026-03-02T08:00:00.000Z,update,users,users:1',
      '2026-03-02T08:01:00.000Z,delete,users,users:2',
      '2026-03-02T08:02:00.000Z,restore,users,users:2',
    ]);
    expect(sink.feed.at(-1)?.endsWith(`,${v2}`)).toBe(true);
    expect(sink.feed[2]?.endsWith(`,${v1}`)).toBe(true);
    expect(sink.records()).toEqual([
      { id: 1, name: 'A' },
      { id: 2, name: 'b' },
    ]);
  });

  it('quotes a version that holds a comma or a quote', async () => {
    const sink = new ChangeFeedSink<{ id: number }>({ now: () => new Date(0) });
    await sink.write([{ id: 1 }], { key: () => 'k:1', version: () => 'v"1,2' });
    expect(sink.feed).toEqual(['1970-01-01T00:00:00.000Z,insert,records,k:1,"v""1,2"']);
    await sink.close();
  });
});
