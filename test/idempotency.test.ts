import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanvasOptionsError } from '../src/errors/index.js';
import {
  canonicalRequest,
  dedupe,
  type IdempotencyRequest,
  idempotencyKey,
} from '../src/idempotency/index.js';

const USERS = '/api/v1/courses/1/users';

function key(request: IdempotencyRequest): string {
  return idempotencyKey(request);
}

describe('canonicalRequest', () => {
  it('has the documented five-line form', () => {
    expect(
      canonicalRequest({
        method: 'post',
        path: '/api/v1/courses/1/x/?b=2&a=1',
        body: { z: 1, a: [2, 1] },
      }),
    ).toBe('v1\nPOST\n/api/v1/courses/1/x\na=1&b=2\n{"a":[2,1],"z":1}');
    expect(canonicalRequest({ method: 'GET', path: USERS })).toBe(`v1\nGET\n${USERS}\n\n`);
  });

  it('drops the origin, credentials, fragment and ignored params, and never shows the token', () => {
    const canonical = canonicalRequest({
      method: 'get',
      path: 'https://me:pw@x.instructure.com/api/v1/courses/1/users/?page=2&ACCESS_TOKEN=secret#f',
      searchParams: { 'include[]': ['email', 'avatar_url'], per_page: 100, access_token: 's2' },
    });
    expect(canonical).toBe(
      'v1\nGET\n/api/v1/courses/1/users\ninclude%5B%5D=email&include%5B%5D=avatar_url\n',
    );
    expect(canonical).not.toMatch(/secret|s2|me|pw/);
  });

  it('normalizes path spelling: missing slash, dot segments, percent-encoding, trailing slashes', () => {
    const canonical = (path: string) => canonicalRequest({ method: 'GET', path }).split('\n')[2];
    expect(canonical('api/v1/courses')).toBe('/api/v1/courses');
    expect(canonical('/api/v1/x/./y/../courses//')).toBe('/api/v1/x/courses');
    expect(canonical('/api/v1/courses/%41%2Fb')).toBe('/api/v1/courses/A%2Fb');
    expect(canonical('/api/v1/courses/sis_course_id:A B')).toBe(
      '/api/v1/courses/sis_course_id:A%20B',
    );
    expect(canonical('/api/v1/courses/sis_course_id%3AA%20B')).toBe(
      '/api/v1/courses/sis_course_id:A%20B',
    );
    expect(canonical('/')).toBe('/');
    expect(canonical('https://x.example')).toBe('/');
    expect(canonical('/api/v1/%zz')).toBe('/api/v1/%zz');
  });

  it('serializes the body like JSON.stringify with sorted keys', () => {
    const body = (value: unknown) =>
      canonicalRequest({ method: 'PUT', path: '/x', body: value }).split('\n')[4];
    expect(
      body({
        b: { y: [3, { d: 1, c: 2 }], x: null },
        '10': true,
        '9': 'é\n"',
        a: undefined,
        f: () => 1,
      }),
    ).toBe('{"10":true,"9":"é\\n\\"","b":{"x":null,"y":[3,{"c":2,"d":1}]}}');
    expect(body([undefined, () => 1, 1e21, 0.1, -0, 1.5e-7])).toBe(
      '[null,null,1e+21,0.1,0,1.5e-7]',
    );
    expect(body({ when: new Date(0) })).toBe('{"when":"1970-01-01T00:00:00.000Z"}');
    expect(body(null)).toBe('null');
    expect(body('text')).toBe('"text"');
    expect(body(undefined)).toBe('');
    const shared = { a: 1 };
    expect(body([shared, shared])).toBe('[{"a":1},{"a":1}]');
  });

  it('rejects malformed requests with CanvasOptionsError', () => {
    const bad: unknown[] = [
      null,
      { method: '', path: USERS },
      { method: 'GET X', path: USERS },
      { method: 'GET', path: '' },
      { method: 'GET', path: 42 },
      { method: 'GET', path: 'ftp://x/y' },
      { method: 'GET', path: 'https://[bad/x' },
      { method: 'GET', path: USERS, searchParams: { a: { b: 1 } } },
      { method: 'GET', path: USERS, searchParams: { a: [null] } },
      { method: 'GET', path: USERS, searchParams: 'a=1' },
      { method: 'POST', path: USERS, body: Number.NaN },
      { method: 'POST', path: USERS, body: { n: Number.POSITIVE_INFINITY } },
      { method: 'POST', path: USERS, body: { n: 1n } },
      { method: 'POST', path: USERS, body: new Map([['a', 1]]) },
      { method: 'POST', path: USERS, body: { p: new URLSearchParams('a=1') } },
      { method: 'POST', path: USERS, body: () => 1 },
    ];
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    bad.push({ method: 'POST', path: USERS, body: cyclic });
    for (const request of bad) {
      expect(() => canonicalRequest(request as IdempotencyRequest)).toThrow(CanvasOptionsError);
    }
    expect(() => idempotencyKey({ method: 'POST', path: USERS, body: cyclic })).toThrow(
      /body\.self: Circular reference/,
    );
  });
});

describe('idempotencyKey', () => {
  it('is v1: and 64 hex digits, pinned for a known request', () => {
    // Changing this vector changes every stored key: bump the version instead.
    expect(
      key({
        method: 'post',
        path: '/api/v1/courses/1/x/?b=2&a=1',
        body: { z: 1, a: [2, 1] },
      }),
    ).toBe('v1:cd13759807070dd6a3cdeb7429a64d279b69f8c166cc22d05788bb8b8ee9c1f9');
    expect(key({ method: 'GET', path: USERS })).toMatch(/^v1:[0-9a-f]{64}$/);
  });

  it('ignores parameter order but keeps the order of repeated values', () => {
    expect(key({ method: 'GET', path: `${USERS}?b=2&a=1` })).toBe(
      key({ method: 'GET', path: USERS, searchParams: { a: 1, b: '2' } }),
    );
    expect(key({ method: 'GET', path: `${USERS}?b=2`, searchParams: { a: 1 } })).toBe(
      key({ method: 'GET', path: `${USERS}?a=1`, searchParams: new URLSearchParams('b=2') }),
    );
    const emailFirst = key({
      method: 'GET',
      path: USERS,
      searchParams: { 'include[]': ['email', 'avatar_url'] },
    });
    expect(key({ method: 'GET', path: `${USERS}?include[]=email&include%5B%5D=avatar_url` })).toBe(
      emailFirst,
    );
    expect(
      key({ method: 'GET', path: USERS, searchParams: { 'include[]': ['avatar_url', 'email'] } }),
    ).not.toBe(emailFirst);
  });

  it('treats absolute and relative forms, method case and trailing slashes alike', () => {
    const relative = key({ method: 'GET', path: USERS });
    expect(key({ method: 'get', path: `https://x.instructure.com${USERS}` })).toBe(relative);
    expect(key({ method: 'Get', path: `http://other.example:8080${USERS}/` })).toBe(relative);
    expect(key({ method: 'GET', path: USERS.slice(1) })).toBe(relative);
  });

  it('ignores access_token, page and per_page', () => {
    const plain = key({ method: 'GET', path: USERS, searchParams: { enrollment_type: 'student' } });
    expect(
      key({
        method: 'GET',
        path: `${USERS}?page=bookmark:WzEyM10&per_page=100&access_token=t`,
        searchParams: { enrollment_type: 'student', page: 3 },
      }),
    ).toBe(plain);
  });

  it('tells apart methods, paths, params and bodies', () => {
    const keys = [
      key({ method: 'GET', path: USERS }),
      key({ method: 'POST', path: USERS }),
      key({ method: 'GET', path: '/api/v1/courses/2/users' }),
      key({ method: 'GET', path: USERS, searchParams: { a: '' } }),
      key({ method: 'GET', path: USERS, searchParams: { a: '1' } }),
      key({ method: 'POST', path: USERS, body: null }),
      key({ method: 'POST', path: USERS, body: {} }),
      key({ method: 'POST', path: USERS, body: { a: 1 } }),
      key({ method: 'POST', path: USERS, body: { a: '1' } }),
      key({ method: 'POST', path: USERS, body: { a: [1, 2] } }),
      key({ method: 'POST', path: USERS, body: { a: [2, 1] } }),
      key({ method: 'POST', path: USERS, body: '{"a":1}' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('ignores body key order', () => {
    expect(
      key({ method: 'PUT', path: USERS, body: { a: 1, b: { c: 2, d: [1, { e: 1, f: 2 }] } } }),
    ).toBe(
      key({ method: 'PUT', path: USERS, body: { b: { d: [1, { f: 2, e: 1 }], c: 2 }, a: 1 } }),
    );
  });

  describe('properties', () => {
    const name = fc.string({ minLength: 1, maxLength: 8 });
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean());
    /** Parameter entries; a name may repeat. */
    const entries = fc.array(fc.tuple(name, value), { maxLength: 8 });

    function toParams(list: readonly (readonly [string, string | number | boolean])[]) {
      return new URLSearchParams(list.map(([n, v]): [string, string] => [n, String(v)]));
    }

    it('does not depend on the order of differently named parameters', () => {
      fc.assert(
        fc.property(entries, fc.nat(), (list, seed) => {
          // Shuffle, keeping the relative order of entries with the same name.
          const groups = new Map<string, (readonly [string, string | number | boolean])[]>();
          for (const entry of list) groups.set(entry[0], [...(groups.get(entry[0]) ?? []), entry]);
          const names = [...groups.keys()]
            .map((n, i) => ({ n, rank: (i * 7919 + seed) % (groups.size + 13) }))
            .sort((a, b) => a.rank - b.rank)
            .map(({ n }) => n);
          const shuffled = names.flatMap((n) => groups.get(n) ?? []);
          // As a record (fromEntries makes even `__proto__` an own key).
          const record = Object.fromEntries(
            names.map((n) => [n, (groups.get(n) ?? []).map(([, v]) => v)]),
          );
          const expected = key({ method: 'GET', path: USERS, searchParams: toParams(list) });
          expect(key({ method: 'GET', path: USERS, searchParams: toParams(shuffled) })).toBe(
            expected,
          );
          expect(key({ method: 'GET', path: `${USERS}?${toParams(shuffled)}` })).toBe(expected);
          expect(key({ method: 'GET', path: USERS, searchParams: record })).toBe(expected);
        }),
      );
    });

    it('does not change when page, per_page or access_token are added', () => {
      const ignored = fc.tuple(
        fc.constantFrom('page', 'per_page', 'access_token', 'PAGE', 'Access_Token'),
        value,
      );
      fc.assert(
        fc.property(entries, fc.array(ignored, { maxLength: 4 }), fc.nat(), (list, extra, at) => {
          const mixed = [...list];
          for (const entry of extra) mixed.splice(at % (mixed.length + 1), 0, entry);
          expect(key({ method: 'GET', path: USERS, searchParams: toParams(mixed) })).toBe(
            key({ method: 'GET', path: USERS, searchParams: toParams(list) }),
          );
        }),
      );
    });

    it('does not depend on body key order', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (body) => {
          const reversed = (input: unknown): unknown => {
            if (Array.isArray(input)) return input.map(reversed);
            if (typeof input !== 'object' || input === null) return input;
            return Object.fromEntries(
              Object.entries(input)
                .reverse()
                .map(([k, v]) => [k, reversed(v)]),
            );
          };
          expect(key({ method: 'POST', path: USERS, body: reversed(body) })).toBe(
            key({ method: 'POST', path: USERS, body }),
          );
          expect(canonicalRequest({ method: 'POST', path: USERS, body }).split('\n')[4]).toBe(
            sortedJson(body),
          );
        }),
      );
    });
  });
});

/** Reference serializer for JSON values: JSON.stringify with sorted keys at every depth. */
function sortedJson(input: unknown): string {
  if (Array.isArray(input)) return `[${input.map(sortedJson).join(',')}]`;
  if (typeof input !== 'object' || input === null) return JSON.stringify(input);
  const record = input as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${sortedJson(record[k])}`);
  return `{${members.join(',')}}`;
}

describe('dedupe', () => {
  async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const item of iterable) out.push(item);
    return out;
  }

  it('drops later duplicates and keeps the order of first occurrences', async () => {
    const records = [
      { id: 3, v: 'a' },
      { id: 1, v: 'b' },
      { id: 3, v: 'c' },
      { id: 2, v: 'd' },
      { id: 1, v: 'e' },
    ];
    const dropped: [string, string][] = [];
    const out = await collect(
      dedupe(records, (r) => r.id, { onDuplicate: (r, k) => dropped.push([r.v, k]) }),
    );
    expect(out.map((r) => r.v)).toEqual(['a', 'b', 'd']);
    expect(dropped).toEqual([
      ['c', '3'],
      ['e', '1'],
    ]);
  });

  it('compares keys as strings', async () => {
    const out = await collect(dedupe<string | number>([1, '1', 2, '02'], (r) => r));
    expect(out).toEqual([1, 2, '02']);
  });

  it('works with async iterables, and closes the source on break', async () => {
    let closed = false;
    async function* pages() {
      try {
        yield* [{ id: 1 }, { id: 2 }];
        yield* [{ id: 2 }, { id: 3 }, { id: 4 }];
      } finally {
        closed = true;
      }
    }
    const seen: number[] = [];
    for await (const record of dedupe(pages(), (r) => r.id)) {
      seen.push(record.id);
      if (record.id === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(closed).toBe(true);
  });

  it('with maxKeys, forgets the least recently seen keys', async () => {
    const ids = (list: number[], maxKeys: number) => collect(dedupe(list, (id) => id, { maxKeys }));
    // 1 is seen again after only 1 other key: dropped.
    expect(await ids([1, 2, 1], 2)).toEqual([1, 2]);
    // After 2 other distinct keys, 1 was forgotten and slips through.
    expect(await ids([1, 2, 3, 1], 2)).toEqual([1, 2, 3, 1]);
    // A duplicate refreshes its key (LRU): 1 is still known after 2, 1, 3.
    expect(await ids([1, 2, 1, 3, 1], 2)).toEqual([1, 2, 3]);
    expect(await ids([1, 1, 2, 2, 1], 1)).toEqual([1, 2, 1]);
  });

  it('always drops a duplicate closer than maxKeys distinct keys (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        async (list, maxKeys) => {
          const out = await collect(dedupe(list, (id) => id, { maxKeys }));
          // Reference: a duplicate must be dropped iff the distinct keys since its last
          // occurrence are fewer than maxKeys (an exact description of LRU with capacity maxKeys).
          const expected: number[] = [];
          const lastSeen = new Map<number, number>();
          list.forEach((id, index) => {
            const last = lastSeen.get(id);
            const between = last === undefined ? [] : list.slice(last + 1, index);
            const forgotten = last === undefined || new Set(between).size >= maxKeys;
            if (forgotten) expected.push(id);
            lastSeen.set(id, index);
          });
          expect(out).toEqual(expected);
          // Without a bound, the output is exactly the distinct keys in first-seen order.
          expect(await collect(dedupe(list, (id) => id))).toEqual([...new Set(list)]);
        },
      ),
    );
  });

  it('rejects bad arguments at once, and bad keys without quoting the record', async () => {
    const bad = (fn: () => unknown) => expect(fn).toThrow(CanvasOptionsError);
    bad(() => dedupe(null as unknown as number[], (r) => r));
    bad(() => dedupe([1], 'id' as unknown as (r: number) => number));
    for (const maxKeys of [0, -1, 1.5, Number.NaN]) bad(() => dedupe([1], (r) => r, { maxKeys }));
    bad(() => dedupe([1], (r) => r, { onDuplicate: 'x' as unknown as (record: number) => void }));
    const records = [{ id: 1 }, { name: 'Jane Student' }] as { id?: number }[];
    const run = collect(dedupe(records, (r) => r.id as number));
    await expect(run).rejects.toThrow(CanvasOptionsError);
    await expect(collect(dedupe(records, (r) => r.id as number))).rejects.toThrow(
      /record #1; expected a string or a finite number/,
    );
    await expect(collect(dedupe(records, (r) => r.id as number))).rejects.not.toThrow(/Jane/);
    await expect(collect(dedupe([Number.NaN], (r) => r))).rejects.toThrow(CanvasOptionsError);
  });
});
