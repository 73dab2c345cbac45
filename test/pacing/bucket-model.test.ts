import { describe, expect, it } from 'vitest';
import { BucketModel, type BucketModelSettings } from '../../src/pacing/bucket-model.js';

const hosted: BucketModelSettings = {
  highWaterMark: 700,
  upFrontCost: 50,
  outflowPerSecond: 10,
  safetyMargin: 20,
  windowMs: 250,
};

function model(overrides: Partial<BucketModelSettings> = {}): BucketModel {
  return new BucketModel({ ...hosted, ...overrides });
}

describe('BucketModel', () => {
  it('sends a single probe before it has seen any header', () => {
    const m = model();
    expect(m.headroom(0)).toBeUndefined();
    expect(m.allowedInFlight(0)).toBe(1);
    expect(m.msUntilRoom(0, 0)).toBe(0);
    expect(m.msUntilRoom(1, 0)).toBeUndefined();
  });

  it('allows 13 in flight on an idle hosted bucket (13 × 50 + 20 ≤ 700 < 14 × 50 + 20)', () => {
    const m = model();
    m.observe({ remaining: 699.98, othersInFlight: 0, throttled: false, nowMs: 0 });
    expect(m.allowedInFlight(0)).toBe(13);
  });

  it('counts the up-front cost held by the client’s other requests as headroom', () => {
    const m = model();
    // 12 others hold 600; remaining 99.5 means only 0.5 of real cost is unleaked.
    m.observe({ remaining: 99.5, othersInFlight: 12, throttled: false, nowMs: 0 });
    expect(m.headroom(0)).toBeCloseTo(699.5, 10);
    expect(m.allowedInFlight(0)).toBe(13);
  });

  it('computes the exact leak wait for the next slot', () => {
    const m = model();
    // Another process filled the bucket: remaining 10 with nothing of ours in flight.
    m.observe({ remaining: 10, othersInFlight: 0, throttled: true, nowMs: 1_000 });
    expect(m.allowedInFlight(1_000)).toBe(0);
    // Needs 50 + 20 = 70 of headroom: 60 more at 10/s = 6 s.
    expect(m.msUntilRoom(0, 1_000)).toBe(6_000);
    expect(m.allowedInFlight(6_999)).toBe(0);
    expect(m.allowedInFlight(7_000)).toBe(1);
    // With one in flight the next needs 120: 11 s after the observation.
    expect(m.msUntilRoom(1, 7_000)).toBe(5_000);
  });

  it('caps the leak at the high-water mark and says when only a response can help', () => {
    const m = model();
    m.observe({ remaining: 690, othersInFlight: 0, throttled: false, nowMs: 0 });
    expect(m.headroom(60_000)).toBe(700);
    // 14 in flight would need 14 × 50 + 20 = 720 > 700: no leak can make room.
    expect(m.msUntilRoom(13, 60_000)).toBeUndefined();
  });

  it('keeps the lowest recent observation, so one that overstates the headroom is outvoted', () => {
    const m = model();
    m.observe({ remaining: 300, othersInFlight: 2, throttled: false, nowMs: 0 }); // headroom 400
    // A request counted as in flight that Canvas had not received yet: +50 too much.
    m.observe({ remaining: 300, othersInFlight: 3, throttled: false, nowMs: 1 });
    expect(m.headroom(1)).toBeCloseTo(400.01, 10);
    // Once the first observation leaves the window, the newer one speaks alone.
    expect(m.headroom(300)).toBeCloseTo(452.99, 10);
  });

  it('keeps its readings for ten times the event loop’s lag when that outlasts windowMs', () => {
    let lagMs = 60;
    const m = model({ lagMs: () => lagMs });
    // A reading taken while the loop kept time, then one read late: requests admitted while its
    // response waited count as held, +100 too much.
    m.observe({ remaining: 300, othersInFlight: 2, throttled: false, nowMs: 0 }); // 400
    m.observe({ remaining: 300, othersInFlight: 4, throttled: false, nowMs: 1 }); // 500
    // 250 ms is past, 600 (10 × 60) is not: the lower reading still holds, grown by the leak.
    expect(m.headroom(500)).toBeCloseTo(405, 10);
    expect(m.headroom(601)).toBeCloseTo(506, 10);
    // The loop keeps time again: back to windowMs, and both are older than that.
    lagMs = 2;
    m.observe({ remaining: 280, othersInFlight: 4, throttled: false, nowMs: 260 }); // 480
    expect(m.headroom(260)).toBeCloseTo(480, 10);
    // A lag that is not a number is no lag: windowMs still holds.
    lagMs = Number.NaN;
    m.observe({ remaining: 300, othersInFlight: 4, throttled: false, nowMs: 270 }); // 500
    expect(m.headroom(500)).toBeCloseTo(482.4, 10);
  });

  it('takes the latest smoothed reading for the headroom, still below any raw one in the window', () => {
    const m = model();
    // Smoothed readings (the transit estimate's): each replaces the smoothed ones before it.
    m.observe({ remaining: 100, othersInFlight: 10, headroom: 560, throttled: false, nowMs: 0 });
    m.observe({ remaining: 100, othersInFlight: 10, headroom: 600, throttled: false, nowMs: 1 });
    // Not the lowest of the two (560 grown by 1 ms of leak), but the latest.
    expect(m.headroom(1)).toBeCloseTo(600, 10);
    expect(m.allowedInFlight(1)).toBe(11);
    // A lower smoothed reading replaces it just the same.
    m.observe({ remaining: 100, othersInFlight: 10, headroom: 580, throttled: false, nowMs: 2 });
    expect(m.headroom(2)).toBeCloseTo(580, 10);
    // A raw reading (remaining + upFront × others) still joins the minimum for its window.
    m.observe({ remaining: 10, othersInFlight: 10, throttled: false, nowMs: 3 }); // 510
    m.observe({ remaining: 100, othersInFlight: 10, headroom: 620, throttled: false, nowMs: 4 });
    expect(m.headroom(4)).toBeCloseTo(510.01, 10);
    // Once the raw one leaves the window, the latest smoothed reading speaks alone.
    expect(m.headroom(300)).toBeCloseTo(622.96, 10);
  });

  it('learns a larger high-water mark from the largest remaining seen', () => {
    const m = model();
    m.observe({ remaining: 1_000, othersInFlight: 0, throttled: false, nowMs: 0 });
    expect(m.highWaterMark).toBe(1_000);
    expect(m.allowedInFlight(0)).toBe(19);
    expect(m.estimate(0)).toMatchObject({ maxRemainingSeen: 1_000, lastRemaining: 1_000 });
  });

  it('lowers a high-water mark guessed too high when a throttle proves it wrong', () => {
    const m = model();
    // Self-hosted Canvas with hwm 600: idle responses say 599.9, the guess stays 700.
    m.observe({ remaining: 599.9, othersInFlight: 0, throttled: false, nowMs: 0 });
    expect(m.headroom(20_000)).toBe(700); // leak growth capped by the wrong guess
    // 12 of ours were let through; Canvas refused the 12th: remaining 50 with 11 others.
    m.observe({ remaining: 50, othersInFlight: 11, throttled: true, nowMs: 20_000 });
    expect(m.highWaterMark).toBeCloseTo(600, 10);
    expect(m.headroom(20_000)).toBeCloseTo(600, 10);
    expect(m.allowedInFlight(20_000)).toBe(11);
    // Idle again: the leak now stops at the corrected mark.
    m.observe({ remaining: 599.9, othersInFlight: 0, throttled: false, nowMs: 21_000 });
    expect(m.headroom(60_000)).toBeCloseTo(600, 10);
  });

  it('lets the up-front charges of long-running requests leak, trusting one extra slot', () => {
    const m = model();
    // 12 others in flight hold 600; 50 of real cost: headroom 650.
    m.observe({ remaining: 50, othersInFlight: 12, throttled: false, nowMs: 0 });
    expect(m.allowedInFlight(0)).toBe(12);
    // 10 s later the count has leaked 100: room for a 14th in flight.
    expect(m.headroom(10_000)).toBeCloseTo(750, 10);
    expect(m.allowedInFlight(10_000)).toBe(14);
    // Canvas's true bound would be 700 + 12 × 50; the model believes 700 + 50 at most.
    expect(m.headroom(1_000_000)).toBe(750);
    expect(m.msUntilRoom(14, 1_000_000)).toBeUndefined();
  });

  it('subtracts the costs later responses report from older observations', () => {
    const m = model();
    m.observe({ remaining: 300, othersInFlight: 0, throttled: false, nowMs: 0, cost: 1 });
    // A second response 1 ms later claims more room than the first allows, but
    // reports a cost of 40 charged since: the first observation says 300 + 0.01 − 40.
    m.observe({ remaining: 400, othersInFlight: 0, throttled: false, nowMs: 1, cost: 40 });
    expect(m.headroom(1)).toBeCloseTo(260.01, 10);
  });

  it('never lowers the high-water mark below a remaining it has seen', () => {
    const m = model();
    m.observe({ remaining: 699, othersInFlight: 0, throttled: false, nowMs: 0 });
    // Another process filled the bucket: the throttle is no proof against 699.
    m.observe({ remaining: 0, othersInFlight: 0, throttled: true, nowMs: 100_000 });
    expect(m.highWaterMark).toBe(699);
  });
});

describe('BucketModel high-water mark floor', () => {
  it('never lowers its guess below what one request needs, so the gate cannot wait for ever', () => {
    const m = model();
    m.observe({ remaining: 10, othersInFlight: 0, throttled: true, nowMs: 0 });
    // Idle 120 s, then another process's burst: a throttle reporting −100.
    m.observe({ remaining: -100, othersInFlight: 0, throttled: true, nowMs: 120_000 });
    expect(m.highWaterMark).toBeGreaterThan(50 + 20);
    expect(m.msUntilRoom(0, 120_000)).not.toBeUndefined();
  });
});

describe('BucketModel against implausible readings', () => {
  it('never learns a high-water mark above maxHighWaterMark', () => {
    const m = model({ maxHighWaterMark: 10_000 });
    m.observe({ remaining: 1e300, othersInFlight: 0, throttled: false, nowMs: 0 });
    expect(m.highWaterMark).toBe(10_000);
    // 10,000 of headroom at most: 199 in flight, not unlimited.
    expect(m.allowedInFlight(0)).toBe(199);
    m.observe({ remaining: 5_000, othersInFlight: 0, throttled: true, nowMs: 1_000 });
    expect(m.highWaterMark).toBeLessThanOrEqual(10_000);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'ignores an observation whose remaining is %d',
    (remaining) => {
      const m = model();
      m.observe({ remaining: 600, othersInFlight: 0, throttled: false, nowMs: 0 });
      m.observe({ remaining, othersInFlight: 0, throttled: true, nowMs: 1 });
      expect(m.estimate(1)).toEqual({
        headroom: 600.01,
        highWaterMark: 700,
        maxRemainingSeen: 600,
        lastRemaining: 600,
      });
      expect(m.msUntilRoom(0, 1)).toBe(0);
    },
  );

  it.each([Number.NaN, Number.POSITIVE_INFINITY])('ignores a cost of %d', (cost) => {
    const m = model();
    m.observe({ remaining: 600, othersInFlight: 0, throttled: false, nowMs: 0 });
    m.observe({ remaining: 600, othersInFlight: 0, throttled: false, nowMs: 1, cost });
    expect(m.headroom(1)).toBeCloseTo(600, 10);
    m.observe({ remaining: 590, othersInFlight: 0, throttled: false, nowMs: 2, cost: 10 });
    // Later costs still count: the arithmetic was not poisoned.
    expect(m.headroom(2)).toBeCloseTo(590, 10);
  });
});
