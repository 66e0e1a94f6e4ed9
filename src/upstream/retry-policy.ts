// When to try a revocation again (docs/api.md "Errors": transient failures are retried with jittered
// exponential backoff inside the request's deadline). Pure: time and randomness come in.

import type { UpstreamFault } from './parse-upstream-error.ts';

/** Gateway answers that say "not now" rather than "no": retried. 500 is an answer; it is not. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/**
 * Gateway answers after which the service may well have performed the call: a proxy that lost
 * the upstream's answer (502) or gave up waiting for it (504). A 503 is a refusal to start.
 */
const UNKNOWN_OUTCOME_STATUSES: ReadonlySet<number> = new Set([502, 504]);

/** Retried: connection refused or reset, an attempt that timed out, 502, 503, 504. */
export function isTransient(fault: UpstreamFault): boolean {
  if (fault.kind === 'network') {
    return fault.network === 'refused' || fault.network === 'reset' || fault.network === 'timeout';
  }
  return fault.status !== undefined && TRANSIENT_STATUSES.has(fault.status);
}

/**
 * The call may have taken effect although it failed: a reset or timeout after the request was
 * completely sent, or a 502/504. A later 404 for the same target then means it did.
 */
export function isUnknownOutcome(fault: UpstreamFault): boolean {
  if (fault.kind === 'network') return fault.sent === true && fault.network !== 'refused';
  return fault.status !== undefined && UNKNOWN_OUTCOME_STATUSES.has(fault.status);
}

/**
 * Counts toward opening the service's circuit: the service could not be reached or its gateway
 * reported it unhealthy. 4xx answers and 500 show a service that is up and answering.
 */
export function isServiceFailure(fault: UpstreamFault): boolean {
  return (
    fault.kind === 'network' || (fault.status !== undefined && TRANSIENT_STATUSES.has(fault.status))
  );
}

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * "Full jitter": uniform in [0, min(max, base · 2^retryIndex)). Spreads the retries of many
 * requests that failed together instead of having them hit a recovering service in waves.
 */
export function backoffDelay(
  retryIndex: number,
  options: BackoffOptions,
  random: () => number,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** retryIndex);
  return Math.floor(Math.min(Math.max(random(), 0), 1) * ceiling);
}

/**
 * A retry must leave the attempt at least this long before the deadline (or the whole attempt
 * timeout when that is shorter); a retry with less time left could only time out.
 */
export const MIN_ATTEMPT_MS = 100;

export interface RetryInput {
  readonly fault: UpstreamFault;
  /** Retries already made for this request (token replays not counted). */
  readonly retriesUsed: number;
  readonly retries: number;
  readonly now: number;
  readonly deadline: number;
  readonly attemptTimeoutMs: number;
  readonly backoff: BackoffOptions;
  readonly random: () => number;
}

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: 'not-transient' | 'exhausted' | 'deadline' };

export function decideRetry(input: RetryInput): RetryDecision {
  if (!isTransient(input.fault)) return { retry: false, reason: 'not-transient' };
  if (input.retriesUsed >= input.retries) return { retry: false, reason: 'exhausted' };
  const delayMs = backoffDelay(input.retriesUsed, input.backoff, input.random);
  const needed = Math.min(MIN_ATTEMPT_MS, input.attemptTimeoutMs);
  if (input.now + delayMs + needed > input.deadline) return { retry: false, reason: 'deadline' };
  return { retry: true, delayMs };
}
