/**
 * How the command takes SIGINT and SIGTERM: the first stops gracefully, the same signal
 * delivered twice (to the process group, and forwarded by npm) is one, a second later one exits
 * at once with the signal's code.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ECHO_MS, exitCodeOf, type SignalSource, watchSignals } from '../../src/cli/signals.js';

function harness() {
  const emitter = new EventEmitter();
  let now = 1_000;
  const exits: number[] = [];
  const warnings: string[] = [];
  const watch = watchSignals({
    source: emitter as unknown as SignalSource,
    now: () => now,
    exit: (code) => exits.push(code),
    warn: (text) => warnings.push(text),
  });
  return {
    watch,
    exits,
    warnings,
    send: (signal: 'SIGINT' | 'SIGTERM') => emitter.emit(signal, signal),
    advance: (ms: number) => {
      now += ms;
    },
    listeners: () => emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM'),
  };
}

describe('watchSignals', () => {
  it('aborts at the first signal, with its name as the reason', () => {
    const h = harness();
    expect(h.watch.signal.aborted).toBe(false);
    h.send('SIGTERM');
    expect(h.watch.signal.aborted).toBe(true);
    expect(h.watch.signal.reason).toBe('SIGTERM');
    expect(h.exits).toEqual([]);
  });

  it('takes the same signal delivered twice at once (group and npm) as one', () => {
    const h = harness();
    h.send('SIGINT');
    h.advance(ECHO_MS - 1);
    h.send('SIGINT');
    expect(h.exits).toEqual([]);
    expect(h.watch.signal.reason).toBe('SIGINT');
  });

  it('exits at once at a second signal, with its code', () => {
    for (const [second, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const h = harness();
      h.send('SIGTERM');
      h.advance(ECHO_MS);
      h.send(second);
      expect(h.exits).toEqual([code]);
      expect(h.warnings.join('')).toContain(`${second} again: exiting at once`);
    }
  });

  it('stops listening when disposed', () => {
    const h = harness();
    expect(h.listeners()).toBe(2);
    h.watch.dispose();
    expect(h.listeners()).toBe(0);
  });

  it('gives 130 for SIGINT and 143 for SIGTERM', () => {
    expect(exitCodeOf('SIGINT')).toBe(130);
    expect(exitCodeOf('SIGTERM')).toBe(143);
  });
});
