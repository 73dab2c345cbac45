/**
 * One `abort` listener per signal, however many requests wait on it.
 *
 * Node's `AbortSignal` checks every listener already registered before it adds one, and
 * `AbortSignal.any` walks the sources' dependants, so tying each of 100,000 queued requests to
 * one shared signal (the client's shutdown signal, or a caller's signal passed to every request)
 * costs time quadratic in the queue: 40,000 requests blocked the event loop for 5.8 s. This
 * registers a single listener per signal and keeps the requests' callbacks in a `Set`, so
 * subscribing and unsubscribing cost O(1).
 */
export class AbortFanout {
  readonly #subscribers = new WeakMap<AbortSignal, Set<() => void>>();

  /**
   * Calls `onAbort` once when `signal` aborts (at once if it already has).
   *
   * @returns A function that removes the subscription; idempotent.
   */
  subscribe(signal: AbortSignal, onAbort: () => void): () => void {
    if (signal.aborted) {
      onAbort();
      return () => undefined;
    }
    let callbacks = this.#subscribers.get(signal);
    if (callbacks === undefined) {
      const created = new Set<() => void>();
      callbacks = created;
      this.#subscribers.set(signal, created);
      signal.addEventListener(
        'abort',
        () => {
          for (const callback of [...created]) callback();
          created.clear();
        },
        { once: true },
      );
    }
    const set = callbacks;
    set.add(onAbort);
    return () => {
      set.delete(onAbort);
    };
  }

  /**
   * A signal of its own that aborts when any of `signals` does, with that signal's reason,
   * and a function that detaches it (call it when the work it guards has ended).
   */
  link(signals: readonly (AbortSignal | undefined)[]): { signal: AbortSignal; unlink: () => void } {
    const controller = new AbortController();
    const unsubscribers: (() => void)[] = [];
    for (const source of signals) {
      if (source === undefined) continue;
      if (controller.signal.aborted) break;
      unsubscribers.push(this.subscribe(source, () => controller.abort(source.reason)));
    }
    return {
      signal: controller.signal,
      unlink: () => {
        for (const unsubscribe of unsubscribers) unsubscribe();
      },
    };
  }
}
