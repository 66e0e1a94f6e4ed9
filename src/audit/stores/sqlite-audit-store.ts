// The embedded audit store: one SQLite file in WAL mode with synchronous=FULL, so a COMMIT
// returns only after the WAL is fsynced. node:sqlite is synchronous: a commit blocks the thread
// that runs it for its fsync — the gateway runs this store on a worker thread
// (sqlite-worker-store.ts) — and the writer above batches records (one commit, one fsync).
//
// The file is watched by identity (device and inode of the path): SQLite keeps writing to the
// file it opened even after it was deleted or replaced, which would silently lose records. A
// changed identity fails the store until probe() finds a file at the path again; it never
// creates one after start-up (see docs/audit-trail.md, "Deleted or replaced database file").

import { statSync, type BigIntStats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { createOwnerOnlyFile, makeOwnerOnlyDirectory, tightenToOwner } from './owner-only-files.ts';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
  AuditStoreError,
  type AuditStore,
  type ChainHead,
  type StoreHealth,
  type StoredRecord,
} from '../audit-store.ts';
import { auditColumnList, auditRowValues, fromAuditRow, type AuditRow } from './audit-row.ts';
import { buildStoreQuery, type QueryDialect } from './build-store-query.ts';

/** Short: a locked database must fail a write well within a second (the writer retries). */
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 50;
const SCHEMA_VERSION = 1;

export interface SqliteAuditStoreOptions {
  readonly path: string;
  /** For the verify and export CLIs: no schema changes, no writes, no pragma changes. */
  readonly readOnly?: boolean;
  readonly busyTimeoutMs?: number;
  /**
   * Open only a database that exists and is ours, as probe() reopens one: never create one.
   * For a worker that takes over from one that died (sqlite-worker-store.ts).
   */
  readonly mustExist?: boolean;
}

export interface SqliteAuditStore extends AuditStore {
  readonly kind: 'sqlite';
  /** The durability pragmas of the live connection, as SQLite reports them now. */
  durability(): { readonly journalMode: string; readonly synchronous: number };
  /** The file the live connection opened (device and inode), or null without one. */
  openFile(): FileIdentity | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_records (
  chain TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  time TEXT NOT NULL,
  request_id TEXT NOT NULL,
  phase TEXT NOT NULL,
  operation TEXT NOT NULL,
  actor TEXT,
  result TEXT,
  attempt_id TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (chain, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_records_request_id ON audit_records (request_id, chain, seq);
CREATE INDEX IF NOT EXISTS audit_records_operation ON audit_records (operation, chain, seq);
CREATE INDEX IF NOT EXISTS audit_records_actor ON audit_records (actor, chain, seq);
CREATE INDEX IF NOT EXISTS audit_records_result ON audit_records (result, chain, seq);
CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time);
CREATE TABLE IF NOT EXISTS audit_open_attempts (
  id TEXT PRIMARY KEY,
  chain TEXT NOT NULL,
  seq INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS audit_open_attempts_chain ON audit_open_attempts (chain, seq);
CREATE TABLE IF NOT EXISTS audit_probe (id INTEGER PRIMARY KEY, at TEXT NOT NULL) STRICT;
CREATE TRIGGER IF NOT EXISTS audit_records_no_update BEFORE UPDATE ON audit_records
  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_records_no_delete BEFORE DELETE ON audit_records
  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
PRAGMA user_version = ${SCHEMA_VERSION};
`;

const COLUMNS = auditColumnList();
/** SQLite chooses indexes without statistics: only the most selective filter may use one. */
const SQLITE_DIALECT: QueryDialect = { placeholder: () => '?', leadIndexOnly: true };
const HEAD = 'SELECT seq, hash FROM audit_records WHERE chain = ? ORDER BY seq DESC LIMIT 1';

interface Connection {
  readonly db: DatabaseSync;
  readonly identity: FileIdentity;
  readonly statements: Map<string, StatementSync>;
}

export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

export function openSqliteAuditStore(options: SqliteAuditStoreOptions): SqliteAuditStore {
  const path = resolve(options.path);
  const readOnly = options.readOnly ?? false;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;

  // Only the first open may create the file; a reopen after a fault must find it.
  const create = !readOnly && options.mustExist !== true;
  if (create) {
    makeOwnerOnlyDirectory(dirname(path));
    createOwnerOnlyFile(path);
  }
  let connection: Connection | null = connect({ create });
  let failure: string | null = null;
  let closed = false;

  function connect(mode: { create: boolean }): Connection {
    let db: DatabaseSync;
    try {
      const url = pathToFileURL(path);
      url.searchParams.set('mode', readOnly ? 'ro' : mode.create ? 'rwc' : 'rw');
      db = new DatabaseSync(url, { timeout: busyTimeoutMs, readOnly });
    } catch (error) {
      throw storeError(error, path);
    }
    try {
      if (!readOnly) {
        configureForDurability(db, path, mode.create);
        // WAL mode made the WAL and SHM files, with the database file's mode (now 0600); ones
        // left looser by an earlier run are tightened too.
        tightenToOwner([path, `${path}-wal`, `${path}-shm`]);
      } else checkSchema(db, path);
      const identity = identityOf(path);
      if (identity === null) throw new AuditStoreError('unavailable', `${path} vanished`);
      return { db, identity, statements: new Map() };
    } catch (error) {
      db.close();
      throw storeError(error, path);
    }
  }

  /** The live connection, if the path still names the file it opened; else fails the store. */
  function usable(): Connection {
    if (closed) throw new AuditStoreError('unavailable', 'the audit store is closed');
    if (connection === null) {
      throw new AuditStoreError('unavailable', failure ?? `${path} is not open`);
    }
    if (!sameFile(connection.identity, identityOf(path))) {
      fail(`${path} was deleted or replaced while open`);
      // SQLite then checkpoints into the file it had open and removes the -wal/-shm it owns,
      // so a file put in place of the old one starts with clean side files.
      dropConnection();
      throw new AuditStoreError('unavailable', failure ?? path);
    }
    return connection;
  }

  function fail(reason: string): void {
    failure = reason;
  }

  /**
   * Lets go of the connection. First its WAL is checkpointed into the file it belongs to and
   * emptied: SQLite names the WAL after the path, not the file, and does not checkpoint on
   * close once the file moved — a file later put at the path would otherwise read our WAL
   * frames as its own. Whatever cannot be checkpointed (I/O error) stays in the WAL.
   */
  function dropConnection(): void {
    const old = connection;
    connection = null;
    if (old === null) return;
    try {
      old.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // A failing disk cannot take the checkpoint; the WAL keeps the frames.
    }
    try {
      old.db.close();
    } catch {
      // Closing a connection whose file is gone or failing may itself fail; it is gone anyway.
    }
  }

  const store: SqliteAuditStore = {
    kind: 'sqlite',
    location: path,

    head(chain) {
      return run(() => {
        const conn = usable();
        const row = statement(conn, HEAD).get(chain) as { seq: number; hash: string } | undefined;
        return row === undefined ? null : ({ seq: row.seq, hash: row.hash } satisfies ChainHead);
      });
    },

    append(chain, after, records, options = {}) {
      return run(() => {
        if (readOnly) throw new AuditStoreError('unavailable', `${path} is open read-only`);
        const conn = usable();
        try {
          conn.db.exec('BEGIN IMMEDIATE');
        } catch (error) {
          throw remember(storeError(error, path));
        }
        try {
          insertBatch(conn, chain, after, records, path);
          if (options.commitBy !== undefined && epochNow() > options.commitBy) {
            // Waited too long for the lock: its callers are about to be refused, so it must
            // not become durable behind their backs.
            throw new AuditStoreError(
              'busy',
              `${path} could not commit before the write deadline (waited for the lock)`,
            );
          }
          conn.db.exec('COMMIT');
        } catch (error) {
          rollback(conn.db);
          if (error instanceof AuditStoreError && error.kind === 'conflict') throw error;
          throw remember(storeError(error, path), conn);
        }
        // Committed — but to the file the path names? If it was deleted or replaced meanwhile,
        // the records went to a file nobody will read: not durable for our purposes.
        if (!sameFile(conn.identity, identityOf(path))) {
          fail(`${path} was deleted or replaced while open`);
          dropConnection();
          throw new AuditStoreError('unavailable', failure ?? path);
        }
        failure = null;
      });
    },

    query(query) {
      return run(() => {
        const conn = usable();
        const { sql, params } = buildStoreQuery(query, SQLITE_DIALECT);
        return (statement(conn, sql).all(...params) as unknown as AuditRow[]).map(fromAuditRow);
      });
    },

    dangling(chain) {
      return run(() => {
        const conn = usable();
        const rows = statement(
          conn,
          `SELECT ${auditColumnList('r')}
           FROM audit_open_attempts o JOIN audit_records r ON r.chain = o.chain AND r.seq = o.seq
           WHERE o.chain = ? ORDER BY o.seq`,
        ).all(chain) as unknown as AuditRow[];
        return rows.map(fromAuditRow);
      });
    },

    health(): StoreHealth {
      if (closed) return { ok: false, reason: 'the audit store is closed' };
      if (connection === null) return { ok: false, reason: failure ?? `${path} is not open` };
      if (!sameFile(connection.identity, identityOf(path))) {
        fail(`${path} was deleted or replaced while open`);
        return { ok: false, reason: failure ?? path };
      }
      return failure === null ? { ok: true } : { ok: false, reason: failure };
    },

    probe() {
      return run(() => {
        if (closed) throw new AuditStoreError('unavailable', 'the audit store is closed');
        if (readOnly) return;
        if (connection !== null && !sameFile(connection.identity, identityOf(path))) {
          fail(`${path} was deleted or replaced while open`);
          dropConnection();
        }
        if (connection !== null && failure !== null) {
          // After an I/O error SQLite's view of the file may be stale; start afresh.
          dropConnection();
        }
        if (connection === null) {
          try {
            connection = connect({ create: false });
          } catch (error) {
            throw remember(
              error instanceof AuditStoreError && error.message.startsWith('cannot open')
                ? new AuditStoreError('unavailable', `${path} does not exist or cannot be opened`)
                : storeError(error, path),
            );
          }
        }
        const conn = connection;
        try {
          conn.db.exec('BEGIN IMMEDIATE');
          statement(conn, 'INSERT OR REPLACE INTO audit_probe (id, at) VALUES (1, ?)').run(
            new Date().toISOString(),
          );
          conn.db.exec('COMMIT');
        } catch (error) {
          rollback(conn.db);
          throw remember(storeError(error, path), conn);
        }
        failure = null;
      });
    },

    durability() {
      const conn = usable();
      return {
        journalMode: (conn.db.prepare('PRAGMA journal_mode').get() as { journal_mode: string })
          .journal_mode,
        synchronous: (conn.db.prepare('PRAGMA synchronous').get() as { synchronous: number })
          .synchronous,
      };
    },

    openFile() {
      return closed ? null : (connection?.identity ?? null);
    },

    close() {
      if (!closed) {
        closed = true;
        dropConnection();
      }
      return Promise.resolve();
    },
  };

  /** Keeps the reason for readiness; an error that leaves SQLite unsure drops the connection. */
  function remember(error: AuditStoreError, conn?: Connection): AuditStoreError {
    if (error.kind !== 'busy') {
      fail(error.message);
      if (conn !== undefined && conn === connection) dropConnection();
    }
    return error;
  }

  return store;
}

function statement(conn: Connection, sql: string): StatementSync {
  let prepared = conn.statements.get(sql);
  if (prepared === undefined) {
    prepared = conn.db.prepare(sql);
    conn.statements.set(sql, prepared);
  }
  return prepared;
}

/**
 * Inside the open transaction: checks that the chain is still at `after`, then inserts the
 * records and keeps the open-attempts index (an attempt enters it, its outcome takes it out).
 */
function insertBatch(
  conn: Connection,
  chain: string,
  after: ChainHead,
  records: readonly StoredRecord[],
  path: string,
): void {
  const head = statement(conn, HEAD).get(chain) as { seq: number; hash: string } | undefined;
  if ((head?.seq ?? 0) !== after.seq || (head !== undefined && head.hash !== after.hash)) {
    throw new AuditStoreError(
      'conflict',
      `chain ${chain} in ${path} is at seq ${head?.seq ?? 0}, not ${after.seq}`,
    );
  }
  const insert = statement(
    conn,
    `INSERT INTO audit_records (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const open = statement(conn, 'INSERT INTO audit_open_attempts (id, chain, seq) VALUES (?, ?, ?)');
  const close = statement(conn, 'DELETE FROM audit_open_attempts WHERE id = ?');
  for (const record of records) {
    insert.run(...auditRowValues(record));
    if (record.phase === 'attempt') open.run(record.id, record.chain, record.seq);
    if (record.attemptId !== null) close.run(record.attemptId);
  }
}

/** Runs synchronous SQLite work as the async store interface asks; errors become rejections. */
function run<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Epoch ms on a clock every thread of the process shares, for AppendOptions.commitBy. */
function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

function rollback(db: DatabaseSync): void {
  try {
    if (db.isOpen && db.isTransaction) db.exec('ROLLBACK');
  } catch {
    // SQLite rolls back by itself after the errors that make ROLLBACK fail.
  }
}

/**
 * WAL with synchronous=FULL on every connection, read back: a connection that cannot promise
 * that a COMMIT is on disk is refused (docs/api.md "Audit records": durable before the upstream call).
 */
export function configureForDurability(db: DatabaseSync, path: string, create: boolean): void {
  // A file found at the path after a fault is left untouched unless it is ours.
  if (!create) checkSchema(db, path);
  // 8 KB pages, set while the file is still empty: a record (~1.3 KB with its columns) is larger
  // than the ~1 KB a 4 KB page keeps inline in the WITHOUT ROWID table, so with the default size
  // every record also took an overflow page — twice the file, and twice the pages each COMMIT
  // writes and fsyncs (docs/benchmarks.md: +15 % revocations/s). Existing files keep theirs.
  if (create) db.exec('PRAGMA page_size = 8192');
  const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
  db.exec('PRAGMA synchronous = FULL');
  const journal = (db.prepare('PRAGMA journal_mode').get() as { journal_mode: string })
    .journal_mode;
  const sync = (db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous;
  if (mode.journal_mode !== 'wal' || journal !== 'wal' || sync !== 2) {
    throw new AuditStoreError(
      'unavailable',
      `${path} refused WAL with synchronous=FULL (journal_mode=${journal}, synchronous=${sync})`,
    );
  }
  // One transaction, one fsync: each statement on its own would commit (and fsync) by itself.
  if (create) db.exec(`BEGIN IMMEDIATE;${SCHEMA}COMMIT;`);
  checkSchema(db, path);
}

function checkSchema(db: DatabaseSync, path: string): void {
  const version = (db.prepare('PRAGMA user_version').get() as { user_version: number })
    .user_version;
  const table = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'audit_records'")
    .get();
  if (version !== SCHEMA_VERSION || table === undefined) {
    throw new AuditStoreError(
      'unavailable',
      `${path} is not a Rescind audit database (schema version ${version})`,
    );
  }
}

/** The device and inode the path names now; null when nothing is there. */
export function identityOf(path: string): FileIdentity | null {
  let stats: BigIntStats | undefined;
  try {
    stats = statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return null;
  }
  return stats === undefined ? null : { dev: stats.dev, ino: stats.ino };
}

export function sameFile(a: FileIdentity, b: FileIdentity | null): boolean {
  return b !== null && a.dev === b.dev && a.ino === b.ino;
}

interface SqliteErrorLike {
  readonly code?: unknown;
  readonly errcode?: unknown;
}

/** A safe sentence for logs and readiness: the file and what is wrong, never SQL or data. */
function storeError(error: unknown, path: string): AuditStoreError {
  if (error instanceof AuditStoreError) return error;
  const { code, errcode } = (
    typeof error === 'object' && error !== null ? error : {}
  ) as SqliteErrorLike;
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') {
    // Primary result codes: https://www.sqlite.org/rescode.html
    switch (errcode & 0xff) {
      case 5:
      case 6:
        return new AuditStoreError('busy', `${path} is locked by another connection`, {
          cause: error,
        });
      case 8:
        return new AuditStoreError('unavailable', `${path} is read-only`, { cause: error });
      case 13:
        return new AuditStoreError('unavailable', `the disk holding ${path} is full`, {
          cause: error,
        });
      case 10:
        return new AuditStoreError('unavailable', `I/O error on ${path}`, { cause: error });
      case 14:
        return new AuditStoreError('unavailable', `cannot open ${path}`, { cause: error });
      case 3:
      case 23:
        return new AuditStoreError('unavailable', `permission denied on ${path}`, {
          cause: error,
        });
      case 11:
      case 26:
        return new AuditStoreError('unavailable', `${path} is corrupt or not a database`, {
          cause: error,
        });
      default:
        return new AuditStoreError('unavailable', `SQLite error ${errcode} on ${path}`, {
          cause: error,
        });
    }
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  return new AuditStoreError(
    'unavailable',
    `${path} cannot be used${typeof errno === 'string' ? ` (${errno})` : ''}`,
    { cause: error },
  );
}
