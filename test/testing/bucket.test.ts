import { describe, expect, it } from 'vitest';
import { LeakyBucket } from '../../src/testing/index.js';

const settings = { highWaterMark: 700, maximum: 800, outflowPerSecond: 10, upFrontCost: 50 };

describe('LeakyBucket', () => {
  it('leaks, then adds, then clamps', () => {
    const bucket = new LeakyBucket(settings, 0);
    expect(bucket.increment(50, 0)).toBe(50);
    // 2 s later: 50 - 20 = 30, then + 50.
    expect(bucket.increment(50, 2_000)).toBe(80);
    // 100 s later the leak would go below 0: it stops at 0 before adding.
    expect(bucket.increment(5, 102_000)).toBe(5);
  });

  it('never exceeds the maximum nor goes below zero', () => {
    const bucket = new LeakyBucket(settings, 0);
    expect(bucket.increment(10_000, 0)).toBe(800);
    expect(bucket.increment(-10_000, 0)).toBe(0);
  });

  it('reports the leaked level and remaining without changing state', () => {
    const bucket = new LeakyBucket(settings, 1_000);
    bucket.fill(690, 1_000);
    expect(bucket.level(2_500)).toBeCloseTo(675, 10);
    expect(bucket.remaining(2_500)).toBeCloseTo(25, 10);
    expect(bucket.level(1_000)).toBe(690);
  });

  it('ignores a clock that goes backwards', () => {
    const bucket = new LeakyBucket(settings, 5_000);
    bucket.fill(100, 5_000);
    expect(bucket.level(4_000)).toBe(100);
  });
});
