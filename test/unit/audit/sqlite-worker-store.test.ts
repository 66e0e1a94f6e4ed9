// The SQLite store on a worker thread: what only it can get wrong — errors crossing the thread
// boundary, a worker that dies, a replacement that must never create a database — beside the
// contract it shares with every store (test/conformance).

import assert from 'node:assert/strict';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { GENESIS_HASH } from '../../../src/audit/audit-record.ts';
import { AuditStoreError, type ChainHead } from '../../../src/audit/audit-store.ts';
import { buildAuditRecordContent } from '../../../src/audit/build-audit-record.ts';
import { sealRecord } from '../../../src/audit/chain/seal-record.ts';
import { openSqliteWorkerStore } from '../../../src/audit/stores/sqlite-worker-store.ts';
import { toStoredRecord } from '../../../src/audit/stored-record.ts';
import {
  auditConfig,
  defer,
  openTestTrail,
  refusal,
  sampleEvent,
  tempDir,
  waitFor,
} from './audit-test-kit.ts';

const GENESIS: ChainHead = { seq: 0, hash: GENESIS_HASH };

function attempt(chain: string, after: ChainHead) {
  return toStoredRecord(
    sealRecord(
      buildAuditRecordContent({
        id: crypto.randomUUID(),
        time: new Date().toISOString(),
        phase: 'attempt',
        event: sampleEvent({ requestId: `req-${after.seq + 1}` }),
      }),
      chain,
      after.seq + 1,
      after.hash,
    ),
  );
}

function isStoreError(kind: AuditStoreError['kind'], message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof AuditStoreError, 'an AuditStoreError, rebuilt on this thread');
    assert.equal(error.kind, kind);
    assert.match(error.message, message);
    return true;
  };
}

describe('SQLite audit store on a worker thread', () => {
  test('answers with the worker store’s results and rebuilds its errors, kind and message', async (t) => {
    const store = await openSqliteWorkerStore({ path: join(tempDir(t), 'audit.db') });
    defer(t, () => store.close());
    const first = attempt('c', GENESIS);
    await store.append('c', GENESIS, [first]);
    assert.deepEqual(await store.head('c'), { seq: 1, hash: first.hash });
    assert.deepEqual(await store.dangling('c'), [first]);
    await assert.rejects(
      store.append('c', GENESIS, [attempt('c', GENESIS)]),
      isStoreError('conflict', /chain c in .*audit\.db is at seq 1, not 0/),
    );
    assert.deepEqual(store.health(), { ok: true });
  });

  test('fails every call at once when its worker dies, and probe() starts a new one on the same file', async (t) => {
    const path = join(tempDir(t), 'audit.db');
    const store = await openSqliteWorkerStore({ path });
    defer(t, () => store.close());
    const first = attempt('c', GENESIS);
    await store.append('c', GENESIS, [first]);

    await store.killWorker();
    await waitFor(() => !store.health().ok, 'health to report the dead worker');
    assert.match(store.health().reason ?? '', /the SQLite audit worker for .*audit\.db stopped/);
    await assert.rejects(store.head('c'), isStoreError('unavailable', /worker .* stopped/));
    const head = { seq: 1, hash: first.hash };
    await assert.rejects(
      store.append('c', head, [attempt('c', head)]),
      isStoreError('unavailable', /worker .* stopped/),
    );

    await store.probe();
    assert.deepEqual(store.health(), { ok: true });
    assert.deepEqual(await store.head('c'), head);
    await store.append('c', head, [attempt('c', head)]);
    assert.equal((await store.head('c'))?.seq, 2);
  });

  test('a new worker never creates the database: probe() fails while the file is gone', async (t) => {
    const path = join(tempDir(t), 'audit.db');
    const store = await openSqliteWorkerStore({ path });
    defer(t, () => store.close());
    await store.killWorker();
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(`${path}${suffix}`)) unlinkSync(`${path}${suffix}`);
    }
    await assert.rejects(store.probe(), isStoreError('unavailable', /audit\.db/));
    assert.equal(existsSync(path), false);
    assert.equal(store.health().ok, false);
  });

  test('health() sees a deleted database on this thread, without a call to the worker', async (t) => {
    const path = join(tempDir(t), 'audit.db');
    const store = await openSqliteWorkerStore({ path });
    defer(t, () => store.close());
    unlinkSync(path);
    assert.deepEqual(store.health(), {
      ok: false,
      reason: `${path} was deleted or replaced while open`,
    });
  });

  test('refuses calls after close, and closes twice without harm', async (t) => {
    const store = await openSqliteWorkerStore({ path: join(tempDir(t), 'audit.db') });
    await store.close();
    await store.close();
    await assert.rejects(store.head('c'), isStoreError('unavailable', /closed/));
    assert.deepEqual(store.health(), { ok: false, reason: 'the audit store is closed' });
  });

  test('rejects opening a file that is not an audit database', async (t) => {
    const path = join(tempDir(t), 'audit.db');
    const other = new DatabaseSync(path);
    other.exec('CREATE TABLE t (x)');
    other.close();
    await assert.rejects(
      openSqliteWorkerStore({ path, mustExist: true }),
      isStoreError('unavailable', /is not a Rescind audit database/),
    );
  });

  test('a trail whose worker dies goes on with a new one: no hang, no lost record, not ready until replaced', async (t) => {
    const config = auditConfig(tempDir(t));
    const store = await openSqliteWorkerStore({ path: config.sqlitePath });
    const { trail } = await openTestTrail(t, config, { store });
    const first = await trail.recordAttempt(sampleEvent({ requestId: 'first' }));
    assert.equal(first.seq, 1);

    await store.killWorker();
    // The writer's own recovery restarts the worker at once, so the write may succeed; what
    // must never happen is a hang or a lost record.
    const second = await trail.recordAttempt(sampleEvent({ requestId: 'second' }));
    assert.equal(second.seq, 2);

    await store.killWorker();
    await waitFor(() => !trail.readiness().ready, 'readiness to turn off');
    assert.match(trail.readiness().reasons.join('\n'), /worker .* stopped/);
    await waitFor(() => trail.readiness().ready, 'the background probe to start a new worker');
    const third = await trail.recordAttempt(sampleEvent({ requestId: 'third' }));
    assert.equal(third.seq, 3);
  });

  test('a trail refuses with AUDIT_UNAVAILABLE within a second when the worker cannot be replaced', async (t) => {
    const config = auditConfig(tempDir(t));
    const store = await openSqliteWorkerStore({ path: config.sqlitePath });
    const { trail } = await openTestTrail(t, config, { store });
    await trail.recordAttempt(sampleEvent({ requestId: 'first' }));
    await store.killWorker();
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(`${config.sqlitePath}${suffix}`)) unlinkSync(`${config.sqlitePath}${suffix}`);
    }
    const elapsed = await refusal(trail.recordAttempt(sampleEvent({ requestId: 'refused' })));
    assert.ok(elapsed < 1000, `refused after ${Math.round(elapsed)} ms`);
    assert.equal(trail.readiness().ready, false);
    assert.equal(existsSync(config.sqlitePath), false, 'no new database was created');
  });
});
