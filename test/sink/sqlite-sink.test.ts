import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CanvasOptionsError } from '../../src/errors/index.js';
import { CanvasSinkError, type Sink } from '../../src/sink/sink.js';
import { SqliteSink } from '../../src/sink/sqlite/index.js';
import { runSinkConformance } from '../../src/testing/sink-conformance.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface User {
  id: number;
  name: string;
}

const byId = { key: (user: User) => `users:${user.id}`, kind: 'users' };
const user = (id: number, name = `user ${id}`): User => ({ id, name });

let dir: string;
let files = 0;
const newFile = (): string => join(dir, `db-${++files}`, 'canvas.db');
/** Every sink and raw client a test opened, closed after it. */
let opened: { close(): unknown }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'canvas-sync-sqlite-'));
});

afterEach(async () => {
  await Promise.allSettled(opened.map(async (handle) => handle.close()));
  opened = [];
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function open<T = User>(
  options: Parameters<typeof SqliteSink.open>[0],
): Promise<SqliteSink<T>> {
  const sink = await SqliteSink.open<T>(options);
  opened.push(sink);
  return sink;
}

/** A plain libSQL client on the sink's file, to look at the tables as a user's query would. */
function raw(path: string): Client {
  const client = createClient({ url: pathToFileURL(path).href });
  opened.push(client);
  return client;
}

{
  /** The clock of the sink `make` opened last, for `reopen`. */
  let clock: () => Date = () => new Date();
  runSinkConformance(
    'SqliteSink',
    ({ now }) => {
      clock = now;
      return SqliteSink.open({ path: newFile(), now });
    },
    {
      reopen: (sink: Sink<unknown>) =>
        SqliteSink.open({ path: (sink as SqliteSink<unknown>).path, now: clock }),
    },
  );
}

describe('SqliteSink', () => {
  it('creates the file, its directories and the tables, in WAL mode, with schema version 1', async () => {
    const path = newFile();
    const sink = await open({ path });
    expect(sink.path).toBe(path);
    expect(SqliteSink.schemaVersion).toBe(1);
    const client = raw(path);
    const tables = await client.execute(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'canvas_sync_%' ORDER BY name",
    );
    expect(tables.rows.map((row) => row.name)).toEqual([
      'canvas_sync_meta',
      'canvas_sync_passes',
      'canvas_sync_records',
      'canvas_sync_tasks',
    ]);
    const meta = await client.execute(
      "SELECT value FROM canvas_sync_meta WHERE name = 'schema_version'",
    );
    expect(meta.rows[0]?.value).toBe('1');
    expect((await client.execute('PRAGMA journal_mode')).rows[0]?.journal_mode).toBe('wal');
  });

  it('opens the same database from a file: URL, percent-escapes decoded', async () => {
    const path = join(dir, 'with space #1', 'canvas.db');
    const first = await open({ path });
    await first.write([user(1)], byId);
    await first.close();
    const again = await open({ url: pathToFileURL(path).href });
    expect(again.path).toBe(path);
    expect((await again.get('users:1'))?.record).toEqual(user(1));
  });

  it('refuses invalid options, naming each one (unknown ones too), before touching any file', async () => {
    const refused = async (options: unknown, pattern: RegExp): Promise<void> => {
      const opening = SqliteSink.open(options as Parameters<typeof SqliteSink.open>[0]);
      await expect(opening).rejects.toBeInstanceOf(CanvasOptionsError);
      await expect(opening).rejects.toThrow(pattern);
    };
    await refused({}, /SqliteSink options: path: Expected exactly one of path and url/);
    await refused({ path: newFile(), url: 'file:///tmp/x.db' }, /path: Expected exactly one/);
    await refused({ path: '' }, /path: Expected a non-empty file path/);
    await refused({ url: 'libsql://db.example.com' }, /url: Expected an absolute file: URL/);
    await refused({ url: 'file:relative.db' }, /url: Expected an absolute file: URL/);
    await refused({ url: 'file:///tmp/x.db?mode=ro' }, /url: Expected an absolute file: URL/);
    await refused({ url: 'file://server/share/x.db' }, /url: Expected an absolute file: URL/);
    await refused({ path: newFile(), now: 'now' }, /now: Expected a function/);
    await refused({ path: newFile(), durable: 'yes' }, /durable/);
    await refused({ path: newFile(), busyTimeoutMs: -1 }, /busyTimeoutMs/);
    await refused({ path: newFile(), busyTimeoutMs: 1.5 }, /busyTimeoutMs/);
    await refused({ path: newFile(), tables: 'x' }, /tables/);
    await refused(undefined, /SqliteSink options/);
    const unused = newFile();
    await refused({ path: unused, durable: 1 }, /durable/);
    await expect(stat(join(unused, '..'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a database of a newer schema version, and one without a readable version, untouched', async () => {
    const path = newFile();
    await (await open({ path })).close();
    const client = raw(path);
    await client.execute("UPDATE canvas_sync_meta SET value = '2' WHERE name = 'schema_version'");
    const newer = await SqliteSink.open({ path }).catch((error: unknown) => error);
    expect(newer).toBeInstanceOf(CanvasSinkError);
    expect(newer).toMatchObject({
      name: 'CanvasSinkError',
      code: 'SINK_SCHEMA',
      sink: 'SqliteSink',
      path,
      found: 2,
      supported: 1,
    });
    expect((newer as Error).message).toMatch(/schema version 2, newer than 1.*upgrade canvas-sync/);
    const meta = await client.execute(
      "SELECT value FROM canvas_sync_meta WHERE name = 'schema_version'",
    );
    expect(meta.rows[0]?.value).toBe('2');

    await client.execute("DELETE FROM canvas_sync_meta WHERE name = 'schema_version'");
    await expect(SqliteSink.open({ path })).rejects.toMatchObject({
      code: 'SINK_SCHEMA',
      found: null,
      supported: 1,
    });
    await client.execute(
      "INSERT INTO canvas_sync_meta (name, value) VALUES ('schema_version', 'one')",
    );
    await expect(SqliteSink.open({ path })).rejects.toMatchObject({
      code: 'SINK_SCHEMA',
      found: null,
    });

    // Back at version 1, the file opens again: the refusals left it as it was.
    await client.execute("UPDATE canvas_sync_meta SET value = '1' WHERE name = 'schema_version'");
    await open({ path });
  });

  it('leaves a refused database as it was, journal mode included', async () => {
    const path = newFile();
    await (await open({ path: join(path, '..', 'other.db') })).close();
    const client = raw(path);
    await client.execute(
      'CREATE TABLE canvas_sync_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)',
    );
    await client.execute("INSERT INTO canvas_sync_meta VALUES ('schema_version', '7')");
    await expect(SqliteSink.open({ path })).rejects.toMatchObject({
      code: 'SINK_SCHEMA',
      found: 7,
    });
    expect((await client.execute('PRAGMA journal_mode')).rows[0]?.journal_mode).toBe('delete');
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE type = 'table'");
    expect(tables.rows.map((row) => row.name)).toEqual(['canvas_sync_meta']);
  });

  it('refuses a file that is not a database', async () => {
    const path = newFile();
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(
      path,
      'not a database, just some text that is long enough to fill a header. '.repeat(20),
    );
    await expect(SqliteSink.open({ path })).rejects.toMatchObject({ code: 'SQLITE_NOTADB' });
  });

  it('round-trips records through JSON, as JSON.parse gives them back', async () => {
    const sink = await open<Record<string, unknown>>({ path: newFile() });
    const record = {
      id: 1,
      zeta: 'first key stays first',
      name: 'Zoë "Z" \u0000 \n\t 𝄞 <script>',
      nested: { list: [1, 2.5, -0.125, null, true, false, 'x'], empty: {}, deep: [[{ a: [] }]] },
      big: Number.MAX_SAFE_INTEGER,
      small: 1e-300,
      nothing: null,
      dropped: undefined,
      when: new Date('2026-03-02T08:00:00.000Z'),
    };
    await sink.write([record], { key: (r) => `things:${String(r.id)}`, kind: 'things' });
    const stored = await sink.get('things:1');
    expect(stored?.record).toEqual(JSON.parse(JSON.stringify(record)));
    expect(Object.keys(stored?.record ?? {})).toEqual([
      'id',
      'zeta',
      'name',
      'nested',
      'big',
      'small',
      'nothing',
      'when',
    ]);
    expect(stored?.record.when).toBe('2026-03-02T08:00:00.000Z');
    // A scalar record and an array record are records too.
    const any = await open<unknown>({ path: newFile() });
    await any.write(['text', 42, [1, 'a']], { key: (r) => `values:${JSON.stringify(r)}` });
    expect((await any.get('values:"text"'))?.record).toBe('text');
    expect((await any.get('values:42'))?.record).toBe(42);
    expect((await any.get('values:[1,"a"]'))?.record).toEqual([1, 'a']);
  });

  it('serializes records when write is called, and refuses a batch with a record JSON cannot hold', async () => {
    const sink = await open<Record<string, unknown>>({ path: newFile() });
    const key = (r: Record<string, unknown>) => `things:${String(r.id)}`;
    const record: Record<string, unknown> = { id: 1, name: 'before' };
    const pending = sink.write([record], { key });
    record.name = 'changed later';
    await pending;
    expect((await sink.get('things:1'))?.record).toEqual({ id: 1, name: 'before' });

    const cyclic: Record<string, unknown> = { id: 3 };
    cyclic.self = cyclic;
    const version = () => 'v1';
    for (const bad of [{ id: 2, big: 10n }, cyclic]) {
      const writing = sink.write([{ id: 2, name: 'fine' }, bad], { key, version });
      await expect(writing).rejects.toBeInstanceOf(CanvasOptionsError);
      await expect(writing).rejects.toThrow(/records\[1\]: Cannot be serialized as JSON/);
    }
    await expect(
      sink.write([undefined as unknown as Record<string, unknown>], { key: () => 'u', version }),
    ).rejects.toThrow(/records\[0\]: Not a JSON value \(undefined\)/);
    expect(await sink.get('things:2')).toBeUndefined();
  });

  it('counts a mixed batch exactly, across more keys than one lookup holds', async () => {
    const path = newFile();
    const sink = await open({ path });
    const pass = await sink.beginPass('users:all');
    // 1,200 records: over two lookups of 500 keys.
    const first = Array.from({ length: 1_200 }, (_, index) => user(index));
    expect(await sink.write(first, { ...byId, pass })).toEqual({
      inserted: 1_200,
      updated: 0,
      unchanged: 0,
    });
    expect(await sink.completePass(pass)).toEqual({ deleted: 0 });
    const next = await sink.beginPass('users:all');
    await sink.write(first.slice(0, 1_000), { ...byId, pass: next });
    expect(await sink.completePass(next)).toEqual({ deleted: 200 });
    // 0–599 unchanged, 600–999 changed, 1000–1099 tombstoned and back (restored), 1100–1199 still
    // tombstoned (not in the batch), 1200–1499 new; and 50 repeated keys.
    const batch = [
      ...first.slice(0, 600),
      ...first.slice(600, 1_000).map((row) => user(row.id, 'renamed')),
      ...first.slice(1_000, 1_100),
      ...Array.from({ length: 300 }, (_, index) => user(1_200 + index)),
      ...first.slice(0, 50).map((row) => user(row.id, 'repeated')),
    ];
    expect(await sink.write(batch, byId)).toEqual({ inserted: 300, updated: 500, unchanged: 650 });
    const counts = await raw(path).execute(
      `SELECT count(*) AS stored, count(deleted_at) AS tombstoned,
         sum(json_extract(record, '$.name') = 'renamed') AS renamed,
         sum(json_extract(record, '$.name') = 'repeated') AS repeated
       FROM canvas_sync_records WHERE kind = 'users'`,
    );
    expect({ ...counts.rows[0] }).toEqual({
      stored: 1_500,
      tombstoned: 100,
      renamed: 400,
      repeated: 0,
    });
  });

  it('keeps the columns a warehouse query reads', async () => {
    const path = newFile();
    let time = Date.parse('2026-03-02T08:00:00.000Z');
    const sink = await open({ path, now: () => new Date(time) });
    const pass = await sink.beginPass('users:course-1');
    await sink.write([user(1), user(2)], { ...byId, pass });
    time += 1_000;
    await sink.write([user(3)], { key: byId.key });
    await sink.completePass(pass);
    const rows = await raw(path).execute(
      `SELECT key, kind, scope, version, json_extract(record, '$.name') AS name, first_seen_at,
         last_seen_at, pass, deleted_at FROM canvas_sync_records ORDER BY rowid`,
    );
    expect(rows.rows.map((row) => ({ ...row }))).toEqual([
      {
        key: 'users:1',
        kind: 'users',
        scope: 'users:course-1',
        version: expect.stringMatching(/^sha256:/),
        name: 'user 1',
        first_seen_at: '2026-03-02T08:00:00.000Z',
        last_seen_at: '2026-03-02T08:00:00.000Z',
        pass: pass.id,
        deleted_at: null,
      },
      expect.objectContaining({ key: 'users:2', pass: pass.id }),
      expect.objectContaining({
        key: 'users:3',
        kind: 'records',
        scope: null,
        pass: null,
        first_seen_at: '2026-03-02T08:00:01.000Z',
      }),
    ]);
  });

  it('keeps nothing in memory: a second sink on the same file sees what the first stored', async () => {
    const path = newFile();
    const first = await open({ path });
    const second = await open({ path });
    expect(await first.write([user(1), user(2)], byId)).toEqual({
      inserted: 2,
      updated: 0,
      unchanged: 0,
    });
    expect(await second.write([user(1), user(2, 'B'), user(3)], byId)).toEqual({
      inserted: 1,
      updated: 1,
      unchanged: 1,
    });
    const pass = await first.beginPass('users:all');
    expect(await second.beginPass('users:all')).toEqual(pass);
    expect((await first.get('users:2'))?.record).toEqual(user(2, 'B'));
  });

  it('flush() and close() sync the log; close() checkpoints it into the database file', async () => {
    const path = newFile();
    const sink = await open({ path });
    await sink.write([user(1)], byId);
    await sink.flush();
    const meta = await raw(path).execute(
      "SELECT value FROM canvas_sync_meta WHERE name = 'flushed_at'",
    );
    expect(meta.rows[0]?.value).toMatch(/^\d{4}-\d\d-\d\dT/);
    const durable = await open({ path: newFile(), durable: true });
    await durable.write([user(1)], byId);
    await durable.flush();
    await durable.close();
    // Only the raw client is still open on `path` now; once the sink closes, the log is empty.
    await sink.close();
    expect(sink.closed).toBe(true);
    const wal = await stat(`${path}-wal`).catch(() => undefined);
    expect(wal?.size ?? 0).toBe(0);
  });

  it('refuses reads too after close(); flush() waits for the close', async () => {
    const sink = await open({ path: newFile() });
    await sink.close();
    const closed = { name: 'CanvasSinkError', code: 'SINK_CLOSED', sink: 'SqliteSink' };
    await expect(sink.get('users:1')).rejects.toMatchObject(closed);
    await expect(sink.lastFinished('users:all', 'full')).rejects.toMatchObject(closed);
    await expect(sink.flush()).resolves.toBeUndefined();
    await sink.close();
  });

  it('keeps every committed batch exactly once and no partial batch after kill -9', async () => {
    const path = newFile();
    const size = 200;
    const wanted = 20;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'test/sink/sqlite-crash-child.ts'), path, String(size)],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    let committed = -1;
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        committed = Math.max(committed, Number(line));
        if (committed + 1 >= wanted) child.kill('SIGKILL');
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (signal === 'SIGKILL') resolve();
        else reject(new Error(`The writer exited with ${code} before it was killed: ${stderr}`));
      });
    });
    expect(committed).toBeGreaterThanOrEqual(wanted - 1);

    const sink = await open<{ batch: number; i: number }>({ path });
    const counter = await sink.get('crash:counter');
    const last = counter?.record.batch ?? -1;
    // Every batch the child reported committed is there; so may be one or a few it had not
    // reported yet, each one whole.
    expect(last).toBeGreaterThanOrEqual(committed);
    const batches = await raw(path).execute(
      `SELECT json_extract(record, '$.batch') AS batch, count(*) AS records,
         count(DISTINCT json_extract(record, '$.i')) AS distinct_records
       FROM canvas_sync_records WHERE key <> 'crash:counter' GROUP BY batch ORDER BY batch`,
    );
    expect(batches.rows.map((row) => ({ ...row }))).toEqual(
      Array.from({ length: last + 1 }, (_, batch) => ({
        batch,
        records: size,
        distinct_records: size,
      })),
    );
  });
});
