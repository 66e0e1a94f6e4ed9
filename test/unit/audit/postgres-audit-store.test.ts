// What only the PostgreSQL store has to show (the shared contract is in test/conformance/):
// durable commits checked at start-up, one writer per chain, secrets never shown, append-only
// guard rails on every audit table, and `audit:verify` over every chain in the database.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { GENESIS_HASH } from '../../../src/audit/audit-record.ts';
import { AuditStoreError } from '../../../src/audit/audit-store.ts';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import {
  openPostgresAuditStore,
  postgresLocation,
} from '../../../src/audit/stores/postgres-audit-store.ts';
import { toStoredRecord } from '../../../src/audit/stored-record.ts';
import type { Config } from '../../../src/config/schema.ts';
import { startPostgres, usePostgres } from '../../helpers/servers.ts';
import { pgQuery } from '../../helpers/pg-query.ts';
import {
  auditConfig,
  defer,
  openTestTrail,
  sampleEvent,
  startHangingWriter,
  tempDir,
  waitFor,
} from './audit-test-kit.ts';
import { runCli, VERIFY_CLI } from './cli-kit.ts';
import { buildChain } from './chain-fixture.ts';

const server = await usePostgres();
after(() => server.close());

async function postgresConfig(
  t: TestContext,
  overrides: Partial<Config['audit']> = {},
): Promise<Config['audit']> {
  return auditConfig(tempDir(t), {
    store: 'postgres',
    postgresUrl: await server.createDatabase(),
    ...overrides,
  });
}

async function verifyCli(t: TestContext, config: Config['audit']) {
  const file = join(tempDir(t), 'rescind.json');
  writeFileSync(file, JSON.stringify({ audit: config }));
  return runCli(VERIFY_CLI, ['--json'], { RESCIND_CONFIG: file });
}

describe('PostgreSQL audit store', () => {
  test('refuses a server that runs with fsync=off: its commits are not durable', async (t) => {
    const unsafe = await startPostgres({ settings: { fsync: 'off' } });
    defer(t, () => unsafe.close());
    await assert.rejects(
      openPostgresAuditStore({ url: unsafe.url() }),
      (error: unknown) =>
        error instanceof AuditStoreError &&
        /cannot promise durable commits \(fsync=off, synchronous_commit=on\)/.test(error.message) &&
        error.message.includes(`127.0.0.1:${unsafe.port}/postgres`),
    );
  });

  test('commits with synchronous_commit=on even where the database default is off', async (t) => {
    const url = await server.createDatabase();
    const database = new URL(url).pathname.slice(1);
    await pgQuery(url, `ALTER DATABASE ${database} SET synchronous_commit = off`);
    const store = await openPostgresAuditStore({ url, chain: 'a' });
    defer(t, () => store.close());
    assert.deepEqual(await store.durability(), { fsync: 'on', synchronousCommit: 'on' });
    // What an append runs under, seen from inside the server while it commits.
    await store.append('a', { seq: 0, hash: GENESIS_HASH }, buildChain('a', 1).map(toStoredRecord));
    assert.equal((await store.query({ limit: 5 })).length, 1);
  });

  test('refuses a second process with the same instance id, and admits it once the first is gone', async (t) => {
    const config = await postgresConfig(t, { instanceId: 'twin' });
    // The first process writes two attempts and keeps running.
    const { attempts, kill } = await startHangingWriter(t, config, 2);

    await assert.rejects(
      openTestTrail(t, config),
      /chain twin is already being written by another process on PostgreSQL at 127\.0\.0\.1:\d+\/rescind_test_\w+: two gateway instances share audit\.instanceId twin/,
    );
    // Refused before touching anything: the first one's attempts are still open, not closed.
    const outcomes = await pgQuery(
      config.postgresUrl ?? '',
      "SELECT 1 FROM audit_records WHERE phase = 'outcome'",
    );
    assert.equal(outcomes.length, 0);

    await kill();
    // PostgreSQL releases the lock as soon as it sees the connection close.
    let opened: Awaited<ReturnType<typeof openTestTrail>> | null = null;
    for (let tries = 0; opened === null && tries < 50; tries += 1) {
      try {
        opened = await openTestTrail(t, config);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.ok(opened !== null, 'opens once the first process is gone');
    assert.equal(opened.trail.stats().danglingRecovered, attempts.length);
  });

  test('takes its chain back after losing the connection that held it, refusing writes meanwhile', async (t) => {
    const config = await postgresConfig(t, { instanceId: 'held' });
    const { trail } = await openTestTrail(t, config, { writer: { probeIntervalMs: 50 } });
    await trail.recordAttempt(sampleEvent());
    // An operator (or a failover) ends the session that holds the chain's lock.
    await pgQuery(
      config.postgresUrl ?? '',
      `SELECT pg_terminate_backend(pid) FROM pg_locks
       WHERE locktype = 'advisory' AND pid <> pg_backend_pid() AND database =
         (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    await waitFor(() => !trail.readiness().ready, 'readiness to notice the lost connection');
    assert.match(
      trail.readiness().reasons.join(),
      /lost the connection to PostgreSQL at 127\.0\.0\.1/,
    );
    await waitFor(() => trail.readiness().ready, 'the probe to take the chain back');
    const receipt = await trail.recordAttempt(sampleEvent());
    assert.equal(receipt.seq, 2);
  });

  test('never shows the URL or its password: errors and readiness name host:port/database', async () => {
    const url = new URL(await server.createDatabase());
    const database = url.pathname.slice(1);
    const secret = 'Sup3r-secret-pa55word';
    url.password = secret;
    await assert.rejects(openPostgresAuditStore({ url: url.toString() }), (error: unknown) => {
      assert.ok(error instanceof AuditStoreError);
      assert.equal(
        error.message,
        `PostgreSQL at 127.0.0.1:${url.port}/${database} refused the audit trail's credentials`,
      );
      assert.equal(JSON.stringify(error).includes(secret), false);
      return true;
    });
    assert.equal(postgresLocation(url.toString()), `127.0.0.1:${url.port}/${database}`);
    assert.equal(
      postgresLocation('postgresql://u:pw@db.internal/audit?sslmode=require'),
      'db.internal:5432/audit',
    );
    // Nothing listens there: a refused connection names the place, not the URL.
    const nowhere = `postgres://rescind:${secret}@127.0.0.1:9/${database}`;
    await assert.rejects(openPostgresAuditStore({ url: nowhere }), (error: unknown) => {
      assert.ok(error instanceof AuditStoreError);
      assert.match(
        error.message,
        /^cannot reach PostgreSQL at 127\.0\.0\.1:9\/\w+ \(ECONNREFUSED\)$/,
      );
      return true;
    });
  });

  test('refuses UPDATE, DELETE and TRUNCATE on checkpoints and chains too', async (t) => {
    const config = await postgresConfig(t, {
      checkpoints: {
        everyRecords: 1,
        intervalSeconds: 60,
        signingKey: generateCheckpointKey().privateKeyPem,
      },
    });
    const { trail } = await openTestTrail(t, config);
    await trail.recordAttempt(sampleEvent());
    await trail.close();
    for (const table of ['audit_checkpoints', 'audit_chains']) {
      for (const statement of [
        `UPDATE ${table} SET chain = 'x'`,
        `DELETE FROM ${table}`,
        `TRUNCATE ${table}`,
      ]) {
        await assert.rejects(
          pgQuery(config.postgresUrl ?? '', statement),
          /append-only/,
          statement,
        );
      }
    }
  });

  test('writes nothing when a record id is already in the store', async (t) => {
    const store = await openPostgresAuditStore({ url: await server.createDatabase() });
    defer(t, () => store.close());
    const [first, second] = buildChain('a', 2).map(toStoredRecord);
    assert.ok(first && second);
    await store.append('a', { seq: 0, hash: GENESIS_HASH }, [first]);
    await assert.rejects(
      store.append('a', { seq: 1, hash: first.hash }, [{ ...second, id: first.id }]),
      (error: unknown) => error instanceof AuditStoreError && error.kind === 'conflict',
    );
    assert.deepEqual(await store.head('a'), { seq: 1, hash: first.hash });
  });

  test('keeps signed checkpoints in the database even when the checkpoints file cannot be written, and holds the chain to them at start-up', async (t) => {
    const key = generateCheckpointKey();
    const config = await postgresConfig(t, {
      checkpoints: {
        everyRecords: 3,
        intervalSeconds: 60,
        signingKey: key.privateKeyPem,
        path: join(tempDir(t), 'missing-directory', 'audit.checkpoints'),
      },
    });
    const { trail, metrics } = await openTestTrail(t, config);
    for (let index = 0; index < 7; index += 1) {
      await trail.recordAttempt(sampleEvent({ requestId: `r-${index}` }));
    }
    await trail.close();
    const rows = await pgQuery<{ seq: string }>(
      config.postgresUrl ?? '',
      'SELECT seq FROM audit_checkpoints ORDER BY n',
    );
    assert.deepEqual(
      rows.map((row) => Number(row.seq)),
      [3, 6, 7],
    );
    const failures = (await metrics.auditWriteFailures.get()).values.find(
      (value) => value.labels.store === 'checkpoints',
    );
    assert.equal(failures?.value, 3, 'each file write that failed is counted');

    // Records removed behind the triggers' back: the database's own checkpoints catch it.
    await pgQuery(
      config.postgresUrl ?? '',
      `BEGIN; SET LOCAL session_replication_role = replica;
       DELETE FROM audit_records WHERE seq > 5; COMMIT;`,
    );
    await assert.rejects(
      openTestTrail(t, config),
      /does not hold the record of chain test-instance signed by the last checkpoint in 127\.0\.0\.1:\d+\/rescind_test_\w+ itself \(seq 7; the store's head is seq 5\)/,
    );
  });

  test('audit:verify checks every chain in the database against the checkpoints it holds', async (t) => {
    const key = generateCheckpointKey();
    const config = await postgresConfig(t, {
      checkpoints: { everyRecords: 4, intervalSeconds: 60, signingKey: key.privateKeyPem },
    });
    for (const instanceId of ['east', 'north', 'west']) {
      const { trail } = await openTestTrail(t, { ...config, instanceId });
      for (let index = 0; index < 6; index += 1) {
        await trail.recordAttempt(sampleEvent({ requestId: `${instanceId}-${index}` }));
      }
      await trail.close();
    }
    const intact = await verifyCli(t, config);
    assert.equal(intact.code, 0, intact.stderr);
    const result = JSON.parse(intact.stdout) as {
      ok: boolean;
      chains: { chain: string; records: number; checkpoints: number }[];
      signaturesChecked: boolean;
    };
    assert.equal(result.ok, true);
    assert.equal(result.signaturesChecked, true);
    assert.deepEqual(
      result.chains.map((chain) => [chain.chain, chain.records, chain.checkpoints]),
      [
        ['east', 6, 2],
        ['north', 6, 2],
        ['west', 6, 2],
      ],
    );

    // One record of one chain edited behind the triggers' back.
    await pgQuery(
      config.postgresUrl ?? '',
      `BEGIN; SET LOCAL session_replication_role = replica;
       UPDATE audit_records SET body = replace(body, 'north-2', 'north-X') WHERE chain = 'north' AND seq = 3;
       COMMIT;`,
    );
    const broken = await verifyCli(t, config);
    assert.equal(broken.code, 1);
    const brokenResult = JSON.parse(broken.stdout) as { firstBadSeq: number; chain: string };
    assert.equal(brokenResult.chain, 'north');
    assert.equal(brokenResult.firstBadSeq, 3);
  });
});
