import { createHash } from 'node:crypto';
import type { AuditRecord, AuditRecordContent } from './audit-record.ts';
import { canonicalJson } from './canonical-json.ts';

/** SHA-256 (lower-case hex) over the canonical JSON of a record without its `hash`. */
export function hashRecord(record: object): string {
  const { hash: _hash, ...rest } = record as { hash?: unknown };
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

/** Places a record's content in its chain: seq, the previous record's hash, its own hash. */
export function sealRecord(
  content: AuditRecordContent,
  chain: string,
  seq: number,
  prevHash: string,
): AuditRecord {
  const unsealed = { ...content, chain, seq, prevHash };
  return { ...unsealed, hash: hashRecord(unsealed) };
}
