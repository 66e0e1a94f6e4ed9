// The limit on requests that carry no valid identity, per client address (docs/api.md "Callers
// and permissions"). The per-caller limit runs after authentication and cannot see them, and each
// would otherwise cost an audit record: a flood without credentials would fill the audit volume.
//
// Counted before anything is written. Within `rateLimit.unauthenticatedPerAddress` per window a
// request is answered 401 and audited as always; past it, 429 RATE_LIMITED with Retry-After and
// no record of its own: one summary outcome record per address and window counts them, written
// when the window ends (or at shutdown). Counts live in the rate-limit store — in process, or in
// Redis, where the limit holds across the fleet (each instance summarizes what it refused).

import { MemoryStore, type Options, type Store } from 'express-rate-limit';
import type { AuditEvent, AuditTrail } from '../audit/audit-trail.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { ProblemError } from '../problems/problem-error.ts';
import { STORE_ERROR_RETRY_AFTER_SECONDS } from './rate-limit.ts';
import { createRefusalSummaries } from './refusal-summaries.ts';

export interface UnauthenticatedLimitOptions {
  readonly config: Config['rateLimit'];
  readonly metrics: Metrics;
  readonly auditTrail: AuditTrail;
  readonly logger: Logger;
  /** The shared store (Redis, with a prefix of its own); in-process memory by default. */
  readonly store?: Store;
  readonly clock?: () => number;
}

export interface UnauthenticatedLimit {
  /**
   * Counts one request without a valid identity. Null: within the limit (answer and audit it as
   * usual). A problem: refuse it with that, without a record — the summary counts it.
   */
  refuse(event: AuditEvent): Promise<ProblemError | null>;
  /** Writes every pending summary and stops (before the audit trail closes). */
  close(): Promise<void>;
}

export function createUnauthenticatedLimit(
  options: UnauthenticatedLimitOptions,
): UnauthenticatedLimit {
  const { config, metrics, auditTrail, logger } = options;
  const clock = options.clock ?? Date.now;
  const windowMs = config.windowSeconds * 1000;
  const limit = config.unauthenticatedPerAddress;
  const store = options.store ?? new MemoryStore();
  // A store that cannot initialize now (Redis down) fails its increments instead.
  Promise.resolve(store.init?.({ windowMs } as Options)).catch(() => undefined);
  const summaries = createRefusalSummaries({ auditTrail, logger, clock, windowMs });

  return {
    async refuse(event) {
      const address = event.client.ip ?? 'unknown';
      let resetAt: number;
      let retryAfter: number;
      try {
        const { totalHits, resetTime } = await store.increment(address);
        if (totalHits <= limit) return null;
        resetAt = resetTime?.getTime() ?? clock() + windowMs;
        retryAfter = Math.max(1, Math.ceil((resetAt - clock()) / 1000));
      } catch (error) {
        metrics.rateLimitStoreErrors.labels(config.onStoreError).inc();
        if (config.onStoreError === 'fail-open') return null;
        logger.error({ err: error }, 'rate-limit store failed; unauthenticated request refused');
        retryAfter = Math.min(STORE_ERROR_RETRY_AFTER_SECONDS, config.windowSeconds);
        resetAt = clock() + retryAfter * 1000;
      }
      metrics.unauthenticatedRejections.inc();
      summaries.count(event, resetAt);
      return new ProblemError('RATE_LIMITED', {
        detail: `Too many requests without valid credentials from this address: the limit is ${limit} per ${config.windowSeconds} s.`,
        retryAfter,
      });
    },
    async close() {
      await summaries.close();
      if (options.store === undefined) await store.shutdown?.();
    },
  };
}
