import { createHash } from 'node:crypto';
import type { AuditRecord, AuditRecordContent } from '../audit-record.ts';
import { canonicalJson, canonicalMembersAround } from './canonical-json.ts';

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

/**
 * sealRecord, and the sealed record's canonical JSON (the body a store keeps), from one
 * serialization: the body is the hashed JSON with the `hash` member put in its place. The audit
 * writer seals every record on the event loop, so this halves its serialization work.
 */
export function sealRecordWithBody(
  content: AuditRecordContent,
  chain: string,
  seq: number,
  prevHash: string,
): { readonly record: AuditRecord; readonly body: string } {
  const unsealed: Record<string, unknown> = { ...content, chain, seq, prevHash };
  delete unsealed.hash;
  const { before, after } = canonicalMembersAround(unsealed, 'hash');
  const hash = createHash('sha256')
    .update(`{${joined(before, after)}}`, 'utf8')
    .digest('hex');
  return {
    record: { ...(unsealed as Omit<AuditRecord, 'hash'>), hash },
    body: `{${joined(joined(before, `"hash":"${hash}"`), after)}}`,
  };
}

/** Two runs of members as one, with a comma between them when both have any. */
function joined(first: string, second: string): string {
  if (first === '') return second;
  return second === '' ? first : `${first},${second}`;
}
