/**
 * Properties over every treated catalog field (issue 9): any casing and separators of its name
 * are treated like the name itself, and no value of any shape (object, array, nested array,
 * number, boolean, string) under it lets a planted value through.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FerpaSanitizer,
  type FerpaSanitizerOptions,
  type PiiAction,
  type PiiFieldEntry,
  personObjectKeys,
  piiCatalog,
} from '../../src/privacy/index.js';
import { KEY } from './support.js';

type Json = Record<string, unknown>;

const policies: [string, FerpaSanitizerOptions, (entry: PiiFieldEntry) => PiiAction][] = [
  ['default policy', { key: KEY, keyId: 'k1' }, (entry) => entry.defaultAction],
  [
    'pseudonymizeCanvasIds, redact-all',
    { key: KEY, keyId: 'k1', pseudonymizeCanvasIds: true, freeText: 'redact-all' },
    (entry) => {
      if (entry.defaultAction === 'redact-emails') return 'redact';
      // Person-only fields keep their action in person objects, where they are tested.
      return entry.personOnly ? entry.defaultAction : (entry.canvasIdAction ?? entry.defaultAction);
    },
  ],
];

/** A spelling of a snake_case name: each word lower, upper or capitalized, any separator. */
function spelling(field: string): fc.Arbitrary<string> {
  const words = field.split('_');
  const casing = fc.constantFrom('lower', 'upper', 'capital');
  return fc
    .tuple(
      fc.array(casing, { minLength: words.length, maxLength: words.length }),
      fc.constantFrom('', '_', '-', ' ', '.', '__', ' - '),
    )
    .map(([cases, separator]) =>
      words
        .map((word, i) => {
          if (cases[i] === 'upper') return word.toUpperCase();
          if (cases[i] === 'capital') return word.charAt(0).toUpperCase() + word.slice(1);
          return word;
        })
        .join(separator),
    );
}

/** A planted token, as a string and as a number. */
const token = fc.integer({ min: 1_000_000, max: 9_999_999 });

/** A value of an unexpected shape carrying the token `n` (as text `PL<n>` or as the number). */
function shaped(n: number): fc.Arbitrary<unknown> {
  const text = `PL${n}`;
  const leaf = fc.constantFrom<unknown>(text, n, `${text}@example.edu`);
  return fc.oneof(
    leaf.map((value) => ({ value })),
    leaf.map((value) => [value]),
    leaf.map((value) => [[{ text: value }]]),
    leaf.map((value) => ({ html: { nested: [value] } })),
    fc.constant(n),
    fc.constant([text, { id: text }]),
  );
}

/** Where an entry is tested: person-only fields inside a person object. */
const wrap = (entry: PiiFieldEntry, record: Json): Json =>
  entry.personOnly ? { user: { ...record, sortable_name: 'x' } } : record;

describe.each(policies)('name and shape variants, %s', (_name, options, expected) => {
  const sanitizer = new FerpaSanitizer(options);
  const holders = new Set(personObjectKeys);
  // Fields whose value is changed (kept fields and person holders are walked, by design).
  const treated = piiCatalog.filter(
    (entry) => expected(entry) !== 'keep' && !holders.has(entry.field),
  );

  it('covers fields of every action but keep', () => {
    const actions = new Set(treated.map(expected));
    expect([...actions].sort()).toEqual(expect.arrayContaining(['drop', 'pseudonymize', 'redact']));
    expect(treated.length).toBeGreaterThan(30);
  });

  it('treats every spelling of a field like the field itself', () => {
    const arbitrary = fc
      .constantFrom(...treated)
      .chain((entry) => fc.tuple(fc.constant(entry), spelling(entry.field), token));
    fc.assert(
      fc.property(arbitrary, ([entry, name, n]) => {
        const inPerson = entry.personOnly === true;
        expect(sanitizer.actionFor(name, inPerson), name).toBe(expected(entry));
        const action = expected(entry);
        // Free text and URLs keep their text: plant an email there, a bare token elsewhere.
        const text = action === 'redact-emails' || action === 'scrub-url';
        const value = text ? `see PL${n}@students.example.edu` : `PL${n}`;
        const out = JSON.stringify(sanitizer.sanitize(wrap(entry, { [name]: value, id: 1 })));
        expect(out, name).not.toContain(`PL${n}`);
      }),
      { numRuns: 500 },
    );
  });

  it('never lets a value of an unexpected shape through, under any spelling', () => {
    const arbitrary = fc.constantFrom(...treated).chain((entry) =>
      fc.tuple(
        fc.constant(entry),
        spelling(entry.field),
        token.chain((n) => fc.tuple(fc.constant(n), shaped(n))),
      ),
    );
    fc.assert(
      fc.property(arbitrary, ([entry, name, [n, value]]) => {
        const out = JSON.stringify(sanitizer.sanitize(wrap(entry, { [name]: value, id: 1 })));
        expect(out, `${name}: ${JSON.stringify(value)}`).not.toContain(String(n));
      }),
      { numRuns: 500 },
    );
  });

  it('replaces a boolean, an object or a nested array whole, or drops it', () => {
    const arbitrary = fc.tuple(
      fc.constantFrom(...treated),
      fc.constantFrom<unknown>(true, false, { a: 1 }, [[1]], [true]),
    );
    fc.assert(
      fc.property(arbitrary, ([entry, value]) => {
        const out = sanitizer.sanitize(wrap(entry, { [entry.field]: value })) as Json;
        const holder = (entry.personOnly ? out.user : out) as Json;
        expect([undefined, '[REDACTED]'], entry.field).toContain(holder[entry.field]);
      }),
      { numRuns: 300 },
    );
  });
});
