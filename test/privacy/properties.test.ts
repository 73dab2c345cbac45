/**
 * Properties over arbitrary JSON whose keys mix catalog fields with random ones: sanitize never
 * throws, never mutates, returns JSON, and never returns a value that only ever appeared under
 * a field the catalog pseudonymizes, redacts or drops.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FerpaSanitizer,
  type FerpaSanitizerOptions,
  type PiiAction,
  personMarkerFields,
  personObjectKeys,
  piiCatalog,
} from '../../src/privacy/index.js';
import { deepFreeze, KEY } from './support.js';

// Person-only fields (`name`, `title`, `html_url`) depend on the surrounding object and are left
// out, so that each field's action follows from the catalog alone.
const fields = piiCatalog.filter((entry) => entry.personOnly !== true);
const known = new Set([
  ...piiCatalog.map((entry) => entry.field),
  ...personObjectKeys,
  ...personMarkerFields,
  '__proto__',
]);
const otherKey = fc.string({ minLength: 1, maxLength: 6 }).filter((key) => !known.has(key));
const key = fc.oneof(fc.constantFrom(...fields.map((entry) => entry.field)), otherKey);
const leaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.emailAddress(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const { json } = fc.letrec<{ json: unknown; array: unknown[]; object: Record<string, unknown> }>(
  (tie) => ({
    json: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      tie('array'),
      tie('object'),
    ),
    array: fc.array(tie('json'), { maxLength: 4 }),
    object: fc.dictionary(key, tie('json'), { maxKeys: 6 }),
  }),
);

const MARKERS = new Set(['[REDACTED]', '[EMAIL]']);
const tag = (value: unknown): string => `${typeof value}:${String(value)}`;

/**
 * Splits the primitive values of `value` into those under a protected field (pseudonymized,
 * redacted or dropped: they must not come out) and those under a kept one (they may).
 */
function classify(
  value: unknown,
  actionOf: (field: string) => PiiAction,
  context: PiiAction,
  out: { hidden: Set<string>; shown: Set<string> },
): void {
  if (Array.isArray(value)) {
    for (const item of value) classify(item, actionOf, context, out);
  } else if (typeof value === 'object' && value !== null) {
    const gone = context === 'drop' || context === 'redact';
    for (const [field, item] of Object.entries(value)) {
      classify(item, actionOf, gone ? context : actionOf(field), out);
    }
  } else if (typeof value === 'string' || typeof value === 'number') {
    const protectedHere = context === 'drop' || context === 'redact' || context === 'pseudonymize';
    if (!protectedHere) out.shown.add(tag(value));
    else if (!MARKERS.has(String(value))) out.hidden.add(tag(value));
  }
}

function primitives(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) primitives(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) primitives(item, out);
  } else if (typeof value === 'string' || typeof value === 'number') out.push(tag(value));
  return out;
}

const policies: [string, FerpaSanitizerOptions, (field: string) => PiiAction][] = [
  [
    'default policy',
    { key: KEY, keyId: 'k1' },
    (field) => fields.find((entry) => entry.field === field)?.defaultAction ?? 'keep',
  ],
  [
    'pseudonymizeCanvasIds, redact-all',
    { key: KEY, keyId: 'k1', pseudonymizeCanvasIds: true, freeText: 'redact-all' },
    (field) => {
      const entry = fields.find((e) => e.field === field);
      if (entry === undefined) return 'keep';
      if (entry.defaultAction === 'redact-emails') return 'redact';
      return entry.canvasIdAction ?? entry.defaultAction;
    },
  ],
];

describe.each(policies)('properties, %s', (_name, options, actionOf) => {
  const sanitizer = new FerpaSanitizer(options);

  it('never throws, never mutates, returns JSON, and never returns a protected value', () => {
    fc.assert(
      fc.property(json, (input) => {
        const frozen = deepFreeze(structuredClone(input));
        const before = JSON.stringify(frozen);
        const output = sanitizer.sanitize(frozen);
        expect(JSON.stringify(frozen)).toBe(before);
        const text = JSON.stringify(output) ?? 'null';
        expect(JSON.stringify(JSON.parse(text))).toBe(text);
        const sets = { hidden: new Set<string>(), shown: new Set<string>() };
        classify(input, actionOf, 'keep', sets);
        for (const value of primitives(output)) {
          if (sets.hidden.has(value)) expect(sets.shown.has(value), value).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('pseudonym properties', () => {
  const sanitizer = new FerpaSanitizer({ key: KEY, keyId: 'k1' });

  it('are prefixed, fixed-length, and equal for a safe integer and its decimal string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer()), (value) => {
        const pseudonym = sanitizer.pseudonym(value);
        expect(pseudonym).toMatch(/^ps_k1_[A-Za-z0-9_-]{22}$/);
        expect(FerpaSanitizer.keyIdOf(pseudonym)).toBe('k1');
        expect(sanitizer.pseudonym(String(value))).toBe(pseudonym);
      }),
    );
  });

  it('are distinct for distinct values', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(sanitizer.pseudonym(a)).not.toBe(sanitizer.pseudonym(b));
      }),
    );
  });
});
