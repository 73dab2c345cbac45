/**
 * The child process of the PostgresSink crash test: opens the sink on the database of
 * `CANVAS_SYNC_PG_URL`, in the schema given as the first argument, begins a pass over one scope,
 * prints `pass <id>`, then writes batches in a loop with that pass, each of `size` (second
 * argument) new records plus an update of one counter record, and prints `committed <n>` after
 * batch `n` is committed. The parent kills it with SIGKILL.
 */
import { PostgresSink } from '../../src/sink/postgres/index.js';

interface Row {
  batch: number;
  i: number;
}

/** The scope the child's pass covers (the parent resumes it; the test repeats it). */
const CRASH_SCOPE = 'crash:/api/v1/rows';

const [schema, size] = process.argv.slice(2);
const connectionString = process.env.CANVAS_SYNC_PG_URL;
if (schema === undefined || size === undefined || connectionString === undefined) {
  throw new Error('usage: CANVAS_SYNC_PG_URL=… postgres-crash-child.ts <schema> <batch size>');
}
const sink = await PostgresSink.open<Row>({ connectionString, schema });
const pass = await sink.beginPass(CRASH_SCOPE);
process.stdout.write(`pass ${pass.id}\n`);
const key = (row: Row): string => (row.i < 0 ? 'crash:counter' : `crash:${row.batch}:${row.i}`);
// Bounded, in case the parent never kills it.
for (let batch = 0; batch < 100_000; batch++) {
  const rows = Array.from({ length: Number(size) }, (_, i) => ({ batch, i }));
  rows.push({ batch, i: -1 });
  await sink.write(rows, { key, kind: 'crash', pass });
  process.stdout.write(`committed ${batch}\n`);
}
await sink.close();
