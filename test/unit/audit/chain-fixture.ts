// Builds sealed chains in memory for the verification tests.
import { randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { GENESIS_HASH, type AuditRecord } from '../../../src/audit/audit-record.ts';
import { buildAuditRecordContent } from '../../../src/audit/build-audit-record.ts';
import { signCheckpoint, type Checkpoint } from '../../../src/audit/chain/checkpoint.ts';
import { sealRecord } from '../../../src/audit/chain/seal-record.ts';
import { sampleEvent } from './audit-test-kit.ts';

export function buildChain(chain: string, count: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  let previous = { seq: 0, hash: GENESIS_HASH };
  for (let index = 0; index < count; index += 1) {
    const record = sealRecord(
      buildAuditRecordContent({
        id: randomUUID(),
        time: new Date(Date.UTC(2025, 0, 1, 0, 0, index)).toISOString(),
        phase: 'attempt',
        event: sampleEvent({ requestId: `${chain}-${index + 1}` }),
      }),
      chain,
      previous.seq + 1,
      previous.hash,
    );
    records.push(record);
    previous = { seq: record.seq, hash: record.hash };
  }
  return records;
}

/** Re-seals records from `from` (an index) on, as an attacker who rewrote the chain would. */
export function recompute(records: readonly AuditRecord[], from: number): AuditRecord[] {
  const result = records.slice(0, from);
  for (const record of records.slice(from)) {
    const previous = result[result.length - 1];
    const { chain, seq: _seq, prevHash: _prevHash, hash: _hash, ...content } = record;
    result.push(
      sealRecord(content, chain, (previous?.seq ?? 0) + 1, previous?.hash ?? GENESIS_HASH),
    );
  }
  return result;
}

export function checkpointsOf(
  records: readonly AuditRecord[],
  every: number,
  key: KeyObject,
): Checkpoint[] {
  return records
    .filter((_record, index) => (index + 1) % every === 0 || index === records.length - 1)
    .map((record) =>
      signCheckpoint(
        { chain: record.chain, seq: record.seq, hash: record.hash },
        '2025-01-01T01:00:00.000Z',
        key,
      ),
    );
}
