/**
 * A sink of your own: a change feed beside the records.
 *
 * `ChangeFeedSink` is a `MemorySink` (which keeps the `Sink` contract: latest version wins,
 * passes and tombstones, finished tasks) that also appends one CSV line per change (insert,
 * update, restore, delete) to `feed`: what to load into a staging table, or to send to a
 * student-information system, after a nightly run. A real one would append the lines to a file
 * or a topic. test/examples.test.ts runs `runSinkConformance` on it. The demo syncs the rosters
 * of a simulated institution twice, with enrollments added and dropped in between:
 *
 *   npx tsx examples/custom-sink.ts
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  CanvasSyncClient,
  MemoryQueueAdapter,
  MemorySink,
  type RecordCounts,
  rosterScanner,
  runProducers,
  type SinkPass,
  type SinkPassResult,
  type SinkWriteOptions,
  type SinkWriteResult,
  type StoredRecord,
  SyncWorker,
} from '../src/index.js';
import { startCanvasSimulator } from '../src/testing/index.js';

/** A `MemorySink` that also keeps a CSV change feed. */
export class ChangeFeedSink<T> extends MemorySink<T> {
  /** The feed, oldest first: `at,change,kind,key,version`. */
  readonly feed: string[] = [];
  /** What the feed last said of each key: its version, or `null` once deleted. */
  readonly #known = new Map<string, string | null>();
  /** The contract applies concurrent calls in call order: each call waits for the one before. */
  #tail: Promise<unknown> = Promise.resolve();

  override write(records: readonly T[], options: SinkWriteOptions<T>): Promise<SinkWriteResult> {
    return this.#inOrder(async () => {
      // Note the keys as MemorySink computes them (the contract calls `key` once per record).
      const keys = new Set<string>();
      const key = (record: T): string => {
        const k = options.key(record);
        keys.add(k);
        return k;
      };
      const result = await super.write(records, { ...options, key }); // validates the batch whole
      // `super.get`: MemorySink's own, not the override below, which would wait for this call.
      for (const k of keys) this.#note(await super.get(k));
      return result;
    });
  }

  override completePass(pass: SinkPass): Promise<SinkPassResult> {
    return this.#inOrder(async () => {
      const result = await super.completePass(pass);
      // A scan of every record, fine in memory; a database would return the keys it tombstoned.
      if (result.deleted > 0) for (const stored of this.stored()) this.#note(stored);
      return result;
    });
  }

  // Every other call waits its turn too, so that it sees the writes called before it.
  override get(key: string) {
    return this.#inOrder(() => super.get(key));
  }
  override beginPass(scope: string) {
    return this.#inOrder(() => super.beginPass(scope));
  }
  override finishTask(...args: Parameters<MemorySink<T>['finishTask']>) {
    return this.#inOrder(() => super.finishTask(...args));
  }
  override lastFinished(scope: string, stream: string) {
    return this.#inOrder(() => super.lastFinished(scope, stream));
  }
  override flush() {
    return this.#inOrder(() => super.flush());
  }
  override close() {
    return this.#inOrder(() => super.close());
  }

  /** Appends a line if the record is not what the feed last said of it. */
  #note(stored: StoredRecord<T> | undefined): void {
    if (stored === undefined) return;
    const now = stored.deletedAt === undefined ? stored.version : null; // null: tombstoned
    const before = this.#known.get(stored.key); // undefined: not in the feed yet
    if (now === before) return;
    this.#known.set(stored.key, now);
    let change = 'update';
    if (now === null) change = 'delete';
    else if (before === undefined) change = 'insert';
    else if (before === null) change = 'restore';
    const at = stored.deletedAt ?? stored.lastSeenAt;
    this.feed.push([at, change, stored.kind, stored.key, stored.version].map(csv).join(','));
  }

  #inOrder<R>(call: () => Promise<R>): Promise<R> {
    const result = this.#tail.then(call);
    this.#tail = result.catch(() => {}); // a refused call does not hold up the next
    return result;
  }
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break. */
const csv = (cell: string): string =>
  /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;

async function main(): Promise<void> {
  const sim = await startCanvasSimulator({
    institution: { courses: 3, students: 60, studentsPerCourse: 20 },
  });
  const client = new CanvasSyncClient({ baseUrl: sim.url, token: sim.token });
  const sink = new ChangeFeedSink<unknown>();
  /** One run: sections and enrollments of every course, read whole (so deletions are seen). */
  const sync = async (): Promise<RecordCounts> => {
    const queue = new MemoryQueueAdapter();
    const worker = new SyncWorker({ client, queue, sink, concurrency: 4 });
    await worker.start();
    const scope = { accountId: sim.data.account.id };
    await runProducers({ client, queue, scope, producers: [rosterScanner()] });
    await worker.idle();
    await worker.close({ drain: true });
    return worker.stats().records; // what the worker counted, to compare with the feed
  };
  try {
    const first = await sync();
    console.log(`first run: ${sink.feed.length} changes (${first.inserted} inserted), e.g.`);
    console.log(`  ${sink.feed[0]}`);
    // Between two nightly runs, two students join a course and one drops out (in Canvas, here
    // the simulator): the second run finds them, and the sections' new `total_students`.
    sim.change({ addEnrollments: 2, dropEnrollments: 1 });
    const seen = sink.feed.length;
    const { inserted, updated, deleted } = await sync();
    console.log(
      `second run: ${sink.feed.length - seen} changes (${inserted} inserted, ${updated} updated, ${deleted} deleted):`,
    );
    for (const line of sink.feed.slice(seen)) console.log(`  ${line}`);
  } finally {
    await sink.close();
    await client.close();
    await sim.close();
  }
}

// Run the demo when this file is run, not when it is imported (as by the test).
const script = process.argv[1];
if (script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href) {
  await main();
}
