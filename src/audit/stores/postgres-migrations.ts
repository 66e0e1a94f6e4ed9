// The PostgreSQL audit schema as numbered migrations, applied in order at start-up, each once,
// recorded in `audit_schema_migrations`. Migrations only ever add (tables, columns with
// defaults, indexes, triggers): nothing is dropped, renamed, retyped or deleted, so a gateway
// older than the schema still runs on it during a rolling upgrade, and no migration can lose a
// record. test/unit/audit/postgres-migrations.test.ts holds every migration to that rule.

import type { ClientBase } from 'pg';
import { advisoryLockKey } from './postgres-lock-key.ts';

export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The append-only triggers are guard rails against mistakes (an UPDATE with a wrong WHERE, a
 * TRUNCATE in the wrong database), not proof: a table owner or superuser can disable or drop
 * them, and `session_replication_role = replica` skips them. Tampering is what the hash chain
 * and signed checkpoints catch (docs/audit-trail.md, "PostgreSQL").
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'audit records, open attempts, chains, checkpoints, append-only triggers',
    sql: `
CREATE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit records are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- One row per chain, inserted once and never changed; appends lock it (FOR UPDATE), so two
-- writers of one chain are serialized and the head check inside the transaction is exact.
CREATE TABLE audit_chains (
  chain text COLLATE "C" PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- COLLATE "C" on chain: keyset pages are ordered by (chain, seq) byte-wise, as in SQLite,
-- whatever the database's default collation.
CREATE TABLE audit_records (
  chain text COLLATE "C" NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 1),
  id text NOT NULL UNIQUE,
  time text NOT NULL,
  request_id text NOT NULL,
  phase text NOT NULL CHECK (phase IN ('attempt', 'outcome')),
  operation text NOT NULL,
  actor text,
  result text,
  attempt_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_records_request_id ON audit_records (request_id, chain, seq);
CREATE INDEX audit_records_operation ON audit_records (operation, chain, seq);
CREATE INDEX audit_records_actor ON audit_records (actor, chain, seq);
CREATE INDEX audit_records_result ON audit_records (result, chain, seq);
CREATE INDEX audit_records_time ON audit_records (time);

-- An index of attempts no outcome names yet (crash recovery reads it at start-up); rows leave
-- it when their outcome is written. Not evidence: the records are.
CREATE TABLE audit_open_attempts (
  id text PRIMARY KEY,
  chain text COLLATE "C" NOT NULL,
  seq bigint NOT NULL
);
CREATE INDEX audit_open_attempts_chain ON audit_open_attempts (chain, seq);

-- Signed checkpoints, one row per checkpoint; body is its canonical JSON (a checkpoints line).
CREATE TABLE audit_checkpoints (
  n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  chain text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  hash text NOT NULL,
  body text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_checkpoints_chain ON audit_checkpoints (chain, seq);

-- What probe() writes to prove that a durable commit works, one row per chain.
CREATE TABLE audit_probe (
  chain text COLLATE "C" PRIMARY KEY,
  at timestamptz NOT NULL
);

CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_chains_append_only BEFORE UPDATE OR DELETE ON audit_chains
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_chains_no_truncate BEFORE TRUNCATE ON audit_chains
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
`,
  },
  {
    version: 2,
    name: 'chain leases: when each chain was last renewed by its live writer',
    sql: `
-- One row per chain, renewed (renewed_at = now()) by the instance writing the chain while it
-- runs. A chain with open attempts whose row has not changed for the lease time, and whose
-- advisory lock is free, is adopted by a live instance (src/audit/stores/adopt-orphan-chains.ts).
-- Not evidence, and not append-only: the records are the evidence.
CREATE TABLE audit_chain_leases (
  chain text COLLATE "C" PRIMARY KEY,
  renewed_at timestamptz NOT NULL
);
`,
  },
];

/** The schema version this gateway writes: the newest migration it knows. */
export const POSTGRES_SCHEMA_VERSION = Math.max(
  ...POSTGRES_MIGRATIONS.map((migration) => migration.version),
);

/** Generous: a migration may build an index over many records; start-up waits for it. */
export const MIGRATION_TIMEOUT_MS = 10 * 60_000;
const MIGRATION_STATEMENT_TIMEOUT = `${MIGRATION_TIMEOUT_MS}ms`;

export interface MigrationResult {
  /** The version the database had before (0: no schema). */
  readonly from: number;
  /** The version it has now; may be newer than this gateway's (another, newer gateway ran). */
  readonly to: number;
  readonly applied: readonly number[];
}

/**
 * Applies the migrations the database lacks, in order, in one transaction, under an advisory
 * lock: gateways starting together wait for each other instead of racing on DDL, and a failed
 * migration leaves the schema as it was. A database that already has every migration needs no
 * privilege beyond reading `audit_schema_migrations`, so the schema can be created by an owner
 * role and the gateway run as a role that may only insert and read.
 *
 * The lock is a session lock taken before the transaction, not a transaction lock inside it: a
 * backend reads the catalog changes others committed at the start of a transaction, so a
 * transaction begun before the lock was granted would not see the tables the gateway that held
 * it just created.
 */
export async function applyPostgresMigrations(
  client: ClientBase,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<MigrationResult> {
  const current = await readSchemaVersion(client);
  const newest = Math.max(0, ...migrations.map((migration) => migration.version));
  if (current !== null && current >= newest) return { from: current, to: current, applied: [] };

  const lock = advisoryLockKey('schema-migrations');
  // Waiting for another gateway's migration is waiting for a lock: lock_timeout bounds it too.
  await client.query(`SET statement_timeout = '${MIGRATION_STATEMENT_TIMEOUT}'`);
  await client.query(`SET lock_timeout = '${MIGRATION_STATEMENT_TIMEOUT}'`);
  await client.query('SELECT pg_advisory_lock($1::bigint)', [lock]);
  try {
    await client.query('BEGIN');
    try {
      // Read again under the lock: another gateway may have migrated meanwhile.
      let from = await readSchemaVersion(client);
      if (from === null) {
        await client.query(`CREATE TABLE audit_schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
        from = 0;
      }
      const applied: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (migration.version <= from) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO audit_schema_migrations (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        applied.push(migration.version);
      }
      await client.query('COMMIT');
      return { from, to: Math.max(from, ...applied), applied };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [lock]);
    await client.query('RESET statement_timeout');
    await client.query('RESET lock_timeout');
  }
}

/** The newest applied migration; null when the database has no Rescind audit schema at all. */
export async function readSchemaVersion(client: ClientBase): Promise<number | null> {
  const present = await client.query<{ present: boolean }>(
    "SELECT to_regclass('audit_schema_migrations') IS NOT NULL AS present",
  );
  if (present.rows[0]?.present !== true) return null;
  const version = await client.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM audit_schema_migrations',
  );
  return version.rows[0]?.version ?? 0;
}
