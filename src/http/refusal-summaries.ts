// Summary outcome records for refusals that get no record of their own (requests without valid
// credentials past their address's limit, see unauthenticated-limit.ts): one record per address
// and window counts them, written once the window has ended (checked every few seconds) or at
// close, before the audit trail closes (docs/audit-trail.md "Summary records").

import type { AuditEvent, AuditTrail } from '../audit/audit-trail.ts';
import type { Logger } from '../observability/logger.ts';

/** Addresses with a pending summary; past this the oldest is written at once. */
const MAX_PENDING_ADDRESSES = 10_000;
const FLUSH_EVERY_MS = 5_000;

export interface RefusalSummaries {
  /** Counts one refusal of the event's client address in the window that ends at `resetAt`. */
  count(event: AuditEvent, resetAt: number): void;
  /** Writes every pending summary and waits for them. */
  close(): Promise<void>;
}

interface Pending {
  readonly event: AuditEvent;
  count: number;
  readonly first: number;
  last: number;
  readonly resetAt: number;
}

export function createRefusalSummaries(options: {
  readonly auditTrail: AuditTrail;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly windowMs: number;
}): RefusalSummaries {
  const { auditTrail, logger, clock } = options;
  const pending = new Map<string, Pending>();
  const writing = new Set<Promise<void>>();
  const timer = setInterval(flushDue, Math.min(options.windowMs, FLUSH_EVERY_MS));
  timer.unref();

  function flushDue(): void {
    const now = clock();
    for (const [address, entry] of pending) {
      if (entry.resetAt <= now) write(address, entry);
    }
  }

  function write(address: string, entry: Pending): void {
    pending.delete(address);
    const written = auditTrail
      .recordOutcome(entry.event, {
        result: 'rate-limited',
        status: 429,
        code: 'RATE_LIMITED',
        upstream: null,
        attempts: 0,
        durationMs: 0,
        reason: 'unauthenticated-over-limit',
        summary: {
          refused: entry.count,
          since: new Date(entry.first).toISOString(),
          until: new Date(entry.last).toISOString(),
        },
      })
      .then(
        () => undefined,
        (error: unknown) => {
          // The trail keeps a refused outcome and writes it once the store is back.
          logger.warn({ err: error, address }, 'unauthenticated summary record deferred');
        },
      );
    writing.add(written);
    void written.finally(() => writing.delete(written));
  }

  return {
    count(event, resetAt) {
      const address = event.client.ip ?? 'unknown';
      const now = clock();
      const entry = pending.get(address);
      if (entry !== undefined && entry.resetAt > now) {
        entry.count += 1;
        entry.last = now;
        return;
      }
      if (entry !== undefined) write(address, entry);
      if (pending.size >= MAX_PENDING_ADDRESSES) {
        const [oldest] = pending;
        if (oldest !== undefined) write(...oldest);
      }
      pending.set(address, { event, count: 1, first: now, last: now, resetAt });
    },
    async close() {
      clearInterval(timer);
      for (const entry of [...pending]) write(...entry);
      await Promise.all([...writing]);
    },
  };
}
