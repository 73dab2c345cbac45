/**
 * The child process of the SqliteSink crash test: writes batches in a loop into the database
 * given as the first argument, each batch of `size` (second argument) new records plus an update
 * of one counter record, and prints the batch number after each batch is committed. The parent
 * kills it with SIGKILL.
 */
import { SqliteSink } from '../../src/sink/sqlite/index.js';

interface Row {
  batch: number;
  i: number;
}

const [path, size] = process.argv.slice(2);
if (path === undefined || size === undefined) throw new Error('usage: <database> <batch size>');
const sink = await SqliteSink.open<Row>({ path });
const key = (row: Row): string => (row.i < 0 ? 'crash:counter' : `crash:${row.batch}:${row.i}`);
for (let batch = 0; ; batch++) {
  const rows = Array.from({ length: Number(size) }, (_, i) => ({ batch, i }));
  rows.push({ batch, i: -1 });
  await sink.write(rows, { key, kind: 'crash' });
  process.stdout.write(`${batch}\n`);
}
