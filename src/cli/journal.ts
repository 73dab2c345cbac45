/**
 * The task journal of a run (`tasks-done.jsonl`): a line per task the run finished, so that a
 * resumed run skips them.
 *
 * The lines are those of a JSON Lines change log (`JsonlChange`: an insert of kind `tasks` per
 * task key, its entry as the record), so the file is checked and recovered as a change log is:
 * opening it removes a last line torn by a crash and refuses a damaged one. Unlike a
 * `JsonlFileSink`, which keeps every key it logs in memory, the journal keeps only the keys of
 * the interrupted run it resumes (the tasks to skip): the tasks this run records cost a line in
 * the file, nothing in memory, however many there are.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import type { TaskKind } from '../index.js';
import type { Output } from './io.js';
import { openChangeLog } from './warehouse.js';

/** A journal entry: a task the run finished, by task key. */
export interface JournalEntry {
  readonly kind: TaskKind;
  readonly doneAt: string;
}

/** The tasks a run finished, as a line each in its journal file. */
export class TaskJournal {
  /** The tasks the journal recorded when it was opened (those of an interrupted run). */
  readonly #earlier: ReadonlySet<string>;
  readonly #handle: FileHandle;
  readonly #now: () => Date;
  #recorded = 0;
  /** Lines are appended one after the other on this chain; it never rejects. */
  #writing: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(earlier: ReadonlySet<string>, handle: FileHandle, now: () => Date) {
    this.#earlier = earlier;
    this.#handle = handle;
    this.#now = now;
  }

  /**
   * Opens (creating it if needed) the journal at `path`. A last line torn by a crash is removed
   * and said on `stderr`; a damaged line elsewhere is a `UsageError` naming the file, the line
   * and `advice`.
   */
  static async open(
    path: string,
    now: () => Date,
    stderr: Output,
    advice: string,
  ): Promise<TaskJournal> {
    // The change-log sink checks the file and removes a torn last line; then it is read once.
    await (await openChangeLog(path, now, stderr, advice)).close();
    const earlier = new Set<string>();
    for (const line of (await readFile(path, 'utf8')).split('\n')) {
      if (line.trim() === '') continue;
      const change = JSON.parse(line) as { op?: unknown; key?: unknown };
      if (change.op === 'insert' && typeof change.key === 'string') earlier.add(change.key);
    }
    return new TaskJournal(earlier, await open(path, 'a'), now);
  }

  /** Whether the task of `key` was recorded when the journal was opened (by the interrupted run). */
  has(key: string): boolean {
    return this.#earlier.has(key);
  }

  /** Tasks recorded: those of the interrupted run, and those this run recorded. */
  get size(): number {
    return this.#earlier.size + this.#recorded;
  }

  /**
   * Appends the line of a finished task (one write, after those of the calls before). Rejects
   * if the write fails; the next lines are written all the same.
   */
  record(key: string, entry: JournalEntry): Promise<void> {
    const record = JSON.stringify(entry);
    const version = `sha256:${createHash('sha256').update(record).digest('hex')}`;
    const at = this.#now().toISOString();
    const head = JSON.stringify({ op: 'insert', key, kind: 'tasks', version, at });
    const line = `${head.slice(0, -1)},"record":${record}}\n`;
    const written = this.#writing.then(async () => {
      if (this.#closing !== undefined) throw new Error('the task journal is closed');
      const data = Buffer.from(line, 'utf8');
      for (let offset = 0; offset < data.length; ) {
        offset += (await this.#handle.write(data, offset)).bytesWritten;
      }
      this.#recorded++;
    });
    this.#writing = written.catch(() => {});
    return written;
  }

  /** Waits for the lines being written, syncs the file to disk and closes it; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#writing;
      try {
        await this.#handle.sync();
      } finally {
        await this.#handle.close();
      }
    })();
    return this.#closing;
  }
}
