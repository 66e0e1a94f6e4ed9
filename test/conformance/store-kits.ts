// What the conformance suite needs from each audit store, so that one set of assertions runs
// against SQLite (on the calling thread and on a worker thread, as the gateway writes it) and
// PostgreSQL alike: a fresh store, a second connection to look at it, the
// database's own ways to change records, a real fault that can be cleared, and the variables the
// CLIs read. PostgreSQL is the run's server (test/helpers/servers.ts), one database per store;
// its faults use a server of the test's own, which the test stops and starts again.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, type TestContext } from 'node:test';
import pg from 'pg';
import type { AuditStore } from '../../src/audit/audit-store.ts';
import { generateCheckpointKey } from '../../src/audit/chain/checkpoint-key.ts';
import { openPostgresAuditStore } from '../../src/audit/stores/postgres-audit-store.ts';
import { openSqliteAuditStore } from '../../src/audit/stores/sqlite-audit-store.ts';
import { openSqliteWorkerStore } from '../../src/audit/stores/sqlite-worker-store.ts';
import type { Config } from '../../src/config/schema.ts';
import { startPostgres, usePostgres, type TestPostgres } from '../helpers/servers.ts';
import { auditConfig, defer, readOnly, tempDir } from '../unit/audit/audit-test-kit.ts';

export type AuditConfig = Config['audit'];
type Overrides = Partial<Omit<AuditConfig, 'checkpoints'>> & {
  checkpoints?: Partial<AuditConfig['checkpoints']>;
};

export interface StoreFault {
  /** A store on which the fault can be produced. */
  readonly config: AuditConfig;
  /** How the fault is produced, for diagnostics. */
  readonly how: string;
  /** What readiness says while it lasts. */
  readonly reason: RegExp;
  /** What must never appear in a reason or a log line (the password of a URL). */
  readonly secrets: readonly string[];
  inject(): Promise<void>;
  clear(): Promise<void>;
}

export interface StoreKit {
  readonly name: 'sqlite' | 'sqlite-worker' | 'postgres';
  /** The store's `kind`, the `store` label of its metrics. */
  readonly kind: AuditStore['kind'];
  /** A new, empty store of this kind. */
  config(t: TestContext, overrides?: Overrides): Promise<AuditConfig>;
  /** The raw store on `config`, closed after the test. */
  open(
    t: TestContext,
    config: AuditConfig,
    options?: { readOnly?: boolean; chain?: string },
  ): Promise<AuditStore>;
  /** Whether another connection than the trail's sees the record: it was committed. */
  visible(config: AuditConfig, id: string): Promise<boolean>;
  /** UPDATE, DELETE (and TRUNCATE where there is one) on the records; the errors they raise. */
  tryToChange(config: AuditConfig): Promise<string[]>;
  /** Removes a chain's records after `keep` behind the triggers' back (full database access). */
  cutTail(config: AuditConfig, chain: string, keep: number): Promise<void>;
  /** A store holding none of `config`'s records, with the same checkpoints file. */
  emptyTwin(t: TestContext, config: AuditConfig): Promise<AuditConfig>;
  /** Environment for the CLIs (a config file in `dir` plus RESCIND_* variables). */
  cliEnv(config: AuditConfig, dir: string): Record<string, string>;
  /** A real fault on a store of its own: writes fail until it is cleared. */
  fault(t: TestContext): Promise<StoreFault>;
}

/** SQLite on the thread that calls it (`audit.sqliteWorker: false`; the CLIs' reads). */
const sqlite: StoreKit = {
  name: 'sqlite',
  kind: 'sqlite',
  config: (t, overrides) =>
    Promise.resolve(auditConfig(tempDir(t), { sqliteWorker: false, ...overrides })),
  open(t, config, options = {}) {
    const store = openSqliteAuditStore({
      path: config.sqlitePath,
      ...(options.readOnly !== undefined ? { readOnly: options.readOnly } : {}),
    });
    defer(t, () => store.close());
    return Promise.resolve(store);
  },
  visible(config, id) {
    const db = new DatabaseSync(config.sqlitePath, { readOnly: true });
    try {
      const row = db.prepare('SELECT count(*) AS n FROM audit_records WHERE id = ?').get(id);
      return Promise.resolve(row?.n === 1);
    } finally {
      db.close();
    }
  },
  tryToChange(config) {
    const db = new DatabaseSync(config.sqlitePath);
    const errors: string[] = [];
    try {
      for (const sql of ["UPDATE audit_records SET operation = 'x'", 'DELETE FROM audit_records']) {
        try {
          db.exec(sql);
          errors.push(`(${sql} succeeded)`);
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    } finally {
      db.close();
    }
    return Promise.resolve(errors);
  },
  cutTail(config, chain, keep) {
    const db = new DatabaseSync(config.sqlitePath);
    try {
      db.exec('DROP TRIGGER audit_records_no_delete');
      db.prepare('DELETE FROM audit_records WHERE chain = ? AND seq > ?').run(chain, keep);
    } finally {
      db.close();
    }
    return Promise.resolve();
  },
  emptyTwin(t, config) {
    const dir = tempDir(t);
    return Promise.resolve({
      ...config,
      sqlitePath: join(dir, 'audit.db'),
      checkpoints: {
        ...config.checkpoints,
        path: config.checkpoints.path ?? `${config.sqlitePath}.checkpoints`,
      },
    });
  },
  cliEnv(config, dir) {
    return cliEnvironment(config, dir);
  },
  async fault(t) {
    const fault = readOnly(t);
    return {
      config: await sqlite.config(t, { sqlitePath: join(fault.dir, 'audit.db') }),
      how: fault.how,
      reason: fault.reason,
      secrets: [],
      inject: () => {
        fault.inject();
        return Promise.resolve();
      },
      clear: () => {
        fault.clear();
        return Promise.resolve();
      },
    };
  },
};

/** SQLite on a worker thread, as the gateway writes it (sqlite-worker-store.ts). */
const sqliteWorker: StoreKit = {
  ...sqlite,
  name: 'sqlite-worker',
  config: (t, overrides) =>
    Promise.resolve(auditConfig(tempDir(t), { sqliteWorker: true, ...overrides })),
  async open(t, config, options = {}) {
    const store = await openSqliteWorkerStore({
      path: config.sqlitePath,
      ...(options.readOnly !== undefined ? { readOnly: options.readOnly } : {}),
    });
    defer(t, () => store.close());
    return store;
  },
  async fault(t) {
    const fault = await sqlite.fault(t);
    return { ...fault, config: { ...fault.config, sqliteWorker: true } };
  },
};

let server: Promise<TestPostgres> | null = null;

/** The run's PostgreSQL, started for this process on first use when the run has none. */
function postgresServer(): Promise<TestPostgres> {
  server ??= usePostgres();
  return server;
}

/** Stops what the kits started in this process (register with a top-level `after`). */
export async function releaseStoreKits(): Promise<void> {
  const started = server;
  server = null;
  if (started !== null) await (await started).close();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function postgresUrlOf(config: AuditConfig): string {
  if (config.postgresUrl === undefined) throw new Error('not a PostgreSQL audit config');
  return config.postgresUrl;
}

const postgres: StoreKit = {
  name: 'postgres',
  kind: 'postgres',
  async config(t, overrides = {}) {
    const url = await (await postgresServer()).createDatabase();
    return auditConfig(tempDir(t), { store: 'postgres', postgresUrl: url, ...overrides });
  },
  async open(t, config, options = {}) {
    const store = await openPostgresAuditStore({ url: postgresUrlOf(config), ...options });
    defer(t, () => store.close());
    return store;
  },
  visible(config, id) {
    return withClient(postgresUrlOf(config), async (client) => {
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM audit_records WHERE id = $1',
        [id],
      );
      return rows[0]?.n === 1;
    });
  },
  tryToChange(config) {
    return withClient(postgresUrlOf(config), async (client) => {
      const errors: string[] = [];
      for (const sql of [
        "UPDATE audit_records SET operation = 'x'",
        'DELETE FROM audit_records',
        'TRUNCATE audit_records',
      ]) {
        try {
          await client.query(sql);
          errors.push(`(${sql} succeeded)`);
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
      return errors;
    });
  },
  cutTail(config, chain, keep) {
    return withClient(postgresUrlOf(config), async (client) => {
      // A superuser's way around triggers: they do not fire for replication.
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query('DELETE FROM audit_records WHERE chain = $1 AND seq > $2', [chain, keep]);
      await client.query('COMMIT');
    });
  },
  async emptyTwin(t, config) {
    return {
      ...(await postgres.config(t)),
      instanceId: config.instanceId,
      checkpoints: config.checkpoints,
    };
  },
  cliEnv(config, dir) {
    return cliEnvironment(config, dir);
  },
  async fault(t) {
    // A server of its own: stopping it must not disturb the other test files.
    const own = await startPostgres();
    defer(t, () => own.close());
    await withClient(own.url(), (client) => client.query('CREATE DATABASE rescind_fault'));
    const url = own.url('rescind_fault');
    return {
      config: auditConfig(tempDir(t), { store: 'postgres', postgresUrl: url }),
      how: 'the PostgreSQL server stopped (fast shutdown), then started again',
      reason: new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${own.port}/rescind_fault`),
      secrets: [own.password, url],
      inject: () => own.stop(),
      clear: () => own.start(),
    };
  },
};

/** Every audit store; each conformance file runs its assertions against each. */
export const STORE_KITS: readonly StoreKit[] = [sqlite, sqliteWorker, postgres];

/**
 * One suite per store kit, named by `title`, its tests added by `body`; the servers the kits
 * share are released after the file's suites.
 */
export function describeEachStore(
  title: (kit: StoreKit) => string,
  body: (kit: StoreKit) => void,
): void {
  after(releaseStoreKits);
  for (const kit of STORE_KITS) {
    describe(title(kit), () => {
      body(kit);
    });
  }
}

const checkpointKey = generateCheckpointKey();

/** A new, empty store of `kit`'s kind, checkpointed every 5 records and at close. */
export function checkpointedConfig(kit: StoreKit, t: TestContext): Promise<AuditConfig> {
  return kit.config(t, {
    checkpoints: {
      everyRecords: 5,
      signingKey: checkpointKey.privateKeyPem,
      path: join(tempDir(t), 'audit.checkpoints'),
    },
  });
}

/** The configuration as a JSON file (RESCIND_CONFIG) and nothing else from the environment. */
function cliEnvironment(config: AuditConfig, dir: string): Record<string, string> {
  const file = join(dir, `rescind-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ audit: config }), { mode: 0o600 });
  return { RESCIND_CONFIG: file };
}
