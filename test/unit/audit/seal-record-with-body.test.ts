// The audit writer seals a record and makes its stored body from one serialization
// (sealRecordWithBody). Both must be exactly what sealRecord and canonicalJson make apart: a body
// that differs from the record's canonical JSON by one byte fails `audit:verify` later.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GENESIS_HASH } from '../../../src/audit/audit-record.ts';
import { buildAuditRecordContent } from '../../../src/audit/build-audit-record.ts';
import { canonicalJson } from '../../../src/audit/chain/canonical-json.ts';
import {
  hashRecord,
  sealRecord,
  sealRecordWithBody,
} from '../../../src/audit/chain/seal-record.ts';
import { sampleEvent } from './audit-test-kit.ts';

describe('sealRecordWithBody', () => {
  const attempt = buildAuditRecordContent({
    id: '0b7f0c3e-6a0e-4f43-9a67-2b8b8d9d4c11',
    time: '2025-01-01T00:00:01.000Z',
    phase: 'attempt',
    event: sampleEvent({ requestId: 'req-1' }),
  });
  const outcome = buildAuditRecordContent({
    id: '5d1c2e0f-2f4b-4b8e-8f55-0e3b7c6a9d22',
    time: '2025-01-01T00:00:02.000Z',
    phase: 'outcome',
    event: sampleEvent({ requestId: 'req-1' }),
    outcome: {
      result: 'failed',
      status: 502,
      code: 'UPSTREAM_ERROR',
      upstream: {
        status: 500,
        code: 'KMS.0001',
        message: 'déjà vu "quoted" \u2028',
        requestId: 'r',
      },
      attempts: 3,
      durationMs: 12,
    },
  });

  for (const [name, content] of [
    ['an attempt', attempt],
    ['an outcome with an upstream fault', outcome],
  ] as const) {
    test(`seals ${name} exactly as sealRecord does, and its body is its canonical JSON`, () => {
      const apart = sealRecord(content, 'chain-a', 7, GENESIS_HASH);
      const { record, body } = sealRecordWithBody(content, 'chain-a', 7, GENESIS_HASH);
      assert.deepEqual(record, apart);
      assert.equal(record.hash, hashRecord(record));
      assert.equal(body, canonicalJson(record));
    });
  }
});
