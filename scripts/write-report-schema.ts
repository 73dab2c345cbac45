/**
 * `npm run schema`: writes `schema/run-report.schema.json`, the JSON Schema of the run report of
 * `canvas-sync sync --report FILE.json`, generated from its zod schema (`src/cli/report.ts`).
 * A test checks that the file shipped is what this writes.
 */
import { writeFile } from 'node:fs/promises';
import { reportJsonSchemaText } from '../src/cli/report.js';

const path = new URL('../schema/run-report.schema.json', import.meta.url);
await writeFile(path, reportJsonSchemaText());
console.log(`wrote ${path.pathname}`);
