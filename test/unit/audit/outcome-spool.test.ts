// The outcome spool: a refusal answered while the SQLite file was gone for good has no attempt
// record to be closed from, so before the spool it left no trace once the process stopped. Now
// its outcome waits in an owner-only file beside the store and is written into the trail at the
// next start; when even the spool cannot be written, the log says what is lost.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  auditConfig,
  openTestTrail,
  refusal,
  sampleEvent,
  sampleOutcome,
  storedRecords,
  tempDir,
} from './audit-test-kit.ts';
import { verifyChain } from '../../../src/audit/chain/verify-chain.ts';

const UNAUTHENTICATED = sampleOutcome({
  result: 'unauthenticated',
  status: 401,
  code: 'UNAUTHENTICATED',
  upstream: null,
  attempts: 0,
});

describe('outcome spool', () => {
  test('a refusal answered while the database was deleted is in the trail after a restart', async (t) => {
    const config = auditConfig(tempDir(t));
    const spoolPath = `${config.sqlitePath}.spool`;
    const first = await openTestTrail(t, config);
    await first.trail.recordAttempt(sampleEvent({ requestId: 'before' }));
    unlinkSync(config.sqlitePath);

    const umask = process.umask(0);
    try {
      await refusal(
        first.trail.recordOutcome(sampleEvent({ requestId: 'refused' }), UNAUTHENTICATED),
      );
      await first.trail.close();
    } finally {
      process.umask(umask);
    }
    assert.equal(statSync(spoolPath).mode & 0o777, 0o600, 'the spool is owner-only');
    const said = first.logs.lines().map((line) => String(line.msg));
    assert.ok(said.some((msg) => msg.includes('written into the trail at the next start')));
    assert.ok(!said.some((msg) => msg.includes('closed as unknown')), said.join('\n'));

    const second = await openTestTrail(t, config);
    assert.equal(second.trail.stats().spooledReplayed, 1);
    assert.equal(existsSync(spoolPath), false, 'the spool is gone once written');
    await second.trail.close();
    const records = await storedRecords(config.sqlitePath);
    const refused = records.find((record) => record.requestId === 'refused');
    assert.equal(refused?.phase, 'outcome');
    assert.equal(refused.outcome?.result, 'unauthenticated');
    assert.deepEqual(refused.outcome.deferred, {
      answeredStatus: 503,
      answeredCode: 'AUDIT_UNAVAILABLE',
    });
    assert.equal((await verifyChain(records)).ok, true);
  });

  test('says what is lost when the spool cannot be written either', async (t) => {
    const config = auditConfig(tempDir(t));
    const { trail, logs } = await openTestTrail(t, config);
    await trail.recordAttempt(sampleEvent({ requestId: 'before' }));
    unlinkSync(config.sqlitePath);
    // Something else is in the spool's place: it cannot be written.
    mkdirSync(`${config.sqlitePath}.spool`);
    await refusal(trail.recordOutcome(sampleEvent({ requestId: 'refused' }), UNAUTHENTICATED));
    await trail.close();
    const lost = logs.lines().find((line) => String(line.msg).startsWith('audit outcomes lost'));
    assert.match(
      String(lost?.msg),
      /refusals made before any attempt record leave no record/,
      'the shutdown message is true: it does not promise a record it cannot make',
    );
    assert.deepEqual(lost?.requestIds, ['refused']);
  });
});
