// The PostgreSQL schema is created and migrated at start-up by numbered migrations that only
// ever add: a record can never be lost to a migration, and an older gateway keeps running on a
// newer schema during a rolling upgrade.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { GENESIS_HASH } from '../../../src/audit/audit-record.ts';
import { openPostgresAuditStore } from '../../../src/audit/stores/postgres-audit-store.ts';
import {
  applyPostgresMigrations,
  POSTGRES_MIGRATIONS,
  POSTGRES_SCHEMA_VERSION,
  type PostgresMigration,
} from '../../../src/audit/stores/postgres-migrations.ts';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startChainAdoption } from '../../../src/audit/stores/adopt-orphan-chains.ts';
import { advisoryLockKey } from '../../../src/audit/stores/postgres-lock-key.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { usePostgres } from '../../helpers/servers.ts';
import { pgQuery } from '../../helpers/pg-query.ts';
import { buildChain } from './chain-fixture.ts';
import { defer } from './audit-test-kit.ts';
import { toStoredRecord } from '../../../src/audit/stored-record.ts';

const server = await usePostgres();
after(() => server.close());

describe('PostgreSQL audit schema migrations', () => {
  test('only ever add: no migration drops, renames, retypes, truncates, deletes or updates', () => {
    const destructive =
      /\b(DROP|TRUNCATE|DELETE|UPDATE\s+\w+\s+SET|RENAME|ALTER\s+COLUMN|ALTER\s+TABLE\s+\w+\s+ALTER)\b/i;
    for (const migration of POSTGRES_MIGRATIONS) {
      // Trigger definitions name the operations they refuse; they change nothing themselves.
      const sql = migration.sql
        .replace(/BEFORE (UPDATE OR DELETE|TRUNCATE) ON/g, 'BEFORE ON')
        .replace(/RAISE EXCEPTION '[^']*'/g, '');
      assert.doesNotMatch(sql, destructive, `migration ${migration.version}`);
    }
    assert.deepEqual(
      POSTGRES_MIGRATIONS.map((migration) => migration.version),
      POSTGRES_MIGRATIONS.map((_migration, index) => index + 1),
      'numbered 1, 2, 3… without gaps',
    );
  });

  test('creates the schema at the first start and leaves it alone at the next', async (t) => {
    const url = await server.createDatabase();
    const first = await openPostgresAuditStore({ url });
    defer(t, () => first.close());
    assert.equal(await first.schemaVersion(), POSTGRES_SCHEMA_VERSION);
    const applied = await pgQuery<{ version: number; applied_at: Date }>(
      url,
      'SELECT version, applied_at FROM audit_schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      applied.map((row) => row.version),
      POSTGRES_MIGRATIONS.map((migration) => migration.version),
    );
    const second = await openPostgresAuditStore({ url });
    defer(t, () => second.close());
    assert.deepEqual(
      await pgQuery(
        url,
        'SELECT version, applied_at FROM audit_schema_migrations ORDER BY version',
      ),
      applied,
    );
  });

  test('gateways starting together on an empty database migrate it once', async (t) => {
    const url = await server.createDatabase();
    const stores = await Promise.all(
      Array.from({ length: 4 }, (_, index) => openPostgresAuditStore({ url, chain: `g${index}` })),
    );
    for (const store of stores) defer(t, () => store.close());
    const rows = await pgQuery<{ n: number }>(
      url,
      'SELECT count(*)::int AS n FROM audit_schema_migrations',
    );
    assert.equal(rows[0]?.n, POSTGRES_MIGRATIONS.length);
  });

  test('applies a newer migration over existing records and keeps every one; an older gateway still runs on the newer schema', async (t) => {
    const url = await server.createDatabase();
    const store = await openPostgresAuditStore({ url, chain: 'a' });
    defer(t, () => store.close());
    const records = buildChain('a', 5).map(toStoredRecord);
    await store.append('a', { seq: 0, hash: GENESIS_HASH }, records);

    const next: PostgresMigration = {
      version: POSTGRES_SCHEMA_VERSION + 1,
      name: 'a column with a default',
      sql: "ALTER TABLE audit_records ADD COLUMN region text NOT NULL DEFAULT 'unknown'",
    };
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    defer(t, () => client.end());
    const result = await applyPostgresMigrations(client, [...POSTGRES_MIGRATIONS, next]);
    assert.deepEqual(result, {
      from: POSTGRES_SCHEMA_VERSION,
      to: next.version,
      applied: [next.version],
    });
    assert.deepEqual(await store.query({ limit: 10 }), records);

    // This gateway knows only the older migrations: it opens and appends on the newer schema.
    const older = await openPostgresAuditStore({ url, chain: 'b' });
    defer(t, () => older.close());
    assert.equal(await older.schemaVersion(), next.version);
    await older.append('b', { seq: 0, hash: GENESIS_HASH }, buildChain('b', 1).map(toStoredRecord));
    assert.equal((await older.query({ limit: 10 })).length, 6);
  });

  test('needs no privilege to create anything once the schema is there', async (t) => {
    const url = await server.createDatabase();
    const owner = await openPostgresAuditStore({ url });
    await owner.close();
    // A role that may only read and insert what the gateway writes (docs/audit-trail.md).
    const role = `rescind_writer_${Math.random().toString(36).slice(2, 8)}`;
    const database = new URL(url).pathname.slice(1);
    await pgQuery(
      url,
      `CREATE ROLE ${role} LOGIN PASSWORD 'writer-secret';
       REVOKE CREATE ON SCHEMA public FROM PUBLIC;
       GRANT CONNECT ON DATABASE ${database} TO ${role};
       GRANT SELECT, INSERT ON audit_records, audit_chains, audit_checkpoints, audit_schema_migrations TO ${role};
       GRANT SELECT, INSERT, DELETE ON audit_open_attempts TO ${role};
       GRANT SELECT, INSERT, UPDATE ON audit_probe, audit_chain_leases TO ${role};
       GRANT UPDATE ON audit_chains TO ${role};`,
    );
    const limited = new URL(url);
    limited.username = role;
    limited.password = 'writer-secret';
    const store = await openPostgresAuditStore({ url: limited.toString(), chain: 'a' });
    defer(t, () => store.close());
    await store.append('a', { seq: 0, hash: GENESIS_HASH }, buildChain('a', 2).map(toStoredRecord));
    await store.probe();
    assert.equal((await store.query({ limit: 10 })).length, 2);
    // Renewing its lease and looking for chains to adopt need nothing more either.
    const adoption = startChainAdoption({
      store,
      url: limited.toString(),
      chain: 'a',
      leaseSeconds: 30,
      scanSeconds: 1800,
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(new Registry(), { process: false }),
      clock: Date.now,
    });
    defer(t, () => adoption.close());
    assert.deepEqual(await adoption.scan(), { adopted: [], closed: 0 });
  });

  test("a gateway waits for another one's migration, however long it takes", async (t) => {
    const url = await server.createDatabase();
    // Another gateway migrating: it holds the migration lock for longer than lock_timeout.
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    defer(t, () => other.end());
    await other.query('SELECT pg_advisory_lock($1::bigint)', [
      advisoryLockKey('schema-migrations'),
    ]);
    const opening = openPostgresAuditStore({ url, chain: 'waits', lockTimeoutMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await other.query('SELECT pg_advisory_unlock($1::bigint)', [
      advisoryLockKey('schema-migrations'),
    ]);
    const store = await opening;
    defer(t, () => store.close());
    assert.equal(await store.schemaVersion(), POSTGRES_SCHEMA_VERSION);
  });
});
