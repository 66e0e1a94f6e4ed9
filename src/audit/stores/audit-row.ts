// The row of an audit record as both stores keep it: the same columns, in the same order, in
// SQLite and PostgreSQL, mapped to and from StoredRecord in one place.

import type { StoredRecord } from '../audit-store.ts';

export const AUDIT_COLUMNS = [
  'chain',
  'seq',
  'id',
  'time',
  'request_id',
  'phase',
  'operation',
  'actor',
  'result',
  'attempt_id',
  'prev_hash',
  'hash',
  'body',
] as const;

export type AuditColumn = (typeof AUDIT_COLUMNS)[number];

/** The columns, comma-separated, optionally qualified by a table alias. */
export function auditColumnList(alias?: string): string {
  const prefix = alias === undefined ? '' : `${alias}.`;
  return AUDIT_COLUMNS.map((column) => `${prefix}${column}`).join(', ');
}

export interface AuditRow {
  chain: string;
  /** PostgreSQL returns a bigint as text. */
  seq: number | string;
  id: string;
  time: string;
  request_id: string;
  phase: StoredRecord['phase'];
  operation: string;
  actor: string | null;
  result: StoredRecord['result'];
  attempt_id: string | null;
  prev_hash: string;
  hash: string;
  body: string;
}

/** The values of a record, in the order of AUDIT_COLUMNS. */
export function auditRowValues(record: StoredRecord): (string | number | null)[] {
  return [
    record.chain,
    record.seq,
    record.id,
    record.time,
    record.requestId,
    record.phase,
    record.operation,
    record.actor,
    record.result,
    record.attemptId,
    record.prevHash,
    record.hash,
    record.body,
  ];
}

export function fromAuditRow(row: AuditRow): StoredRecord {
  return {
    chain: row.chain,
    seq: Number(row.seq),
    id: row.id,
    time: row.time,
    requestId: row.request_id,
    phase: row.phase,
    operation: row.operation,
    actor: row.actor,
    result: row.result,
    attemptId: row.attempt_id,
    prevHash: row.prev_hash,
    hash: row.hash,
    body: row.body,
  };
}
