import { describe, expect, it } from 'vitest';
import { IdList, range } from '../../src/testing/simulator/institution/lazy-list.js';
import { OverlayList, patchedList } from '../../src/testing/simulator/institution/overlay-list.js';
import { createPrng } from '../../src/testing/simulator/prng.js';

interface Rec {
  id: number;
  tag: string;
}

/** A base list of `n` records with ids 10, 20, 30, … */
const base = (n: number) =>
  new IdList<Rec>(
    n,
    (i) => 10 * (i + 1),
    (i) => ({ id: 10 * (i + 1), tag: 'base' }),
  );

function materialize<T>(list: { length: number; at(i: number): T | undefined }): T[] {
  return Array.from({ length: list.length }, (_, i) => list.at(i) as T);
}

describe('OverlayList', () => {
  it('matches a materialized list under random removals, additions and patches', () => {
    const rng = createPrng(7);
    for (let round = 0; round < 200; round++) {
      const n = rng.int(0, 30);
      const list = base(n);
      const removed = Array.from({ length: rng.int(0, n) }, () => 10 * rng.int(1, n + 2));
      const addedIds = [
        ...new Set(Array.from({ length: rng.int(0, 12) }, () => rng.int(0, 10 * n + 40))),
      ].filter((id) => id % 10 !== 0 || id > 10 * n);
      const view = new OverlayList<Rec>(list, {
        removed,
        added: addedIds.map((id) => ({ id, build: () => ({ id, tag: 'added' }) })),
        patch: (record) => ({ ...record, tag: `${record.tag}!` }),
      });
      const expected = [
        ...materialize(list).filter((r) => !removed.includes(r.id)),
        ...addedIds.map((id) => ({ id, tag: 'added' })),
      ]
        .sort((a, b) => a.id - b.id)
        .map((r) => ({ ...r, tag: `${r.tag}!` }));
      expect(materialize(view)).toEqual(expected);
      expect(view.at(-1)).toBeUndefined();
      expect(view.at(expected.length)).toBeUndefined();
      expect(view.at(0.5)).toBeUndefined();
      for (const [index, record] of expected.entries()) {
        expect(view.indexOfId(record.id)).toBe(index);
        expect(view.indexOfId(String(record.id))).toBe(index);
      }
      for (const id of removed) if (!addedIds.includes(id)) expect(view.indexOfId(id)).toBe(-1);
      for (let id = 0; id <= 10 * n + 45; id += 3) {
        expect(view.indexAfterId(id)).toBe(expected.filter((r) => r.id <= id).length);
      }
      expect(view.indexAfterId('x')).toBe(0);
    }
  });

  it('places string ids by code unit, as page views', () => {
    const views = new IdList(
      3,
      (i) => `0000000${i}-a`,
      (i) => ({ id: `0000000${i}-a` }),
      false,
    );
    const view = new OverlayList(views, {
      added: [{ id: '00000003-b', build: () => ({ id: '00000003-b' }) }],
    });
    expect(materialize(view).map((v) => v.id)).toEqual([
      '00000000-a',
      '00000001-a',
      '00000002-a',
      '00000003-b',
    ]);
    expect(view.indexAfterId('00000001-a')).toBe(2);
    expect(view.indexOfId('00000003-b')).toBe(3);
  });

  it('patchedList patches every record and keeps lookups', () => {
    const list = patchedList(
      range(3, 5, (i) => ({ id: 5 + i, n: i })),
      (r) => ({ ...r, n: r.n * 10 }),
    );
    expect(materialize(list)).toEqual([
      { id: 5, n: 0 },
      { id: 6, n: 10 },
      { id: 7, n: 20 },
    ]);
    expect(list.indexOfId(6)).toBe(1);
    expect(list.indexAfterId(6)).toBe(2);
    expect(list.at(3)).toBeUndefined();
  });
});
