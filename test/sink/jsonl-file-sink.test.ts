import {
  appendFile,
  type FileHandle,
  mkdtemp,
  open,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import { CanvasSinkError, JsonlFileSink } from '../../src/sink/index.js';

interface User {
  id: number;
  name: string;
}

const byId = { key: (user: User) => String(user.id) };
const user = (id: number, name = `user ${id}`): User => ({ id, name });

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'canvas-sync-sink-'));
  file = join(dir, 'nested', 'deeper', 'users.jsonl');
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function lines(path = file): Promise<{ key: string; record: unknown }[]> {
  const text = await readFile(path, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { key: string; record: unknown });
}

function keysOf(parsed: { key: string }[]): string[] {
  return parsed.map((line) => line.key);
}

describe('JsonlFileSink', () => {
  it('creates parent directories and appends one {"key","record"} line per new key', async () => {
    const sink = await JsonlFileSink.open<User>(file);
    expect(sink.path).toBe(file);
    expect(sink.recovery).toEqual({ lines: 0, truncatedBytes: 0 });
    expect(await sink.upsert([user(1), user(2, 'Zoë "Z"\n'), user(1, 'dup')], byId)).toEqual({
      written: 2,
      skipped: 1,
    });
    expect(await sink.upsert([user(2), user(3)], byId)).toEqual({ written: 1, skipped: 1 });
    expect(await sink.upsert([], byId)).toEqual({ written: 0, skipped: 0 });
    await sink.close();
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')[0]).toBe('{"key":"1","record":{"id":1,"name":"user 1"}}');
    expect(await lines()).toEqual([
      { key: '1', record: user(1) },
      { key: '2', record: user(2, 'Zoë "Z"\n') },
      { key: '3', record: user(3) },
    ]);
    expect(sink.size).toBe(3);
    expect(sink.has('3')).toBe(true);
  });

  it('serializes records when upsert is called', async () => {
    const sink = await JsonlFileSink.open<User>(file);
    const record = user(1);
    const pending = sink.upsert([record], byId);
    record.name = 'changed later';
    await pending;
    await sink.close();
    expect(await lines()).toEqual([{ key: '1', record: user(1) }]);
  });

  it('never writes a key twice across a restart', async () => {
    const first = await JsonlFileSink.open<User>(file);
    await first.upsert([user(1), user(2), user(3)], byId);
    await first.close();

    const second = await JsonlFileSink.open<User>(file, { durable: true });
    expect(second.recovery).toEqual({ lines: 3, truncatedBytes: 0 });
    expect(second.size).toBe(3);
    expect(await second.upsert([user(2), user(3), user(4), user(5)], byId)).toEqual({
      written: 2,
      skipped: 2,
    });
    await second.close();
    expect(keysOf(await lines())).toEqual(['1', '2', '3', '4', '5']);
  });

  it('removes a line torn by a crash on open, and writes its record again once', async () => {
    const sink = await JsonlFileSink.open<User>(file);
    await sink.upsert([user(1), user(2)], byId);
    await sink.close();
    const torn = '{"key":"3","record":{"id":3,"na';
    await appendFile(file, torn);
    const before = (await stat(file)).size;

    const reopened = await JsonlFileSink.open<User>(file);
    expect(reopened.recovery).toEqual({ lines: 2, truncatedBytes: Buffer.byteLength(torn) });
    expect((await stat(file)).size).toBe(before - Buffer.byteLength(torn));
    expect(reopened.has('3')).toBe(false);
    expect(await reopened.upsert([user(2), user(3), user(4)], byId)).toEqual({
      written: 2,
      skipped: 1,
    });
    await reopened.close();
    expect(keysOf(await lines())).toEqual(['1', '2', '3', '4']);
  });

  it('treats a complete line without its newline as torn', async () => {
    await writeFile(join(dir, 'a.jsonl'), '{"key":"1","record":1}\n{"key":"2","record":2}');
    const sink = await JsonlFileSink.open<number>(join(dir, 'a.jsonl'));
    expect(sink.recovery.truncatedBytes).toBe('{"key":"2","record":2}'.length);
    expect(await sink.upsert([2], { key: String })).toEqual({ written: 1, skipped: 0 });
    await sink.close();
    expect(await lines(join(dir, 'a.jsonl'))).toEqual([
      { key: '1', record: 1 },
      { key: '2', record: 2 },
    ]);
  });

  it('streams large files: lines across read chunks, a line larger than a chunk', async () => {
    const sink = await JsonlFileSink.open<User>(file);
    const many = Array.from({ length: 3000 }, (_, i) => user(i, `name ${'x'.repeat(i % 97)}`));
    await sink.upsert(many, byId);
    await sink.upsert([user(5000, 'y'.repeat(200_000))], byId);
    await sink.upsert([user(5001)], byId);
    await sink.close();
    await appendFile(file, '{"key":"9999","record":{"name":"torn');

    const reopened = await JsonlFileSink.open<User>(file);
    expect(reopened.recovery.lines).toBe(3002);
    expect(reopened.size).toBe(3002);
    expect(reopened.has('5000')).toBe(true);
    expect(reopened.has('9999')).toBe(false);
    expect(await reopened.upsert([user(2999), user(5000), user(5001), user(6000)], byId)).toEqual({
      written: 1,
      skipped: 3,
    });
    await reopened.close();
    const keys = keysOf(await lines());
    expect(keys).toHaveLength(3003);
    expect(new Set(keys).size).toBe(3003);
  });

  it('refuses a file with a corrupt complete line (SINK_CORRUPT), naming the line but not its content', async () => {
    const corrupt = file.replace('nested/deeper/', '');
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
    expect(sinkError.message).toBe(
      `The JsonlFileSink file ${corrupt} is corrupt: line 3 is not a sink line (expected {"key": non-empty string, "record": …})`,
    );
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
    for (const content of ['[1]\n', 'null\n', '{"key":"","record":1}\n', '{"key":"1"}\n']) {
      await writeFile(join(dir, 'bad.jsonl'), content);
      await expect(JsonlFileSink.open(join(dir, 'bad.jsonl'))).rejects.toMatchObject({
        code: 'SINK_CORRUPT',
        line: 1,
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

  it('tolerates blank lines', async () => {
    await writeFile(join(dir, 'blank.jsonl'), '\n{"key":"1","record":1}\n  \n');
    const sink = await JsonlFileSink.open<number>(join(dir, 'blank.jsonl'));
    expect(sink.size).toBe(1);
    expect(await sink.upsert([1, 2], { key: String })).toEqual({ written: 1, skipped: 1 });
    await sink.close();
  });

  it('applies concurrent upserts one after the other, without torn or duplicate lines', async () => {
    const sink = await JsonlFileSink.open<User>(file);
    const batches = Array.from({ length: 25 }, (_, b) =>
      Array.from({ length: 40 }, (_, i) => user((b * 17 + i) % 300, `n${'z'.repeat(b * 50)}`)),
    );
    const results = await Promise.all(batches.map((batch) => sink.upsert(batch, byId)));
    await sink.close();
    const parsed = await lines();
    const keys = keysOf(parsed);
    expect(new Set(keys).size).toBe(keys.length);
    expect(results.reduce((sum, r) => sum + r.written, 0)).toBe(keys.length);
    expect(results.every((r) => r.written + r.skipped === 40)).toBe(true);
    // In call order: the first batch is written whole first.
    expect(keys.slice(0, 40)).toEqual(batches[0]?.map((u) => String(u.id)));
    const expected = new Set(batches.flat().map((u) => String(u.id)));
    expect(new Set(keys)).toEqual(expected);
  });

  it('close is idempotent, writes pending upserts, then refuses new ones', async () => {
    const sink = await JsonlFileSink.open<User>(file);
    const pending = sink.upsert([user(1)], byId);
    const closing = sink.close();
    expect(sink.close()).toBe(closing);
    expect(sink.closed).toBe(true);
    await expect(pending).resolves.toEqual({ written: 1, skipped: 0 });
    await closing;
    await sink.close();
    await sink.flush();
    const error = await sink.upsert([user(2)], byId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanvasSinkError);
    expect((error as CanvasSinkError).toJSON()).toStrictEqual({
      name: 'CanvasSinkError',
      code: 'SINK_CLOSED',
      message: 'The JsonlFileSink is closed and accepts no more records',
      sink: 'JsonlFileSink',
    });
    expect(keysOf(await lines())).toEqual(['1']);
  });

  it('flush waits for pending writes', async () => {
    const sink = await JsonlFileSink.open<User>(file);
    void sink.upsert([user(1)], byId);
    await sink.flush();
    expect(keysOf(await lines())).toEqual(['1']);
    await sink.close();
  });

  it('rejects bad input with CanvasOptionsError and writes nothing of a bad batch', async () => {
    await expect(JsonlFileSink.open('')).rejects.toThrow(CanvasOptionsError);
    await expect(JsonlFileSink.open(42 as unknown as string)).rejects.toThrow(CanvasOptionsError);
    await expect(
      JsonlFileSink.open(file, { durable: 'yes' as unknown as boolean }),
    ).rejects.toThrow(/options.durable/);
    await expect(JsonlFileSink.open(file, { durabel: true } as never)).rejects.toThrow(
      'Invalid JsonlFileSink input: options: Unrecognized key: "durabel"',
    );

    const sink = await JsonlFileSink.open<unknown>(file);
    const key = () => 'k';
    await expect(
      sink.upsert([1], { key: 'id' as unknown as (r: unknown) => string }),
    ).rejects.toThrow(/options.key: Expected a function/);
    await expect(sink.upsert([1], { key: () => 7 as unknown as string })).rejects.toThrow(
      /returned number/,
    );
    let n = 0;
    const unique = () => String(n++);
    await expect(sink.upsert([1, 2n], { key: unique })).rejects.toThrow(
      /records\[1\]: Cannot be serialized as JSON/,
    );
    await expect(sink.upsert([1, undefined], { key: unique })).rejects.toThrow(
      /records\[1\]: Not a JSON value \(undefined\)/,
    );
    const cyclic: Record<string, unknown> = { name: 'Jane Student' };
    cyclic.self = cyclic;
    const error = await sink.upsert([cyclic], { key }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanvasOptionsError);
    expect(String(error)).not.toMatch(/Jane/);
    expect(sink.size).toBe(0);
    await sink.close();
    expect(await readFile(file, 'utf8')).toBe('');
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
      const sink = await JsonlFileSink.open<User>(file);
      await sink.upsert([user(1)], byId);
      const size = (await stat(file)).size;
      await failNextWriteHalfway();
      await expect(sink.upsert([user(2), user(3)], byId)).rejects.toMatchObject({
        code: 'ENOSPC',
      });
      expect((await stat(file)).size).toBe(size);
      expect(sink.has('2')).toBe(false);
      expect(await sink.upsert([user(1), user(2), user(3)], byId)).toEqual({
        written: 2,
        skipped: 1,
      });
      await sink.close();
      expect(keysOf(await lines())).toEqual(['1', '2', '3']);
    });

    it('refuses further writes if the file cannot be truncated back', async () => {
      const sink = await JsonlFileSink.open<User>(file);
      const proto = await failNextWriteHalfway();
      vi.spyOn(proto, 'truncate').mockRejectedValueOnce(new Error('EIO'));
      await expect(sink.upsert([user(1)], byId)).rejects.toMatchObject({ code: 'ENOSPC' });
      await expect(sink.upsert([user(2)], byId)).rejects.toMatchObject({ code: 'ENOSPC' });
      vi.restoreAllMocks();
      await sink.close();
      // The torn line is removed on the next open.
      const reopened = await JsonlFileSink.open<User>(file);
      expect(reopened.recovery.lines).toBe(0);
      expect(reopened.recovery.truncatedBytes).toBeGreaterThan(0);
      await reopened.close();
    });
  });
});
