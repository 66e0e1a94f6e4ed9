// Commits that landed after the writer took them for failed (a commit that failed late, or that
// finished after its callers' deadline): found by reconciling the head with the store, and
// closed with an outcome, since their callers were answered 503.

import { randomUUID } from 'node:crypto';
import type { AuditRecord, AuditRecordContent } from './audit-record.ts';
import { GENESIS_HASH } from './audit-record.ts';
import {
  AuditStoreError,
  type AuditStore,
  type ChainHead,
  type StoredRecord,
} from './audit-store.ts';
import { buildClosingOutcomeContent } from './build-audit-record.ts';

/** How many records a store may be ahead by and still be reconciled. */
const MAX_LATE_RECORDS = 5000;

/**
 * Makes the in-memory head agree with the store. A store ahead of us by records we tried to
 * write (`uncertain`: a commit that failed late) returns those records, to be adopted; anything
 * else — fewer records, other records, another writer — means the chain we hold is not the one
 * in the store, and we refuse to continue it: appending to a chain whose earlier records we
 * cannot see would hide their loss. Equal heads return no records.
 */
export async function findLateCommits(
  store: AuditStore,
  chain: string,
  head: ChainHead,
  uncertain: ReadonlySet<string>,
): Promise<{ readonly head: ChainHead; readonly records: readonly StoredRecord[] }> {
  const stored = (await store.head(chain)) ?? { seq: 0, hash: GENESIS_HASH };
  if (stored.seq === head.seq && stored.hash === head.hash) return { head, records: [] };
  if (stored.seq > head.seq && stored.seq - head.seq <= MAX_LATE_RECORDS) {
    const extra = await store.query({
      chain,
      after: { chain, seq: head.seq },
      limit: stored.seq - head.seq,
    });
    let previous = head;
    const ours = extra.every((record) => {
      const linked = record.prevHash === previous.hash && record.seq === previous.seq + 1;
      previous = { seq: record.seq, hash: record.hash };
      return linked && uncertain.has(record.id);
    });
    if (ours && previous.seq === stored.seq && previous.hash === stored.hash) {
      return { head: stored, records: extra };
    }
  }
  throw new AuditStoreError(
    'conflict',
    `chain ${chain} is at seq ${head.seq} in this process but at seq ${stored.seq} in ${store.location}; refusing to continue a chain whose records it cannot see`,
  );
}

/** Outcomes that close the attempts among late records: refused, and the cloud not called. */
export function closeLateAttempts(
  records: readonly AuditRecord[],
  time: string,
): AuditRecordContent[] {
  return records
    .filter((record) => record.phase === 'attempt')
    .map((record) =>
      // The caller was answered 503 and, write-ahead, the cloud was not called.
      buildClosingOutcomeContent(record, randomUUID(), time, {
        result: 'failed',
        status: 503,
        code: 'AUDIT_UNAVAILABLE',
        upstream: null,
        attempts: 0,
        durationMs: null,
        attemptId: record.id,
        reason: 'attempt-durable-after-refusal',
      }),
    );
}
