/**
 * A deterministic timeline of one client's requests to a distant Canvas, for testing the
 * transit estimate where the true delay is known: a discrete-event run of Canvas's bucket
 * arithmetic (canvas-api-facts §1) with requests that travel `upMs` there and `downMs` back.
 * The client keeps `inFlight` requests outstanding (sent, answer not read) and sends the next one
 * the moment an answer is read. Every answer is returned as the pacer would see it.
 */
import type { TransitObservation } from '../../../src/pacing/transit-estimator.js';

/** One answer as the pacer sees it, plus what only the timeline knows. */
export interface TimelineObservation extends TransitObservation {
  /**
   * The headroom the reading stands for: `hwm − count` when the answer left Canvas (or was
   * rejected) plus the up-front charges of the client's other requests inside Canvas then.
   */
  readonly trueHeadroom: number;
}

export interface TimelineSpec {
  /** Requests to send. */
  readonly requests: number;
  /** Requests kept outstanding. */
  readonly inFlight: number;
  /** Time in Canvas: uniform in [min, max) ms. */
  readonly serviceMs: { readonly min: number; readonly max: number };
  /** Network delay each way: `mean ± jitter` ms, uniform. */
  readonly transitMs: { readonly mean: number; readonly jitter: number };
  /** Cost charged per request. @defaultValue 0.02 */
  readonly cost?: number;
  /** @defaultValue 1 */
  readonly seed?: number;
  /** Bucket level another client of the token adds per second (its requests, not ours). @defaultValue 0 */
  readonly foreignUnitsPerSecond?: number;
}

/** A small seeded PRNG (mulberry32). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Req {
  readonly id: number;
  readonly sentMs: number;
  arriveMs: number;
  leaveMs: number;
  readMs: number;
  remaining: number;
  /** `remaining` plus the charges of the other requests inside Canvas when it left. */
  trueHeadroom: number;
  throttled: boolean;
}

type Event = { readonly at: number; readonly kind: 'arrive' | 'leave' | 'read'; readonly req: Req };

export function transitTimeline(spec: TimelineSpec): TimelineObservation[] {
  const random = seeded(spec.seed ?? 1);
  const cost = spec.cost ?? 0.02;
  const hwm = 700;
  const upFront = 50;
  const outflow = 10;
  const maximum = 800;
  let count = 0;
  let touched = 0;
  const leak = (now: number): void => {
    count = Math.max(0, count - (outflow * (now - touched)) / 1000);
    touched = now;
  };
  const events: Event[] = [];
  const push = (event: Event): void => {
    let i = events.length;
    while (i > 0 && (events[i - 1]?.at ?? 0) > event.at) i--;
    events.splice(i, 0, event);
  };
  const transit = (): number => spec.transitMs.mean + spec.transitMs.jitter * (2 * random() - 1);
  let sent = 0;
  const outstanding = new Set<Req>();
  /** Requests Canvas holds a charge for. */
  let inside = 0;
  const send = (now: number): void => {
    if (sent >= spec.requests) return;
    const req: Req = {
      id: sent++,
      sentMs: now,
      arriveMs: now + transit(),
      leaveMs: 0,
      readMs: 0,
      remaining: 0,
      trueHeadroom: 0,
      throttled: false,
    };
    outstanding.add(req);
    push({ at: req.arriveMs, kind: 'arrive', req });
  };
  for (let i = 0; i < spec.inFlight; i++) send(0);
  const observations: TimelineObservation[] = [];
  let foreignAt = 0;
  while (events.length > 0) {
    const event = events.shift() as Event;
    const now = event.at;
    leak(now);
    if (spec.foreignUnitsPerSecond !== undefined && now - foreignAt >= 100) {
      count += (spec.foreignUnitsPerSecond * (now - foreignAt)) / 1000;
      foreignAt = now;
    }
    const { req } = event;
    if (event.kind === 'arrive') {
      if (count + upFront >= hwm) {
        req.throttled = true;
        req.remaining = hwm - count;
        req.trueHeadroom = req.remaining + upFront * inside;
        req.leaveMs = now;
        req.readMs = now + transit();
        push({ at: req.readMs, kind: 'read', req });
      } else {
        count = Math.min(maximum, count + upFront);
        inside++;
        const { min, max } = spec.serviceMs;
        req.leaveMs = now + min + (max - min) * random();
        push({ at: req.leaveMs, kind: 'leave', req });
      }
    } else if (event.kind === 'leave') {
      // Canvas clamps the level to [0, maximum] after every add (the leak may have taken the
      // up-front charges already).
      count = Math.min(maximum, Math.max(0, count + cost - upFront));
      inside--;
      req.remaining = hwm - count;
      req.trueHeadroom = req.remaining + upFront * inside;
      req.readMs = now + transit();
      push({ at: req.readMs, kind: 'read', req });
    } else {
      outstanding.delete(req);
      observations.push({
        nowMs: now,
        ageMs: now - req.sentMs,
        othersAgesMs: [...outstanding].map((other) => now - other.sentMs),
        remaining: req.remaining,
        cost: req.throttled ? 0 : cost,
        throttled: req.throttled,
        trueHeadroom: req.trueHeadroom,
      });
      send(now);
    }
  }
  return observations;
}
