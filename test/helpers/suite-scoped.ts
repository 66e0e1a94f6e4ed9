// One resource per suite (a gateway, a simulator, a server): started in the enclosing suite's
// before() hook, closed in its after() hook, in one line instead of a `let` and two hooks.

import { after, before } from 'node:test';

interface Closable {
  close(): Promise<void> | void;
}

/**
 * Starts a resource in before() and closes it in after() (if it started). The object returned
 * stands for the resource in the tests; reading it before before() has run, or after `start`
 * failed, throws instead of reading undefined. At the top level of a file node runs before()
 * hooks as they are registered, so two resources there start side by side: one whose start
 * reads another belongs in a single suiteScoped start.
 */
export function suiteScoped<T extends object & Closable>(start: () => Promise<T>): T {
  let started: T | undefined;
  before(async () => {
    started = await start();
  });
  after(async () => {
    await started?.close();
  });
  return new Proxy({} as T, {
    get(_target, key) {
      if (started === undefined) {
        if (typeof key === 'symbol') return undefined;
        throw new Error(`.${key} read before the suite's before() hook started the resource`);
      }
      const value: unknown = Reflect.get(started, key);
      return typeof value === 'function' ? (value as () => unknown).bind(started) : value;
    },
  });
}
