import { describe, expect, it } from 'vitest';
import { startCanvasSimulator } from '../../src/testing/index.js';

describe('simulator option validation', () => {
  it.each([
    [{ outflowPerSecond: -1 }, /outflowPerSecond/],
    [{ outflowPerSecond: 0 }, /outflowPerSecond/],
    [{ highWaterMark: 900 }, /highWaterMark \(900\) must not exceed maximum \(800\)/],
    [{ highWaterMark: 700, maximum: 600 }, /highWaterMark/],
    [{ faults: { explode: 1 } }, /faults: Unrecognized key: "explode"/],
    [{ faults: { serverErrorRate: 1.5 } }, /faults\.serverErrorRate/],
    [{ throttleStatus: 500 }, /throttleStatus/],
    [{ tokens: [] }, /tokens/],
    [{ port: 70_000 }, /port/],
    [{ perPageDefault: 200 }, /perPageDefault must not exceed perPageMax/],
    [{ institution: { courses: -3 } }, /institution\.courses/],
    [{ unknownOption: true }, /Unrecognized key: "unknownOption"/],
    [{ clock: 1_700_000_000_000 }, /clock/],
    [{ clock: { now: () => 0, setTimeout, clearTimeout } }, /clock/],
  ])('rejects %j', async (options, message) => {
    await expect(startCanvasSimulator(options as never)).rejects.toThrow(TypeError);
    await expect(startCanvasSimulator(options as never)).rejects.toThrow(message);
  });

  it('rejects bad faults given at runtime', async () => {
    const sim = await startCanvasSimulator();
    try {
      expect(() => sim.setFaults({ nonsense: true } as never)).toThrow(/Unrecognized key/);
      expect(() => sim.setFaults({ resetRate: -0.1 })).toThrow(/resetRate/);
      expect(() => sim.setBucketLevel(-5)).toThrow(/Bucket level/);
    } finally {
      await sim.close();
    }
  });

  it('listens on 127.0.0.1 on a free port by default', async () => {
    const sim = await startCanvasSimulator();
    try {
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await sim.close();
    }
  });
});
