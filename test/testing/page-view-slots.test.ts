import { describe, expect, it } from 'vitest';
import {
  assertSlotsFit,
  SLOT_LIMIT,
  slotOf,
  slotStart,
  slotTime,
} from '../../src/testing/simulator/institution/page-view-slots.js';
import { createPrng } from '../../src/testing/simulator/prng.js';

/** Slot shapes: wider than a second, exactly a second, and (more views than seconds) narrower. */
const SHAPES = [
  { V: 7, pageViewSpan: 100 },
  { V: 100, pageViewSpan: 100 },
  { V: 250, pageViewSpan: 100 },
  { V: 20, pageViewSpan: 280 * 86_400 },
];

describe('page view slots', () => {
  it.each(SHAPES)('cut whole seconds as floor(t·V/span) (V $V, span $pageViewSpan)', (z) => {
    for (let t = 0; t < 3 * z.pageViewSpan; t += Math.ceil(z.pageViewSpan / 500)) {
      const k = slotOf(z, t);
      expect(k).toBe(Math.floor((t * z.V) / z.pageViewSpan));
      expect(slotStart(z, k)).toBeLessThanOrEqual(t);
      expect(slotStart(z, k + 1)).toBeGreaterThan(t);
    }
    expect(slotStart(z, z.V)).toBe(z.pageViewSpan);
    expect(slotStart(z, 3 * z.V + 1)).toBe(3 * z.pageViewSpan + Math.ceil(z.pageViewSpan / z.V));
  });

  it.each(SHAPES)('date views ascending, found from the slot of a second (V $V)', (z) => {
    const rng = createPrng(z.V);
    const jitter = Array.from({ length: 3 * z.V + 2 }, () => rng.float());
    const times = jitter.map((f, k) => slotTime(z, k, f));
    for (let k = 1; k < times.length; k++) {
      expect(times[k]).toBeGreaterThanOrEqual(times[k - 1] ?? 0);
      if (slotStart(z, k + 1) > slotStart(z, k)) {
        expect(times[k]).toBeGreaterThanOrEqual(slotStart(z, k));
        expect(times[k]).toBeLessThan(slotStart(z, k + 1));
      }
    }
    // The first view at or after second t is the one of t's slot or of the next one.
    const last = times.at(-2) ?? 0;
    const step = Math.ceil(z.pageViewSpan / 1000); // every second of the small shapes
    const seconds = [...times, ...times.map((time) => time + 1)];
    for (let t = 0; t <= last; t += step) seconds.push(t);
    for (const t of seconds.filter((second) => second <= last)) {
      const first = times.findIndex((time) => time >= t);
      const k = slotOf(z, t);
      expect(first).toBe((times[k] ?? 0) >= t ? k : k + 1);
    }
    expect(slotTime(z, 0, 0.999_999)).toBeGreaterThanOrEqual(0);
    expect(slotTime(z, 5, 0)).toBe(slotStart(z, 5) - (slotStart(z, 6) === slotStart(z, 5) ? 1 : 0));
  });

  it('stay exact far from the epoch, and refuse slots past the limit', () => {
    const z = { V: 2 ** 20, pageViewSpan: 86_400 };
    const t = 2 ** 33 + 12_345;
    const k = slotOf(z, t);
    expect(k).toBe(Number((BigInt(t) * BigInt(z.V)) / BigInt(z.pageViewSpan)));
    expect(slotStart(z, k)).toBeLessThanOrEqual(t);
    expect(slotStart(z, k + 1)).toBeGreaterThan(t);
    expect(() => assertSlotsFit(z, t)).not.toThrow();
    expect(() => assertSlotsFit(z, 2 ** 44)).toThrow(RangeError);
    expect(() => assertSlotsFit({ V: 2 ** 32, pageViewSpan: 2 ** 22 }, 0)).toThrow(RangeError);
    expect(() => assertSlotsFit({ V: 0, pageViewSpan: 86_400 }, 2 ** 50)).not.toThrow();
    expect(SLOT_LIMIT).toBe(2 ** 47);
  });
});
