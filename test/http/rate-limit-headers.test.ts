import { describe, expect, it } from 'vitest';
import {
  malformedRateLimitHeaders,
  parseCanvasFloat,
  parseRateLimitHeaders,
} from '../../src/http/rate-limit-headers.js';

describe('parseCanvasFloat', () => {
  it.each([
    ['700.0', 700],
    ['0.26091096400614333', 0.26091096400614333],
    ['-2.0', -2],
    ['5.0e-05', 0.00005],
    ['18.49214469441995', 18.49214469441995],
    ['1.0e+16', 1e16],
    ['1.5E-10', 1.5e-10],
    ['0.0', 0],
    ['-0.5', -0.5],
    ['12', 12],
    ['.5', 0.5],
    ['+3.25', 3.25],
    [' 650.25 ', 650.25],
  ])('parses %j as %d', (text, expected) => {
    expect(parseCanvasFloat(text)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    'abc',
    'NaN',
    'Infinity',
    '-Infinity',
    '12abc',
    '1.2.3',
    '0x10',
    '1e',
    'e5',
    '-',
    '.',
    '1,5',
    '1e400',
    '700.0 700.0',
  ])('rejects %j', (text) => {
    expect(parseCanvasFloat(text)).toBeUndefined();
  });

  it('returns undefined for absent headers', () => {
    expect(parseCanvasFloat(null)).toBeUndefined();
    expect(parseCanvasFloat(undefined)).toBeUndefined();
  });
});

describe('parseRateLimitHeaders', () => {
  it('reads all three headers whatever the case of their names', () => {
    const headers = new Headers({
      'x-rate-limit-remaining': '5.0e-05',
      'X-REQUEST-COST': '0.26091096400614333',
      'X-Request-Context-Id': '8f0e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
    });
    expect(parseRateLimitHeaders(headers)).toEqual({
      remaining: 0.00005,
      cost: 0.26091096400614333,
      requestContextId: '8f0e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
    });
  });

  it('reads a throttled response: negative remaining, no cost', () => {
    const headers = new Headers({ 'X-Rate-Limit-Remaining': '-2.0' });
    expect(parseRateLimitHeaders(headers)).toEqual({
      remaining: -2,
      cost: undefined,
      requestContextId: undefined,
    });
  });

  it('yields undefined for missing or malformed values', () => {
    const headers = new Headers({
      'X-Rate-Limit-Remaining': '12abc',
      'X-Request-Cost': 'NaN',
      'X-Request-Context-Id': 'evil\tinjected log line',
    });
    expect(parseRateLimitHeaders(headers)).toEqual({
      remaining: undefined,
      cost: undefined,
      requestContextId: undefined,
    });
    expect(parseRateLimitHeaders(new Headers())).toEqual({
      remaining: undefined,
      cost: undefined,
      requestContextId: undefined,
    });
  });

  it('rejects an implausibly long request id', () => {
    const headers = new Headers({ 'X-Request-Context-Id': 'a'.repeat(129) });
    expect(parseRateLimitHeaders(headers).requestContextId).toBeUndefined();
  });
});

describe('malformedRateLimitHeaders', () => {
  it('lists the numeric headers sent but not numbers, with their raw text', () => {
    const headers = new Headers({
      'X-Rate-Limit-Remaining': '1e400',
      'X-Request-Cost': 'free',
      'X-Request-Context-Id': 'not numeric and fine',
    });
    expect(malformedRateLimitHeaders(headers)).toEqual([
      { header: 'x-rate-limit-remaining', text: '1e400' },
      { header: 'x-request-cost', text: 'free' },
    ]);
    expect(parseRateLimitHeaders(headers)).toMatchObject({ remaining: undefined, cost: undefined });
  });

  it('is empty for sound or absent headers', () => {
    expect(malformedRateLimitHeaders(new Headers())).toEqual([]);
    expect(
      malformedRateLimitHeaders(
        new Headers({ 'X-Rate-Limit-Remaining': '-2.0', 'X-Request-Cost': '5.0e-05' }),
      ),
    ).toEqual([]);
  });

  it('lists an empty header and the non-finite spellings', () => {
    for (const text of ['', 'NaN', 'Infinity', '-Infinity', '1e400', '0x10']) {
      const headers = new Headers({ 'X-Rate-Limit-Remaining': text });
      expect(malformedRateLimitHeaders(headers)).toEqual([
        { header: 'x-rate-limit-remaining', text },
      ]);
    }
  });
});
