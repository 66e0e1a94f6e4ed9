// Two database roles on a real PostgreSQL: the owner creates and migrates the audit schema with
// `npm run audit:migrate -- --grant GATEWAY_ROLE`; the gateway runs as a role that writes and
// reads audit records but can neither alter nor drop the tables or their append-only triggers,
// nor switch the triggers off.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import { openPostgresAuditStore } from '../../../src/audit/stores/postgres-audit-store.ts';
import { usePostgres, type TestPostgres } from '../../helpers/servers.ts';
import { pgQuery } from '../../helpers/pg-query.ts';
import {
  auditConfig,
  openTestTrail,
  recordRequest,
  sampleEvent,
  tempDir,
} from './audit-test-kit.ts';
import { runCli, type CliResult } from './cli-kit.ts';

const MIGRATE = new URL('../../../src/audit/cli/migrate-cli.ts', import.meta.url).pathname;
const suffix = randomBytes(4).toString('hex');
const OWNER = `audit_owner_${suffix}`;
const GATEWAY = `audit_gateway_${suffix}`;
const PASSWORD = randomBytes(12).toString('hex');

let postgres: TestPostgres;
let ownerUrl: string;
let gatewayUrl: string;

function as(user: string, url: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = PASSWORD;
  return parsed.toString();
}

function migrate(env: Record<string, string>, args: string[]): Promise<CliResult> {
  return runCli(MIGRATE, args, env);
}

/** Runs `sql` as the gateway role; resolves with the SQLSTATE it failed with, or null. */
async function asGateway(sql: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: gatewayUrl });
  await client.connect();
  try {
    await client.query(sql);
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? 'failed';
  } finally {
    await client.end();
  }
}

describe(
  'database roles: an owner migrates, the gateway inserts and reads',
  { concurrency: 1 },
  () => {
    before(async () => {
      postgres = await usePostgres();
      const database = await postgres.createDatabase();
      const name = new URL(database).pathname.slice(1);
      await pgQuery(
        postgres.adminUrl,
        `CREATE ROLE ${OWNER} LOGIN PASSWORD '${PASSWORD}';
       CREATE ROLE ${GATEWAY} LOGIN PASSWORD '${PASSWORD}';
       ALTER DATABASE ${name} OWNER TO ${OWNER};`,
      );
      ownerUrl = as(OWNER, database);
      gatewayUrl = as(GATEWAY, database);
    });

    after(async () => {
      await postgres.close();
      await pgQuery(
        postgres.adminUrl,
        `DROP ROLE IF EXISTS ${GATEWAY}; DROP ROLE IF EXISTS ${OWNER};`,
      ).catch(() => undefined);
    });

    test('the gateway role cannot create the schema itself', async () => {
      await assert.rejects(
        openPostgresAuditStore({ url: gatewayUrl, chain: 'gw-1' }),
        /permission denied/,
      );
    });

    test('audit:migrate needs the owner URL, creates the schema and grants the gateway role', async () => {
      const missing = await migrate({}, ['--grant', GATEWAY]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /set RESCIND_AUDIT_POSTGRES_MIGRATION_URL/);

      const done = await migrate({ RESCIND_AUDIT_POSTGRES_MIGRATION_URL: ownerUrl }, [
        '--grant',
        GATEWAY,
      ]);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /audit schema at .*: version \d+ \(applied 1/);
      assert.match(done.stdout, new RegExp(`granted ${GATEWAY}`));
      assert.ok(!done.stdout.includes(PASSWORD) && !done.stderr.includes(PASSWORD));

      const again = await migrate({ RESCIND_AUDIT_POSTGRES_MIGRATION_URL: ownerUrl }, []);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /\(current\)/);
    });

    test('the gateway role writes, reads and checkpoints audit records', async (t) => {
      const config = auditConfig(tempDir(t), {
        store: 'postgres',
        postgresUrl: gatewayUrl,
        checkpoints: { signingKey: generateCheckpointKey().privateKeyPem },
      });
      const { trail } = await openTestTrail(t, config);
      await recordRequest(trail, sampleEvent({ requestId: 'roles-1' }));
      const page = await trail.reader.page({ requestId: 'roles-1' });
      assert.deepEqual(
        page.items.map((record) => record.phase),
        ['attempt', 'outcome'],
      );
      await trail.close();
      const store = await openPostgresAuditStore({ url: gatewayUrl, readOnly: true });
      t.after(() => store.close());
      assert.equal((await store.head('test-instance'))?.seq, 2);
      assert.equal(
        (await store.checkpoints('test-instance')).at(-1)?.seq,
        2,
        'checkpointed at close',
      );
    });

    test('the gateway role can neither drop nor alter the tables or their triggers, nor skip them', async () => {
      const refused: [string, string][] = [
        ['DROP TRIGGER audit_records_append_only ON audit_records', '42501'],
        ['ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only', '42501'],
        ['ALTER TABLE audit_records DISABLE TRIGGER ALL', '42501'],
        ['DROP TABLE audit_records', '42501'],
        ['DROP TABLE audit_checkpoints', '42501'],
        ['ALTER TABLE audit_records ADD COLUMN note text', '42501'],
        ['DROP FUNCTION audit_reject_change() CASCADE', '42501'],
        ['TRUNCATE audit_records', '42501'],
        ["UPDATE audit_records SET body = '{}'", '42501'],
        ['DELETE FROM audit_records', '42501'],
        ['DELETE FROM audit_checkpoints', '42501'],
        ['SET session_replication_role = replica', '42501'],
        ['CREATE TABLE audit_shadow (x int)', '42501'],
      ];
      for (const [sql, code] of refused) assert.equal(await asGateway(sql), code, sql);
      // The records are all still there.
      assert.equal(await asGateway('SELECT count(*) FROM audit_records'), null);
    });
  },
);
