import { describe, expect, it } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import { CanvasSinkError, MemorySink, type Sink } from '../../src/sink/index.js';

interface User {
  id: number;
  name: string;
}

const byId = { key: (user: User) => String(user.id) };

describe('MemorySink', () => {
  it('stores new keys and skips known ones (first write wins)', async () => {
    const sink = new MemorySink<User>();
    expect(
      await sink.upsert(
        [
          { id: 1, name: 'a' },
          { id: 2, name: 'b' },
          { id: 1, name: 'a again' },
        ],
        byId,
      ),
    ).toEqual({ written: 2, skipped: 1 });
    expect(
      await sink.upsert(
        [
          { id: 2, name: 'b changed' },
          { id: 3, name: 'c' },
        ],
        byId,
      ),
    ).toEqual({ written: 1, skipped: 1 });
    expect(await sink.upsert([], byId)).toEqual({ written: 0, skipped: 0 });
    expect(sink.size).toBe(3);
    expect(sink.keys()).toEqual(['1', '2', '3']);
    expect(sink.records().map((u) => u.name)).toEqual(['a', 'b', 'c']);
    expect(sink.has('2')).toBe(true);
    expect(sink.get('2')?.name).toBe('b');
    expect(sink.get('9')).toBeUndefined();
  });

  it('writes nothing of a batch with a bad key', async () => {
    const sink = new MemorySink<User>();
    const batch = [
      { id: 1, name: 'a' },
      { id: 0, name: 'b' },
    ];
    await expect(
      sink.upsert(batch, { key: (u) => (u.id === 0 ? '' : String(u.id)) }),
    ).rejects.toThrow(/records\[1\]: options.key returned an empty string/);
    await expect(sink.upsert(batch, { key: (u) => u.id as unknown as string })).rejects.toThrow(
      /returned number/,
    );
    await expect(
      sink.upsert(batch, { key: 'id' as unknown as (u: User) => string }),
    ).rejects.toThrow(CanvasOptionsError);
    await expect(sink.upsert({ id: 1 } as unknown as User[], byId)).rejects.toThrow(
      /Expected an array/,
    );
    expect(sink.size).toBe(0);
  });

  it('refuses writes after close; close and flush are idempotent', async () => {
    const sink: Sink<User> & MemorySink<User> = new MemorySink<User>();
    await sink.upsert([{ id: 1, name: 'a' }], byId);
    await sink.flush();
    await sink.close();
    await sink.close();
    expect(sink.closed).toBe(true);
    const error = await sink.upsert([{ id: 2, name: 'b' }], byId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanvasSinkError);
    expect((error as CanvasSinkError).toJSON()).toStrictEqual({
      name: 'CanvasSinkError',
      code: 'SINK_CLOSED',
      message: 'The MemorySink is closed and accepts no more records',
      sink: 'MemorySink',
    });
    expect(sink.records()).toHaveLength(1);
  });
});
