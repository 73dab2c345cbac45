import { describe, expect, it } from 'vitest';
import { BucketGate, type GateLease } from '../../src/pacing/bucket-gate.js';
import { BucketModel } from '../../src/pacing/bucket-model.js';
import { fakeClock } from '../support/fake-clock.js';

function setup(maxInFlight = 64) {
  const clock = fakeClock();
  const model = new BucketModel({
    highWaterMark: 700,
    upFrontCost: 50,
    outflowPerSecond: 10,
    safetyMargin: 20,
    windowMs: 250,
  });
  const gate = new BucketGate(model, { maxInFlight, clock });
  const admitted: GateLease[] = [];
  const take = (signal?: AbortSignal) => {
    const promise = gate.acquire(signal).then((lease) => {
      admitted.push(lease);
      return lease;
    });
    promise.catch(() => undefined);
    return promise;
  };
  return { clock, gate, admitted, take };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('BucketGate', () => {
  it('lets one probe through, then as many as the first response allows', async () => {
    const { gate, admitted, take } = setup();
    for (let i = 0; i < 20; i++) take();
    await flush();
    expect(admitted).toHaveLength(1);
    admitted[0]?.settle(699.9, false);
    await flush();
    expect(gate.inFlight).toBe(13);
    expect(gate.waiting).toBe(6);
    expect(gate.maxInFlight).toBe(13);
  });

  it('waits exactly as long as the leak needs, with one timer', async () => {
    const { clock, gate, admitted, take } = setup();
    take();
    take();
    await flush();
    admitted[0]?.settle(10, true); // bucket nearly full: 60 units short of 70
    await flush();
    expect(gate.inFlight).toBe(0);
    expect(clock.pending()).toEqual([6_000]);
    clock.advance(5_999);
    await flush();
    expect(admitted).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(admitted).toHaveLength(2);
    expect(admitted[1]?.byLeak).toBe(true);
    expect(admitted[1]?.waitedMs).toBe(6_000);
  });

  it('respects maxInFlight whatever the bucket allows', async () => {
    const { gate, admitted, take } = setup(3);
    for (let i = 0; i < 10; i++) take();
    await flush();
    admitted[0]?.settle(699.9, false);
    await flush();
    expect(gate.inFlight).toBe(3);
  });

  it('removes an aborted waiter at once and rejects with the signal’s reason', async () => {
    const { gate, take } = setup();
    take();
    const controller = new AbortController();
    const waiting = take(controller.signal);
    await flush();
    expect(gate.waiting).toBe(1);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(gate.waiting).toBe(0);
  });

  it('rejects waiters and later acquires when closed', async () => {
    const { gate, take } = setup();
    take();
    const waiting = take();
    gate.close(new Error('closed'));
    await expect(waiting).rejects.toThrow('closed');
    await expect(gate.acquire()).rejects.toThrow('closed');
  });

  it('settles a lease once only', async () => {
    const { gate, admitted, take } = setup();
    take();
    await flush();
    admitted[0]?.settle(699.9, false);
    admitted[0]?.settle(699.9, false);
    expect(gate.inFlight).toBe(0);
  });
});

describe('BucketGate priorities', () => {
  it('lets a higher-priority waiter go before earlier ones of lower priority', async () => {
    const { clock, gate, admitted } = setup();
    const order: string[] = [];
    const take = (name: string, priority: number) =>
      gate.acquire(undefined, priority).then((lease) => {
        order.push(name);
        admitted.push(lease);
      });
    void take('probe', 0);
    await flush();
    void take('a', 0);
    void take('b', 0);
    void take('retry', 1);
    await flush();
    expect(gate.waiting).toBe(3);
    admitted[0]?.settle(10, true); // nearly full: one slot in 6 s
    clock.advance(6_000);
    await flush();
    expect(order).toEqual(['probe', 'retry']);
    expect(gate.waiting).toBe(2);
  });
});
