import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { GENESIS_HASH, type AuditRecord } from '../../../src/audit/audit-record.ts';
import { AuditStoreError, type ChainHead } from '../../../src/audit/audit-store.ts';
import { buildAuditRecordContent } from '../../../src/audit/build-audit-record.ts';
import { sealRecord } from '../../../src/audit/chain/seal-record.ts';
import {
  configureForDurability,
  openSqliteAuditStore,
} from '../../../src/audit/stores/sqlite-audit-store.ts';
import { toStoredRecord } from '../../../src/audit/stored-record.ts';
import { defer, sampleEvent, tempDir } from './audit-test-kit.ts';

function records(
  chain: string,
  after: ChainHead,
  count: number,
  phase: 'attempt' | 'outcome' = 'attempt',
) {
  const sealed: AuditRecord[] = [];
  let previous = after;
  for (let index = 0; index < count; index += 1) {
    const record = sealRecord(
      buildAuditRecordContent({
        id: crypto.randomUUID(),
        time: new Date(Date.UTC(2025, 0, 1, 0, 0, previous.seq + 1)).toISOString(),
        phase,
        event: sampleEvent({ requestId: `req-${previous.seq + 1}` }),
        ...(phase === 'outcome'
          ? {
              outcome: {
                result: 'revoked' as const,
                status: 200,
                code: null,
                upstream: null,
                attempts: 1,
                durationMs: 3,
              },
            }
          : {}),
      }),
      chain,
      previous.seq + 1,
      previous.hash,
    );
    sealed.push(record);
    previous = { seq: record.seq, hash: record.hash };
  }
  return { sealed, stored: sealed.map(toStoredRecord), head: previous };
}

describe('SQLite audit store', () => {
  test('runs every connection in WAL mode with synchronous=FULL', (t) => {
    const dir = tempDir(t);
    const store = openSqliteAuditStore({ path: join(dir, 'audit.db') });
    defer(t, () => store.close());
    assert.deepEqual(store.durability(), { journalMode: 'wal', synchronous: 2 });
    const other = new DatabaseSync(join(dir, 'audit.db'));
    defer(t, () => {
      other.close();
    });
    assert.deepEqual({ ...other.prepare('PRAGMA journal_mode').get() }, { journal_mode: 'wal' });
  });

  test('refuses a connection that cannot promise WAL with synchronous=FULL', () => {
    // An in-memory database keeps journal_mode=memory whatever it is asked.
    const db = new DatabaseSync(':memory:');
    try {
      assert.throws(
        () => {
          configureForDurability(db, ':memory:', true);
        },
        (error: unknown) =>
          error instanceof AuditStoreError &&
          /refused WAL with synchronous=FULL/.test(error.message),
      );
    } finally {
      db.close();
    }
  });

  test('appends in one transaction and reads back in (chain, seq) order', async (t) => {
    const store = openSqliteAuditStore({ path: join(tempDir(t), 'audit.db') });
    defer(t, () => store.close());
    const a = records('a', { seq: 0, hash: GENESIS_HASH }, 3);
    const b = records('b', { seq: 0, hash: GENESIS_HASH }, 2);
    await store.append('b', { seq: 0, hash: GENESIS_HASH }, b.stored);
    await store.append('a', { seq: 0, hash: GENESIS_HASH }, a.stored);
    assert.deepEqual(await store.head('a'), a.head);
    assert.equal(await store.head('nobody'), null);
    const all = await store.query({ limit: 100 });
    assert.deepEqual(
      all.map((record) => `${record.chain}${record.seq}`),
      ['a1', 'a2', 'a3', 'b1', 'b2'],
    );
    assert.deepEqual(all[0], a.stored[0], 'the stored record comes back byte for byte');
    const page = await store.query({ after: { chain: 'a', seq: 2 }, limit: 2 });
    assert.deepEqual(
      page.map((record) => `${record.chain}${record.seq}`),
      ['a3', 'b1'],
    );
  });

  test('writes nothing when the chain head is not the one the writer expects', async (t) => {
    const store = openSqliteAuditStore({ path: join(tempDir(t), 'audit.db') });
    defer(t, () => store.close());
    const first = records('a', { seq: 0, hash: GENESIS_HASH }, 2);
    await store.append('a', { seq: 0, hash: GENESIS_HASH }, first.stored);
    const stale = records('a', { seq: 0, hash: GENESIS_HASH }, 1);
    await assert.rejects(
      store.append('a', { seq: 0, hash: GENESIS_HASH }, stale.stored),
      (error: unknown) => error instanceof AuditStoreError && error.kind === 'conflict',
    );
    assert.equal((await store.query({ limit: 10 })).length, 2);
    assert.deepEqual(await store.head('a'), first.head);
  });

  test('does not commit past commitBy: rolls back and says busy, so the writer can refuse in time', async (t) => {
    const store = openSqliteAuditStore({ path: join(tempDir(t), 'audit.db') });
    defer(t, () => store.close());
    const genesis = { seq: 0, hash: GENESIS_HASH };
    const now = performance.timeOrigin + performance.now();
    await assert.rejects(
      store.append('a', genesis, records('a', genesis, 2).stored, { commitBy: now - 1 }),
      (error: unknown) =>
        error instanceof AuditStoreError &&
        error.kind === 'busy' &&
        /could not commit before the write deadline/.test(error.message),
    );
    assert.equal(await store.head('a'), null);
    assert.deepEqual(store.health(), { ok: true });
    const later = records('a', genesis, 1);
    await store.append('a', genesis, later.stored, { commitBy: now + 60_000 });
    assert.deepEqual(await store.head('a'), later.head);
  });

  test('rejects updates and deletes of records', async (t) => {
    const path = join(tempDir(t), 'audit.db');
    const store = openSqliteAuditStore({ path });
    defer(t, () => store.close());
    await store.append(
      'a',
      { seq: 0, hash: GENESIS_HASH },
      records('a', { seq: 0, hash: GENESIS_HASH }, 1).stored,
    );
    const other = new DatabaseSync(path);
    defer(t, () => {
      other.close();
    });
    assert.throws(() => {
      other.exec("UPDATE audit_records SET operation = 'x'");
    }, /append-only/);
    assert.throws(() => {
      other.exec('DELETE FROM audit_records');
    }, /append-only/);
  });

  test('lists the attempts that no outcome names', async (t) => {
    const store = openSqliteAuditStore({ path: join(tempDir(t), 'audit.db') });
    defer(t, () => store.close());
    const attempts = records('a', { seq: 0, hash: GENESIS_HASH }, 3);
    await store.append('a', { seq: 0, hash: GENESIS_HASH }, attempts.stored);
    const closing = records('a', attempts.head, 1, 'outcome');
    const closed = attempts.stored[1];
    assert.ok(closed);
    const outcome = { ...closing.stored[0], attemptId: closed.id } as (typeof closing.stored)[0];
    await store.append('a', attempts.head, [outcome]);
    const dangling = await store.dangling('a');
    assert.deepEqual(
      dangling.map((record) => record.seq),
      [1, 3],
    );
    assert.deepEqual(await store.dangling('b'), []);
  });

  test('opens read-only without creating anything, and refuses a missing file', async (t) => {
    const dir = tempDir(t);
    assert.throws(
      () => openSqliteAuditStore({ path: join(dir, 'missing.db'), readOnly: true }),
      (error: unknown) => error instanceof AuditStoreError && /cannot open/.test(error.message),
    );
    const writer = openSqliteAuditStore({ path: join(dir, 'audit.db') });
    await writer.append(
      'a',
      { seq: 0, hash: GENESIS_HASH },
      records('a', { seq: 0, hash: GENESIS_HASH }, 2).stored,
    );
    await writer.close();
    const reader = openSqliteAuditStore({ path: join(dir, 'audit.db'), readOnly: true });
    defer(t, () => reader.close());
    assert.equal((await reader.query({ limit: 10 })).length, 2);
    await assert.rejects(
      reader.append('a', { seq: 2, hash: GENESIS_HASH }, []),
      (error: unknown) => error instanceof AuditStoreError,
    );
  });
});
