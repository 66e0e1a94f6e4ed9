// Reading the audit trail is audited: GET /v1/audit (a JSON page) and its NDJSON export each
// leave a record naming the reader, the filter and how many records were sent, in the same
// chain as everything else, and a read whose record cannot be made durable is refused.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyChain } from '../../src/audit/chain/verify-chain.ts';
import { startGateway, type TestGateway, startGatewayFor } from '../helpers/gateway.ts';
import { callRoute, KMS_PATH, readTrail } from './support-audit-trail.ts';

let gw: TestGateway;
let auditor: string;

before(async () => {
  gw = await startGateway({ simulator: { autoReseed: true } });
  auditor = await gw.token('auditor', []);
  const revoker = await gw.token('alice');
  for (let index = 0; index < 5; index += 1) {
    await callRoute(`${gw.url}${KMS_PATH}`, { token: revoker, requestId: `seed-${index}` });
  }
});
after(() => gw.close());

function read(params: Record<string, string>, requestId: string, accept = 'application/json') {
  return fetch(`${gw.url}/v1/audit?${new URLSearchParams(params).toString()}`, {
    headers: { authorization: `Bearer ${auditor}`, accept, 'x-request-id': requestId },
  });
}

describe('reads of the audit trail are audited', () => {
  test('a JSON page leaves one audit.read record with the reader, the filter and the count', async () => {
    const answer = await read({ operation: 'kms.revokeGrant', limit: '3' }, 'read-page-1');
    assert.equal(answer.status, 200);
    const body = (await answer.json()) as { items: unknown[] };
    assert.equal(body.items.length, 3);

    const records = readTrail(gw.auditPath, 'read-page-1');
    assert.equal(records.length, 1);
    const [record] = records;
    assert.equal(record?.phase, 'outcome');
    assert.equal(record.operation, 'audit.read');
    assert.equal(record.actor.subject, 'auditor');
    assert.equal(record.actor.via, 'jwt');
    assert.equal(record.client.ip, '127.0.0.1');
    assert.deepEqual(record.target, { operation: 'kms.revokeGrant', limit: '3', format: 'json' });
    assert.equal(record.outcome?.result, 'read');
    assert.equal(record.outcome.status, 200);
    assert.equal(record.outcome.records, 3);
    assert.deepEqual(record.project, { alias: null, id: null });
  });

  test('an HTML report leaves one audit.read record with the period and the records it covered', async () => {
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const answer = await fetch(`${gw.url}/v1/audit/report?since=${since}`, {
      headers: { authorization: `Bearer ${auditor}`, 'x-request-id': 'read-report-1' },
    });
    assert.equal(answer.status, 200);
    await answer.text();

    const records = readTrail(gw.auditPath, 'read-report-1');
    assert.equal(records.length, 1);
    const [record] = records;
    assert.equal(record?.operation, 'audit.read');
    assert.equal(record.actor.subject, 'auditor');
    assert.deepEqual(record.target, { since, format: 'html' });
    assert.equal(record.outcome?.result, 'read');
    assert.ok((record.outcome.records ?? 0) >= 10, 'the five revocations, attempts and outcomes');
  });

  test('an NDJSON export leaves an attempt before the first record and an outcome with the count', async () => {
    const before = readTrail(gw.auditPath).length;
    const answer = await read({ actor: 'alice' }, 'read-export-1', 'application/x-ndjson');
    assert.equal(answer.status, 200);
    const lines = (await answer.text()).split('\n').filter((line) => line !== '');
    assert.ok(lines.length >= 10, 'every attempt and outcome of alice');

    const records = readTrail(gw.auditPath, 'read-export-1');
    assert.deepEqual(
      records.map((record) => record.phase),
      ['attempt', 'outcome'],
    );
    const [attempt, outcome] = records;
    assert.ok(attempt !== undefined && outcome !== undefined);
    assert.ok(attempt.seq > before, 'written when the export started');
    assert.deepEqual(attempt.target, { actor: 'alice', format: 'ndjson' });
    assert.equal(outcome.operation, 'audit.read');
    assert.equal(outcome.outcome?.attemptId, attempt.id);
    assert.equal(outcome.outcome.result, 'read');
    assert.equal(outcome.outcome.records, lines.length);
    assert.equal(outcome.outcome.reason, undefined);
  });

  test('reads can themselves be found by result=read, and the chain verifies', async () => {
    const answer = await read({ result: 'read', limit: '1000' }, 'read-reads');
    const body = (await answer.json()) as { items: { requestId: string }[] };
    const seen = new Set(body.items.map((item) => item.requestId));
    for (const requestId of ['read-page-1', 'read-export-1']) assert.ok(seen.has(requestId));
    assert.equal((await verifyChain(readTrail(gw.auditPath))).ok, true);
  });

  test('a refused reader leaves no read record', async () => {
    const bob = await gw.token('bob', []);
    const answer = await fetch(`${gw.url}/v1/audit`, {
      headers: { authorization: `Bearer ${bob}`, 'x-request-id': 'read-denied' },
    });
    assert.equal(answer.status, 403);
    assert.deepEqual(readTrail(gw.auditPath, 'read-denied'), []);
  });
});

describe('a read whose record cannot be made durable', () => {
  test('is refused with 503 AUDIT_UNAVAILABLE and sends no record', async (t) => {
    const own = await startGatewayFor(t, { config: { audit: { sqliteWorker: false } } });
    const reader = await own.token('auditor', []);
    const revoker = await own.token('alice');
    await callRoute(`${own.url}${KMS_PATH}`, { token: revoker, requestId: 'before' });
    // The trail can no longer make records durable (closed under the gateway).
    await own.composition.auditTrail.close();
    for (const accept of ['application/json', 'application/x-ndjson']) {
      const answer = await fetch(`${own.url}/v1/audit`, {
        headers: { authorization: `Bearer ${reader}`, accept },
      });
      const text = await answer.text();
      assert.equal(answer.status, 503, `${accept}: ${text}`);
      assert.equal((JSON.parse(text) as { code: string }).code, 'AUDIT_UNAVAILABLE');
      assert.ok(!text.includes('"before"'), 'no audit record was sent');
    }
  });
});
