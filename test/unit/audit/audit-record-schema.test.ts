// The zod schema of the audit record is what validates spooled outcomes and what the OpenAPI
// document shows; it must accept every record the gateway writes and nothing of another shape.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { z } from 'zod';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import { AUDIT_RECORD_SCHEMA } from '../../../src/audit/audit-record-schema.ts';
import { buildAuditRecordContent } from '../../../src/audit/build-audit-record.ts';
import { createOutcomeSpool } from '../../../src/audit/outcome-spool.ts';
import { sealRecord } from '../../../src/audit/chain/seal-record.ts';
import { buildChain } from './chain-fixture.ts';
import { sampleEvent, sampleOutcome } from './audit-test-kit.ts';

// Compile-time: whatever the schema accepts is an AuditRecord.
const schema: z.ZodType<AuditRecord> = AUDIT_RECORD_SCHEMA;

function outcomeContent(requestId: string) {
  return buildAuditRecordContent({
    id: randomUUID(),
    time: new Date().toISOString(),
    phase: 'outcome',
    event: sampleEvent({ requestId }),
    outcome: sampleOutcome(),
  });
}

test('accepts the attempt and outcome records the gateway builds and seals', () => {
  const records = [
    ...buildChain('schema', 3),
    sealRecord(outcomeContent('schema-outcome'), 'schema', 4, '0'.repeat(64)),
  ];
  for (const record of records) {
    const parsed = schema.safeParse(record);
    assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  }
});

test('refuses a record with an unknown field, a missing actor or a malformed hash', () => {
  const [record] = buildChain('schema', 1);
  assert.ok(record);
  const { actor: _actor, ...withoutActor } = record;
  for (const broken of [{ ...record, extra: 1 }, withoutActor, { ...record, hash: 'abc' }]) {
    assert.equal(schema.safeParse(broken).success, false, JSON.stringify(broken));
  }
});

test('the outcome spool replays only lines that are outcome records by the schema', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-spool-schema-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'audit.sqlite.spool');
  const good = outcomeContent('spooled');
  const { actor: _actor, ...withoutActor } = outcomeContent('no-actor');
  const lines = [good, withoutActor, { ...outcomeContent('odd'), outcome: { result: 'maybe' } }];
  writeFileSync(path, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  const { outcomes, unreadable } = createOutcomeSpool(path).read();
  assert.deepEqual(
    outcomes.map((outcome) => outcome.requestId),
    ['spooled'],
  );
  assert.equal(unreadable, 2);
});
