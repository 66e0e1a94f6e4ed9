// Fail closed, on every store, under a real fault (SQLite: the files become immutable; PostgreSQL:
// the server is shut down): records are refused with AUDIT_UNAVAILABLE within a second, readiness
// names the store and never a secret, refused outcomes wait in memory, and once the fault clears
// the trail recovers by itself — no restart — and continues the same chain.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanStore } from '../../src/audit/audit-reader.ts';
import type { AuditRecord } from '../../src/audit/audit-record.ts';
import { parseStoredRecord } from '../../src/audit/stored-record.ts';
import { verifyChain } from '../../src/audit/chain/verify-chain.ts';
import {
  openTestTrail,
  refusal,
  sampleEvent,
  sampleOutcome,
  waitFor,
} from '../unit/audit/audit-test-kit.ts';
import { describeEachStore } from './store-kits.ts';

/** "Within about a second": the write deadline is 800 ms. */
const REFUSAL_BUDGET_MS = 1000;

describeEachStore(
  (kit) => `${kit.name} audit store faults`,
  (kit) => {
    test('refuses within a second while records cannot be made durable, then recovers by itself and continues the chain', async (t) => {
      const fault = await kit.fault(t);
      t.diagnostic(`fault: ${fault.how}`);
      const { trail, logs } = await openTestTrail(t, fault.config);
      const first = await trail.recordAttempt(sampleEvent({ requestId: 'first' }));
      await fault.inject();

      const elapsed = await refusal(
        trail.recordOutcome(
          sampleEvent({ requestId: 'first' }),
          sampleOutcome({ attemptId: first.id }),
        ),
      );
      assert.ok(elapsed < REFUSAL_BUDGET_MS, `refused after ${Math.round(elapsed)} ms`);
      const attemptRefused = await refusal(
        trail.recordAttempt(sampleEvent({ requestId: 'refused' })),
      );
      assert.ok(
        attemptRefused < REFUSAL_BUDGET_MS,
        `refused after ${Math.round(attemptRefused)} ms`,
      );
      const readiness = trail.readiness();
      assert.equal(readiness.ready, false);
      assert.match(readiness.reasons.join('\n'), /^audit records cannot be made durable: /);
      assert.match(readiness.reasons.join('\n'), fault.reason);
      assert.equal(trail.stats().deferredOutcomes, 1);

      await fault.clear();
      await waitFor(
        () => trail.readiness().ready,
        'the background probe to restore readiness',
        10_000,
      );
      await waitFor(() => trail.stats().deferredOutcomes === 0, 'the deferred outcome', 5000);
      const next = await trail.recordAttempt(sampleEvent({ requestId: 'next' }));
      assert.equal(next.seq, 3, 'the same chain continues: attempt, deferred outcome, attempt');

      const records: AuditRecord[] = [];
      for await (const stored of scanStore(await kit.open(t, fault.config, { readOnly: true }))) {
        records.push(parseStoredRecord(stored));
      }
      assert.deepEqual(
        records.map((record) => [record.requestId, record.phase]),
        [
          ['first', 'attempt'],
          ['first', 'outcome'],
          ['next', 'attempt'],
        ],
        'the refused attempt was never written; the refused outcome was, first',
      );
      assert.deepEqual(records[1]?.outcome?.deferred, {
        answeredStatus: 503,
        answeredCode: 'AUDIT_UNAVAILABLE',
      });
      assert.equal((await verifyChain(records)).ok, true);

      const said = JSON.stringify([readiness, logs.lines()]);
      for (const secret of fault.secrets) {
        assert.equal(said.includes(secret), false, 'no secret in readiness or logs');
      }
    });

    test('fails to open, naming the store and no secret, when the store is down at start-up', async (t) => {
      const fault = await kit.fault(t);
      // Created once, so that an existing store is what cannot be reached.
      const { trail } = await openTestTrail(t, fault.config);
      await trail.recordAttempt(sampleEvent());
      await fault.inject();
      await trail.close();
      let message = '';
      await assert.rejects(openTestTrail(t, fault.config), (error: unknown) => {
        message = String(error);
        return true;
      });
      assert.match(message, fault.reason);
      for (const secret of fault.secrets) assert.equal(message.includes(secret), false);
      await fault.clear();
      const reopened = await openTestTrail(t, fault.config);
      assert.equal(reopened.trail.readiness().ready, true);
    });
  },
);
