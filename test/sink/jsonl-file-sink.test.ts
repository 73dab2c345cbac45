import { createHash } from 'node:crypto';
import {
  appendFile,
  type FileHandle,
  mkdtemp,
  open,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import { JsonlFileSink } from '../../src/sink/jsonl-file-sink.js';
import { MemorySink } from '../../src/sink/memory-sink.js';
import {
  CanvasSinkError,
  type FinishedTask,
  type Sink,
  type SinkWriteResult,
  type StoredRecord,
} from '../../src/sink/sink.js';
import { runSinkConformance } from '../../src/testing/sink-conformance.js';

interface User {
  id: number;
  name: string;
}

const byId = { key: (user: User) => `users:${user.id}`, kind: 'users' };
const user = (id: number, name = `user ${id}`): User => ({ id, name });
const SCOPE = 'users:/api/v1/courses/42/users';
const T0 = '2026-03-02T08:00:00.000Z';

/** The default version of a record whose canonical JSON (keys sorted) is `json`. */
const sha = (json: string): string => `sha256:${createHash('sha256').update(json).digest('hex')}`;

// The conformance suite, with `reopen`: a reopened sink keeps the clock of the one it replaces.
let conformanceDir: string;
let conformanceFiles = 0;
const clocks = new WeakMap<Sink<unknown>, () => Date>();
beforeAll(async () => {
  conformanceDir = await mkdtemp(join(tmpdir(), 'canvas-sync-sink-conformance-'));
});
afterAll(async () => {
  await rm(conformanceDir, { recursive: true, force: true });
});
runSinkConformance(
  'JsonlFileSink',
  async ({ now }) => {
    const sink = await JsonlFileSink.open(join(conformanceDir, `${conformanceFiles++}.jsonl`), {
      now,
    });
    clocks.set(sink, now);
    return sink;
  },
  {
    reopen: async (sink) => {
      const now = clocks.get(sink);
      const again = await JsonlFileSink.open((sink as JsonlFileSink<unknown>).path, { now });
      if (now !== undefined) clocks.set(again, now);
      return again;
    },
  },
);

describe('JsonlFileSink', () => {
  let dir: string;
  let file: string;
  let time: number;
  /** The sinks' clock: moved by `advance`, never by the wall clock. */
  const now = (): Date => new Date(time);
  const advance = (ms: number): void => {
    time += ms;
  };
  const at = (offsetMs: number): string => new Date(Date.parse(T0) + offsetMs).toISOString();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'canvas-sync-sink-'));
    file = join(dir, 'nested', 'deeper', 'users.jsonl');
    time = Date.parse(T0);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  /** The file's text, which must end with a complete line. */
  async function text(path = file): Promise<string> {
    const content = await readFile(path, 'utf8');
    expect(content === '' || content.endsWith('\n')).toBe(true);
    return content;
  }

  /** The file's lines, parsed. */
  async function lines(path = file): Promise<Record<string, unknown>[]> {
    return (await text(path))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** `[op, key]` of the change lines that carry a record. */
  async function recordOps(path = file): Promise<[unknown, unknown][]> {
    return (await lines(path))
      .filter((line) => 'record' in line)
      .map((line) => [line.op, line.key]);
  }

  /** Every stored record of the sink, by key. */
  async function snapshot<T>(
    sink: Sink<T>,
    keys: readonly string[],
  ): Promise<Record<string, StoredRecord<T> | undefined>> {
    const entries = await Promise.all(keys.map(async (key) => [key, await sink.get(key)]));
    return Object.fromEntries(entries) as Record<string, StoredRecord<T> | undefined>;
  }

  it('creates parent directories and writes each change as one line, in the documented format', async () => {
    const sink = await JsonlFileSink.open<User>(file, { now });
    expect(sink.path).toBe(file);
    expect(sink.recovery).toEqual({ lines: 0, truncatedBytes: 0 });
    const pass = await sink.beginPass(SCOPE);
    expect(pass).toEqual({ scope: SCOPE, id: expect.any(String), startedAt: T0 });
    expect(
      await sink.write([user(1), user(2, 'Zoë "Z"\n'), user(1, 'dup')], { ...byId, pass }),
    ).toEqual({ inserted: 2, updated: 0, unchanged: 1 });
    advance(60_000);
    expect(await sink.write([user(1), user(2, 'Zoë')], { ...byId, pass })).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: 1,
    });
    advance(60_000);
    expect(await sink.write([user(1), user(3)], byId)).toEqual({
      inserted: 1,
      updated: 0,
      unchanged: 1,
    });
    expect(await sink.write([], byId)).toEqual({ inserted: 0, updated: 0, unchanged: 0 });
    expect(await sink.completePass(pass)).toEqual({ deleted: 0 });
    advance(60_000);
    const next = await sink.beginPass(SCOPE);
    await sink.write([user(2, 'Zoë')], { ...byId, pass: next });
    expect(await sink.completePass(next)).toEqual({ deleted: 1 });
    advance(60_000);
    expect(await sink.write([user(1)], { ...byId, scope: SCOPE })).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: 0,
    });
    const task: FinishedTask = {
      key: 'v1:users',
      kind: 'course.users',
      scope: SCOPE,
      stream: 'full',
      mark: T0,
      finishedAt: at(240_000),
    };
    await sink.finishTask(task);
    await sink.close();

    const v1 = sha('{"id":1,"name":"user 1"}');
    const v2 = sha('{"id":2,"name":"Zoë \\"Z\\"\\n"}');
    const v2b = sha('{"id":2,"name":"Zoë"}');
    const v3 = sha('{"id":3,"name":"user 3"}');
    const scope = JSON.stringify(SCOPE);
    expect((await text()).split('\n')).toEqual([
      `{"op":"pass","scope":${scope},"id":"${pass.id}","at":"${T0}"}`,
      `{"op":"insert","key":"users:1","kind":"users","scope":${scope},"version":"${v1}","pass":"${pass.id}","at":"${T0}","record":{"id":1,"name":"user 1"}}`,
      `{"op":"insert","key":"users:2","kind":"users","scope":${scope},"version":"${v2}","pass":"${pass.id}","at":"${T0}","record":{"id":2,"name":"Zoë \\"Z\\"\\n"}}`,
      `{"op":"update","key":"users:2","kind":"users","scope":${scope},"version":"${v2b}","pass":"${pass.id}","at":"${at(60_000)}","record":{"id":2,"name":"Zoë"}}`,
      `{"op":"seen","keys":["users:1"],"scope":${scope},"pass":"${pass.id}","at":"${at(60_000)}"}`,
      `{"op":"insert","key":"users:3","kind":"users","version":"${v3}","at":"${at(120_000)}","record":{"id":3,"name":"user 3"}}`,
      `{"op":"seen","keys":["users:1"],"at":"${at(120_000)}"}`,
      `{"op":"pass-done","scope":${scope},"id":"${pass.id}","at":"${at(120_000)}"}`,
      `{"op":"pass","scope":${scope},"id":"${next.id}","at":"${at(180_000)}"}`,
      `{"op":"seen","keys":["users:2"],"scope":${scope},"pass":"${next.id}","at":"${at(180_000)}"}`,
      `{"op":"delete","key":"users:1","pass":"${next.id}","at":"${at(180_000)}"}`,
      `{"op":"pass-done","scope":${scope},"id":"${next.id}","at":"${at(180_000)}"}`,
      `{"op":"restore","key":"users:1","kind":"users","scope":${scope},"version":"${v1}","pass":"${pass.id}","at":"${at(240_000)}","record":{"id":1,"name":"user 1"}}`,
      `{"op":"task","key":"v1:users","kind":"course.users","scope":${scope},"stream":"full","mark":"${T0}","finishedAt":"${at(240_000)}"}`,
      '',
    ]);
    expect(pass.id).not.toBe(next.id);
    expect(sink.size).toBe(3);
    expect(sink.has('users:3')).toBe(true);
    expect(sink.has('users:4')).toBe(false);
  });

  it('serializes records and computes keys when write is called', async () => {
    const sink = await JsonlFileSink.open<User>(file, { now });
    const record = user(1);
    const pending = sink.write([record], byId);
    record.id = 2;
    record.name = 'changed later';
    await pending;
    expect(await sink.get('users:1')).toMatchObject({
      record: user(1),
      version: sha('{"id":1,"name":"user 1"}'),
    });
    expect(await sink.get('users:2')).toBeUndefined();
    await sink.close();
    expect(await recordOps()).toEqual([['insert', 'users:1']]);
  });

  it('gives back, after a restart, exactly what it gave before: live, seen, restored and tombstoned records, passes and tasks', async () => {
    const first = await JsonlFileSink.open<User>(file, { now });
    await first.write([user(1), user(2)], byId); // no scope yet
    await first.write([user(3), user(4)], { ...byId, scope: SCOPE });
    const done = await first.beginPass(SCOPE);
    advance(60_000);
    // Unchanged, seen by the pass: users:1 takes the pass's scope.
    await first.write([user(1), user(3, 'three')], { ...byId, pass: done });
    advance(60_000);
    expect(await first.completePass(done)).toEqual({ deleted: 1 }); // users:4
    advance(60_000);
    await first.write([user(4)], { ...byId, scope: SCOPE }); // restored
    await first.write([user(5)], { key: byId.key, kind: 'other.kind', scope: 'other:scope' });
    const open = await first.beginPass(SCOPE);
    await first.write([user(3, 'three')], { ...byId, pass: open });
    advance(60_000);
    const done2 = await first.beginPass('other:scope');
    expect(await first.completePass(done2)).toEqual({ deleted: 1 }); // users:5
    const task: FinishedTask = {
      key: 'v1:a',
      kind: 'users',
      scope: SCOPE,
      stream: 'graded',
      mark: T0,
      finishedAt: T0,
    };
    await first.finishTask(task);
    const keys = ['users:1', 'users:2', 'users:3', 'users:4', 'users:5', 'users:404'];
    const before = await snapshot(first, keys);
    expect(before['users:1']).toMatchObject({
      scope: SCOPE,
      pass: done.id,
      lastSeenAt: at(60_000),
    });
    expect(before['users:2']).toMatchObject({ scope: undefined, pass: undefined });
    expect(before['users:4']).toMatchObject({ deletedAt: undefined, firstSeenAt: T0 });
    expect(before['users:5']).toMatchObject({ deletedAt: at(240_000), kind: 'other.kind' });
    await first.close();
    const written = (await lines()).length;

    const second = await JsonlFileSink.open<User>(file, { durable: true, now });
    expect(second.recovery).toEqual({ lines: written, truncatedBytes: 0 });
    expect(second.size).toBe(5);
    expect(await snapshot(second, keys)).toStrictEqual(before);
    expect(await second.lastFinished(SCOPE, 'graded')).toEqual(task);
    // The open pass goes on; the closed ones stay closed.
    expect(await second.beginPass(SCOPE)).toEqual(open);
    expect((await second.beginPass('other:scope')).id).not.toBe(done2.id);
    // users:1 is in the scope (it took it when the first pass saw it) and so is the restored
    // users:4; users:2 has no scope, users:3 was seen, users:5 is in another scope.
    expect(await second.completePass(open)).toEqual({ deleted: 2 });
    expect((await second.get('users:1'))?.deletedAt).toBe(at(240_000));
    await second.close();
  });

  it('removes a line torn by a crash on open, and writes the batch again once', async () => {
    const sink = await JsonlFileSink.open<User>(file, { now });
    await sink.write([user(1), user(2)], byId);
    await sink.close();
    const torn =
      '{"op":"insert","key":"users:3","kind":"users","version":"v","at":"2026-03-02T08:0';
    await appendFile(file, torn);
    const before = (await stat(file)).size;

    const reopened = await JsonlFileSink.open<User>(file, { now });
    expect(reopened.recovery).toEqual({ lines: 2, truncatedBytes: Buffer.byteLength(torn) });
    expect((await stat(file)).size).toBe(before - Buffer.byteLength(torn));
    expect(reopened.has('users:3')).toBe(false);
    expect(await reopened.write([user(2), user(3), user(4)], byId)).toEqual({
      inserted: 2,
      updated: 0,
      unchanged: 1,
    });
    await reopened.close();
    expect(await recordOps()).toEqual([
      ['insert', 'users:1'],
      ['insert', 'users:2'],
      ['insert', 'users:3'],
      ['insert', 'users:4'],
    ]);
  });

  it('treats a complete line without its newline as torn', async () => {
    const path = join(dir, 'a.jsonl');
    await writeFile(path, '{"key":"1","record":1}\n{"key":"2","record":2}');
    const sink = await JsonlFileSink.open<number>(path, { now });
    expect(sink.recovery).toEqual({ lines: 1, truncatedBytes: '{"key":"2","record":2}'.length });
    expect(await sink.write([1, 2], { key: String })).toEqual({
      inserted: 1,
      updated: 0,
      unchanged: 1,
    });
    await sink.close();
    expect(await recordOps(path)).toEqual([
      [undefined, '1'],
      ['insert', '2'],
    ]);
  });

  it('reads a 0.1 file ({"key","record"} lines) as inserts, and appends changes after them', async () => {
    const path = join(dir, 'v01.jsonl');
    const legacy =
      '{"key":"1","record":{"id":1,"name":"a"}}\n{"key":"2","record":{"id":2,"name":"b"}}\n';
    await writeFile(path, legacy);
    const sink = await JsonlFileSink.open<User>(path, { now });
    expect(sink.recovery).toEqual({ lines: 2, truncatedBytes: 0 });
    expect(sink.size).toBe(2);
    const epoch = '1970-01-01T00:00:00.000Z';
    expect(await sink.get('1')).toStrictEqual({
      key: '1',
      kind: 'records',
      scope: undefined,
      version: sha('{"id":1,"name":"a"}'),
      record: { id: 1, name: 'a' },
      firstSeenAt: epoch,
      lastSeenAt: epoch,
      pass: undefined,
      deletedAt: undefined,
    });
    // Versioned by its JSON as stored: the same record is unchanged.
    const key = (u: User) => String(u.id);
    expect(await sink.write([user(1, 'a'), user(2, 'B'), user(3, 'c')], { key })).toEqual({
      inserted: 1,
      updated: 1,
      unchanged: 1,
    });
    const before = await snapshot(sink, ['1', '2', '3']);
    expect(before['2']).toMatchObject({ record: user(2, 'B'), firstSeenAt: epoch, lastSeenAt: T0 });
    await sink.close();
    expect((await text(path)).startsWith(legacy)).toBe(true);

    const reopened = await JsonlFileSink.open<User>(path, { now });
    expect(await snapshot(reopened, ['1', '2', '3'])).toStrictEqual(before);
    await reopened.close();
  });

  it('streams large files: lines across read chunks, a line larger than a chunk', async () => {
    const sink = await JsonlFileSink.open<User>(file, { now });
    const many = Array.from({ length: 3000 }, (_, i) => user(i, `name ${'x'.repeat(i % 97)}`));
    await sink.write(many, byId);
    const large = user(5000, 'y'.repeat(200_000));
    await sink.write([large], byId);
    await sink.write([user(5001)], byId);
    await sink.close();
    expect((await stat(file)).size).toBeGreaterThan(10 * 64 * 1024);
    await appendFile(file, '{"op":"insert","key":"users:9999","record":{"name":"torn');

    const reopened = await JsonlFileSink.open<User>(file, { now });
    expect(reopened.recovery.lines).toBe(3002);
    expect(reopened.size).toBe(3002);
    expect(reopened.has('users:9999')).toBe(false);
    // Every record is read back from where its line is, across chunk boundaries.
    for (const record of [...many, large]) {
      expect((await reopened.get(`users:${record.id}`))?.record).toEqual(record);
    }
    expect(
      await reopened.write(
        [user(2999, `name ${'x'.repeat(2999 % 97)}`), large, user(5001), user(6000)],
        byId,
      ),
    ).toEqual({ inserted: 1, updated: 0, unchanged: 3 });
    await reopened.close();
    const ops = await recordOps();
    expect(ops).toHaveLength(3003);
    expect(new Set(ops.map(([, key]) => key)).size).toBe(3003);
  });

  it('refuses a file with a corrupt complete line (SINK_CORRUPT), naming the line but not its content', async () => {
    const corrupt = join(dir, 'corrupt.jsonl');
    await writeFile(
      corrupt,
      '{"key":"1","record":1}\n\n{"secret":"Jane Student"}\n{"key":"3","record":3}\n',
    );
    const error = await JsonlFileSink.open(corrupt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanvasSinkError);
    expect(error).not.toBeInstanceOf(CanvasOptionsError);
    const sinkError = error as CanvasSinkError;
    expect(sinkError).toMatchObject({ code: 'SINK_CORRUPT', sink: 'JsonlFileSink', line: 3 });
    expect(sinkError.path).toBe(corrupt);
    expect(
      sinkError.message.startsWith(
        `The JsonlFileSink file ${corrupt} is corrupt: line 3 is not a change line of canvas-sync`,
      ),
    ).toBe(true);
    expect(sinkError.toJSON()).toStrictEqual({
      name: 'CanvasSinkError',
      code: 'SINK_CORRUPT',
      message: sinkError.message,
      sink: 'JsonlFileSink',
      path: corrupt,
      line: 3,
    });
    for (const shown of [sinkError.message, JSON.stringify(sinkError), inspect(sinkError)]) {
      expect(shown).not.toMatch(/Jane|secret/);
    }
    const bad = [
      '[1]',
      'null',
      '"text"',
      '{"key":"","record":1}',
      '{"key":"1"}',
      '{"op":"insert","key":"k","kind":"users","version":"v","at":"t"}',
      '{"op":"insert","key":"k","kind":"users","at":"t","record":1}',
      '{"op":"update","kind":"users","version":"v","at":"t","record":1}',
      '{"op":"delete","pass":"p","at":"t"}',
      '{"op":"seen","keys":"users:1","at":"t"}',
      '{"op":"seen","keys":[1],"at":"t"}',
      '{"op":"seen","keys":[]}',
      '{"op":"pass","scope":"s","at":"t"}',
      '{"op":"pass-done","id":"p","at":"t"}',
      '{"op":"task","key":"k","kind":"users","scope":"s","stream":"full","mark":""}',
      '{"op":"truncate","key":"k","at":"t"}',
      '{"op":null,"key":"k","record":1}',
    ];
    for (const content of bad) {
      await writeFile(join(dir, 'bad.jsonl'), `\n${content}\n`);
      await expect(JsonlFileSink.open(join(dir, 'bad.jsonl')), content).rejects.toMatchObject({
        code: 'SINK_CORRUPT',
        line: 2,
      });
    }
  });

  it('redacts a token-shaped part of the file path in a SINK_CORRUPT error', async () => {
    const leaky = join(dir, 'access_token=SECRET1234.jsonl');
    await writeFile(leaky, 'not json\n');
    const error = (await JsonlFileSink.open(leaky).catch((e: unknown) => e)) as CanvasSinkError;
    expect(error.code).toBe('SINK_CORRUPT');
    expect(error.path).toBe(join(dir, 'access_token=[REDACTED]'));
    expect(JSON.stringify(error)).not.toContain('SECRET1234');
    expect(error.message).not.toContain('SECRET1234');
  });

  it('refuses to read back a line changed behind its back (SINK_CORRUPT), without its content', async () => {
    const sink = await JsonlFileSink.open<User>(file, { now });
    await sink.write([user(1), user(2, 'Jane Student')], byId);
    const [first = '', second = ''] = (await text()).split('\n');
    // Same length, other content.
    await writeFile(file, `${first}\n${' '.repeat(second.length - 4)}Jane\n`);
    const error = (await sink.get('users:2').catch((e: unknown) => e)) as CanvasSinkError;
    expect(error).toBeInstanceOf(CanvasSinkError);
    expect(error).toMatchObject({ code: 'SINK_CORRUPT', line: 2, path: file });
    expect(JSON.stringify(error)).not.toContain('Jane');
    expect((await sink.get('users:1'))?.record).toEqual(user(1));
    await sink.close();
  });

  it('tolerates blank lines, and does not count them', async () => {
    const path = join(dir, 'blank.jsonl');
    await writeFile(path, '\n{"key":"1","record":1}\n  \n\r\n');
    const sink = await JsonlFileSink.open<number>(path, { now });
    expect(sink.recovery).toEqual({ lines: 1, truncatedBytes: 0 });
    expect(sink.size).toBe(1);
    expect(await sink.write([1, 2], { key: String })).toEqual({
      inserted: 1,
      updated: 0,
      unchanged: 1,
    });
    expect((await sink.get('2'))?.record).toBe(2);
    await sink.close();
  });

  it('applies concurrent calls one after the other, in call order, without torn or duplicate lines', async () => {
    const sink = await JsonlFileSink.open<User>(file, { now });
    const memory = new MemorySink<User>({ now });
    const batches = Array.from({ length: 25 }, (_, b) =>
      Array.from({ length: 40 }, (_, i) => user((b * 17 + i) % 300, `n${'z'.repeat(b * 50)}`)),
    );
    const results = await Promise.all(batches.map((batch) => sink.write(batch, byId)));
    const expected: SinkWriteResult[] = [];
    for (const batch of batches) expected.push(await memory.write(batch, byId));
    expect(results).toEqual(expected);
    expect(results.every((r) => r.inserted + r.updated + r.unchanged === 40)).toBe(true);
    const keys = memory.keys();
    expect(await snapshot(sink, keys)).toEqual(
      Object.fromEntries(memory.stored().map((s) => [s.key, s])),
    );
    await sink.close();
    const ops = await recordOps();
    // In call order: the first batch is written whole first.
    expect(ops.slice(0, 40)).toEqual(batches[0]?.map((u) => ['insert', `users:${u.id}`]));
    expect(ops.filter(([op]) => op === 'insert').map(([, key]) => key)).toEqual(keys);
    expect(ops.length).toBe(results.reduce((sum, r) => sum + r.inserted + r.updated, 0));
  });

  it('get and lastFinished wait for the calls made before them', async () => {
    const sink = await JsonlFileSink.open<User>(file, { now });
    void sink.write([user(1)], byId);
    const task = {
      key: 'v1:a',
      kind: 'users',
      scope: SCOPE,
      stream: 'full',
      mark: T0,
      finishedAt: T0,
    };
    void sink.finishTask(task);
    expect((await sink.get('users:1'))?.record).toEqual(user(1));
    expect(await sink.lastFinished(SCOPE, 'full')).toEqual(task);
    await sink.close();
  });

  it('close is idempotent, writes pending calls, then refuses every call (SINK_CLOSED)', async () => {
    const sink = await JsonlFileSink.open<User>(file, { now });
    const pending = sink.write([user(1)], byId);
    const passing = sink.beginPass(SCOPE);
    const closing = sink.close();
    expect(sink.close()).toBe(closing);
    expect(sink.closed).toBe(true);
    await expect(pending).resolves.toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    const pass = await passing;
    await closing;
    await sink.close();
    await sink.flush();
    const error = await sink.write([user(2)], byId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanvasSinkError);
    expect((error as CanvasSinkError).toJSON()).toStrictEqual({
      name: 'CanvasSinkError',
      code: 'SINK_CLOSED',
      message: 'The JsonlFileSink is closed and accepts no more records',
      sink: 'JsonlFileSink',
    });
    const closed = { name: 'CanvasSinkError', code: 'SINK_CLOSED' };
    await expect(sink.get('users:1')).rejects.toMatchObject(closed);
    await expect(sink.lastFinished(SCOPE, 'full')).rejects.toMatchObject(closed);
    await expect(sink.beginPass(SCOPE)).rejects.toMatchObject(closed);
    await expect(sink.completePass(pass)).rejects.toMatchObject(closed);
    expect(sink.has('users:1')).toBe(true);
    expect(await recordOps()).toEqual([['insert', 'users:1']]);
    expect((await lines()).map((line) => line.op)).toEqual(['insert', 'pass']);
  });

  it('flush waits for pending writes', async () => {
    const sink = await JsonlFileSink.open<User>(file, { now });
    void sink.write([user(1)], byId);
    await sink.flush();
    expect(await recordOps()).toEqual([['insert', 'users:1']]);
    await sink.close();
  });

  it('rejects bad input with CanvasOptionsError and writes nothing of a bad call', async () => {
    await expect(JsonlFileSink.open('')).rejects.toThrow(CanvasOptionsError);
    await expect(JsonlFileSink.open(42 as unknown as string)).rejects.toThrow(CanvasOptionsError);
    await expect(
      JsonlFileSink.open(file, { durable: 'yes' as unknown as boolean }),
    ).rejects.toThrow(/options.durable/);
    await expect(JsonlFileSink.open(file, { now: 5 as unknown as () => Date })).rejects.toThrow(
      /options.now/,
    );
    await expect(JsonlFileSink.open(file, { durabel: true } as never)).rejects.toThrow(
      'Invalid JsonlFileSink input: options: Unrecognized key: "durabel"',
    );

    const sink = await JsonlFileSink.open<unknown>(file, { now });
    const key = () => 'k';
    await expect(
      sink.write([1], { key: 'id' as unknown as (r: unknown) => string }),
    ).rejects.toThrow(/options.key: Expected a function/);
    await expect(sink.write([1], { key: () => 7 as unknown as string })).rejects.toThrow(
      /returned number/,
    );
    let n = 0;
    const unique = () => String(n++);
    await expect(sink.write([1, 2n], { key: unique })).rejects.toThrow(
      /records\[1\]: Cannot be serialized as JSON/,
    );
    const version = () => 'v1';
    await expect(sink.write([1, 2n], { key: unique, version })).rejects.toThrow(
      /records\[1\]: Cannot be serialized as JSON/,
    );
    await expect(sink.write([1, undefined], { key: unique, version })).rejects.toThrow(
      /records\[1\]: Not a JSON value \(undefined\)/,
    );
    const cyclic: Record<string, unknown> = { name: 'Jane Student' };
    cyclic.self = cyclic;
    for (const options of [{ key }, { key, version }]) {
      const error = await sink.write([cyclic], options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CanvasOptionsError);
      expect(String(error)).not.toMatch(/Jane/);
    }
    await expect(sink.get(42 as unknown as string)).rejects.toThrow(CanvasOptionsError);
    await expect(sink.beginPass('')).rejects.toThrow(/scope: Expected a non-empty string/);
    await expect(sink.beginPass('s'.repeat(1_025))).rejects.toThrow(CanvasOptionsError);
    await expect(sink.completePass({ scope: SCOPE } as never)).rejects.toThrow(
      /pass: Expected a pass returned by beginPass/,
    );
    await expect(sink.completePass(undefined as never)).rejects.toThrow(CanvasOptionsError);
    const task = {
      key: 'v1:a',
      kind: 'users',
      scope: SCOPE,
      stream: 'full',
      mark: T0,
      finishedAt: T0,
    };
    await expect(sink.finishTask({ ...task, mark: '' })).rejects.toThrow(
      /task.mark: Expected a non-empty string/,
    );
    await expect(sink.finishTask({ ...task, key: 1 as unknown as string })).rejects.toThrow(
      /task.key/,
    );
    await expect(sink.finishTask(null as never)).rejects.toThrow(CanvasOptionsError);
    expect(sink.size).toBe(0);
    await sink.close();
    expect(await readFile(file, 'utf8')).toBe('');
    // What was refused left nothing the next open would refuse.
    await (await JsonlFileSink.open(file)).close();
  });

  it('survives a crash in the middle of completePass: the pass stays open and completing it again retires the rest, once', async () => {
    const sink = await JsonlFileSink.open<User>(file, { now });
    const first = await sink.beginPass(SCOPE);
    await sink.write(
      [1, 2, 3, 4, 5].map((id) => user(id)),
      { ...byId, pass: first },
    );
    await sink.completePass(first);
    advance(60_000);
    const pass = await sink.beginPass(SCOPE);
    await sink.write([user(1)], { ...byId, pass });
    const sizeBefore = (await stat(file)).size;
    advance(60_000);
    expect(await sink.completePass(pass)).toEqual({ deleted: 4 });
    await sink.close();
    // The crash: the write of completePass reached the disk up to the middle of its third line.
    const tail = (await readFile(file)).subarray(sizeBefore).toString('utf8').split('\n');
    expect(
      tail.map((line) => (line === '' ? '' : (JSON.parse(line) as { op: string }).op)),
    ).toEqual(['delete', 'delete', 'delete', 'delete', 'pass-done', '']);
    const keep = Buffer.byteLength(`${tail[0]}\n${tail[1]}\n${(tail[2] ?? '').slice(0, 20)}`);
    await truncate(file, sizeBefore + keep);

    advance(60_000);
    const reopened = await JsonlFileSink.open<User>(file, { now });
    expect(reopened.recovery.truncatedBytes).toBe(20);
    const retiredAt = at(120_000);
    const deletedAt = async (id: number) => (await reopened.get(`users:${id}`))?.deletedAt;
    expect(await Promise.all([1, 2, 3, 4, 5].map(deletedAt))).toEqual([
      undefined,
      retiredAt,
      retiredAt,
      undefined,
      undefined,
    ]);
    expect(await reopened.beginPass(SCOPE)).toEqual(pass);
    expect(await reopened.completePass(pass)).toEqual({ deleted: 2 });
    expect(await reopened.completePass(pass)).toEqual({ deleted: 0 });
    await reopened.close();

    const again = await JsonlFileSink.open<User>(file, { now });
    const later = at(180_000);
    expect(
      await Promise.all(
        [1, 2, 3, 4, 5].map(async (id) => (await again.get(`users:${id}`))?.deletedAt),
      ),
    ).toEqual([undefined, retiredAt, retiredAt, later, later]);
    expect((await again.beginPass(SCOPE)).id).not.toBe(pass.id);
    await again.close();
    const deletes = (await lines()).filter((line) => line.op === 'delete').map((line) => line.key);
    expect(deletes.sort()).toEqual(['users:2', 'users:3', 'users:4', 'users:5']);
    expect(
      (await lines()).filter((line) => line.op === 'pass-done' && line.id === pass.id),
    ).toHaveLength(1);
  });

  describe('when a write fails (injected: a full disk cannot be produced in a test)', () => {
    async function fileHandlePrototype(): Promise<FileHandle> {
      const handle = await open(join(dir, 'probe'), 'a');
      await handle.close();
      return Object.getPrototypeOf(handle) as FileHandle;
    }

    /** Makes the next write store only half of its bytes and then fail with ENOSPC. */
    async function failNextWriteHalfway() {
      const proto = await fileHandlePrototype();
      const spy = vi.spyOn(proto, 'write');
      spy.mockImplementationOnce(async function (this: FileHandle, ...args: unknown[]) {
        const [data, offset, length] = args as [Buffer, number, number];
        // The once-implementation is used up: this calls the real write.
        await this.write(data, offset, Math.floor(length / 2), null);
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      } as FileHandle['write']);
      return proto;
    }

    it('truncates the half-written batch, so a retry writes it whole', async () => {
      const sink = await JsonlFileSink.open<User>(file, { now });
      await sink.write([user(1)], byId);
      const size = (await stat(file)).size;
      await failNextWriteHalfway();
      await expect(sink.write([user(2), user(3)], byId)).rejects.toMatchObject({
        code: 'ENOSPC',
      });
      expect((await stat(file)).size).toBe(size);
      expect(sink.has('users:2')).toBe(false);
      expect(await sink.get('users:2')).toBeUndefined();
      expect(await sink.write([user(1), user(2), user(3)], byId)).toEqual({
        inserted: 2,
        updated: 0,
        unchanged: 1,
      });
      expect((await sink.get('users:3'))?.record).toEqual(user(3));
      await sink.close();
      expect(await recordOps()).toEqual([
        ['insert', 'users:1'],
        ['insert', 'users:2'],
        ['insert', 'users:3'],
      ]);
    });

    it('leaves a pass open and nothing tombstoned when completePass cannot be written', async () => {
      const sink = await JsonlFileSink.open<User>(file, { now });
      await sink.write([user(1), user(2)], { ...byId, scope: SCOPE });
      const pass = await sink.beginPass(SCOPE);
      await failNextWriteHalfway();
      await expect(sink.completePass(pass)).rejects.toMatchObject({ code: 'ENOSPC' });
      expect((await sink.get('users:1'))?.deletedAt).toBeUndefined();
      expect(await sink.beginPass(SCOPE)).toEqual(pass);
      expect(await sink.completePass(pass)).toEqual({ deleted: 2 });
      await sink.close();
      const reopened = await JsonlFileSink.open<User>(file, { now });
      expect((await reopened.get('users:2'))?.deletedAt).toBe(T0);
      await reopened.close();
    });

    it('refuses further writes if the file cannot be truncated back', async () => {
      const sink = await JsonlFileSink.open<User>(file, { now });
      const proto = await failNextWriteHalfway();
      vi.spyOn(proto, 'truncate').mockRejectedValueOnce(new Error('EIO'));
      await expect(sink.write([user(1)], byId)).rejects.toMatchObject({ code: 'ENOSPC' });
      await expect(sink.write([user(2)], byId)).rejects.toMatchObject({ code: 'ENOSPC' });
      await expect(sink.beginPass(SCOPE)).rejects.toMatchObject({ code: 'ENOSPC' });
      vi.restoreAllMocks();
      await sink.close();
      // The torn line is removed on the next open.
      const reopened = await JsonlFileSink.open<User>(file, { now });
      expect(reopened.recovery.lines).toBe(0);
      expect(reopened.recovery.truncatedBytes).toBeGreaterThan(0);
      expect(reopened.size).toBe(0);
      await reopened.close();
    });
  });
});
