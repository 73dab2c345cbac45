import { describe, expect, it } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import { CanvasSinkError, MemorySink, type Sink } from '../../src/sink/index.js';
import { runSinkConformance } from '../../src/testing/sink-conformance.js';

interface User {
  id: number;
  name: string;
}

const byId = { key: (user: User) => `users:${user.id}` };

runSinkConformance('MemorySink', async ({ now }) => new MemorySink({ now }));

describe('MemorySink', () => {
  it('lists live records, and every stored one with its metadata', async () => {
    const sink = new MemorySink<User>();
    const pass = await sink.beginPass('users:all');
    await sink.write(
      [
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
      ],
      { ...byId, pass },
    );
    await sink.completePass(pass);
    const next = await sink.beginPass('users:all');
    await sink.write([{ id: 2, name: 'B' }], { ...byId, pass: next });
    await sink.completePass(next);
    expect(sink.size).toBe(2);
    expect(sink.keys()).toEqual(['users:1', 'users:2']);
    expect(sink.records()).toEqual([{ id: 2, name: 'B' }]);
    expect(sink.stored().map((stored) => [stored.key, stored.deletedAt !== undefined])).toEqual([
      ['users:1', true],
      ['users:2', false],
    ]);
    expect(sink.has('users:1')).toBe(true);
  });

  it('writes nothing of a batch with a bad key', async () => {
    const sink = new MemorySink<User>();
    const batch = [
      { id: 1, name: 'a' },
      { id: 0, name: 'b' },
    ];
    await expect(
      sink.write(batch, { key: (u) => (u.id === 0 ? '' : String(u.id)) }),
    ).rejects.toThrow(/records\[1\]: options.key returned an empty string/);
    await expect(sink.write(batch, { key: (u) => u.id as unknown as string })).rejects.toThrow(
      /returned number/,
    );
    await expect(
      sink.write(batch, { key: 'id' as unknown as (u: User) => string }),
    ).rejects.toThrow(CanvasOptionsError);
    await expect(sink.write({ id: 1 } as unknown as User[], byId)).rejects.toThrow(
      /Expected an array/,
    );
    const cyclic: Record<string, unknown> = { id: 3 };
    cyclic.self = cyclic;
    await expect(sink.write([cyclic as unknown as User], byId)).rejects.toThrow(
      /records\[0\]: Cannot be serialized as JSON/,
    );
    expect(sink.size).toBe(0);
  });

  it('refuses writes after close; close and flush are idempotent', async () => {
    const sink: Sink<User> & MemorySink<User> = new MemorySink<User>();
    await sink.write([{ id: 1, name: 'a' }], byId);
    await sink.flush();
    await sink.close();
    await sink.close();
    expect(sink.closed).toBe(true);
    const error = await sink.write([{ id: 2, name: 'b' }], byId).catch((e: unknown) => e);
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
