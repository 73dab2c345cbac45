/**
 * Writes the run report of `canvas-sync sync --report FILE`: `.json` as {@link RunReport}, `.html`
 * as the page {@link renderReportHtml} draws.
 *
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type RunReport, runReportSchema } from './report.js';
import { renderReportHtml } from './report-html.js';
import { writeFileAtomic } from './state-file.js';

/**
 * Writes `report` to each path: `.json` as JSON, `.html` as a page (see `renderReportHtml`), each
 * atomically; resolves to the paths written.
 */
export async function writeReports(paths: readonly string[], report: RunReport): Promise<string[]> {
  const checked = runReportSchema.parse(report);
  for (const path of paths) {
    const text = path.toLowerCase().endsWith('.html')
      ? renderReportHtml(checked)
      : `${JSON.stringify(checked, null, 2)}\n`;
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, text);
  }
  return [...paths];
}
