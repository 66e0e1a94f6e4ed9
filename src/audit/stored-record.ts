import type { AuditRecord } from './audit-record.ts';
import type { StoredRecord } from './audit-store.ts';
import { canonicalJson } from './chain/canonical-json.ts';
import { hashRecord } from './chain/seal-record.ts';

/** A sealed record with the index columns every store keeps beside its canonical body. */
export function toStoredRecord(record: AuditRecord): StoredRecord {
  return toStoredRecordWithBody(record, canonicalJson(record));
}

/** toStoredRecord for a body already made: it must be canonicalJson(record) (sealRecordWithBody). */
export function toStoredRecordWithBody(record: AuditRecord, body: string): StoredRecord {
  return {
    chain: record.chain,
    seq: record.seq,
    id: record.id,
    time: record.time,
    requestId: record.requestId,
    phase: record.phase,
    operation: record.operation,
    actor: record.actor.subject,
    result: record.outcome?.result ?? null,
    attemptId: record.outcome?.attemptId ?? null,
    prevHash: record.prevHash,
    hash: record.hash,
    body,
  };
}

/** The record a stored body holds. Throws on a body that is not a JSON object. */
export function parseStoredRecord(stored: StoredRecord): AuditRecord {
  const value: unknown = JSON.parse(stored.body);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`record ${stored.chain}#${stored.seq} is not a JSON object`);
  }
  return value as AuditRecord;
}

/**
 * What `audit:verify` checks for a stored record: its body with the store's index columns laid
 * over it. Where a column disagrees with the body — one of them was edited — the hash no longer
 * matches, so a query filter or a head lookup can never silently differ from what was signed.
 * A body that is not JSON becomes a value verifyChain reports as not a record.
 */
export function recordForVerification(stored: StoredRecord): unknown {
  let body: Record<string, unknown>;
  try {
    const value: unknown = JSON.parse(stored.body);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { seq: stored.seq, unreadable: true };
    }
    body = value as Record<string, unknown>;
  } catch {
    return { seq: stored.seq, unreadable: true };
  }
  const actor = (body.actor ?? {}) as Record<string, unknown>;
  const outcome = body.outcome as Record<string, unknown> | undefined;
  const columnsOutcome =
    outcome === undefined && stored.result === null && stored.attemptId === null
      ? undefined
      : {
          ...outcome,
          result: stored.result,
          ...(stored.attemptId !== null || outcome?.attemptId !== undefined
            ? { attemptId: stored.attemptId }
            : {}),
        };
  const columns = {
    ...body,
    chain: stored.chain,
    seq: stored.seq,
    id: stored.id,
    time: stored.time,
    requestId: stored.requestId,
    phase: stored.phase,
    operation: stored.operation,
    actor: { ...actor, subject: stored.actor },
    ...(columnsOutcome !== undefined ? { outcome: columnsOutcome } : {}),
    prevHash: stored.prevHash,
    hash: stored.hash,
  };
  if (agree(columns, body)) return columns;
  // One of the two was edited. Laying the columns over an edited body would restore what was
  // signed and hide the edit, while the API and exports serve the body: so an intact body
  // hands over the edited columns, and an edited body itself — either fails its hash.
  return hashMatches(body) ? columns : body;
}

function agree(a: object, b: object): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

function hashMatches(record: Record<string, unknown>): boolean {
  try {
    return hashRecord(record) === record.hash;
  } catch {
    return false;
  }
}
