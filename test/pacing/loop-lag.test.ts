import { describe, expect, it } from 'vitest';
import { type LoopDelayHistogram, LoopLag } from '../../src/pacing/loop-lag.js';

/** A histogram whose 99th percentile the test sets, in ms; it records how it is used. */
class FakeHistogram implements LoopDelayHistogram {
  count = 0;
  p99Ms = 0;
  enabled = false;
  resets = 0;
  reads: number[] = [];

  enable(): void {
    this.enabled = true;
  }
  disable(): void {
    this.enabled = false;
  }
  reset(): void {
    this.resets++;
    this.count = 0;
    this.p99Ms = 0;
  }
  percentile(percentile: number): number {
    this.reads.push(percentile);
    return this.p99Ms * 1e6;
  }
  /** The loop was measured: `samples` delays whose 99th percentile is `p99Ms`. */
  record(p99Ms: number, samples = 100): void {
    this.count += samples;
    this.p99Ms = p99Ms;
  }
}

function setup() {
  let now = 1_000;
  const histogram = new FakeHistogram();
  const lag = new LoopLag(() => now, histogram);
  return {
    lag,
    histogram,
    at(ms: number) {
      now = 1_000 + ms;
      return lag.ms();
    },
  };
}

describe('LoopLag', () => {
  it('enables the histogram when made and disables it on close()', () => {
    const { lag, histogram } = setup();
    expect(histogram.enabled).toBe(true);
    lag.close();
    expect(histogram.enabled).toBe(false);
  });

  it('is the 99th percentile less the 5 ms resolution', () => {
    const { histogram, at } = setup();
    histogram.record(25);
    expect(at(0)).toBe(20);
    expect(histogram.reads).toEqual([99]);
  });

  it('is never negative, and 0 with no samples (without reading the percentile)', () => {
    const { histogram, at } = setup();
    expect(at(0)).toBe(0);
    expect(histogram.reads).toEqual([]);
    histogram.record(3);
    expect(at(50)).toBe(0);
    histogram.record(5);
    expect(at(100)).toBe(0);
    histogram.record(5.5);
    expect(at(150)).toBeCloseTo(0.5, 9);
  });

  it('is recomputed at most every 50 ms', () => {
    const { histogram, at } = setup();
    histogram.record(15);
    expect(at(0)).toBe(10);
    histogram.record(45);
    expect(at(1)).toBe(10);
    expect(at(49)).toBe(10);
    expect(histogram.reads).toHaveLength(1);
    expect(at(50)).toBe(40);
    expect(histogram.reads).toHaveLength(2);
    histogram.record(85);
    expect(at(99)).toBe(40);
    expect(at(100)).toBe(80);
    expect(histogram.reads).toHaveLength(3);
  });

  it('rolls its window over after 1 s, keeping the worse of the current and the previous', () => {
    const { histogram, at } = setup();
    histogram.record(45);
    expect(at(0)).toBe(40);
    expect(at(950)).toBe(40);
    expect(histogram.resets).toBe(0);
    // 1 s on: the window's 40 ms becomes the previous one; a new window starts empty.
    expect(at(1_000)).toBe(40);
    expect(histogram.resets).toBe(1);
    expect(histogram.count).toBe(0);
    // A calmer new window does not hide the last one's lag ...
    histogram.record(15);
    expect(at(1_050)).toBe(40);
    // ... a worse one shows at once ...
    histogram.record(65);
    expect(at(1_100)).toBe(60);
    // ... and is kept through the next window, while that one is calmer ...
    expect(at(2_000)).toBe(60);
    expect(histogram.resets).toBe(2);
    histogram.record(15);
    expect(at(2_050)).toBe(60);
    expect(at(2_950)).toBe(60);
    // ... until that calm window becomes the previous one.
    expect(at(3_000)).toBe(10);
    expect(histogram.resets).toBe(3);
    expect(at(3_050)).toBe(10);
    expect(at(4_000)).toBe(0);
  });

  it('still measures the real event loop by default', () => {
    const lag = new LoopLag();
    try {
      // No wall-clock assertion: only that it reads a finite, non-negative lag.
      const ms = lag.ms();
      expect(Number.isFinite(ms)).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(0);
    } finally {
      lag.close();
    }
  });
});
