/**
 * The time slots of page views: the time line from the epoch cut into slots of `span / V`
 * seconds, slot `k` covering `[k·span/V, (k+1)·span/V)`, on whole seconds: the integer seconds
 * `t` with `floor(t·V / span) = k`. Pure integer arithmetic, exact for every institution that
 * {@link assertSlotsFit} accepts.
 *
 * @module
 */

/** Slot indices stay below this (12 hex digits whose first is 0..7 in a page view's id). */
export const SLOT_LIMIT = 2 ** 47;

/** The two numbers the slots are cut by. */
export interface SlotSizes {
  /** Slots per span (page views per user), at least 1 for the functions below. */
  readonly V: number;
  /** Length of the span, seconds (at least 1). */
  readonly pageViewSpan: number;
}

/** `floor(a / b)` for integers `a >= 0`, `b > 0`: exact, where `Math.floor(a / b)` may round. */
const div = (a: number, b: number): number => (a - (a % b)) / b;

/** `ceil(a / b)` for integers `a >= 0`, `b > 0`. */
const ceilDiv = (a: number, b: number): number => div(a, b) + (a % b === 0 ? 0 : 1);

/** The slot holding second `t` (an integer, at least 0): `floor(t·V / span)`. */
export function slotOf({ V, pageViewSpan: span }: SlotSizes, t: number): number {
  const q = div(t, span);
  return q * V + div((t - q * span) * V, span);
}

/** The first second of slot `k` (an integer, at least 0): `ceil(k·span / V)`. */
export function slotStart({ V, pageViewSpan: span }: SlotSizes, k: number): number {
  const q = div(k, V);
  return q * span + ceilDiv((k - q * V) * span, V);
}

/**
 * The time of the view of slot `k`, epoch seconds, from `f` in `[0, 1)` (its jitter): a second
 * of the slot, `slotStart(k) + floor(f · width)`. A slot without a whole second (only when there
 * are more views than seconds in a span) dates its view a second before its start, so that the
 * times still ascend with `k` and the slot of a second is found by {@link slotOf} alone.
 */
export function slotTime(z: SlotSizes, k: number, f: number): number {
  const start = slotStart(z, k);
  const width = slotStart(z, k + 1) - start;
  return width === 0 ? start - 1 : start + Math.min(Math.floor(f * width), width - 1);
}

/**
 * Checks that the slot arithmetic stays exact up to second `end` (the end of the span).
 *
 * @throws RangeError when `V · span` is not a safe integer, or the slot of `end` would reach
 *   {@link SLOT_LIMIT}.
 */
export function assertSlotsFit(z: SlotSizes, end: number): void {
  if (z.V === 0) return;
  if (!Number.isSafeInteger(z.V * z.pageViewSpan) || slotOf(z, end) + 1 >= SLOT_LIMIT) {
    throw new RangeError(
      'canvas-sync simulator: page view slots would overflow (pageViewsPerUser, pageViewDays or pageViewsUntil too large)',
    );
  }
}
