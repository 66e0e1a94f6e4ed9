// Chains whose instance never comes back, on a real PostgreSQL: a live instance adopts the chain
// of a writer whose lease lapsed (its lock free and its lease row unchanged for a lease time),
// closes its open attempts as unknown in that chain, naming itself; a live writer is never
// adopted, even while a database restart has freed its lock; two adopters close each attempt
// once; and the writer that comes back to an adopted chain refuses to continue it, while a new
// process under its name continues from the adopter's tail. The lease watch runs on a clock the
// tests move, so that no test waits a lease time.

import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import pg from 'pg';
import { Registry } from 'prom-client';
import {
  closeOrphanAttempts,
  startChainAdoption,
  type ChainAdoption,
} from '../../../src/audit/stores/adopt-orphan-chains.ts';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import {
  openPostgresAuditStore,
  type PostgresAuditStore,
} from '../../../src/audit/stores/postgres-audit-store.ts';
import { leaseSessionOptions } from '../../../src/audit/stores/postgres-chain-lease.ts';
import { chainLockKey } from '../../../src/audit/stores/postgres-lock-key.ts';
import { verifyChain } from '../../../src/audit/chain/verify-chain.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { usePostgres } from '../../helpers/servers.ts';
import { pgQuery } from '../../helpers/pg-query.ts';
import {
  auditConfig,
  defer,
  logSink,
  openTestTrail,
  postgresRecords,
  refusal,
  sampleEvent,
  sampleOutcome,
  tempDir,
} from './audit-test-kit.ts';

const server = await usePostgres();
after(() => server.close());

const LEASE_SECONDS = 30;
/** Scans only when the test calls scan(): the timer's first tick is the start-up scan. */
const NO_TIMER_SECONDS = 1800;

/** Ends the session that holds the chain's lock, as the server does with a silent peer. */
async function dropChainLock(url: string, chain: string): Promise<void> {
  const ended = await pgQuery<{ ended: boolean }>(
    url,
    `SELECT pg_terminate_backend(pid) AS ended FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
    [chainLockKey(chain)],
  );
  assert.deepEqual(
    ended.map((row) => row.ended),
    [true],
    `the session holding ${chain}'s lock ended`,
  );
}

interface Adopter {
  readonly store: PostgresAuditStore;
  readonly adoption: ChainAdoption;
  /** Moves the adopter's lease watch forward. */
  advance(seconds: number): void;
}

async function adopter(t: TestContext, url: string, chain: string): Promise<Adopter> {
  const store = await openPostgresAuditStore({ url, chain });
  defer(t, () => store.close());
  let now = 0;
  const adoption = startChainAdoption({
    store,
    url,
    chain,
    leaseSeconds: LEASE_SECONDS,
    scanSeconds: NO_TIMER_SECONDS,
    logger: logSink().logger,
    metrics: createMetrics(new Registry(), { process: false }),
    clock: Date.now,
    now: () => now,
  });
  defer(t, () => adoption.close());
  // The start-up scan has begun; let it finish before the test's own scans.
  await adoption.scan();
  return {
    store,
    adoption,
    advance(seconds) {
      now += seconds * 1000;
    },
  };
}

/** A gateway's trail on the database, whose own lease is renewed only at its start. */
async function writerTrail(t: TestContext, url: string, instanceId: string) {
  const opened = await openTestTrail(
    t,
    auditConfig(tempDir(t), {
      store: 'postgres',
      postgresUrl: url,
      instanceId,
      adoption: { leaseSeconds: 3600, scanSeconds: NO_TIMER_SECONDS },
    }),
  );
  // Its start-up scan renews its lease first: once the row is there, it renews no more.
  for (;;) {
    const rows = await pgQuery(url, 'SELECT 1 FROM audit_chain_leases WHERE chain = $1', [
      instanceId,
    ]);
    if (rows.length === 1) return opened;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Attempts made durable by `chain`'s writer, which then stops without their outcomes. */
async function abandonedAttempts(t: TestContext, url: string, chain: string, count: number) {
  const { trail } = await writerTrail(t, url, chain);
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    ids.push((await trail.recordAttempt(sampleEvent({ requestId: `${chain}-${index}` }))).id);
  }
  await trail.close();
  return ids;
}

function outcomesOf(all: readonly AuditRecord[], attemptIds: readonly string[]) {
  return all.filter(
    (record) =>
      record.outcome?.attemptId !== undefined && attemptIds.includes(record.outcome.attemptId),
  );
}

describe('adopting the chains of instances gone for good (PostgreSQL)', () => {
  test('closes the open attempts of a chain whose lease lapsed, in that chain, naming the adopter', async (t) => {
    const url = await server.createDatabase();
    const survivor = await adopter(t, url, 'survivor');
    const attempts = await abandonedAttempts(t, url, 'gone', 3);

    assert.deepEqual(await survivor.adoption.scan(), { adopted: [], closed: 0 }, 'first seen');
    survivor.advance(LEASE_SECONDS - 1);
    assert.deepEqual(
      await survivor.adoption.scan(),
      { adopted: [], closed: 0 },
      'not before a whole lease time',
    );
    survivor.advance(1);
    assert.deepEqual(await survivor.adoption.scan(), { adopted: ['gone'], closed: 3 });

    const all = await postgresRecords(url);
    const gone = all.filter((record) => record.chain === 'gone');
    assert.deepEqual(
      gone.map((record) => [record.seq, record.phase]),
      [
        [1, 'attempt'],
        [2, 'attempt'],
        [3, 'attempt'],
        [4, 'outcome'],
        [5, 'outcome'],
        [6, 'outcome'],
      ],
    );
    const closers = outcomesOf(all, attempts);
    assert.deepEqual(
      closers.map((record) => record.outcome?.attemptId).sort(),
      [...attempts].sort(),
    );
    for (const record of closers) {
      assert.equal(record.chain, 'gone');
      assert.equal(record.outcome?.result, 'unknown');
      assert.equal(record.outcome.reason, 'process-ended-before-outcome');
      assert.equal(record.outcome.closedBy, 'survivor');
      assert.equal(record.actor.subject, 'alice', 'the request facts of its attempt');
    }
    assert.equal(all.filter((record) => record.chain === 'survivor').length, 0);
    assert.equal((await verifyChain(all)).ok, true);
    assert.deepEqual(await pgQuery(url, 'SELECT id FROM audit_open_attempts'), []);
    survivor.advance(LEASE_SECONDS);
    assert.deepEqual(await survivor.adoption.scan(), { adopted: [], closed: 0 }, 'nothing left');
  });

  test('never adopts a live writer, even while its lock is free (a database restart frees them all)', async (t) => {
    const url = await server.createDatabase();
    const survivor = await adopter(t, url, 'survivor');
    const busy = await writerTrail(t, url, 'busy');
    await busy.trail.recordAttempt(sampleEvent({ requestId: 'busy-in-flight' }));
    const live = await writerTrail(t, url, 'live');
    await live.trail.recordAttempt(sampleEvent({ requestId: 'live-in-flight' }));

    // Writers holding their locks are not adopted, however long their leases were not renewed.
    await survivor.adoption.scan();
    survivor.advance(LEASE_SECONDS * 3);
    assert.deepEqual((await survivor.adoption.scan()).adopted, []);

    // `live` loses its lock (its session is ended) but renews its lease: not adopted.
    await dropChainLock(url, 'live');
    const renewals = startChainAdoption({
      store: survivor.store,
      url,
      chain: 'live',
      leaseSeconds: LEASE_SECONDS,
      scanSeconds: NO_TIMER_SECONDS,
      logger: logSink().logger,
      metrics: createMetrics(new Registry(), { process: false }),
      clock: Date.now,
    });
    defer(t, () => renewals.close());
    for (let round = 0; round < 3; round += 1) {
      await renewals.scan();
      survivor.advance(LEASE_SECONDS);
      assert.deepEqual((await survivor.adoption.scan()).adopted, [], `renewed (${round})`);
    }
    const open = await pgQuery<{ chain: string }>(
      url,
      'SELECT chain FROM audit_open_attempts ORDER BY chain',
    );
    assert.deepEqual(
      open.map((row) => row.chain),
      ['busy', 'live'],
    );
  });

  test('a scan that fails starts the watch over: it may have missed renewals', async (t) => {
    const url = await server.createDatabase();
    const survivor = await adopter(t, url, 'survivor');
    await abandonedAttempts(t, url, 'gone', 1);
    await survivor.adoption.scan();
    survivor.advance(LEASE_SECONDS - 1);
    await survivor.adoption.scan();

    // The next scan cannot renew the survivor's own lease (its row is locked) and fails.
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    defer(t, () => blocker.end());
    await blocker.query('BEGIN');
    await blocker.query("SELECT * FROM audit_chain_leases WHERE chain = 'survivor' FOR UPDATE");
    survivor.advance(1);
    await assert.rejects(survivor.adoption.scan());
    await blocker.query('ROLLBACK');

    assert.deepEqual((await survivor.adoption.scan()).adopted, [], 'watched afresh');
    survivor.advance(LEASE_SECONDS);
    assert.deepEqual((await survivor.adoption.scan()).adopted, ['gone']);
  });

  test('two adopters at once close each attempt exactly once', async (t) => {
    const url = await server.createDatabase();
    const first = await adopter(t, url, 'adopter-1');
    const second = await adopter(t, url, 'adopter-2');
    const attempts = [
      ...(await abandonedAttempts(t, url, 'gone-a', 4)),
      ...(await abandonedAttempts(t, url, 'gone-b', 2)),
    ];
    await Promise.all([first.adoption.scan(), second.adoption.scan()]);
    first.advance(LEASE_SECONDS);
    second.advance(LEASE_SECONDS);
    const scans = await Promise.all([first.adoption.scan(), second.adoption.scan()]);

    assert.deepEqual(scans.flatMap((scan) => scan.adopted).sort(), ['gone-a', 'gone-b']);
    assert.equal(scans[0].closed + scans[1].closed, attempts.length);
    const all = await postgresRecords(url);
    const closers = outcomesOf(all, attempts);
    assert.equal(closers.length, attempts.length, 'one outcome per attempt');
    assert.deepEqual(
      new Set(closers.map((record) => record.outcome?.attemptId)).size,
      attempts.length,
    );
    assert.equal((await verifyChain(all)).ok, true);
  });

  test('without the lock, the head check still lets only one of two concurrent closers append', async (t) => {
    const url = await server.createDatabase();
    const one = await openPostgresAuditStore({ url, chain: 'one' });
    defer(t, () => one.close());
    const two = await openPostgresAuditStore({ url, chain: 'two' });
    defer(t, () => two.close());
    const attempts = await abandonedAttempts(t, url, 'gone', 5);

    const settled = await Promise.allSettled([
      closeOrphanAttempts(one, 'gone', 'one', Date.now),
      closeOrphanAttempts(two, 'gone', 'two', Date.now),
    ]);
    const closed = settled.map((result) => (result.status === 'fulfilled' ? result.value : 0));
    assert.deepEqual(
      [...closed].sort(),
      [0, 5],
      'one closer appended all five; the other found them closed or the head moved',
    );
    const all = await postgresRecords(url);
    assert.equal(outcomesOf(all, attempts).length, 5);
    assert.equal((await verifyChain(all)).ok, true);
  });

  test('the writer that comes back to its adopted chain refuses to continue it; a new process under its name continues from the tail', async (t) => {
    const url = await server.createDatabase();
    const survivor = await adopter(t, url, 'survivor');
    const { trail } = await writerTrail(t, url, 'partitioned');
    const event = sampleEvent({ requestId: 'cut-off' });
    const attempt = await trail.recordAttempt(event);

    // The server ended its session (a silent peer); its lease is not renewed; it is adopted.
    await dropChainLock(url, 'partitioned');
    await survivor.adoption.scan();
    survivor.advance(LEASE_SECONDS);
    assert.deepEqual(await survivor.adoption.scan(), { adopted: ['partitioned'], closed: 1 });

    // Back: its outcome would be a second one for the attempt, after records it did not write.
    await refusal(trail.recordOutcome(event, sampleOutcome({ attemptId: attempt.id })));
    const readiness = trail.readiness();
    assert.equal(readiness.ready, false);
    assert.match(
      readiness.reasons.join(),
      /refusing to continue a chain whose records it cannot see/,
    );
    await refusal(trail.recordAttempt(sampleEvent({ requestId: 'after-adoption' })));
    let all = await postgresRecords(url);
    assert.deepEqual(
      all.filter((record) => record.chain === 'partitioned').map((record) => record.seq),
      [1, 2],
      "no fork: nothing after the adopter's outcome",
    );
    assert.equal(outcomesOf(all, [attempt.id]).length, 1);
    assert.equal(outcomesOf(all, [attempt.id])[0]?.outcome?.closedBy, 'survivor');
    await trail.close();

    // A new process under the same name: nothing to recover, and it appends after the tail.
    const restarted = await writerTrail(t, url, 'partitioned');
    assert.equal(restarted.trail.stats().danglingRecovered, 0);
    const receipt = await restarted.trail.recordAttempt(sampleEvent({ requestId: 'next' }));
    assert.equal(receipt.seq, 3);
    all = await postgresRecords(url);
    assert.equal((await verifyChain(all)).ok, true);
  });

  test('asks the server to drop a silent writer session within about the lease time', async () => {
    const options = leaseSessionOptions(30);
    assert.equal(
      options,
      '-c tcp_keepalives_idle=15 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3 -c tcp_user_timeout=30000',
    );
    const url = await server.createDatabase();
    const client = new pg.Client({ connectionString: url, options });
    await client.connect();
    try {
      const { rows } = await client.query<Record<string, string>>(
        `SELECT current_setting('tcp_keepalives_idle') AS idle,
                current_setting('tcp_keepalives_interval') AS interval,
                current_setting('tcp_keepalives_count') AS count,
                current_setting('tcp_user_timeout') AS user_timeout`,
      );
      // Over TCP, as the test server's URL connects, the server applies them to the session.
      assert.deepEqual(rows[0], { idle: '15', interval: '5', count: '3', user_timeout: '30000' });
    } finally {
      await client.end();
    }
  });
});
