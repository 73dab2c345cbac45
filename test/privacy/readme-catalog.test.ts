/**
 * The README's catalog table ("## Student data (FERPA)") is what `renderPiiCatalogMarkdown()`
 * prints, cell for cell (the README's copy is column-aligned).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPiiCatalogMarkdown } from '../../src/privacy/index.js';

const cells = (line: string): string[] =>
  line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/^-+$/, '---'));

describe('README catalog table', () => {
  it('is the rendered catalog', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Student data (FERPA)'));
    const body = section.slice(0, section.indexOf('\n## ', 1));
    const table = body.split('\n').filter((line) => line.startsWith('| '));
    expect(table.map(cells)).toEqual(renderPiiCatalogMarkdown().split('\n').map(cells));
  });
});
