import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import { openAuditTrail } from '../../../src/audit/open-audit-trail.ts';
import { verifyChain } from '../../../src/audit/chain/verify-chain.ts';
import {
  auditConfig,
  defer,
  FIXTURES,
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
  test('records an attempt and its outcome as a hash chain that verifies', async (t) => {
    const config = auditConfig(tempDir(t));
    const { trail } = await openTestTrail(t, config);
    const attempt = await trail.recordAttempt(sampleEvent());
    const outcome = await trail.recordOutcome(
      sampleEvent(),
      sampleOutcome({ attemptId: attempt.id }),
    );
    assert.deepEqual([attempt.seq, outcome.seq], [1, 2]);
    assert.equal(attempt.chain, 'test-instance');
    const records = await storedRecords(config.sqlitePath);
    assert.deepEqual(
      records.map((record) => [record.seq, record.phase]),
      [
        [1, 'attempt'],
        [2, 'outcome'],
      ],
    );
    const [first, second] = records;
    assert.ok(first && second);
    assert.equal(first.prevHash, '0'.repeat(64));
    assert.equal(second.prevHash, first.hash);
    assert.equal(second.outcome?.attemptId, attempt.id);
    assert.match(first.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(first.id, /^[0-9a-f-]{36}$/);
    assert.equal((await verifyChain(records)).ok, true);
  });

  test('resolves only once the record is committed: another connection sees it at once', async (t) => {
    const config = auditConfig(tempDir(t));
    const { trail } = await openTestTrail(t, config);
    const other = new DatabaseSync(config.sqlitePath, { readOnly: true });
    defer(t, () => {
      other.close();
    });
    const count = other.prepare('SELECT count(*) AS n FROM audit_records WHERE id = ?');
    for (let index = 0; index < 20; index += 1) {
      const receipt = await trail.recordAttempt(sampleEvent({ requestId: `r-${index}` }));
      assert.deepEqual({ ...count.get(receipt.id) }, { n: 1 });
    }
  });

  test('commits concurrent records together: fewer transactions than records', async (t) => {
    const config = auditConfig(tempDir(t));
    const { trail } = await openTestTrail(t, config);
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
      'seq follows the order the records were handed over',
    );
    assert.equal((await verifyChain(await storedRecords(config.sqlitePath))).ok, true);
  });

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

  test('closes attempts a killed process left open as unknown, naming each attempt', async (t) => {
    const config = auditConfig(tempDir(t));
    const child = spawn(
      process.execPath,
      [new URL('write-then-hang.ts', FIXTURES).pathname, config.sqlitePath, config.instanceId, '3'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(child, 'exit');
    defer(t, async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const attemptIds = JSON.parse(line) as string[];
    child.kill('SIGKILL');
    await exited;

    const { trail, metrics } = await openTestTrail(t, config);
    assert.equal(trail.stats().danglingRecovered, 3);
    assert.equal(
      (await metricValue(metrics, 'rescind_audit_dangling_attempts_recovered_total'))?.[0]?.value,
      3,
    );
    assert.equal(trail.readiness().ready, true);
    const outcomes = (await storedRecords(config.sqlitePath)).filter((r) => r.phase === 'outcome');
    assert.deepEqual(
      outcomes.map((record) => record.outcome?.attemptId).sort(),
      [...attemptIds].sort(),
    );
    for (const outcome of outcomes) {
      assert.equal(outcome.outcome?.result, 'unknown');
      assert.equal(outcome.outcome.reason, 'process-ended-before-outcome');
      assert.equal(outcome.actor.subject, 'svc-crash', 'the outcome repeats the request facts');
    }
    // A second start finds nothing left to close.
    await trail.close();
    const again = await openTestTrail(t, config);
    assert.equal(again.trail.stats().danglingRecovered, 0);
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
