// The fleet store: every gateway instance writes its own chain (audit.instanceId) into one
// PostgreSQL database, so instances never contend, and `audit:verify` checks every chain there.
//
// - Durable: each append is one transaction committed with `synchronous_commit = on` (set in the
//   transaction, read back at start-up and by every probe) on a server running with `fsync = on`;
//   a server that cannot promise both is refused, like a SQLite file without WAL/FULL.
// - One writer per chain: the store claims its chain with a session advisory lock for as long as
//   it is open, so a second process misconfigured with the same instance id is refused at start
//   instead of closing the first one's open attempts and forking the chain. Inside each append
//   the chain's row in `audit_chains` is locked (FOR UPDATE) and the head checked, and
//   `(chain, seq)` is the primary key: even without the claim a chain cannot fork or gap.
// - Bounded: connecting, each statement and each whole operation have time limits well within
//   the writer's deadline, and a connection that failed or timed out is closed, never reused.
// - Schema: versioned, additive migrations applied at start-up (postgres-migrations.ts).
// - Readiness reasons and errors name `host:port/database` only, never the URL or password.

import { Client, Pool, type ClientBase, type ClientConfig, type PoolClient } from 'pg';
import {
  AuditStoreError,
  type AuditStore,
  type StoreHealth,
  type StoredRecord,
} from '../audit-store.ts';
import {
  AUDIT_COLUMNS,
  auditColumnList,
  auditRowValues,
  fromAuditRow,
  type AuditRow,
} from './audit-row.ts';
import { canonicalJson } from '../chain/canonical-json.ts';
import { CheckpointFileError, parseCheckpoint, type Checkpoint } from '../chain/checkpoint.ts';
import {
  applyPostgresMigrations,
  MIGRATION_TIMEOUT_MS,
  readSchemaVersion,
} from './postgres-migrations.ts';
import { leaseSessionOptions } from './postgres-chain-lease.ts';
import { chainLockKey } from './postgres-lock-key.ts';
import { buildStoreQuery, type QueryDialect } from './build-store-query.ts';

/** Establishing a connection; a store that cannot connect in this time is failing. */
export const DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS = 1_000;
/** Server side, per statement: a statement stuck behind locks or I/O is cancelled. */
export const DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS = 1_500;
/** Client side, per operation (a whole append transaction): covers a server that stopped answering. */
export const DEFAULT_POSTGRES_OPERATION_TIMEOUT_MS = 2_000;
/** Waiting for another writer's lock on the chain row; the writer retries until its deadline. */
export const DEFAULT_POSTGRES_LOCK_TIMEOUT_MS = 500;
/** Connections for queries (GET /v1/audit, export, verify); writes have their own two. */
export const DEFAULT_POSTGRES_READ_CONNECTIONS = 4;
const WRITE_CONNECTIONS = 2;
const CLOSE_TIMEOUT_MS = 2_000;

export interface PostgresAuditStoreOptions {
  /** postgres://user:password@host:port/database — never shown anywhere. */
  readonly url: string;
  /** For the verify and export CLIs: no migrations, no claim, no writes. */
  readonly readOnly?: boolean;
  /**
   * The chain this process writes. The store claims it (a session advisory lock) for as long as
   * it is open; opening fails if another process holds it.
   */
  readonly chain?: string;
  readonly connectTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
  readonly operationTimeoutMs?: number;
  readonly lockTimeoutMs?: number;
  readonly readConnections?: number;
  /**
   * The chain lease (postgres-chain-lease.ts): the server ends a session whose peer went silent
   * within about this time, which frees the chain lock of a writer whose machine died.
   */
  readonly leaseSeconds?: number;
}

export interface PostgresDurability {
  readonly fsync: string;
  readonly synchronousCommit: string;
}

export interface PostgresAuditStore extends AuditStore {
  readonly kind: 'postgres';
  /** The settings a commit of this store runs under, as the server reports them now. */
  durability(): Promise<PostgresDurability>;
  /** The newest migration applied to the database. */
  schemaVersion(): Promise<number>;
  appendCheckpoint(checkpoint: Checkpoint): Promise<void>;
  checkpoints(chain?: string): Promise<readonly Checkpoint[]>;
}

const COLUMN_LIST = auditColumnList();
const POSTGRES_DIALECT: QueryDialect = { placeholder: (n) => `$${n}`, leadIndexOnly: false };

/**
 * One statement inserts the batch and keeps the open-attempts index: an attempt enters it unless
 * an outcome in the same batch closes it (the CTEs share one snapshot, so the DELETE could not
 * see a row inserted beside it), and every outcome's attempt leaves it.
 */
const INSERT_BATCH = `
WITH batch AS (
  SELECT * FROM unnest(
    $1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[]
  ) AS b(${COLUMN_LIST})
), inserted AS (
  INSERT INTO audit_records (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM batch RETURNING seq
), opened AS (
  INSERT INTO audit_open_attempts (id, chain, seq)
  SELECT id, chain, seq FROM batch
  WHERE phase = 'attempt'
    AND id NOT IN (SELECT attempt_id FROM batch WHERE attempt_id IS NOT NULL)
  RETURNING id
), closed AS (
  DELETE FROM audit_open_attempts
  WHERE id IN (SELECT attempt_id FROM batch WHERE attempt_id IS NOT NULL)
  RETURNING id
)
SELECT (SELECT count(*) FROM inserted)::int AS inserted`;

const HEAD = 'SELECT seq, hash FROM audit_records WHERE chain = $1 ORDER BY seq DESC LIMIT 1';

interface Claim {
  readonly chain: string;
  readonly key: string;
  client: Client | null;
}

export async function openPostgresAuditStore(
  options: PostgresAuditStoreOptions,
): Promise<PostgresAuditStore> {
  const location = postgresLocation(options.url);
  const where = `PostgreSQL at ${location}`;
  const readOnly = options.readOnly ?? false;
  const operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_POSTGRES_OPERATION_TIMEOUT_MS;
  const connection = connectionConfig(options, readOnly);
  const { writes, reads } = createPools(connection, options);

  let failure: string | null = null;
  let closed = false;
  const claim = claimOf(options.chain, readOnly);

  function remember(error: AuditStoreError): AuditStoreError {
    if (error.kind === 'unavailable') failure = error.message;
    return error;
  }

  /**
   * Runs `work` on a pooled connection within the operation timeout. A connection whose work
   * failed or timed out is closed rather than returned: it may be mid-transaction or waiting on
   * a server that stopped answering, and PostgreSQL rolls back what a closed connection had open.
   */
  async function withClient<T>(
    pool: Pool,
    work: (client: PoolClient) => Promise<T>,
    timeoutMs = operationTimeoutMs,
  ): Promise<T> {
    if (closed) throw new AuditStoreError('unavailable', 'the audit store is closed');
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw remember(storeError(error, where));
    }
    let timer: NodeJS.Timeout | undefined;
    // While a client is checked out, pg-pool takes its own 'error' listener off it: a
    // connection the server drops now (restart, failover) would be an unhandled 'error' event,
    // which ends the process. Here it fails the work in progress instead, and the client is
    // discarded on release.
    let dropped: Error | undefined;
    let onError: (error: Error) => void = () => undefined;
    const lost = new Promise<never>((_resolve, reject) => {
      onError = (error: Error) => {
        dropped = error;
        reject(error);
      };
    });
    client.on('error', onError);
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(
          new AuditStoreError('unavailable', `${where} did not answer within ${timeoutMs} ms`),
        );
      }, timeoutMs);
    });
    lost.catch(() => undefined);
    timedOut.catch(() => undefined);
    let broken: Error | undefined;
    try {
      return await Promise.race([work(client), lost, timedOut]);
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      const failed = storeError(error, where);
      if (failed.kind === 'unavailable') remember(failed);
      throw failed;
    } finally {
      clearTimeout(timer);
      const discard = broken ?? dropped;
      // A discarded connection may still report errors while it closes: they are expected.
      if (discard !== undefined) client.on('error', () => undefined);
      client.removeListener('error', onError);
      client.release(discard);
    }
  }

  /** Takes (or takes back, after a lost connection) this store's chain lock. */
  async function holdClaim(): Promise<void> {
    if (claim === null || claim.client !== null) return;
    const client = new Client(connection);
    client.on('error', () => undefined);
    let timer: NodeJS.Timeout | undefined;
    try {
      const locked = (async () => {
        await client.connect();
        const { rows } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1::bigint) AS locked',
          [claim.key],
        );
        return rows[0]?.locked === true;
      })();
      const timedOut = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(
            new AuditStoreError(
              'unavailable',
              `${where} did not answer within ${operationTimeoutMs} ms`,
            ),
          );
        }, operationTimeoutMs);
      });
      if (!(await Promise.race([locked, timedOut]))) {
        throw new AuditStoreError(
          'unavailable',
          `chain ${claim.chain} is already being written by another process on ${where}: two gateway instances share audit.instanceId ${claim.chain}`,
        );
      }
    } catch (error) {
      await endQuietly(client);
      throw remember(storeError(error, where));
    } finally {
      clearTimeout(timer);
    }
    client.once('end', () => {
      if (claim.client !== client) return;
      claim.client = null;
      if (!closed) failure ??= `lost the connection to ${where}`;
    });
    claim.client = client;
  }

  function claimHeld(chain: string): void {
    if (claim?.chain === chain && claim.client === null) {
      throw new AuditStoreError('unavailable', failure ?? `lost the connection to ${where}`);
    }
  }

  /** Locks the chain's row (created on the chain's first append) until the transaction ends. */
  async function lockChain(client: ClientBase, chain: string): Promise<void> {
    const lock = 'SELECT chain FROM audit_chains WHERE chain = $1 FOR UPDATE';
    if ((await client.query(lock, [chain])).rowCount === 1) return;
    await client.query('INSERT INTO audit_chains (chain) VALUES ($1) ON CONFLICT DO NOTHING', [
      chain,
    ]);
    await client.query(lock, [chain]);
  }

  const store: PostgresAuditStore = {
    kind: 'postgres',
    location,

    head(chain) {
      return withClient(writes, async (client) => {
        const { rows } = await client.query<{ seq: string; hash: string }>(HEAD, [chain]);
        const row = rows[0];
        return row === undefined ? null : { seq: Number(row.seq), hash: row.hash };
      });
    },

    async append(chain, after, records) {
      if (readOnly) throw new AuditStoreError('unavailable', `${where} is open read-only`);
      claimHeld(chain);
      await withClient(writes, async (client) => {
        await begin(client);
        await lockChain(client, chain);
        // A new statement after the lock: in READ COMMITTED it sees every commit before ours.
        const { rows } = await client.query<{ seq: string; hash: string }>(HEAD, [chain]);
        const head = rows[0];
        const seq = head === undefined ? 0 : Number(head.seq);
        if (seq !== after.seq || (head !== undefined && head.hash !== after.hash)) {
          await client.query('ROLLBACK');
          throw new AuditStoreError(
            'conflict',
            `chain ${chain} in ${where} is at seq ${seq}, not ${after.seq}`,
          );
        }
        if (records.length > 0) {
          await client.query(INSERT_BATCH, columnArrays(records));
        }
        await client.query('COMMIT');
      });
      failure = null;
    },

    query(query) {
      return withClient(reads, async (client) => {
        const { sql, params } = buildStoreQuery(query, POSTGRES_DIALECT);
        const { rows } = await client.query<AuditRow>(sql, params);
        return rows.map(fromAuditRow);
      });
    },

    dangling(chain) {
      return withClient(writes, async (client) => {
        const { rows } = await client.query<AuditRow>(
          `SELECT ${auditColumnList('r')}
           FROM audit_open_attempts o JOIN audit_records r ON r.chain = o.chain AND r.seq = o.seq
           WHERE o.chain = $1 ORDER BY o.seq`,
          [chain],
        );
        return rows.map(fromAuditRow);
      });
    },

    health(): StoreHealth {
      if (closed) return { ok: false, reason: 'the audit store is closed' };
      if (failure !== null) return { ok: false, reason: failure };
      if (claim !== null && claim.client === null) {
        return { ok: false, reason: `lost the connection to ${where}` };
      }
      return { ok: true };
    },

    async probe() {
      if (closed) throw new AuditStoreError('unavailable', 'the audit store is closed');
      if (readOnly) return;
      await holdClaim();
      await withClient(writes, async (client) => {
        await begin(client);
        await checkDurability(client, where);
        await client.query(
          `INSERT INTO audit_probe (chain, at) VALUES ($1, now())
           ON CONFLICT (chain) DO UPDATE SET at = excluded.at`,
          [claim?.chain ?? ''],
        );
        await client.query('COMMIT');
      });
      failure = null;
    },

    durability() {
      return withClient(writes, async (client) => {
        await begin(client);
        const settings = await checkDurability(client, where);
        await client.query('COMMIT');
        return settings;
      });
    },

    schemaVersion() {
      return withClient(reads, async (client) => (await readSchemaVersion(client)) ?? 0);
    },

    async appendCheckpoint(checkpoint) {
      if (readOnly) throw new AuditStoreError('unavailable', `${where} is open read-only`);
      await withClient(writes, async (client) => {
        await begin(client);
        await client.query(
          'INSERT INTO audit_checkpoints (chain, seq, hash, body) VALUES ($1, $2, $3, $4)',
          [checkpoint.chain, checkpoint.seq, checkpoint.hash, canonicalJson(checkpoint)],
        );
        await client.query('COMMIT');
      });
    },

    checkpoints(chain) {
      return withClient(reads, async (client) => {
        const { rows } = await client.query<{ n: string; body: string }>(
          chain === undefined
            ? 'SELECT n, body FROM audit_checkpoints ORDER BY n'
            : 'SELECT n, body FROM audit_checkpoints WHERE chain = $1 ORDER BY n',
          chain === undefined ? [] : [chain],
        );
        return rows.map((row) => {
          const checkpoint = parseCheckpoint(row.body);
          if (checkpoint === null) {
            throw new CheckpointFileError(`checkpoint ${row.n} in ${where} is not a checkpoint`);
          }
          return checkpoint;
        });
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      const held = claim?.client ?? null;
      if (claim !== null) claim.client = null;
      // Ending the claim's session releases the advisory lock; nothing waits past the bound.
      await Promise.race([
        Promise.all([
          held === null ? undefined : endQuietly(held),
          writes.end().catch(() => undefined),
          reads.end().catch(() => undefined),
        ]),
        new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref()),
      ]);
    },
  };

  try {
    await withClient(
      writes,
      (client) => prepareDatabase(client, readOnly, where),
      MIGRATION_TIMEOUT_MS,
    );
    await holdClaim();
  } catch (error) {
    await store.close();
    throw error instanceof AuditStoreError ? error : storeError(error, where);
  }
  failure = null;
  return store;
}

/** BEGIN with synchronous_commit = on for this transaction, whatever the role's default. */
async function begin(client: ClientBase): Promise<void> {
  await client.query('BEGIN; SET LOCAL synchronous_commit = on');
}

async function checkDurability(client: ClientBase, where: string): Promise<PostgresDurability> {
  const { rows } = await client.query<{ fsync: string; synchronous_commit: string }>(
    "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit",
  );
  const settings = {
    fsync: rows[0]?.fsync ?? 'unknown',
    synchronousCommit: rows[0]?.synchronous_commit ?? 'unknown',
  };
  if (settings.fsync !== 'on' || settings.synchronousCommit !== 'on') {
    throw new AuditStoreError(
      'unavailable',
      `${where} cannot promise durable commits (fsync=${settings.fsync}, synchronous_commit=${settings.synchronousCommit}); the audit trail needs fsync=on and synchronous_commit=on`,
    );
  }
  return settings;
}

/** The chain a writer claims for as long as it is open; none for a reader. */
function claimOf(chain: string | undefined, readOnly: boolean): Claim | null {
  if (chain === undefined || readOnly) return null;
  return { chain, key: chainLockKey(chain), client: null };
}

/** At open: the schema is there (read-only), or migrated and the server durable (writer). */
async function prepareDatabase(
  client: ClientBase,
  readOnly: boolean,
  where: string,
): Promise<void> {
  if (readOnly) {
    if ((await readSchemaVersion(client)) === null) {
      throw new AuditStoreError('unavailable', `${where} holds no Rescind audit schema`);
    }
    return;
  }
  await applyPostgresMigrations(client);
  await begin(client);
  await checkDurability(client, where);
  await client.query('COMMIT');
}

/** The settings of every connection: time limits, and the chain lease when configured. */
function connectionConfig(options: PostgresAuditStoreOptions, readOnly: boolean): ClientConfig {
  return {
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: readOnly ? 'rescind-audit-reader' : 'rescind-audit',
    statement_timeout: options.statementTimeoutMs ?? DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS,
    lock_timeout: options.lockTimeoutMs ?? DEFAULT_POSTGRES_LOCK_TIMEOUT_MS,
    idle_in_transaction_session_timeout: 10_000,
    ...(options.leaseSeconds === undefined
      ? {}
      : { options: leaseSessionOptions(options.leaseSeconds) }),
  };
}

/** Two connections for writes, a few for reads, so queries never hold up a commit. */
function createPools(
  connection: ClientConfig,
  options: PostgresAuditStoreOptions,
): { readonly writes: Pool; readonly reads: Pool } {
  const writes = new Pool({
    ...connection,
    max: WRITE_CONNECTIONS,
    idleTimeoutMillis: 60_000,
    allowExitOnIdle: true,
  });
  const reads = new Pool({
    ...connection,
    max: options.readConnections ?? DEFAULT_POSTGRES_READ_CONNECTIONS,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // An idle connection the server dropped (restart, failover) is an 'error' on the pool, which
  // discards it; the next operation connects afresh. Without a listener it would end the process.
  writes.on('error', () => undefined);
  reads.on('error', () => undefined);
  return { writes, reads };
}

/** `host:port/database` of a PostgreSQL URL: what logs and readiness may name. */
export function postgresLocation(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the configured PostgreSQL server';
  }
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const port = parsed.port || '5432';
  const database =
    safeDecode(parsed.pathname.replace(/^\//, '')) || safeDecode(parsed.username) || 'postgres';
  return `${host}:${port}/${database}`;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Ends a client, waiting at most a second: a server that stopped answering may never reply. */
async function endQuietly(client: Client): Promise<void> {
  await Promise.race([
    client.end().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, 1000).unref()),
  ]);
}

/** One array per column, as `unnest` in INSERT_BATCH takes them. */
function columnArrays(records: readonly StoredRecord[]): unknown[][] {
  const rows = records.map(auditRowValues);
  return AUDIT_COLUMNS.map((_column, index) => rows.map((row) => row[index]));
}

/**
 * A safe sentence for logs and readiness: the server (`host:port/database`) and what is wrong,
 * never the URL, the password, SQL or data. SQLSTATEs:
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
function storeError(error: unknown, where: string): AuditStoreError {
  if (error instanceof AuditStoreError) return error;
  const code = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown };
  const sqlstate = typeof code.code === 'string' ? code.code : '';
  const make = (kind: AuditStoreError['kind'], message: string) =>
    new AuditStoreError(kind, message, { cause: error });
  switch (sqlstate) {
    case '40001':
    case '40P01':
    case '55P03':
      return make('busy', `${where} is locked by another transaction`);
    case '23505':
      return make('conflict', `${where} already holds a record with that seq or id`);
    case '57014':
      return make('unavailable', `${where} cancelled a statement that took too long`);
    case '57P01':
    case '57P02':
    case '57P03':
      return make('unavailable', `${where} is shutting down or starting up`);
    case '53100':
      return make('unavailable', `the disk of ${where} is full`);
    case '53300':
      return make('unavailable', `${where} has no connection left for the audit trail`);
    case '25006':
      return make('unavailable', `${where} is read-only (a standby?)`);
    case '28P01':
    case '28000':
      return make('unavailable', `${where} refused the audit trail's credentials`);
    case '3D000':
      return make('unavailable', `${where}: the database does not exist`);
    case '42501':
      return make('unavailable', `permission denied on ${where}`);
    default:
      break;
  }
  if (sqlstate.startsWith('08')) return make('unavailable', `the connection to ${where} failed`);
  if (/^[0-9A-Z]{5}$/.test(sqlstate)) {
    return make('unavailable', `${where} answered with error ${sqlstate}`);
  }
  if (/^E[A-Z]+$/.test(sqlstate)) return make('unavailable', `cannot reach ${where} (${sqlstate})`);
  const message = error instanceof Error ? error.message : '';
  if (/timeout/i.test(message)) return make('unavailable', `cannot reach ${where} in time`);
  if (/terminated|closed|ended/i.test(message)) {
    return make('unavailable', `lost the connection to ${where}`);
  }
  return make('unavailable', `${where} failed`);
}
