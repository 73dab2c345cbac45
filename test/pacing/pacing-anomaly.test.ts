import { describe, expect, it } from 'vitest';
import { malformedHeaderAnomaly, screenReading } from '../../src/pacing/pacing-anomaly.js';

const bounds = { maxRemaining: 10_000, maxCost: 10_000 };

describe('screenReading', () => {
  it('keeps what Canvas really sends', () => {
    expect(screenReading(700, 0.01, bounds)).toEqual({ remaining: 700, cost: 0.01, anomalies: [] });
    expect(screenReading(-100, undefined, bounds)).toEqual({
      remaining: -100,
      cost: undefined,
      anomalies: [],
    });
    expect(screenReading(undefined, undefined, bounds)).toEqual({
      remaining: undefined,
      cost: undefined,
      anomalies: [],
    });
  });

  it('keeps the bounds themselves', () => {
    expect(screenReading(-10_000, 10_000, bounds).anomalies).toEqual([]);
    expect(screenReading(10_000, 0, bounds).anomalies).toEqual([]);
  });

  it.each([-10_000.5, 10_000.5, -1e6, 1e300, -1e300, Number.NaN, Number.POSITIVE_INFINITY])(
    'drops and reports a remaining of %d',
    (value) => {
      expect(screenReading(value, 0.5, bounds)).toEqual({
        remaining: undefined,
        cost: 0.5,
        anomalies: [{ kind: 'implausible-header', header: 'x-rate-limit-remaining', value }],
      });
    },
  );

  it.each([-0.01, 10_001, Number.NaN, Number.NEGATIVE_INFINITY])(
    'drops and reports a cost of %d',
    (value) => {
      expect(screenReading(650, value, bounds)).toEqual({
        remaining: 650,
        cost: undefined,
        anomalies: [{ kind: 'implausible-header', header: 'x-request-cost', value }],
      });
    },
  );
});

describe('malformedHeaderAnomaly', () => {
  it('carries the header name and the text, cut to 40 printable characters', () => {
    const anomaly = malformedHeaderAnomaly(
      'x-rate-limit-remaining',
      `lots\t\u00e9${'9'.repeat(100)}`,
    );
    expect(anomaly).toEqual({
      kind: 'implausible-header',
      header: 'x-rate-limit-remaining',
      value: `lots??${'9'.repeat(34)}`,
    });
    expect(Object.keys(anomaly).sort()).toEqual(['header', 'kind', 'value']);
  });
});
