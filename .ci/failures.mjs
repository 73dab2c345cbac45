// .ci/failures.mjs: what failed in one test leg, printed by .ci/run's summary so that it sits
// near the end of the CI output (which may be all a reader of a failed run gets to see).
//
//   node .ci/failures.mjs LABEL REPORT.json OUTPUT.txt
//
// Lists the failed files and suites (a hook that failed leaves its tests skipped, with no failed
// test in the counts) and the failed tests with the first lines of their errors, from vitest's
// JSON report; then the error section of the leg's console output (from the first "Failed" or
// "Unhandled" banner to the closing counts), colours removed. Everything is bounded: a few lines an
// entry, a few dozen in all. Prints nothing for a leg without failures.
import { readFileSync } from 'node:fs';

const [label, reportFile, outputFile] = process.argv.slice(2);
const MAX_ENTRIES = 12;
const LINES_PER_ERROR = 6;
const MAX_SECTION_LINES = 80;
const MAX_LINE = 300;

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC.
const stripAnsi = (text) => text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
const clip = (line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)} …` : line);
const firstLines = (text, count) =>
  stripAnsi(String(text))
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s*at .*node_modules/.test(line))
    .slice(0, count)
    .map((line) => `      ${clip(line.trim())}`);

const lines = [];
let report;
try {
  report = JSON.parse(readFileSync(reportFile, 'utf8'));
} catch {
  report = undefined;
}
if (report !== undefined) {
  const root = process.cwd();
  const failedFiles = report.testResults.filter((file) => file.status === 'failed');
  for (const file of failedFiles.slice(0, MAX_ENTRIES)) {
    const name = file.name.startsWith(root) ? file.name.slice(root.length + 1) : file.name;
    const failed = file.assertionResults.filter((test) => test.status === 'failed');
    const skipped = file.assertionResults.filter((test) => test.status !== 'passed').length;
    lines.push(
      `  ${name}: ${failed.length} failed test(s), ${skipped - failed.length} not run or skipped`,
    );
    if (file.message) lines.push(...firstLines(file.message, LINES_PER_ERROR));
    for (const test of failed.slice(0, MAX_ENTRIES)) {
      lines.push(`    × ${clip(test.fullName)}`);
      for (const message of test.failureMessages.slice(0, 1)) {
        lines.push(...firstLines(message, LINES_PER_ERROR));
      }
    }
  }
  if (failedFiles.length > MAX_ENTRIES) {
    lines.push(`  … and ${failedFiles.length - MAX_ENTRIES} more failed files`);
  }
}

let section = [];
try {
  const output = stripAnsi(readFileSync(outputFile, 'utf8')).split('\n');
  const start = output.findIndex((line) => /⎯+ (Failed|Unhandled)/.test(line));
  if (start !== -1) {
    let end = output.findIndex((line, index) => index > start && /^\s*Test Files\s/.test(line));
    if (end === -1) end = output.length;
    section = output.slice(start, end).filter((line, index, all) => {
      return line.trim() !== '' || (index > 0 && all[index - 1].trim() !== '');
    });
  }
} catch {
  // No console output kept: the report's lines above are all there is.
}

if (lines.length > 0 || section.length > 0) {
  console.log(`-- what failed on ${label} --`);
  for (const line of lines) console.log(line);
  if (section.length > 0) {
    console.log(`  the errors as vitest printed them (${outputFile}):`);
    for (const line of section.slice(0, MAX_SECTION_LINES)) console.log(`  | ${clip(line)}`);
    if (section.length > MAX_SECTION_LINES) {
      console.log(`  | … ${section.length - MAX_SECTION_LINES} more lines in ${outputFile}`);
    }
  }
}
