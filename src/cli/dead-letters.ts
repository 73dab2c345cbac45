/**
 * `canvas-sync dead-letters`: the dead letters of the last run into an output directory
 * (`DIR/dead-letters.jsonl`: reason, code, attempts, the task and safe details; never a token or
 * student data, which the worker scrubs), and `--replay` to mark them all for the next run.
 *
 * Every run fetches again what its producers plan, dead-lettered tasks included, and the
 * page-view tasks of an earlier window; a task marked for replay is fetched again whatever its
 * kind (a course no longer in the term's list, say), once, by the next run.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CanvasOptionsError } from '../errors/index.js';
import type { DeadLetter, QueueAdapter } from '../index.js';
import type { Io } from './io.js';
import { count } from './progress.js';
import { openQueue, parseQueueChoice } from './queue-target.js';
import { redactingIo, redactUrl } from './redact.js';
import { DEAD_LETTERS_FILE } from './run-state.js';
import { UsageError } from './settings-error.js';
import { writeFileAtomic } from './state-file.js';

/** The usage text of `canvas-sync dead-letters`. */
export const DEAD_LETTERS_USAGE = `Usage: canvas-sync dead-letters [options]

Lists the dead letters of the last run into an output directory: the tasks that ran out of
attempts or failed for good, with the reason, the error code, the attempts and safe details.

  --out DIR          the output directory of the runs (default: out)
  --json             one JSON object per line, as stored, instead of a table
  --replay           mark them all: the next canvas-sync sync fetches each of them again
  --queue URL        a fleet's dead letters, on its broker (redis://, amqp://, sqs://): with
                     --replay, they go back to the queue at once, for the workers to fetch
  --queue-name NAME  the queue on Redis or RabbitMQ (default: canvas-sync)
  --help             this text

Exit codes: 0 listed (or none), 1 failed, 2 usage.
`;

/** A line of `dead-letters.jsonl`. */
export interface DeadLetterLine {
  readonly key: string;
  readonly record: DeadLetter;
  /** Marked by `--replay`: the next run fetches the task again. */
  readonly replay?: boolean;
}

/**
 * The dead letters of `dir` (none when there is no file); a line that is not one is skipped
 * and counted in `damaged`.
 */
export async function readDeadLetters(
  dir: string,
): Promise<{ lines: DeadLetterLine[]; damaged: number }> {
  let text: string;
  try {
    text = await readFile(join(dir, DEAD_LETTERS_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], damaged: 0 };
    throw error;
  }
  const lines: DeadLetterLine[] = [];
  let damaged = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const parsed = JSON.parse(line) as Partial<DeadLetterLine>;
      const { key, record } = parsed;
      if (typeof key !== 'string' || typeof record?.reason !== 'string') throw new Error();
      lines.push({ key, record, ...(parsed.replay === true && { replay: true }) });
    } catch {
      damaged++;
    }
  }
  return { lines, damaged };
}

/** One dead letter as a table row: what failed, why, and how often it was tried. */
function row(line: DeadLetterLine): string {
  const { record } = line;
  const task = record.task ? `${record.task.kind} ${record.task.path}` : '(not a task)';
  const detail = Object.entries(record.detail ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return [
    `${record.reason}${record.code ? ` (${record.code})` : ''}`,
    `  task      ${task}`,
    `  attempts  ${record.attempts}, dead at ${record.deadAt}${line.replay ? ', marked for replay' : ''}`,
    ...(detail === '' ? [] : [`  detail    ${detail}`]),
  ].join('\n');
}

/** Runs `canvas-sync dead-letters`; resolves to the exit code. */
export async function runDeadLetters(args: string[], given: Io): Promise<number> {
  const io = redactingIo(given, args);
  let flags: {
    out: string;
    json: boolean;
    replay: boolean;
    help: boolean;
    queue?: string | undefined;
    'queue-name'?: string | undefined;
  };
  try {
    flags = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string', default: 'out' },
        json: { type: 'boolean', default: false },
        replay: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
        queue: { type: 'string' },
        'queue-name': { type: 'string' },
      },
    }).values;
    if (flags['queue-name'] !== undefined && flags.queue === undefined) {
      throw new Error('--queue-name: only with --queue');
    }
    if (
      flags.queue !== undefined &&
      args.some((arg) => arg === '--out' || arg.startsWith('--out='))
    ) {
      throw new Error(
        '--out and --queue: a fleet keeps its dead letters on the broker, not in a directory',
      );
    }
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\nSee --help for usage.\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout.write(DEAD_LETTERS_USAGE);
    return 0;
  }
  if (flags.queue !== undefined) return fromBroker(flags.queue, flags['queue-name'], flags, io);
  const dir = resolve(flags.out);
  try {
    const { lines, damaged } = await readDeadLetters(dir);
    if (damaged > 0) {
      io.stderr.write(`${join(dir, DEAD_LETTERS_FILE)}: ${count(damaged)} damaged lines skipped\n`);
    }
    if (flags.replay && lines.length > 0) {
      const marked = lines.map((line) => `${JSON.stringify({ ...line, replay: true })}\n`);
      await writeFileAtomic(join(dir, DEAD_LETTERS_FILE), marked.join(''));
    }
    if (flags.json) {
      for (const line of lines) {
        io.stdout.write(`${JSON.stringify(flags.replay ? { ...line, replay: true } : line)}\n`);
      }
      return 0;
    }
    if (lines.length === 0) {
      io.stdout.write(`No dead letters in ${dir}.\n`);
      return 0;
    }
    const shown = flags.replay ? lines.map((line) => ({ ...line, replay: true })) : lines;
    io.stdout.write(`${shown.map(row).join('\n\n')}\n\n`);
    const reasons = new Map<string, number>();
    for (const { record } of lines)
      reasons.set(record.reason, (reasons.get(record.reason) ?? 0) + 1);
    const byReason = [...reasons].map(([reason, n]) => `${count(n)} ${reason}`).join(', ');
    io.stdout.write(`${count(lines.length)} dead letters: ${byReason}\n`);
    if (flags.replay) {
      io.stdout.write(
        'Marked for replay: the next canvas-sync sync into this directory fetches them again.\n',
      );
    }
    return 0;
  } catch (error) {
    io.stderr.write(`dead-letters failed: ${(error as Error).message}\n`);
    return 1;
  }
}

/** Lists (and with `replay`, moves back to the queue) the dead letters on a fleet's broker. */
async function fromBroker(
  url: string,
  name: string | undefined,
  flags: { json: boolean; replay: boolean },
  io: Io,
): Promise<number> {
  let queue: QueueAdapter | undefined;
  try {
    const choice = parseQueueChoice(url, name);
    queue = await openQueue(choice);
    if (queue.deadLetters === undefined)
      throw new Error('this broker adapter lists no dead letters');
    const letters = await queue.deadLetters();
    const lines: DeadLetterLine[] = letters.map((record, index) => ({
      key: record.task?.key ?? `raw:${index}`,
      record,
    }));
    if (flags.json) {
      for (const line of lines) io.stdout.write(`${JSON.stringify(line)}\n`);
    } else if (lines.length === 0) {
      io.stdout.write(`No dead letters on ${redactUrl(url)}.\n`);
    } else {
      io.stdout.write(`${lines.map(row).join('\n\n')}\n\n${count(lines.length)} dead letters\n`);
    }
    if (flags.replay && lines.length > 0) {
      if (queue.replayDeadLetters === undefined) {
        throw new Error('this broker adapter cannot replay dead letters');
      }
      const moved = await queue.replayDeadLetters();
      io.stderr.write(`${count(moved)} moved back to the queue: the workers fetch them again\n`);
    }
    return 0;
  } catch (error) {
    // An option the broker's adapter refuses (before connecting) is a usage error too.
    if (error instanceof UsageError || error instanceof CanvasOptionsError) {
      io.stderr.write(`${error.message}\nSee --help for usage.\n`);
      return 2;
    }
    io.stderr.write(`dead-letters failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await queue?.close();
  }
}
