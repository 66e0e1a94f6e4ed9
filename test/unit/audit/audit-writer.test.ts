// Commits that outlive their deadline cannot happen with node:sqlite (it is synchronous), but
// will with a networked store. A store that really commits to SQLite, only late, shows what the
// writer does then.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import type { AuditStore } from '../../../src/audit/audit-store.ts';
import { openSqliteAuditStore } from '../../../src/audit/stores/sqlite-audit-store.ts';
import { verifyChain } from '../../../src/audit/chain/verify-chain.ts';
import {
  auditConfig,
  defer,
  openTestTrail,
  refusal,
  sampleEvent,
  sampleOutcome,
  tempDir,
  waitFor,
} from './audit-test-kit.ts';

interface Gate {
  close(): void;
  open(): void;
}

/** The real SQLite store, whose appends wait at a gate while it is closed. */
function slowStore(path: string): { store: AuditStore; gate: Gate } {
  const inner = openSqliteAuditStore({ path });
  let opened: Promise<void> = Promise.resolve();
  let release: () => void = () => undefined;
  return {
    store: {
      ...inner,
      kind: inner.kind,
      location: inner.location,
      async append(chain, after, records) {
        await opened;
        return inner.append(chain, after, records);
      },
    },
    gate: {
      close() {
        opened = new Promise((resolve) => {
          release = resolve;
        });
      },
      open() {
        release();
      },
    },
  };
}

/** A trail on a slow store with a 100 ms write deadline, probing the store every 20 ms. */
async function slowTrail(t: TestContext) {
  const dir = tempDir(t);
  const { store, gate } = slowStore(join(dir, 'audit.db'));
  const { trail } = await openTestTrail(t, auditConfig(dir), {
    store,
    writer: { writeDeadlineMs: 100, probeIntervalMs: 20 },
  });
  return { store, gate, trail };
}

async function records(store: AuditStore): Promise<AuditRecord[]> {
  return (await store.query({ limit: 100 })).map(
    (stored) => JSON.parse(stored.body) as AuditRecord,
  );
}

describe('audit writer', () => {
  test('refuses at the deadline a commit that hangs, and closes the attempt once it lands after all', async (t) => {
    const { store, gate, trail } = await slowTrail(t);
    gate.close();
    await refusal(trail.recordAttempt(sampleEvent({ requestId: 'late' })));
    assert.equal(trail.readiness().ready, false);
    gate.open();
    await waitFor(() => trail.stats().records === 2, 'the late commit and its closing outcome');

    const [attempt, outcome] = await records(store);
    assert.equal(attempt?.phase, 'attempt');
    assert.equal(outcome?.outcome?.attemptId, attempt.id);
    assert.equal(outcome.outcome.result, 'failed');
    assert.equal(outcome.outcome.code, 'AUDIT_UNAVAILABLE');
    assert.equal(outcome.outcome.reason, 'attempt-durable-after-refusal');
    assert.equal(trail.readiness().ready, true);
  });

  test('writes a refused outcome that landed late exactly once', async (t) => {
    const { store, gate, trail } = await slowTrail(t);
    const attempt = await trail.recordAttempt(sampleEvent());
    gate.close();
    await refusal(trail.recordOutcome(sampleEvent(), sampleOutcome({ attemptId: attempt.id })));
    assert.equal(trail.stats().deferredOutcomes, 1);
    gate.open();
    await waitFor(() => trail.stats().deferredOutcomes === 0, 'the deferred outcome to settle');
    await trail.recordAttempt(sampleEvent({ requestId: 'next' }));

    const stored = await records(store);
    assert.deepEqual(
      stored.map((record) => record.phase),
      ['attempt', 'outcome', 'attempt'],
    );
    assert.equal((await verifyChain(stored)).ok, true);
  });

  test('keeps deferred outcomes within a bound and spools the ones beyond it', async (t) => {
    const dir = tempDir(t);
    const { store, gate } = slowStore(join(dir, 'audit.db'));
    const { trail, logs } = await openTestTrail(t, auditConfig(dir), {
      store,
      writer: { writeDeadlineMs: 50, probeIntervalMs: 1000, maxDeferredOutcomes: 2 },
    });
    gate.close();
    defer(t, () => {
      gate.open();
    });
    await Promise.all(
      [1, 2, 3].map((index) =>
        refusal(trail.recordOutcome(sampleEvent({ requestId: `r-${index}` }), sampleOutcome())),
      ),
    );
    assert.equal(trail.stats().deferredOutcomes, 2);
    const spooled = logs.lines().find((line) => /audit outcomes spooled/.test(String(line.msg)));
    assert.deepEqual(spooled?.requestIds, ['r-3'], 'the outcome beyond the bound is spooled');
  });
});
