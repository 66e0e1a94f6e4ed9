// `npm run audit:migrate`: creates or migrates the PostgreSQL audit schema as its owner role
// (RESCIND_AUDIT_POSTGRES_MIGRATION_URL, or `…_FILE`), and with `--grant ROLE` gives the gateway's
// role what it needs to insert and read audit records — and nothing that alters or drops them.
// The gateway then runs with a URL of that role and finds the schema current: it needs no DDL.
// Exit 0: done. Exit 2: it could not (configuration, connection, permission).

import { parseArgs } from 'node:util';
import pg from 'pg';
import { ConfigError } from '../../config/config-error.ts';
import { loadAuditConfig } from '../../config/load-config.ts';
import { applyPostgresMigrations } from '../stores/postgres-migrations.ts';
import { postgresLocation } from '../stores/postgres-audit-store.ts';
import { grantGatewayPrivileges, isRoleName } from '../stores/postgres-roles.ts';

const USAGE = `usage: npm run audit:migrate -- [--grant ROLE]...

  Applies the audit schema's migrations to the database of RESCIND_AUDIT_POSTGRES_MIGRATION_URL
  (or …_FILE; configuration loaded as for npm start), connected as the schema's owner.
  --grant ROLE   grant ROLE (the gateway's, in RESCIND_AUDIT_POSTGRES_URL) the privileges to
                 insert and read audit records; repeatable

exit 0: done; 2: cannot (configuration, connection, permission)`;

const CONNECT_TIMEOUT_MS = 10_000;

async function main(argv: readonly string[]): Promise<number> {
  let values: { grant?: string[]; help?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: { grant: { type: 'string', multiple: true }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const roles = values.grant ?? [];
  const bad = roles.find((role) => !isRoleName(role));
  if (bad !== undefined) {
    console.error(`audit:migrate: --grant ${JSON.stringify(bad)} is not a role name`);
    return 2;
  }
  let url: string | undefined;
  try {
    url = loadAuditConfig(process.env).postgresMigrationUrl;
  } catch (error) {
    console.error(`audit:migrate: ${error instanceof ConfigError ? error.message : String(error)}`);
    return 2;
  }
  if (url === undefined) {
    console.error(
      'audit:migrate: set RESCIND_AUDIT_POSTGRES_MIGRATION_URL (or …_FILE) to the URL of the role that owns the audit schema',
    );
    return 2;
  }
  return migrate(url, roles);
}

async function migrate(url: string, roles: readonly string[]): Promise<number> {
  const where = postgresLocation(url);
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'rescind-audit-migrate',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await applyPostgresMigrations(client);
    console.log(
      `audit schema at ${where}: version ${result.to}${result.applied.length > 0 ? ` (applied ${result.applied.join(', ')})` : ' (current)'}`,
    );
    for (const role of roles) {
      await grantGatewayPrivileges(client, role);
      console.log(`granted ${role} the gateway's privileges (insert and read audit records)`);
    }
    return 0;
  } catch (error) {
    // pg's messages name objects and roles, never the URL or its password.
    const { code, message } = error as { code?: string; message?: string };
    console.error(`audit:migrate: ${where}: ${message ?? 'failed'}${code ? ` (${code})` : ''}`);
    return 2;
  } finally {
    await client.end().catch(() => undefined);
  }
}

process.exitCode = await main(process.argv.slice(2));
