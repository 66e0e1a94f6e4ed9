// A clock and timer the test moves by hand: no sleeping, and deadlines fire exactly when told.
import type { SetTimer } from '../../../src/iam/token-cache.ts';

export interface FakeTime {
  readonly clock: () => number;
  readonly setTimer: SetTimer;
  /** Moves the clock forward and fires every timer that falls due, in order. */
  advance(ms: number): void;
  readonly pendingTimers: () => number;
}

export const START = Date.UTC(2025, 0, 6, 9, 0, 0);

export function createFakeTime(start = START): FakeTime {
  let now = start;
  const timers = new Set<{ at: number; fn: () => void }>();
  return {
    clock: () => now,
    setTimer: (fn, ms) => {
      const timer = { at: now + ms, fn };
      timers.add(timer);
      return () => {
        timers.delete(timer);
      };
    },
    advance(ms) {
      now += ms;
      const due = [...timers].filter((t) => t.at <= now).sort((a, b) => a.at - b.at);
      for (const timer of due) {
        timers.delete(timer);
        timer.fn();
      }
    },
    pendingTimers: () => timers.size,
  };
}

/** A promise the test settles by hand. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
