// Real faults under a real SQLite file: another process holding the lock, a full filesystem, an
// immutable (read-only) file, a filesystem that fails every I/O, the file moved, deleted or
// replaced. Each must refuse records with AUDIT_UNAVAILABLE within a second, turn readiness
// off with a reason, and recover without a restart once the fault clears.

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test, type TestContext } from 'node:test';
import type { OpenedAuditTrail } from '../../../src/audit/open-audit-trail.ts';
import { verifyChain } from '../../../src/audit/chain/verify-chain.ts';
import {
  auditConfig,
  defer,
  diskFull,
  holdLock,
  ioErrors,
  openTestTrail,
  readOnly,
  refusal,
  sampleEvent,
  sampleOutcome,
  storedRecords,
  tempDir,
  waitFor,
  type WriteFault,
} from './audit-test-kit.ts';

/** "Within about a second" (docs/api.md "Audit records", via the pipeline): the write deadline is 800 ms. */
const REFUSAL_BUDGET_MS = 1000;

async function assertIntact(path: string, records: number): Promise<void> {
  const stored = await storedRecords(path);
  const result = await verifyChain(stored);
  assert.equal(result.ok, true, result.reason);
  assert.equal(stored.length, records);
}

async function assertRefusedQuickly(trail: OpenedAuditTrail, requestId: string) {
  const elapsed = await refusal(trail.recordAttempt(sampleEvent({ requestId })));
  assert.ok(elapsed < REFUSAL_BUDGET_MS, `refused after ${Math.round(elapsed)} ms`);
}

function assertNotReady(trail: OpenedAuditTrail, reason: RegExp): void {
  const readiness = trail.readiness();
  assert.equal(readiness.ready, false);
  assert.match(readiness.reasons.join('\n'), reason);
}

/** A consistent copy of the SQLite database at `path`, written to `backup`; returns `backup`. */
function backUp(path: string, backup: string): string {
  const reader = new DatabaseSync(path);
  reader.exec(`VACUUM INTO '${backup}'`);
  reader.close();
  return backup;
}

describe('SQLite audit store faults', () => {
  test('refuses within a second while another process holds the write lock, and writes again once it lets go', async (t) => {
    const config = auditConfig(tempDir(t));
    const { trail } = await openTestTrail(t, config);
    await trail.recordAttempt(sampleEvent({ requestId: 'before' }));
    const lock = await holdLock(t, config.sqlitePath);

    await assertRefusedQuickly(trail, 'locked');
    assertNotReady(trail, /is locked by another connection/);
    assertNotReady(trail, new RegExp(config.sqlitePath));

    await lock.release();
    const receipt = await trail.recordAttempt(sampleEvent({ requestId: 'after' }));
    assert.equal(receipt.seq, 2);
    assert.deepEqual(trail.readiness(), { ready: true, reasons: [] });
    await assertIntact(config.sqlitePath, 2);
  });

  test('turns ready again by itself once the lock is gone, without any write', async (t) => {
    const config = auditConfig(tempDir(t));
    const { trail } = await openTestTrail(t, config);
    const lock = await holdLock(t, config.sqlitePath);
    await assertRefusedQuickly(trail, 'locked');
    assert.equal(trail.readiness().ready, false);
    await lock.release();
    await waitFor(() => trail.readiness().ready, 'the background probe to restore readiness');
  });

  test('keeps an outcome it could not write and writes it, flagged deferred, before any newer record', async (t) => {
    const config = auditConfig(tempDir(t));
    const { trail } = await openTestTrail(t, config);
    const attempt = await trail.recordAttempt(sampleEvent({ requestId: 'first' }));
    const lock = await holdLock(t, config.sqlitePath);

    await refusal(
      trail.recordOutcome(
        sampleEvent({ requestId: 'first' }),
        sampleOutcome({ attemptId: attempt.id }),
      ),
    );
    assert.equal(trail.stats().deferredOutcomes, 1);

    await lock.release();
    await trail.recordAttempt(sampleEvent({ requestId: 'second' }));
    const records = await storedRecords(config.sqlitePath);
    assert.deepEqual(
      records.map((record) => [record.requestId, record.phase]),
      [
        ['first', 'attempt'],
        ['first', 'outcome'],
        ['second', 'attempt'],
      ],
    );
    const outcome = records[1]?.outcome;
    assert.equal(outcome?.attemptId, attempt.id);
    assert.equal(outcome.result, 'revoked', 'what happened upstream is kept');
    assert.deepEqual(outcome.deferred, { answeredStatus: 503, answeredCode: 'AUDIT_UNAVAILABLE' });
    assert.equal(trail.stats().deferredOutcomes, 0);
    await assertIntact(config.sqlitePath, 3);
  });

  test('writes at the next start, from its spool, an outcome that was still waiting when the process stopped', async (t) => {
    const config = auditConfig(tempDir(t));
    const first = await openTestTrail(t, config);
    const attempt = await first.trail.recordAttempt(sampleEvent());
    const lock = await holdLock(t, config.sqlitePath);
    await refusal(
      first.trail.recordOutcome(sampleEvent(), sampleOutcome({ attemptId: attempt.id })),
    );
    await first.trail.close();
    await lock.release();

    const second = await openTestTrail(t, config);
    assert.equal(second.trail.stats().spooledReplayed, 1);
    assert.equal(second.trail.stats().danglingRecovered, 0, 'the attempt has its real outcome');
    const outcome = (await storedRecords(config.sqlitePath))[1]?.outcome;
    assert.equal(outcome?.attemptId, attempt.id);
    assert.equal(outcome.result, 'revoked');
    assert.deepEqual(outcome.deferred, { answeredStatus: 503, answeredCode: 'AUDIT_UNAVAILABLE' });
  });

  const writeFaults: [string, (t: TestContext) => WriteFault][] = [
    ['the disk is full', diskFull],
    ['the files become read-only', readOnly],
    ['every I/O fails', ioErrors],
  ];
  for (const [fault, produce] of writeFaults) {
    test(`refuses within a second when ${fault}, and continues the chain once it clears`, async (t) => {
      const produced = produce(t);
      t.diagnostic(`fault: ${produced.how}`);
      const config = auditConfig(produced.dir);
      const { trail } = await openTestTrail(t, config);
      for (let index = 0; index < 5; index += 1) {
        await trail.recordAttempt(sampleEvent({ requestId: `before-${index}` }));
      }

      produced.inject();
      // SQLite may still reuse pages it already has; the first write that needs more fails.
      let written = 5;
      for (;;) {
        const started = performance.now();
        try {
          await trail.recordAttempt(
            sampleEvent({ requestId: `during-${written}`, target: { blob: 'x'.repeat(200) } }),
          );
          written += 1;
          assert.ok(written < 5000, 'the fault must refuse writes');
        } catch {
          assert.ok(performance.now() - started < REFUSAL_BUDGET_MS);
          break;
        }
      }
      await assertRefusedQuickly(trail, 'still-failing');
      assertNotReady(trail, produced.reason);

      produced.clear();
      const receipt = await trail.recordAttempt(sampleEvent({ requestId: 'after' }));
      assert.equal(receipt.seq, written + 1, 'the chain continues where the durable records end');
      assert.equal(trail.readiness().ready, true);
      await assertIntact(config.sqlitePath, written + 1);
    });
  }

  test('notices a database moved away without any write, and continues once it is back', async (t) => {
    const config = auditConfig(tempDir(t));
    const { trail } = await openTestTrail(t, config);
    await trail.recordAttempt(sampleEvent({ requestId: 'before' }));

    renameSync(config.sqlitePath, `${config.sqlitePath}.moved`);
    assertNotReady(trail, /audit\.db was deleted or replaced while open/);
    await assertRefusedQuickly(trail, 'moved');

    renameSync(`${config.sqlitePath}.moved`, config.sqlitePath);
    await waitFor(() => trail.readiness().ready, 'the probe to reopen the database');
    const receipt = await trail.recordAttempt(sampleEvent({ requestId: 'after' }));
    assert.equal(receipt.seq, 2);
    await assertIntact(config.sqlitePath, 2);
  });

  test('continues after a deleted database is restored from a backup that holds its whole chain', async (t) => {
    const dir = tempDir(t);
    const config = auditConfig(dir);
    const { trail } = await openTestTrail(t, config);
    await trail.recordAttempt(sampleEvent({ requestId: 'one' }));
    await trail.recordAttempt(sampleEvent({ requestId: 'two' }));
    const backup = backUp(config.sqlitePath, join(dir, 'backup.db'));

    unlinkSync(config.sqlitePath);
    await assertRefusedQuickly(trail, 'deleted');
    assertNotReady(trail, /deleted or replaced|does not exist/);
    assert.equal(existsSync(config.sqlitePath), false, 'a deleted database is not recreated');

    copyFileSync(backup, config.sqlitePath);
    const receipt = await trail.recordAttempt(sampleEvent({ requestId: 'three' }));
    assert.equal(receipt.seq, 3);
    await assertIntact(config.sqlitePath, 3);
  });

  test('refuses to continue its chain in a restored database that lacks its newest records', async (t) => {
    const dir = tempDir(t);
    const config = auditConfig(dir);
    const { trail } = await openTestTrail(t, config);
    await trail.recordAttempt(sampleEvent({ requestId: 'one' }));
    const backup = backUp(config.sqlitePath, join(dir, 'backup.db'));
    await trail.recordAttempt(sampleEvent({ requestId: 'two' }));

    unlinkSync(config.sqlitePath);
    copyFileSync(backup, config.sqlitePath);
    await assertRefusedQuickly(trail, 'stale-backup');
    assertNotReady(
      trail,
      /chain test-instance is at seq 2 in this process but at seq 1 .* refusing to continue a chain whose records it cannot see/,
    );
    assert.equal((await storedRecords(config.sqlitePath)).length, 1, 'nothing was appended');
  });

  test('refuses to continue its chain in a database put in place of its own', async (t) => {
    const dir = tempDir(t);
    const config = auditConfig(dir);
    const { trail } = await openTestTrail(t, config);
    await trail.recordAttempt(sampleEvent({ requestId: 'mine' }));

    // Another gateway's database with a chain of the same name.
    const otherConfig = auditConfig(dir, { sqlitePath: join(dir, 'other.db') });
    const other = await openTestTrail(t, otherConfig);
    await other.trail.recordAttempt(sampleEvent({ requestId: 'theirs' }));
    await other.trail.close();
    renameSync(otherConfig.sqlitePath, config.sqlitePath);

    await assertRefusedQuickly(trail, 'replaced');
    assertNotReady(trail, /refusing to continue a chain whose records it cannot see/);
    const records = await storedRecords(config.sqlitePath);
    assert.deepEqual(
      records.map((record) => record.requestId),
      ['theirs'],
    );
  });

  test('refuses a file put in place of its database that is not an audit database', async (t) => {
    const dir = tempDir(t);
    const config = auditConfig(dir);
    const { trail } = await openTestTrail(t, config);
    await trail.recordAttempt(sampleEvent());
    const foreign = new DatabaseSync(join(dir, 'foreign.db'));
    foreign.exec('CREATE TABLE t (x)');
    foreign.close();
    renameSync(join(dir, 'foreign.db'), config.sqlitePath);

    await assertRefusedQuickly(trail, 'foreign');
    await waitFor(
      () => /is not a Rescind audit database/.test(trail.readiness().reasons.join()),
      'the probe to look at the new file',
    );
    const tables = new DatabaseSync(config.sqlitePath, { readOnly: true });
    defer(t, () => {
      tables.close();
    });
    assert.deepEqual(
      tables
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .all()
        .map((row) => row.name),
      ['t'],
      'the foreign file is left alone',
    );
  });
});
