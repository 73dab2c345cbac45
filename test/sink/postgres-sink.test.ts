/**
 * PostgresSink against a real PostgreSQL server: the one of `CANVAS_SYNC_PG_URL`, which `.ci/run`
 * starts and exports. Without it the server tests are skipped (a laptop without PostgreSQL), but
 * under CI (`CI=true`) a missing URL fails. Each test works in a fresh schema, dropped after it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import { PostgresSink } from '../../src/sink/postgres/index.js';
import { CanvasSinkError, type Sink } from '../../src/sink/sink.js';
import { runSinkConformance } from '../../src/testing/sink-conformance.js';

const REPO = resolve(import.meta.dirname, '../..');
const url = process.env.CANVAS_SYNC_PG_URL || undefined;

describe.runIf(url === undefined && process.env.CI === 'true')('PostgresSink under CI', () => {
  it('has a PostgreSQL server (CANVAS_SYNC_PG_URL, exported by .ci/run)', () => {
    expect.fail('CI=true but CANVAS_SYNC_PG_URL is not set: .ci/run starts PostgreSQL and sets it');
  });
});

interface Row {
  id: number;
  name: string;
}

const byId = { key: (row: Row) => `users:${row.id}`, kind: 'users' };

describe('PostgresSink options', () => {
  const refused = (options: unknown, message: RegExp) =>
    expect(PostgresSink.open(options as never)).rejects.toSatisfy(
      (error) => error instanceof CanvasOptionsError && message.test(error.message),
    );

  it('refuses invalid options before connecting', async () => {
    const connectionString = 'postgres://nobody@127.0.0.1:1/none';
    await refused({}, /PostgresSink options: connectionString: Expected exactly one of/);
    await refused(
      { connectionString, pool: new pg.Pool() },
      /connectionString: Expected exactly one of connectionString and pool/,
    );
    await refused({ connectionString: '' }, /connectionString: Expected a non-empty/);
    await refused({ pool: { query: () => {} } }, /pool: Expected a pg\.Pool/);
    await refused({ connectionString, schema: 'Canvas-Sync' }, /schema: Expected lower-case/);
    await refused({ connectionString, schema: 'x'.repeat(64) }, /schema: Expected lower-case/);
    await refused({ connectionString, schema: 'pg_sync' }, /schema: Expected lower-case/);
    await refused({ connectionString, now: Date.now() }, /now: Expected a function/);
    await refused({ connectionString, table: 'records' }, /Unrecognized key/);
  });
});

describe.skipIf(url === undefined)(
  'PostgresSink on a PostgreSQL server (skipped without CANVAS_SYNC_PG_URL=postgres://…; .ci/run starts one)',
  () => {
    const connectionString = url ?? '';
    let admin: pg.Pool | undefined;
    /** A pool of the test itself, to look at the tables and drop the schemas. */
    const sql = (): pg.Pool => {
      admin ??= new pg.Pool({ connectionString, max: 4 });
      return admin;
    };
    let schemas: string[] = [];
    let sinks: Sink<unknown>[] = [];

    /** A schema name no other test (or run) uses; dropped after the test. */
    const freshSchema = (): string => {
      const schema = `cs_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      schemas.push(schema);
      return schema;
    };

    const open = async <T = Row>(schema: string, now?: () => Date): Promise<PostgresSink<T>> => {
      const sink = await PostgresSink.open<T>({
        connectionString,
        schema,
        ...(now === undefined ? {} : { now }),
      });
      sinks.push(sink);
      return sink;
    };

    afterEach(async () => {
      await Promise.allSettled(sinks.map((sink) => sink.close()));
      sinks = [];
      for (const schema of schemas) {
        await sql().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
      schemas = [];
    });
    afterAll(async () => {
      await admin?.end();
    });

    runSinkConformance('PostgresSink', async ({ now }) => open(freshSchema(), now), {
      reopen: async (sink, { now }) => open((sink as PostgresSink<unknown>).schema, now),
    });

    it('counts exactly: inserted, updated, unchanged, repeated and restored keys', async () => {
      let time = Date.parse('2026-03-02T08:00:00.000Z');
      const schema = freshSchema();
      const sink = await open(schema, () => new Date(time));
      const rows = (ids: number[], name: (id: number) => string) =>
        ids.map((id) => ({ id, name: name(id) }));
      const range = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, index) => from + index);

      expect(await sink.write(rows(range(0, 100), String), byId)).toEqual({
        inserted: 100,
        updated: 0,
        unchanged: 0,
      });
      time += 60_000;
      // 0–29 the same, 30–59 changed, 60–89 new, then 10 repeats (first copy wins).
      const batch = [
        ...rows(range(0, 30), String),
        ...rows(range(30, 60), (id) => `changed ${id}`),
        ...rows(range(100, 130), String),
        ...rows(range(30, 40), (id) => `repeated ${id}`),
      ];
      expect(await sink.write(batch, byId)).toEqual({ inserted: 30, updated: 30, unchanged: 40 });
      expect((await sink.get('users:35'))?.record).toEqual({ id: 35, name: 'changed 35' });
      expect(await sink.get('users:5')).toMatchObject({
        firstSeenAt: '2026-03-02T08:00:00.000Z',
        lastSeenAt: '2026-03-02T08:01:00.000Z',
      });
      expect(await sink.get('users:99')).toMatchObject({ lastSeenAt: '2026-03-02T08:00:00.000Z' });

      // A pass that sees 0–49: 50–129 tombstoned; then 50–59 come back (restored, updated).
      const pass = await sink.beginPass('users:all');
      expect(await sink.write(rows(range(0, 50), String), { ...byId, pass })).toEqual({
        inserted: 0,
        updated: 20,
        unchanged: 30,
      });
      // The scope was set by the pass on 0–49 only: the others have no scope, so nothing goes.
      expect(await sink.completePass(pass)).toEqual({ deleted: 0 });
      const second = await sink.beginPass('users:all');
      await sink.write(rows(range(0, 40), String), { ...byId, pass: second });
      expect(await sink.completePass(second)).toEqual({ deleted: 10 });
      expect(
        await sink.write(rows(range(40, 60), String), { ...byId, scope: 'users:all' }),
      ).toEqual({ inserted: 0, updated: 20, unchanged: 0 });

      const counts = await sql().query<{ live: string; gone: string; scoped: string }>(
        `SELECT count(*) FILTER (WHERE deleted_at IS NULL)::text AS live,
           count(*) FILTER (WHERE deleted_at IS NOT NULL)::text AS gone,
           count(scope)::text AS scoped
         FROM "${schema}".canvas_sync_records`,
      );
      expect(counts.rows).toEqual([{ live: '130', gone: '0', scoped: '60' }]);
    });

    it('marks seen a key another transaction inserted, with the same version, while the write ran', async () => {
      // The write's statement does not see the other transaction's rows (not yet committed when
      // it began): its INSERT waits for them, then replaces the one of another version and
      // leaves the one of the same version alone, which a second statement marks seen.
      let time = Date.parse('2026-03-02T08:00:00.000Z');
      const schema = freshSchema();
      const sink = await open(schema, () => new Date(time));
      const pass = await sink.beginPass('users:all');
      const other = await sql().connect();
      try {
        await other.query('BEGIN');
        await other.query(
          `INSERT INTO "${schema}".canvas_sync_records
             (key, kind, version, record, first_seen_at, last_seen_at)
           VALUES ('users:1', 'users', 'v1', '{"id": 1, "name": "other"}', $1, $1),
                  ('users:2', 'users', 'v0', '{"id": 2, "name": "other"}', $1, $1)`,
          ['2026-03-02T07:00:00.000Z'],
        );
        const otherPid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
          .rows[0]?.pid;
        time += 60_000;
        const writing = sink.write(
          [
            { id: 1, name: 'a' },
            { id: 2, name: 'b' },
            { id: 3, name: 'c' },
          ],
          { ...byId, version: (row) => (row.id === 2 ? 'v2' : 'v1'), pass },
        );
        // Commit once the write waits for the other transaction.
        for (;;) {
          const blocked = await sql().query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))',
            [otherPid],
          );
          if ((blocked.rows[0]?.n ?? 0) > 0) break;
        }
        await other.query('COMMIT');
        expect(await writing).toEqual({ inserted: 1, updated: 1, unchanged: 1 });
      } finally {
        other.release();
      }
      expect(await sink.get('users:1')).toMatchObject({
        version: 'v1',
        record: { id: 1, name: 'other' },
        firstSeenAt: '2026-03-02T07:00:00.000Z',
        lastSeenAt: '2026-03-02T08:01:00.000Z',
        scope: 'users:all',
        pass: pass.id,
      });
      expect(await sink.get('users:2')).toMatchObject({
        version: 'v2',
        record: { id: 2, name: 'b' },
        lastSeenAt: '2026-03-02T08:01:00.000Z',
        pass: pass.id,
      });
      expect(await sink.completePass(pass)).toEqual({ deleted: 0 });
    });

    it('compresses the records it writes with lz4 when the server has it', async () => {
      const schema = freshSchema();
      const sink = await open<Record<string, unknown>>(schema);
      // About 4 kB of JSON, over the 2 kB from which PostgreSQL compresses a row.
      const text = Array.from({ length: 200 }, (_, index) => `word ${index % 7}`).join(' ');
      await sink.write([{ id: 1, text, again: text }], { key: () => 'big:1', kind: 'big' });
      const lz4 = await sql().query<{ lz4: boolean }>(
        `SELECT EXISTS (SELECT FROM pg_settings
           WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) AS lz4`,
      );
      const stored = await sql().query<{ method: string | null }>(
        `SELECT pg_column_compression(record) AS method FROM "${schema}".canvas_sync_records`,
      );
      expect(stored.rows).toEqual([{ method: lz4.rows[0]?.lz4 === true ? 'lz4' : 'pglz' }]);
      expect((await sink.get('big:1'))?.record).toEqual({ id: 1, text, again: text });
    });

    it('round-trips records through jsonb, and they can be queried as jsonb', async () => {
      const schema = freshSchema();
      const sink = await open<Record<string, unknown>>(schema);
      const record = {
        id: 1,
        name: 'Zoë 学生 🎓',
        quote: 'she said "hi"\\n\ttab',
        escapedLookalike: '\\u0000 is six characters here',
        nul: 'a\u0000b',
        lone: `x${'\ud800'}y${'\udc00'}`,
        numbers: [0, -1.5, 1e21, Number.MAX_SAFE_INTEGER, 0.1],
        nothing: null,
        flags: { active: true, deleted: false },
        empty: { list: [], object: {} },
        key: 'a field named key',
        nested: { a: { b: { c: [1, { d: 'deep' }] } } },
        long: 'x'.repeat(100_000),
      };
      const { dropped, ...stored } = { ...record, dropped: undefined };
      expect(dropped).toBeUndefined();
      await sink.write([{ ...record, dropped: undefined }], { key: () => 'things:1' });
      expect((await sink.get('things:1'))?.record).toEqual({
        ...stored,
        nul: 'a\ufffdb',
        lone: 'x\ufffdy\ufffd',
      });
      // Stored as jsonb: queryable with PostgreSQL's operators.
      const query = await sql().query<{ name: string; d: string; lookalike: string }>(
        `SELECT record->>'name' AS name, record#>>'{nested,a,b,c,1,d}' AS d,
           record->>'escapedLookalike' AS lookalike
         FROM "${schema}".canvas_sync_records WHERE key = 'things:1'`,
      );
      expect(query.rows).toEqual([
        { name: 'Zoë 学生 🎓', d: 'deep', lookalike: '\\u0000 is six characters here' },
      ]);
      // The version is computed on the record as given, so writing it again changes nothing.
      expect(await sink.write([record], { key: () => 'things:1' })).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: 1,
      });
    });

    it('refuses what PostgreSQL text cannot hold: a NUL in a key, a version, a scope or a task', async () => {
      const sink = await open(freshSchema());
      await expect(
        sink.write([{ id: 1, name: 'a' }], { key: () => 'users:\u00001' }),
      ).rejects.toThrow(/records\[0\]: Key or version holds a NUL character/);
      await expect(
        sink.write([{ id: 1, name: 'a' }], { ...byId, scope: 'users\u0000' }),
      ).rejects.toThrow(/options\.scope: Expected no NUL character/);
      await expect(sink.beginPass('users\u0000')).rejects.toThrow(/scope: Expected no NUL/);
      const task = {
        key: 'v1:\u0000',
        kind: 'users',
        scope: 'users:all',
        stream: 'full',
        mark: '2026-03-02T08:00:00.000Z',
        finishedAt: '2026-03-02T08:00:00.000Z',
      };
      await expect(sink.finishTask(task)).rejects.toBeInstanceOf(CanvasOptionsError);
      expect(await sink.get('users:1')).toBeUndefined();
    });

    it('shares records and passes between two sinks on one schema: one resumes the other’s pass', async () => {
      const schema = freshSchema();
      const [first, second] = await Promise.all([open(schema), open(schema)]);
      await first.write(
        Array.from({ length: 10 }, (_, id) => ({ id, name: 'before' })),
        { ...byId, scope: 'users:all' },
      );
      const pass = await first.beginPass('users:all');
      await first.write(
        Array.from({ length: 4 }, (_, id) => ({ id, name: 'before' })),
        { ...byId, pass },
      );
      await first.close(); // the first worker goes away, its pass open

      expect(await second.beginPass('users:all')).toEqual(pass);
      expect(
        await second.write(
          Array.from({ length: 4 }, (_, index) => ({ id: index + 4, name: 'before' })),
          { ...byId, pass },
        ),
      ).toEqual({ inserted: 0, updated: 0, unchanged: 4 });
      expect(await second.completePass(pass)).toEqual({ deleted: 2 });
      expect((await second.get('users:8'))?.deletedAt).toBeDefined();
      expect((await second.get('users:7'))?.deletedAt).toBeUndefined();
      // The pass is closed for both: a new one starts.
      const third = await open(schema);
      expect((await third.beginPass('users:all')).id).not.toBe(pass.id);
    });

    it('keeps counts exact when two sinks write the same keys at once, in opposite orders', async () => {
      const schema = freshSchema();
      const [a, b] = await Promise.all([open(schema), open(schema)]);
      const ids = Array.from({ length: 200 }, (_, id) => id);
      const batches = (name: string, order: number[]) =>
        Array.from({ length: 10 }, (_, index) =>
          order.slice(index * 20, index * 20 + 20).map((id) => ({ id, name })),
        );
      const results = await Promise.all([
        ...batches('a', ids).map((batch) => a.write(batch, byId)),
        ...batches('b', [...ids].reverse()).map((batch) => b.write(batch, byId)),
      ]);
      const total = results.reduce(
        (sum, result) => ({
          inserted: sum.inserted + result.inserted,
          updated: sum.updated + result.updated,
          unchanged: sum.unchanged + result.unchanged,
        }),
        { inserted: 0, updated: 0, unchanged: 0 },
      );
      // Each key was inserted by one sink and replaced by the other (other content).
      expect(total).toEqual({ inserted: 200, updated: 200, unchanged: 0 });
      const rows = await sql().query<{ count: string }>(
        `SELECT count(*)::text AS count FROM "${schema}".canvas_sync_records`,
      );
      expect(rows.rows).toEqual([{ count: '200' }]);
    });

    it('runs a transaction again when PostgreSQL aborts it as a deadlock victim, up to 5 times', async () => {
      // When a real deadlock is broken depends on timers (deadlock_timeout), so the server is
      // made to abort the sink's statements with the deadlock SQLSTATE (40P01) by a trigger,
      // the first `failures` times (a sequence counts them: it is not rolled back).
      const schema = freshSchema();
      const sink = await open(schema);
      await sink.write([{ id: 1, name: 'a' }], byId);
      const s = `"${schema}"`;
      const failNext = async (failures: number) => {
        await sql().query(`DROP SEQUENCE IF EXISTS ${s}.tries; CREATE SEQUENCE ${s}.tries`);
        await sql().query(
          `CREATE OR REPLACE FUNCTION ${s}.fail() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF nextval('${s}.tries') <= ${failures} THEN
               RAISE EXCEPTION 'deadlock (injected)' USING ERRCODE = 'deadlock_detected';
             END IF;
             RETURN NULL;
           END $$;
           CREATE OR REPLACE TRIGGER fail BEFORE INSERT ON ${s}.canvas_sync_records
             FOR EACH STATEMENT EXECUTE FUNCTION ${s}.fail()`,
        );
      };
      const tries = async () =>
        (await sql().query<{ n: string }>(`SELECT last_value::text AS n FROM ${s}.tries`)).rows[0]
          ?.n;

      await failNext(2);
      expect(
        await sink.write(
          [
            { id: 1, name: 'b' },
            { id: 2, name: 'b' },
          ],
          byId,
        ),
      ).toEqual({ inserted: 1, updated: 1, unchanged: 0 });
      expect(await tries()).toBe('3');

      await failNext(5);
      await expect(sink.write([{ id: 3, name: 'c' }], byId)).rejects.toMatchObject({
        code: '40P01',
      });
      expect(await tries()).toBe('5');
      expect(await sink.get('users:3')).toBeUndefined();
      // The connection went back to the pool in a usable state.
      expect(await sink.write([{ id: 3, name: 'c' }], byId)).toEqual({
        inserted: 1,
        updated: 0,
        unchanged: 0,
      });
    });

    it('creates a new schema once when several sinks open it at once', async () => {
      const schema = freshSchema();
      const opened = await Promise.all(Array.from({ length: 4 }, () => open(schema)));
      expect(opened.map((sink) => sink.schema)).toEqual(Array(4).fill(schema));
      const version = await sql().query<{ value: string }>(
        `SELECT value FROM "${schema}".canvas_sync_meta WHERE name = 'schema_version'`,
      );
      expect(version.rows).toEqual([{ value: String(PostgresSink.schemaVersion) }]);
    });

    it('refuses a schema of a newer version (or none readable), leaving it untouched', async () => {
      const schema = freshSchema();
      const sink = await open(schema);
      await sink.write([{ id: 1, name: 'a' }], byId);
      await sink.close();
      const setVersion = (value: string) =>
        sql().query(
          `UPDATE "${schema}".canvas_sync_meta SET value = $1 WHERE name = 'schema_version'`,
          [value],
        );

      await setVersion('99');
      const newer = await PostgresSink.open({ connectionString, schema }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(newer).toBeInstanceOf(CanvasSinkError);
      expect(newer).toMatchObject({
        code: 'SINK_SCHEMA',
        sink: 'PostgresSink',
        path: `schema ${schema}`,
        found: 99,
        supported: 1,
      });
      expect((newer as Error).message).toMatch(/newer than 1.*upgrade canvas-sync/);

      await setVersion('one');
      await expect(PostgresSink.open({ connectionString, schema })).rejects.toMatchObject({
        code: 'SINK_SCHEMA',
        found: null,
      });
      const untouched = await sql().query<{ value: string; records: string }>(
        `SELECT value, (SELECT count(*)::text FROM "${schema}".canvas_sync_records) AS records
         FROM "${schema}".canvas_sync_meta WHERE name = 'schema_version'`,
      );
      expect(untouched.rows).toEqual([{ value: 'one', records: '1' }]);
    });

    it('uses a pool it is given without ending it, and refuses every call once closed', async () => {
      const pool = new pg.Pool({ connectionString, max: 2 });
      onTestFinished(() => pool.end());
      const schema = freshSchema();
      const sink = await PostgresSink.open<Row>({ pool, schema });
      await sink.write([{ id: 1, name: 'a' }], byId);
      await sink.close();
      const left = await pool.query<{ key: string }>(
        `SELECT key FROM "${schema}".canvas_sync_records`,
      );
      expect(left.rows).toEqual([{ key: 'users:1' }]);
      const closed = { name: 'CanvasSinkError', code: 'SINK_CLOSED', sink: 'PostgresSink' };
      await expect(sink.get('users:1')).rejects.toMatchObject(closed);
      await expect(sink.lastFinished('users:all', 'full')).rejects.toMatchObject(closed);
      await expect(sink.flush()).resolves.toBeUndefined(); // waits for the close
      expect(sink.closed).toBe(true);
    });

    it('keeps every committed batch exactly once when the writing process is killed, and resumes its pass', async () => {
      const schema = freshSchema();
      // Create the schema first, so the child starts writing at once.
      await (await open(schema)).close();
      const size = 50;
      const wanted = 8;
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(REPO, 'test/sink/postgres-crash-child.ts'), schema, String(size)],
        { cwd: REPO, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      onTestFinished(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      let committed = -1;
      let passId = '';
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      await new Promise<void>((resolve, reject) => {
        let pending = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) {
            const [word, value = ''] = line.split(' ');
            if (word === 'pass') passId = value;
            if (word === 'committed') committed = Math.max(committed, Number(value));
          }
          if (committed + 1 >= wanted) child.kill('SIGKILL');
        });
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          if (signal === 'SIGKILL') resolve();
          else reject(new Error(`The writer exited with ${code} before it was killed: ${stderr}`));
        });
      });
      expect(committed).toBeGreaterThanOrEqual(wanted - 1);

      const sink = await open<{ batch: number; i: number }>(schema);
      const last = (await sink.get('crash:counter'))?.record.batch ?? -1;
      // Every batch the child reported committed is there, whole; so may be the one it was
      // writing (committed before it could say so); nothing else.
      expect(last).toBeGreaterThanOrEqual(committed);
      expect(last).toBeLessThanOrEqual(committed + 1);
      const batches = await sql().query<{ batch: number; records: number; keys: number }>(
        `SELECT (record->>'batch')::int AS batch, count(*)::int AS records,
           count(DISTINCT record->>'i')::int AS keys
         FROM "${schema}".canvas_sync_records WHERE key <> 'crash:counter'
         GROUP BY 1 ORDER BY 1`,
      );
      expect(batches.rows).toEqual(
        Array.from({ length: last + 1 }, (_, batch) => ({ batch, records: size, keys: size })),
      );

      // The killed writer's pass is still open: a new process continues it.
      const pass = await sink.beginPass('crash:/api/v1/rows');
      expect(pass.id).toBe(passId);
      const again = Array.from({ length: (last + 1) * size }, (_, index) => ({
        batch: Math.floor(index / size),
        i: index % size,
      }));
      const key = (row: { batch: number; i: number }) => `crash:${row.batch}:${row.i}`;
      expect(await sink.write(again, { key, kind: 'crash', pass })).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: again.length,
      });
      // The counter was seen by the same pass, in the killed process: nothing is retired.
      expect(await sink.completePass(pass)).toEqual({ deleted: 0 });
    });
  },
);
