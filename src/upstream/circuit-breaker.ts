// A circuit breaker per cloud service. After `failureThreshold` consecutive service failures
// (see retry-policy.ts isServiceFailure) it opens: calls are refused at once with the seconds
// until it half-opens, instead of each waiting out timeouts against a service that is down.
// Half-open, exactly one call (the probe) goes through; its success closes the circuit, its
// failure opens it again for another `openSeconds`. Pure apart from the injected clock.

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  readonly failureThreshold: number;
  readonly openSeconds: number;
  readonly clock: () => number;
  /** Called on every change of state (for the circuit-state gauge and a log line). */
  readonly onStateChange?: (state: CircuitState) => void;
}

/**
 * One admitted call. Exactly one of its methods should be called when the call is over; the
 * first counts, and a ticket from before the last change of state counts for nothing.
 */
export interface CircuitTicket {
  /** The service answered (anything but a service failure). */
  succeeded(): void;
  /** The service could not be reached, or its gateway said it is unhealthy. */
  failed(): void;
  /** No call was made after all (e.g. the token could not be obtained). */
  released(): void;
}

export type CircuitAdmission =
  | { readonly allowed: true; readonly ticket: CircuitTicket }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface CircuitBreaker {
  admit(): CircuitAdmission;
  state(): CircuitState;
  /** While open: seconds until the circuit half-opens (at least 1); otherwise undefined. */
  retryAfterSeconds(): number | undefined;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const openMs = options.openSeconds * 1000;
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probeInFlight = false;
  // Bumped on every change of state, so that late tickets cannot undo a decision.
  let generation = 0;

  const moveTo = (next: CircuitState) => {
    if (next === state) return;
    state = next;
    generation += 1;
    if (next === 'open') openedAt = options.clock();
    if (next === 'closed') failures = 0;
    probeInFlight = false;
    options.onStateChange?.(next);
  };

  const ticket = (probe: boolean): CircuitTicket => {
    const issuedIn = generation;
    let done = false;
    const settle = (outcome: 'succeeded' | 'failed' | 'released') => {
      if (done) return;
      done = true;
      if (issuedIn !== generation) return;
      if (probe) {
        if (outcome === 'succeeded') moveTo('closed');
        else if (outcome === 'failed') moveTo('open');
        else probeInFlight = false;
        return;
      }
      if (outcome === 'succeeded') failures = 0;
      else if (outcome === 'failed') {
        failures += 1;
        if (failures >= options.failureThreshold) moveTo('open');
      }
    };
    return {
      succeeded: () => {
        settle('succeeded');
      },
      failed: () => {
        settle('failed');
      },
      released: () => {
        settle('released');
      },
    };
  };

  const secondsUntilHalfOpen = (): number | undefined => {
    if (state !== 'open') return undefined;
    const remaining = openedAt + openMs - options.clock();
    return remaining > 0 ? Math.max(1, Math.ceil(remaining / 1000)) : undefined;
  };

  return {
    admit() {
      if (state === 'open') {
        const retryAfterSeconds = secondsUntilHalfOpen();
        if (retryAfterSeconds !== undefined) return { allowed: false, retryAfterSeconds };
        moveTo('half-open');
      }
      if (state === 'half-open') {
        // The probe decides within one call; ask to come back a second later.
        if (probeInFlight) return { allowed: false, retryAfterSeconds: 1 };
        probeInFlight = true;
        return { allowed: true, ticket: ticket(true) };
      }
      return { allowed: true, ticket: ticket(false) };
    },
    state: () => state,
    retryAfterSeconds: secondsUntilHalfOpen,
  };
}
