// The two PostgreSQL roles of the audit store (docs/audit-trail.md "Database roles"): the owner,
// which creates and migrates the schema (`npm run audit:migrate`), and the gateway, which may
// insert and read audit records but owns nothing, so it can neither alter nor drop the tables or
// their append-only triggers. These are the gateway's privileges, table by table; a migration
// that adds a table the gateway uses adds it here.

import type { ClientBase } from 'pg';

export const GATEWAY_PRIVILEGES: readonly (readonly [table: string, privileges: string])[] = [
  ['audit_schema_migrations', 'SELECT'],
  ['audit_records', 'SELECT, INSERT'],
  ['audit_checkpoints', 'SELECT, INSERT'],
  // UPDATE only for SELECT … FOR UPDATE (the chain lock); the trigger refuses real updates.
  ['audit_chains', 'SELECT, INSERT, UPDATE'],
  // An index of attempts without an outcome, not evidence: rows leave it when closed.
  ['audit_open_attempts', 'SELECT, INSERT, DELETE'],
  ['audit_probe', 'SELECT, INSERT, UPDATE'],
  // Each writer renews its chain's lease; adopters read them (docs/audit-trail.md).
  ['audit_chain_leases', 'SELECT, INSERT, UPDATE'],
];

/** A role name as PostgreSQL takes it unquoted; anything else is refused, never quoted in. */
const ROLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function isRoleName(role: string): boolean {
  return ROLE_NAME.test(role);
}

/** Grants the gateway's privileges to `role` (which must exist), in one transaction. */
export async function grantGatewayPrivileges(client: ClientBase, role: string): Promise<void> {
  if (!isRoleName(role)) throw new Error(`${JSON.stringify(role)} is not a role name`);
  const quoted = `"${role}"`;
  await client.query('BEGIN');
  try {
    await client.query(`GRANT USAGE ON SCHEMA public TO ${quoted}`);
    for (const [table, privileges] of GATEWAY_PRIVILEGES) {
      await client.query(`GRANT ${privileges} ON ${table} TO ${quoted}`);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
