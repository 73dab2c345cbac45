import { describe, expect, it } from 'vitest';
import {
  decodeBookmark,
  encodeBookmark,
  formatLinkHeader,
  keysetPage,
  lastPageNumber,
  numberedPage,
  resolvePageNumber,
  resolvePerPage,
} from '../../src/testing/simulator/pagination.js';

const list = {
  length: 25,
  at: (i: number) => (i >= 0 && i < 25 ? { id: 100 + i * 2 } : undefined),
  indexAfterId: (id: number | string) => {
    const n = Number(id);
    if (!Number.isFinite(n)) return 0;
    return Math.min(25, Math.max(0, Math.floor((n - 100) / 2) + 1));
  },
};

describe('simulator pagination helpers', () => {
  it('reads per_page like Canvas: default, clamped to 1..max', () => {
    expect(resolvePerPage(null, 10, 100)).toBe(10);
    expect(resolvePerPage('', 10, 100)).toBe(10);
    expect(resolvePerPage('abc', 10, 100)).toBe(10);
    expect(resolvePerPage('0', 10, 100)).toBe(1);
    expect(resolvePerPage('-5', 10, 100)).toBe(1);
    expect(resolvePerPage('500', 10, 100)).toBe(100);
    expect(resolvePerPage('37', 10, 100)).toBe(37);
  });

  it('reads page numbers, anything odd meaning page 1', () => {
    expect(resolvePageNumber(null)).toBe(1);
    expect(resolvePageNumber('x')).toBe(1);
    expect(resolvePageNumber('0')).toBe(1);
    expect(resolvePageNumber('3')).toBe(3);
  });

  it('cuts numbered pages and is empty past the end', () => {
    expect(numberedPage(list, 1, 10).items.map((r) => r.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => 100 + i * 2),
    );
    expect(numberedPage(list, 3, 10)).toEqual({
      items: [{ id: 140 }, { id: 142 }, { id: 144 }, { id: 146 }, { id: 148 }],
      hasNext: false,
    });
    expect(numberedPage(list, 4, 10)).toEqual({ items: [], hasNext: false });
    expect(lastPageNumber(25, 10)).toBe(3);
    expect(lastPageNumber(0, 10)).toBe(1);
  });

  it('round-trips bookmarks and rejects garbage', () => {
    const bookmark = encodeBookmark(118);
    expect(bookmark).toMatch(/^bookmark:[A-Za-z0-9_-]+$/);
    expect(decodeBookmark(bookmark)).toBe(118);
    expect(decodeBookmark(encodeBookmark('9007199254740993'))).toBe('9007199254740993');
    expect(decodeBookmark('bookmark:!!!')).toBeUndefined();
    expect(decodeBookmark('bookmark:e30')).toBeUndefined(); // {}
    expect(decodeBookmark('first')).toBeUndefined();
    expect(decodeBookmark(null)).toBeUndefined();
  });

  it('cuts keyset pages after an id', () => {
    expect(keysetPage(list, undefined, 2).items).toEqual([{ id: 100 }, { id: 102 }]);
    expect(keysetPage(list, 102, 2).items).toEqual([{ id: 104 }, { id: 106 }]);
    expect(keysetPage(list, 103, 2).items).toEqual([{ id: 104 }, { id: 106 }]);
    expect(keysetPage(list, 146, 5)).toEqual({ items: [{ id: 148 }], hasNext: false });
  });

  it('formats Link headers in Canvas order without spaces after commas', () => {
    const header = formatLinkHeader([
      { rel: 'last', url: 'http://x/a?page=3' },
      { rel: 'first', url: 'http://x/a?page=1' },
      { rel: 'next', url: 'http://x/a?page=2' },
      { rel: 'current', url: 'http://x/a?page=1' },
    ]);
    expect(header).toBe(
      '<http://x/a?page=1>; rel="current",<http://x/a?page=2>; rel="next",<http://x/a?page=1>; rel="first",<http://x/a?page=3>; rel="last"',
    );
  });
});
