// Fills a SQLite audit store with `count` records quickly: real records the gateway wrote are
// the templates (one attempt, one outcome), copied with fresh ids, request ids, times and one of
// 100 callers, sealed into the chain and appended in large transactions through the store's own
// append — the same rows, indexes and hashes as records the gateway writes one request at a time.

import { randomUUID } from 'node:crypto';
import type { AuditRecord, AuditRecordContent } from '../../src/audit/audit-record.ts';
import { GENESIS_HASH } from '../../src/audit/audit-record.ts';
import { sealRecord } from '../../src/audit/chain/seal-record.ts';
import { openSqliteAuditStore } from '../../src/audit/stores/sqlite-audit-store.ts';
import { parseStoredRecord, toStoredRecord } from '../../src/audit/stored-record.ts';

const BATCH = 10_000;
export const CALLERS = 100;

/** Reads the first attempt and its outcome from a store the gateway wrote. */
export async function readTemplates(
  path: string,
  chain: string,
): Promise<{ attempt: AuditRecord; outcome: AuditRecord }> {
  const store = openSqliteAuditStore({ path, readOnly: true });
  try {
    const records = (await store.query({ chain, limit: 200 })).map(parseStoredRecord);
    const attempt = records.find((r) => r.phase === 'attempt');
    const outcome = records.find(
      (r) => r.phase === 'outcome' && r.outcome?.attemptId === attempt?.id,
    );
    if (attempt === undefined || outcome === undefined) {
      throw new Error(`no attempt/outcome pair in ${path}`);
    }
    return { attempt, outcome };
  } finally {
    await store.close();
  }
}

/** Appends `count` records (attempt/outcome pairs) to `chain` in a new store at `path`. */
export async function fillAuditStore(
  path: string,
  chain: string,
  count: number,
  templates: { attempt: AuditRecord; outcome: AuditRecord },
  onProgress?: (written: number) => void,
): Promise<void> {
  const store = openSqliteAuditStore({ path });
  const strip = (record: AuditRecord): AuditRecordContent => {
    const { chain: _c, seq: _s, prevHash: _p, hash: _h, ...content } = record;
    return content;
  };
  const attemptTemplate = strip(templates.attempt);
  const outcomeTemplate = strip(templates.outcome);
  // Spread over the last 30 days, oldest first.
  const now = Date.now();
  const spanMs = 30 * 86_400_000;
  let head = { seq: 0, hash: GENESIS_HASH };
  try {
    for (let written = 0; written < count;) {
      const batch: AuditRecord[] = [];
      while (batch.length < BATCH && written + batch.length < count) {
        const n = written + batch.length;
        const time = new Date(now - spanMs + Math.floor((n / count) * spanMs)).toISOString();
        const requestId = randomUUID();
        const subject = `caller-${Math.floor(n / 2) % CALLERS}`;
        const actor = { ...attemptTemplate.actor, subject };
        const attempt: AuditRecordContent = {
          ...attemptTemplate,
          id: randomUUID(),
          requestId,
          time,
          actor,
        };
        const pair: AuditRecordContent[] = [attempt];
        if (written + batch.length + 1 < count && outcomeTemplate.outcome !== undefined) {
          pair.push({
            ...outcomeTemplate,
            id: randomUUID(),
            requestId,
            time,
            actor,
            outcome: { ...outcomeTemplate.outcome, attemptId: attempt.id },
          });
        }
        for (const content of pair) {
          const record = sealRecord(content, chain, head.seq + 1, head.hash);
          head = { seq: record.seq, hash: record.hash };
          batch.push(record);
        }
      }
      const before = { seq: head.seq - batch.length, hash: batch[0]?.prevHash ?? head.hash };
      await store.append(chain, before, batch.map(toStoredRecord));
      written += batch.length;
      onProgress?.(written);
    }
  } finally {
    await store.close();
  }
}
