import { describe, expect, it } from 'vitest';
import { parseLinkHeader } from '../../src/http/link-header.js';

const base = 'https://canvas.example.edu/api/v1/courses/1/users';

describe('parseLinkHeader', () => {
  it('parses the exact form Canvas sends (comma without space)', () => {
    const header = [
      `<${base}?page=1&per_page=10>; rel="current"`,
      `<${base}?page=2&per_page=10>; rel="next"`,
      `<${base}?page=1&per_page=10>; rel="first"`,
      `<${base}?page=5&per_page=10>; rel="last"`,
    ].join(',');
    expect(parseLinkHeader(header)).toEqual({
      current: `${base}?page=1&per_page=10`,
      next: `${base}?page=2&per_page=10`,
      first: `${base}?page=1&per_page=10`,
      last: `${base}?page=5&per_page=10`,
    });
  });

  it('parses a middle page with prev', () => {
    const header = `<${base}?page=3>; rel="current",<${base}?page=4>; rel="next",<${base}?page=2>; rel="prev",<${base}?page=1>; rel="first"`;
    const links = parseLinkHeader(header);
    expect(links.prev).toBe(`${base}?page=2`);
    expect(links.next).toBe(`${base}?page=4`);
    expect(links.last).toBeUndefined();
  });

  it('keeps bookmark URLs byte-identical', () => {
    const current = `${base}?page=bookmark:WzEyM10&per_page=100`;
    const next = `${base}?include%5B%5D=email&page=bookmark:WyJTbWl0aCwgSm9obiIsMTIzNDVd&per_page=100`;
    const header = `<${current}>; rel="current",<${next}>; rel="next",<${base}?page=first&per_page=100>; rel="first"`;
    const links = parseLinkHeader(header);
    expect(links.current).toBe(current);
    expect(links.next).toBe(next);
    expect(links.first).toBe(`${base}?page=first&per_page=100`);
  });

  it('tolerates spaces around separators and parameters', () => {
    const header = `  <${base}?page=1> ;  rel = "current" ,  <${base}?page=2>;rel="next"  `;
    expect(parseLinkHeader(header)).toEqual({
      current: `${base}?page=1`,
      next: `${base}?page=2`,
    });
  });

  it('accepts unquoted rel values', () => {
    expect(parseLinkHeader(`<${base}?page=2>; rel=next,<${base}?page=9>; rel=last`)).toEqual({
      next: `${base}?page=2`,
      last: `${base}?page=9`,
    });
  });

  it('maps several rels in one entry, case-insensitively', () => {
    expect(parseLinkHeader(`<${base}?page=2>; rel="NEXT last"`)).toEqual({
      next: `${base}?page=2`,
      last: `${base}?page=2`,
    });
  });

  it('handles commas inside the URL and inside quoted parameters', () => {
    const withComma = `${base}?search_term=smith,john&page=2`;
    const header = `<${withComma}>; title="a, b"; rel="next",<${base}?page=1>; rel="first"`;
    expect(parseLinkHeader(header)).toEqual({ next: withComma, first: `${base}?page=1` });
  });

  it('keeps the first URL when a rel repeats, and the first rel parameter of an entry', () => {
    const header = `<${base}?page=2>; rel="next",<${base}?page=3>; rel="next",<${base}?page=4>; rel="prev"; rel="last"`;
    expect(parseLinkHeader(header)).toEqual({ next: `${base}?page=2`, prev: `${base}?page=4` });
  });

  it('keeps other relation types under their name', () => {
    expect(parseLinkHeader(`<https://x/docs>; rel="help"`)).toEqual({ help: 'https://x/docs' });
  });

  it('does not let a rel named __proto__ touch the prototype', () => {
    const links = parseLinkHeader(`<https://x/a>; rel="__proto__",<https://x/b>; rel="next"`);
    expect(Object.getPrototypeOf(links)).toBe(Object.prototype);
    expect(links.next).toBe('https://x/b');
  });

  it.each([
    [undefined],
    [null],
    [''],
    ['   '],
    ['garbage'],
    ['<'],
    ['<>; rel="next"'],
    [`<${base}?page=2>`],
    [`<${base}?page=2>; rel`],
    [`<${base}?page=2>; rel="next`],
    [`${base}?page=2; rel="next"`],
    [',,,'],
  ])('returns no next link for %j', (value) => {
    expect(parseLinkHeader(value).next).toBeUndefined();
  });

  it('skips garbage entries and keeps the valid ones', () => {
    const header = `junk; rel="prev", <${base}?page=2>; rel="next" trailing-garbage, <${base}?page=9>; rel="last",, <unterminated; rel="first", <${base}?page=1>; rel="current"`;
    expect(parseLinkHeader(header)).toEqual({
      last: `${base}?page=9`,
      current: `${base}?page=1`,
    });
  });
});
