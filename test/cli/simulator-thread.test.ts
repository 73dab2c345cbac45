import { afterEach, describe, expect, it } from 'vitest';
import {
  type SimulatorThread,
  type SimulatorThreadOptions,
  startSimulatorThread,
} from '../../src/cli/simulator-thread.js';

const TINY = { courses: 2, students: 10, studentsPerCourse: 5, pageViewsUntil: 1_770_000_000_000 };

const started: SimulatorThread[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});

async function start(options: SimulatorThreadOptions): Promise<SimulatorThread> {
  const sim = await startSimulatorThread(options);
  started.push(sim);
  return sim;
}

describe('startSimulatorThread', () => {
  it('serves the institution over HTTP from its thread; stats follow; close is idempotent', async () => {
    const sim = await start({ seed: 7, institution: TINY, latencyMs: { min: 0, max: 2 } });
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.token).not.toBe('');
    expect(sim.bucket).toMatchObject({ highWaterMark: 700, upFrontCost: 50 });
    expect(await sim.stats()).toMatchObject({ requests: 0, level: 0, peakLevel: 0 });

    const courses = await fetch(`${sim.url}/api/v1/accounts/${sim.accountId}/courses?per_page=50`, {
      headers: { authorization: `Bearer ${sim.token}` },
    });
    expect(courses.status).toBe(200);
    expect(courses.headers.get('x-rate-limit-remaining')).not.toBeNull();
    const body = (await courses.json()) as { id: number }[];
    expect(body).toHaveLength(2);
    const refused = await fetch(`${sim.url}/api/v1/accounts/${sim.accountId}/courses`);
    expect(refused.status).toBe(401);

    const stats = await sim.stats();
    expect(stats).toMatchObject({ requests: 1, served: 1, throttled: 0, inFlight: 0 });
    expect(stats.peakLevel).toBeGreaterThan(0);
    expect(stats.level).toBeLessThanOrEqual(stats.peakLevel);
    expect(stats).not.toHaveProperty('samples');

    const closing = sim.close();
    expect(sim.close()).toBe(closing);
    await closing;
    await sim.close();
    await expect(sim.stats()).rejects.toThrow(/closed/);
    await expect(fetch(`${sim.url}/api/v1/users/self`)).rejects.toThrow();
  });

  it('gives the same data for the same seed, on the port asked for', async () => {
    const first = await start({ seed: 3, institution: TINY });
    const port = Number(new URL(first.url).port);
    const read = async (sim: SimulatorThread) => {
      const url = `${sim.url}/api/v1/accounts/${sim.accountId}/courses`;
      const response = await fetch(url, { headers: { authorization: `Bearer ${sim.token}` } });
      return response.json();
    };
    const courses = await read(first);
    await first.close();
    const second = await start({ seed: 3, institution: TINY, port });
    expect(second.url).toBe(first.url);
    expect(await read(second)).toEqual(courses);
  });

  it('rejects the start with an error naming a bad option', async () => {
    const unknown = { tokens: ['x'] } as SimulatorThreadOptions;
    await Promise.all([
      expect(start({ institution: { courses: -1 } })).rejects.toThrow(/failed to start: .*courses/),
      expect(start({ latencyMs: { min: 5, max: 1 } })).rejects.toThrow(/latencyMs/),
      expect(start({ faults: { serverErrorRate: 2 } })).rejects.toThrow(/serverErrorRate/),
      expect(start(unknown)).rejects.toThrow(/unknown option.*tokens/),
    ]);
  });

  it('rejects options that cannot cross to the thread', async () => {
    const latencyMs = (() => 1) as unknown as number;
    await expect(start({ latencyMs })).rejects.toThrow(/must be plain data .*could not be cloned/);
  });
});
