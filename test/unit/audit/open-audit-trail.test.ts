import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import { openAuditTrail } from '../../../src/audit/open-audit-trail.ts';
import { verifyChain } from '../../../src/audit/chain/verify-chain.ts';
import {
  auditConfig,
  logSink,
  openTestTrail,
  refusal,
  sampleEvent,
  sampleOutcome,
  storedRecords,
  tempDir,
} from './audit-test-kit.ts';
import { Registry } from 'prom-client';
import { createMetrics } from '../../../src/observability/metrics.ts';

async function metricValue(metrics: ReturnType<typeof createMetrics>, name: string) {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values;
}

describe('audit trail', () => {
  test('exports head seq, commit durations and failures as metrics', async (t) => {
    const { trail, metrics } = await openTestTrail(t, auditConfig(tempDir(t)));
    await trail.recordAttempt(sampleEvent());
    await trail.recordAttempt(sampleEvent());
    assert.deepEqual(
      (await metricValue(metrics, 'rescind_audit_chain_head_seq'))?.map((value) => [
        value.labels.chain,
        value.value,
      ]),
      [['test-instance', 2]],
    );
    const durations = await metricValue(metrics, 'rescind_audit_commit_duration_seconds');
    const count = durations?.find(
      (value) =>
        (value as { metricName?: string }).metricName ===
        'rescind_audit_commit_duration_seconds_count',
    );
    assert.equal(count?.value, 2);
    assert.equal(count.labels.store, 'sqlite');
  });

  test('a second trail opened on the same file closes the first one’s open attempts, and the first then refuses to write', async (t) => {
    const config = auditConfig(tempDir(t));
    const first = await openTestTrail(t, config);
    const attempt = await first.trail.recordAttempt(sampleEvent());
    const second = await openTestTrail(t, config);
    assert.equal(second.trail.stats().danglingRecovered, 1);
    const records = await storedRecords(config.sqlitePath);
    const closing = records[1]?.outcome;
    assert.equal(closing?.attemptId, attempt.id);
    assert.equal(closing.result, 'unknown');

    // The first trail's head is no longer the chain's head: it must not fork the chain.
    await refusal(
      first.trail.recordOutcome(sampleEvent(), sampleOutcome({ attemptId: attempt.id })),
    );
    const readiness = first.trail.readiness();
    assert.equal(readiness.ready, false);
    assert.match(readiness.reasons.join(), /refusing to continue a chain/);
    assert.equal((await verifyChain(await storedRecords(config.sqlitePath))).ok, true);
  });

  test('refuses to open a store that lost records a checkpoint signed', async (t) => {
    const dir = tempDir(t);
    const key = generateCheckpointKey();
    const config = auditConfig(dir, { checkpoints: { signingKey: key.privateKeyPem } });
    const { trail } = await openTestTrail(t, config);
    await trail.recordAttempt(sampleEvent());
    await trail.close();
    // The database is replaced by an empty one; the checkpoints file remains.
    const replaced = auditConfig(dir, {
      sqlitePath: `${dir}/other.db`,
      checkpoints: { signingKey: key.privateKeyPem, path: `${config.sqlitePath}.checkpoints` },
    });
    await assert.rejects(
      openAuditTrail({
        config: replaced,
        metrics: createMetrics(new Registry(), { process: false }),
        logger: logSink().logger,
      }),
      /does not hold the record of chain test-instance signed by the last checkpoint/,
    );
  });

  test('refuses to open with a signing key that is not Ed25519 PKCS#8', async (t) => {
    const config = auditConfig(tempDir(t), { checkpoints: { signingKey: 'not a key' } });
    await assert.rejects(
      openAuditTrail({
        config,
        metrics: createMetrics(new Registry(), { process: false }),
        logger: logSink().logger,
      }),
      /not a PKCS#8 PEM private key/,
    );
  });

  test('refuses records after close', async (t) => {
    const { trail } = await openTestTrail(t, auditConfig(tempDir(t)));
    await trail.close();
    await refusal(trail.recordAttempt(sampleEvent()));
    assert.equal(trail.readiness().ready, false);
  });
});
