/**
 * The conformance suite every {@link Sink} runs, like the queue adapters': the contract's
 * promises (versioned writes, restores, passes and tombstones, call order, finished tasks,
 * closing and, where the sink keeps anything, durability) checked against a real sink (and, for
 * database sinks, a real database).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CanvasOptionsError } from '../errors/index.js';
import { CanvasSinkError, type Sink, type SinkWriteOptions } from '../sink/sink.js';

/**
 * Options of {@link runSinkConformance}.
 * @category Testing
 */
export interface SinkConformanceOptions {
  /**
   * Opens a new sink on the storage `sink` used, after the suite closed it, with the same clock.
   * When given, the suite checks that records (with all their metadata), tombstones, open passes
   * and finished tasks survive `close()`.
   */
  reopen?:
    | ((sink: Sink<unknown>, context: SinkFactoryContext) => Promise<Sink<unknown>>)
    | undefined;
}

/** What the factory of {@link runSinkConformance} is given. */
export interface SinkFactoryContext {
  /** The clock the sink must use for its time stamps: the suite moves it. */
  readonly now: () => Date;
}

interface Row {
  id: number;
  name: string;
  updated_at?: string;
}

const key = (row: Row): string => `users:${row.id}`;
const byId: SinkWriteOptions<Row> = { key, kind: 'users' };
const SCOPE = 'users:/api/v1/courses/1/users';
const OTHER_SCOPE = 'users:/api/v1/courses/2/users';

/**
 * Declares a vitest `describe` block that checks a sink against the {@link Sink} contract. It
 * must be called from a vitest test file: it imports `vitest`, so import
 * `canvas-sync/testing/sink` only in tests. Each check gets a fresh, empty sink from `make` and
 * closes it afterwards.
 *
 * @param name - The sink's name, shown in the test report.
 * @param make - Makes a fresh, empty sink whose time stamps come from `context.now`.
 * @param options - See {@link SinkConformanceOptions}.
 *
 * @example
 * ```ts
 * // test/sink/memory-sink.test.ts
 * runSinkConformance('MemorySink', async ({ now }) => new MemorySink({ now }));
 * ```
 * @category Testing
 */
export function runSinkConformance(
  name: string,
  make: (context: SinkFactoryContext) => Promise<Sink<unknown>>,
  options: SinkConformanceOptions = {},
): void {
  describe(`${name}: Sink conformance`, () => {
    let open: Sink<unknown>[] = [];
    let time = Date.parse('2026-03-02T08:00:00.000Z');
    const context: SinkFactoryContext = { now: () => new Date(time) };
    /** Moves the suite's clock forward by `ms`. */
    const advance = (ms: number): void => {
      time += ms;
    };
    const fresh = async (): Promise<Sink<Row>> => {
      const sink = await make(context);
      open.push(sink);
      return sink as Sink<Row>;
    };

    afterEach(async () => {
      await Promise.allSettled(open.map((sink) => sink.close()));
      open = [];
      time = Date.parse('2026-03-02T08:00:00.000Z');
    });

    it('inserts new keys, replaces another version, leaves the same version alone', async () => {
      const sink = await fresh();
      expect(
        await sink.write(
          [
            { id: 1, name: 'a' },
            { id: 2, name: 'b' },
          ],
          byId,
        ),
      ).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
      const first = await sink.get('users:1');
      advance(60_000);
      expect(
        await sink.write(
          [
            { id: 1, name: 'a' },
            { id: 2, name: 'B' },
            { id: 3, name: 'c' },
          ],
          byId,
        ),
      ).toEqual({ inserted: 1, updated: 1, unchanged: 1 });
      expect((await sink.get('users:2'))?.record).toEqual({ id: 2, name: 'B' });
      const second = await sink.get('users:1');
      expect(second).toMatchObject({
        key: 'users:1',
        kind: 'users',
        record: { id: 1, name: 'a' },
        version: first?.version,
        firstSeenAt: '2026-03-02T08:00:00.000Z',
        lastSeenAt: '2026-03-02T08:01:00.000Z',
        deletedAt: undefined,
      });
      expect(second?.version).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await sink.get('users:404')).toBeUndefined();
    });

    it('takes the version from options.version when given', async () => {
      const sink = await fresh();
      const versioned = { ...byId, version: (row: Row) => row.updated_at ?? 'none' };
      await sink.write([{ id: 1, name: 'a', updated_at: '2026-01-01' }], versioned);
      // Same version, other content: left alone (the caller said it has not changed).
      expect(await sink.write([{ id: 1, name: 'x', updated_at: '2026-01-01' }], versioned)).toEqual(
        {
          inserted: 0,
          updated: 0,
          unchanged: 1,
        },
      );
      expect((await sink.get('users:1'))?.record).toEqual({
        id: 1,
        name: 'a',
        updated_at: '2026-01-01',
      });
      expect(await sink.write([{ id: 1, name: 'y', updated_at: '2026-02-01' }], versioned)).toEqual(
        {
          inserted: 0,
          updated: 1,
          unchanged: 0,
        },
      );
      expect(await sink.get('users:1')).toMatchObject({
        version: '2026-02-01',
        record: { name: 'y' },
      });
    });

    it('versions a record by default by the SHA-256 of its JSON as stored', async () => {
      const sink = await fresh();
      const row = { id: 1, name: 'Zoë "Z"', nested: { b: [1, null], a: true } };
      await sink.write([row as unknown as Row], byId);
      const digest = createHash('sha256').update(JSON.stringify(row)).digest('hex');
      expect((await sink.get('users:1'))?.version).toBe(`sha256:${digest}`);
      expect((await sink.get('users:1'))?.record).toEqual(row);
    });

    it('writes the first record of a key repeated in one batch and counts the rest unchanged', async () => {
      const sink = await fresh();
      expect(
        await sink.write(
          [
            { id: 1, name: 'first' },
            { id: 1, name: 'second' },
          ],
          byId,
        ),
      ).toEqual({ inserted: 1, updated: 0, unchanged: 1 });
      expect((await sink.get('users:1'))?.record).toEqual({ id: 1, name: 'first' });
    });

    it('validates a batch whole: nothing of it is written when one record is refused', async () => {
      const sink = await fresh();
      const bad = (row: Row) => (row.id === 2 ? '' : key(row));
      const refused = sink.write(
        [
          { id: 1, name: 'a' },
          { id: 2, name: 'b' },
        ],
        { key: bad },
      );
      await expect(refused).rejects.toBeInstanceOf(CanvasOptionsError);
      await expect(refused).rejects.toThrow(/records\[1\]/);
      await expect(sink.write([{ id: 1, name: 'a' }], { key, kind: 'Users!' })).rejects.toThrow(
        /options\.kind/,
      );
      await expect(
        sink.write([{ id: 1, name: 'a' }], { key, version: () => 42 as unknown as string }),
      ).rejects.toThrow(/options\.version returned number/);
      expect(await sink.get('users:1')).toBeUndefined();
      expect(await sink.write([], byId)).toEqual({ inserted: 0, updated: 0, unchanged: 0 });
    });

    it('applies concurrent calls in call order', async () => {
      const sink = await fresh();
      const results = await Promise.all([
        sink.write([{ id: 1, name: 'v1' }], byId),
        sink.write([{ id: 1, name: 'v2' }], byId),
        sink.write([{ id: 1, name: 'v3' }], byId),
      ]);
      expect(results).toEqual([
        { inserted: 1, updated: 0, unchanged: 0 },
        { inserted: 0, updated: 1, unchanged: 0 },
        { inserted: 0, updated: 1, unchanged: 0 },
      ]);
      expect((await sink.get('users:1'))?.record).toEqual({ id: 1, name: 'v3' });
    });

    it('tombstones what a completed pass did not see, only in its scope, and restores it when it comes back', async () => {
      const sink = await fresh();
      const first = await sink.beginPass(SCOPE);
      expect(await sink.beginPass(SCOPE)).toEqual(first);
      await sink.write(
        [
          { id: 1, name: 'a' },
          { id: 2, name: 'b' },
          { id: 3, name: 'c' },
        ],
        { ...byId, pass: first },
      );
      await sink.write([{ id: 9, name: 'elsewhere' }], { ...byId, scope: OTHER_SCOPE });
      await sink.write([{ id: 10, name: 'no scope' }], byId);
      expect(await sink.completePass(first)).toEqual({ deleted: 0 });

      advance(3_600_000);
      const second = await sink.beginPass(SCOPE);
      expect(second.id).not.toBe(first.id);
      expect(second.scope).toBe(SCOPE);
      // Unchanged records seen by the pass are kept, as are changed ones.
      expect(
        await sink.write(
          [
            { id: 1, name: 'a' },
            { id: 3, name: 'C' },
          ],
          { ...byId, pass: second },
        ),
      ).toEqual({ inserted: 0, updated: 1, unchanged: 1 });
      expect(await sink.completePass(second)).toEqual({ deleted: 1 });
      expect(await sink.get('users:2')).toMatchObject({
        record: { id: 2, name: 'b' },
        deletedAt: '2026-03-02T09:00:00.000Z',
      });
      for (const kept of ['users:1', 'users:3', 'users:9', 'users:10']) {
        expect((await sink.get(kept))?.deletedAt, kept).toBeUndefined();
      }
      // A pass already completed retires nothing more.
      expect(await sink.completePass(second)).toEqual({ deleted: 0 });

      // It comes back: restored, counted as updated even at the same version.
      advance(60_000);
      expect(await sink.write([{ id: 2, name: 'b' }], { ...byId, scope: SCOPE })).toEqual({
        inserted: 0,
        updated: 1,
        unchanged: 0,
      });
      expect(await sink.get('users:2')).toMatchObject({ deletedAt: undefined });
      // And a tombstone stays a tombstone: the next pass that does not see it does not count it again.
      const third = await sink.beginPass(SCOPE);
      await sink.write([{ id: 1, name: 'a' }], { ...byId, pass: third });
      expect(await sink.completePass(third)).toEqual({ deleted: 2 });
      const fourth = await sink.beginPass(SCOPE);
      await sink.write([{ id: 1, name: 'a' }], { ...byId, pass: fourth });
      expect(await sink.completePass(fourth)).toEqual({ deleted: 0 });
    });

    it('keeps a pass open across writes without it, and lets a pass see records written before it opened', async () => {
      const sink = await fresh();
      await sink.write([{ id: 1, name: 'a' }], { ...byId, scope: SCOPE });
      const pass = await sink.beginPass(SCOPE);
      // An incremental write (no pass) does not mark the record seen by the pass.
      await sink.write([{ id: 2, name: 'b' }], { ...byId, scope: SCOPE });
      await sink.write([{ id: 2, name: 'b' }], { ...byId, pass });
      expect(await sink.completePass(pass)).toEqual({ deleted: 1 });
      expect((await sink.get('users:1'))?.deletedAt).toBeDefined();
      expect((await sink.get('users:2'))?.deletedAt).toBeUndefined();
    });

    it('records finished tasks and gives the latest mark of a scope and stream', async () => {
      const sink = await fresh();
      const base = { kind: 'users', scope: SCOPE, finishedAt: '2026-03-02T08:00:00.000Z' };
      await sink.finishTask({
        ...base,
        key: 'v1:a',
        stream: 'graded',
        mark: '2026-03-01T00:00:00.000Z',
      });
      await sink.finishTask({
        ...base,
        key: 'v1:b',
        stream: 'graded',
        mark: '2026-03-02T00:00:00.000Z',
      });
      await sink.finishTask({
        ...base,
        key: 'v1:c',
        stream: 'submitted',
        mark: '2026-03-03T00:00:00.000Z',
      });
      expect(await sink.lastFinished(SCOPE, 'graded')).toEqual({
        ...base,
        key: 'v1:b',
        stream: 'graded',
        mark: '2026-03-02T00:00:00.000Z',
      });
      // A later record of the same key replaces it.
      await sink.finishTask({
        ...base,
        key: 'v1:b',
        stream: 'graded',
        mark: '2026-02-01T00:00:00.000Z',
      });
      expect((await sink.lastFinished(SCOPE, 'graded'))?.key).toBe('v1:a');
      expect(await sink.lastFinished(OTHER_SCOPE, 'graded')).toBeUndefined();
      expect(await sink.lastFinished(SCOPE, 'full')).toBeUndefined();
    });

    it('refuses bad scopes, passes and finished tasks before writing anything', async () => {
      const sink = await fresh();
      await expect(sink.beginPass('')).rejects.toBeInstanceOf(CanvasOptionsError);
      await expect(sink.beginPass('x'.repeat(1_025))).rejects.toBeInstanceOf(CanvasOptionsError);
      await expect(sink.completePass({ scope: SCOPE } as never)).rejects.toBeInstanceOf(
        CanvasOptionsError,
      );
      const task = {
        key: 'v1:a',
        kind: 'users',
        scope: SCOPE,
        stream: '',
        mark: 'm',
        finishedAt: 'f',
      };
      await expect(sink.finishTask(task)).rejects.toBeInstanceOf(CanvasOptionsError);
      expect(await sink.lastFinished(SCOPE, '')).toBeUndefined();
      // None of it opened a pass.
      const pass = await sink.beginPass(SCOPE);
      expect(await sink.completePass(pass)).toEqual({ deleted: 0 });
    });

    it('refuses every call after close(), which is idempotent', async () => {
      const sink = await fresh();
      await sink.write([{ id: 1, name: 'a' }], byId);
      const pass = await sink.beginPass(SCOPE);
      await sink.flush();
      await Promise.all([sink.close(), sink.close()]);
      await sink.close();
      const closed = { name: 'CanvasSinkError', code: 'SINK_CLOSED' };
      await expect(sink.write([{ id: 2, name: 'b' }], byId)).rejects.toMatchObject(closed);
      await expect(sink.write([{ id: 2, name: 'b' }], byId)).rejects.toBeInstanceOf(
        CanvasSinkError,
      );
      await expect(sink.beginPass(SCOPE)).rejects.toMatchObject(closed);
      await expect(sink.completePass(pass)).rejects.toMatchObject(closed);
      await expect(
        sink.finishTask({
          key: 'v1:a',
          kind: 'users',
          scope: SCOPE,
          stream: 'full',
          mark: '2026-03-02T08:00:00.000Z',
          finishedAt: '2026-03-02T08:00:00.000Z',
        }),
      ).rejects.toMatchObject(closed);
      await expect(sink.get('users:1')).rejects.toMatchObject(closed);
      await expect(sink.lastFinished(SCOPE, 'full')).rejects.toMatchObject(closed);
      // flush() after close() waits for the close.
      await expect(sink.flush()).resolves.toBeUndefined();
    });

    const { reopen } = options;
    it.skipIf(reopen === undefined)(
      'keeps records, tombstones, open passes and finished tasks after close()',
      async () => {
        if (reopen === undefined) return;
        const sink = await fresh();
        const done = await sink.beginPass(SCOPE);
        await sink.write(
          [
            { id: 1, name: 'a' },
            { id: 2, name: 'b' },
          ],
          { ...byId, pass: done },
        );
        await sink.completePass(done);
        const pass = await sink.beginPass(SCOPE);
        await sink.write([{ id: 1, name: 'A' }], { ...byId, pass });
        const task = {
          key: 'v1:a',
          kind: 'users',
          scope: SCOPE,
          stream: 'full',
          mark: '2026-03-02T08:00:00.000Z',
          finishedAt: '2026-03-02T08:00:00.000Z',
        };
        await sink.finishTask(task);
        // Written without a scope, then seen unchanged by the open pass: it joins the scope.
        await sink.write([{ id: 5, name: 'e' }], byId);
        advance(60_000);
        await sink.write([{ id: 5, name: 'e' }], { ...byId, pass });
        const keys = ['users:1', 'users:2', 'users:5'];
        const before = await Promise.all(keys.map((k) => sink.get(k)));
        await sink.close();

        const again = (await reopen(sink, context)) as Sink<Row>;
        open.push(again);
        // Every record as it was, metadata included.
        expect(await Promise.all(keys.map((k) => again.get(k)))).toEqual(before);
        expect(await again.get('users:5')).toMatchObject({ scope: SCOPE, pass: pass.id });
        expect(await again.get('users:1')).toMatchObject({
          record: { id: 1, name: 'A' },
          pass: pass.id,
        });
        // The open pass goes on where it was: what it saw before the close stays seen.
        expect(await again.beginPass(SCOPE)).toEqual(pass);
        expect(await again.completePass(pass)).toEqual({ deleted: 1 });
        await again.close();

        const third = (await reopen(again, context)) as Sink<Row>;
        open.push(third);
        expect((await third.get('users:2'))?.deletedAt).toBe('2026-03-02T08:01:00.000Z');
        expect(await third.lastFinished(SCOPE, 'full')).toEqual(task);
        // users:5 was seen by the completed pass: still live; the next pass that misses it
        // retires it.
        expect((await third.get('users:5'))?.deletedAt).toBeUndefined();
        const next = await third.beginPass(SCOPE);
        await third.write([{ id: 1, name: 'A' }], { ...byId, pass: next });
        expect(await third.completePass(next)).toEqual({ deleted: 1 });
        expect(await third.write([{ id: 1, name: 'A' }], byId)).toEqual({
          inserted: 0,
          updated: 0,
          unchanged: 1,
        });
      },
    );
  });
}
