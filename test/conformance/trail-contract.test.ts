// The audit trail on every store: write-ahead records that resolve only once committed, group
// commit, a hash chain that verifies, crash recovery, and one writer per chain.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Registry } from 'prom-client';
import type { AuditRecord } from '../../src/audit/audit-record.ts';
import { openAuditTrail } from '../../src/audit/open-audit-trail.ts';
import { verifyChain } from '../../src/audit/chain/verify-chain.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import {
  logSink,
  openTestTrail,
  recordsOf,
  refusal,
  sampleEvent,
  sampleOutcome,
  startHangingWriter,
} from '../unit/audit/audit-test-kit.ts';
import { describeEachStore, type AuditConfig, type StoreKit } from './store-kits.ts';

async function storedRecords(
  kit: StoreKit,
  t: TestContext,
  config: AuditConfig,
): Promise<AuditRecord[]> {
  return recordsOf(await kit.open(t, config, { readOnly: true }));
}

/** A process that opens a trail, writes `count` attempts, reports their ids, and is killed. */
async function crashAfterAttempts(
  t: TestContext,
  config: AuditConfig,
  count: number,
): Promise<string[]> {
  const writer = await startHangingWriter(t, config, count);
  await writer.kill();
  return writer.attempts;
}

describeEachStore(
  (kit) => `${kit.name} audit trail`,
  (kit) => {
    test('records an attempt and its outcome as a hash chain that verifies', async (t) => {
      const config = await kit.config(t);
      const { trail } = await openTestTrail(t, config);
      const attempt = await trail.recordAttempt(sampleEvent());
      const outcome = await trail.recordOutcome(
        sampleEvent(),
        sampleOutcome({ attemptId: attempt.id }),
      );
      assert.deepEqual([attempt.seq, outcome.seq], [1, 2]);
      assert.equal(attempt.chain, 'test-instance');
      const records = await storedRecords(kit, t, config);
      assert.deepEqual(
        records.map((record) => [record.seq, record.phase, record.prevHash === records[0]?.hash]),
        [
          [1, 'attempt', false],
          [2, 'outcome', true],
        ],
      );
      assert.equal(records[1]?.outcome?.attemptId, attempt.id);
      const [first] = records;
      assert.equal(first?.prevHash, '0'.repeat(64));
      assert.match(first.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(first.id, /^[0-9a-f-]{36}$/);
      assert.equal((await verifyChain(records)).ok, true);
    });

    test('resolves only once the record is committed: another connection sees it at once', async (t) => {
      const config = await kit.config(t);
      const { trail } = await openTestTrail(t, config);
      for (let index = 0; index < 10; index += 1) {
        const receipt = await trail.recordAttempt(sampleEvent({ requestId: `r-${index}` }));
        assert.equal(await kit.visible(config, receipt.id), true);
      }
    });

    test('commits concurrent records together, in the order they were handed over', async (t) => {
      const config = await kit.config(t);
      const { trail, metrics } = await openTestTrail(t, config);
      const receipts = await Promise.all(
        Array.from({ length: 300 }, (_, index) =>
          trail.recordAttempt(sampleEvent({ requestId: `r-${index}` })),
        ),
      );
      const stats = trail.stats();
      assert.equal(stats.records, 300);
      assert.ok(stats.commits < 300 / 10, `${stats.commits} commits for 300 records`);
      assert.ok(stats.largestBatch > 1);
      assert.deepEqual(
        receipts.map((receipt) => receipt.seq),
        Array.from({ length: 300 }, (_, index) => index + 1),
      );
      const records = await storedRecords(kit, t, config);
      assert.deepEqual(
        records.map((record) => record.requestId),
        receipts.map((_receipt, index) => `r-${index}`),
      );
      assert.equal((await verifyChain(records)).ok, true);
      const durations = (await metrics.auditCommitDuration.get()).values.find(
        (value) => value.metricName === 'rescind_audit_commit_duration_seconds_count',
      );
      assert.equal(durations?.labels.store, kit.kind);
      assert.equal(durations.value, 300);
    });

    test('closes attempts a killed process left open as unknown, once', async (t) => {
      const config = await kit.config(t);
      const attemptIds = await crashAfterAttempts(t, config, 3);
      const { trail, metrics } = await openTestTrail(t, config);
      assert.equal(trail.stats().danglingRecovered, 3);
      const recovered = (await metrics.registry.getMetricsAsJSON()).find(
        (metric) => metric.name === 'rescind_audit_dangling_attempts_recovered_total',
      );
      assert.equal(recovered?.values[0]?.value, 3);
      assert.equal(trail.readiness().ready, true);
      const outcomes = (await storedRecords(kit, t, config)).filter(
        (record) => record.phase === 'outcome',
      );
      assert.deepEqual(outcomes.map((record) => record.outcome?.attemptId).sort(), [
        ...attemptIds.sort(),
      ]);
      for (const outcome of outcomes) {
        assert.equal(outcome.outcome?.result, 'unknown');
        assert.equal(outcome.outcome.reason, 'process-ended-before-outcome');
        assert.equal(outcome.actor.subject, 'svc-crash');
      }
      await trail.close();
      const again = await openTestTrail(t, config);
      assert.equal(again.trail.stats().danglingRecovered, 0);
      assert.equal((await verifyChain(await storedRecords(kit, t, config))).ok, true);
    });

    test('two trails with the same instance id never fork the chain', async (t) => {
      const config = await kit.config(t);
      const first = await openTestTrail(t, config);
      const attempt = await first.trail.recordAttempt(sampleEvent());
      // Either the second is refused at open, or the first is refused from then on.
      let second: Awaited<ReturnType<typeof openTestTrail>> | null = null;
      try {
        second = await openTestTrail(t, config);
      } catch (error) {
        assert.match(String(error), /already being written by another process/);
      }
      const outcome = first.trail.recordOutcome(
        sampleEvent(),
        sampleOutcome({ attemptId: attempt.id }),
      );
      if (second === null) {
        await outcome;
        assert.equal(first.trail.readiness().ready, true);
      } else {
        await refusal(outcome);
        assert.match(first.trail.readiness().reasons.join(), /refusing to continue a chain/);
        await second.trail.recordAttempt(sampleEvent({ requestId: 'second' }));
      }
      const records = await storedRecords(kit, t, config);
      assert.deepEqual(
        records.map((record) => record.seq),
        records.map((_record, index) => index + 1),
        'no seq twice, none missing',
      );
      assert.equal((await verifyChain(records)).ok, true);
    });

    test('refuses records after close, and says why', async (t) => {
      const config = await kit.config(t);
      const trail = await openAuditTrail({
        config,
        metrics: createMetrics(new Registry(), { process: false }),
        logger: logSink().logger,
      });
      await trail.recordAttempt(sampleEvent());
      await trail.close();
      await refusal(trail.recordAttempt(sampleEvent()));
      assert.deepEqual(trail.readiness(), {
        ready: false,
        reasons: ['the audit trail is closed'],
      });
    });
  },
);
