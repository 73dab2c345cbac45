import { describe, expect, it } from 'vitest';
import { formatRubyFloat } from '../../src/testing/index.js';

describe('formatRubyFloat', () => {
  it.each([
    [700, '700.0'],
    [0.26091096400614333, '0.26091096400614333'],
    [-2, '-2.0'],
    [0.00005, '5.0e-05'],
    [18.49214469441995, '18.49214469441995'],
    [0.0001, '0.0001'],
    [0.00012, '0.00012'],
    [1.5e-10, '1.5e-10'],
    [0, '0.0'],
    [-100, '-100.0'],
    [650.25, '650.25'],
    [1e15, '1000000000000000.0'],
    [1e16, '1.0e+16'],
    [1.2345678901234568e17, '1.2345678901234568e+17'],
    [1e100, '1.0e+100'],
  ])('formats %d as %s', (value, expected) => {
    expect(formatRubyFloat(value)).toBe(expected);
  });

  it('round-trips through parseFloat', () => {
    for (const value of [0.1, 1 / 3, 699.9999999, 5e-5, -0.00001234, 12345.678]) {
      expect(Number.parseFloat(formatRubyFloat(value))).toBe(value);
    }
  });

  it('prints non-finite values as Ruby does', () => {
    expect(formatRubyFloat(Number.NaN)).toBe('NaN');
    expect(formatRubyFloat(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(formatRubyFloat(Number.NEGATIVE_INFINITY)).toBe('-Infinity');
  });
});
