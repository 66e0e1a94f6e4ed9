// The request a log line belongs to, carried by async context. Modules built once at start-up
// (token provider, revoker, audit writer, identity) log with the root logger; while they work
// for a request, the logger's mixin adds that request's id and trace id to their lines, so an
// operator can follow one request id through every line it caused.

import { AsyncLocalStorage } from 'node:async_hooks';

export interface LogContext {
  readonly requestId: string;
  readonly traceId: string;
}

interface ActiveContext extends LogContext {
  /**
   * Cleared when the request has been answered. Timers a request happened to start (a store
   * probe, a reconnection) inherit its async context; their later lines must not claim to
   * belong to a request that is long over.
   */
  active: boolean;
}

const storage = new AsyncLocalStorage<ActiveContext>();

export interface RequestLogContext {
  /** Runs `fn`, and everything it starts, as part of the request. */
  run(fn: () => void): void;
  /** The request has been answered: later lines are no longer its own. */
  end(): void;
}

export function createLogContext(context: LogContext): RequestLogContext {
  const active: ActiveContext = { ...context, active: true };
  return {
    run(fn) {
      storage.run(active, fn);
    },
    end() {
      active.active = false;
    },
  };
}

/** The request being worked on, if any. */
export function currentLogContext(): LogContext | undefined {
  const context = storage.getStore();
  return context?.active === true ? context : undefined;
}
