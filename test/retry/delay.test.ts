import { describe, expect, it } from 'vitest';
import { delay } from '../../src/retry/delay.js';

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
