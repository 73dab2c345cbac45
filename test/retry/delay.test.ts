import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { delay } from '../../src/retry/delay.js';
import { fakeClock } from '../support/fake-clock.js';

describe('delay', () => {
  it('resolves at once for no time', async () => {
    await expect(delay(0)).resolves.toBeUndefined();
    await expect(delay(-5, new AbortController().signal)).resolves.toBeUndefined();
  });

  it("rejects with the signal's reason when it has already aborted", async () => {
    const reason = new Error('stop');
    await expect(delay(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
    await expect(delay(0, AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it("rejects with the signal's reason when it aborts during the wait", async () => {
    const controller = new AbortController();
    const reason = new Error('closing');
    const waiting = delay(60_000, controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});

describe('delay on an injected clock', () => {
  it("waits on the clock's timer, and only as long as asked", async () => {
    const clock = fakeClock();
    let done = false;
    const waiting = delay(250, undefined, clock).then(() => {
      done = true;
    });
    expect(clock.pending()).toEqual([250]);
    clock.advance(249);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await waiting;
    expect(done).toBe(true);
    expect(clock.pending()).toEqual([]);
  });

  it('clears its timer when the signal aborts', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const reason = new Error('closing');
    const waiting = delay(60_000, controller.signal, clock);
    expect(clock.pending()).toEqual([60_000]);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(clock.pending()).toEqual([]);
    expect(clock.now()).toBe(0);
  });

  it('sets no timer for no time or an aborted signal', async () => {
    const clock = fakeClock();
    await expect(delay(0, undefined, clock)).resolves.toBeUndefined();
    await expect(delay(10, AbortSignal.abort(new Error('stop')), clock)).rejects.toThrow('stop');
    expect(clock.requested).toEqual([]);
  });

  it('stops listening to the signal once the wait is over', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const waiting = delay(5, controller.signal, clock);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    clock.advance(5);
    await waiting;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
