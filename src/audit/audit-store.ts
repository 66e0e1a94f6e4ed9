// What an audit store must provide: durable, ordered storage of sealed records and nothing
// more. Chain hashing, canonical JSON, group commit, recovery, checkpoints, verification and the
// query API live above this interface (audit-writer.ts, open-audit-trail.ts, audit-reader.ts),
// so the SQLite and PostgreSQL stores behave alike and share one test suite.

import type { AuditPhase } from './audit-record.ts';
import type { AuditResult } from './audit-trail.ts';
import type { Checkpoint } from './chain/checkpoint.ts';

/** The newest record of a chain; `{ seq: 0, hash: GENESIS_HASH }` for an empty chain. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** A position in the store's total order, (chain, seq) ascending. Exclusive in queries. */
export interface RecordKey {
  readonly chain: string;
  readonly seq: number;
}

/**
 * A sealed record as a store keeps it: `body` is the record's canonical JSON (hash included),
 * byte for byte what the chain covers and what exports contain; the other fields are copies of
 * body fields for indexing and filtering. Stores return `body` unchanged and never re-serialize.
 */
export interface StoredRecord {
  readonly chain: string;
  readonly seq: number;
  readonly id: string;
  readonly time: string;
  readonly requestId: string;
  readonly phase: AuditPhase;
  readonly operation: string;
  /** actor.subject */
  readonly actor: string | null;
  /** outcome.result; null on attempts. */
  readonly result: AuditResult | null;
  /** outcome.attemptId: the attempt this outcome closes. */
  readonly attemptId: string | null;
  readonly prevHash: string;
  readonly hash: string;
  readonly body: string;
}

/** The filters a reader of the trail can give: exact matches, combined with AND. */
export interface RecordFilter {
  readonly operation?: string;
  /** actor.subject */
  readonly actor?: string;
  readonly result?: AuditResult;
  readonly requestId?: string;
  /** Timestamps; `since` ≤ time < `until`. */
  readonly since?: string;
  readonly until?: string;
}

/** A RecordFilter with `since` and `until` as stored times (ISO, UTC, ms), and a page. */
export interface StoreQuery extends RecordFilter {
  readonly after?: RecordKey;
  readonly chain?: string;
  /** 1…5000. */
  readonly limit: number;
}

export interface StoreHealth {
  readonly ok: boolean;
  /** Why not; safe to show on /readyz (a file path is fine; a password or URL with one never). */
  readonly reason?: string;
}

export type AuditStoreErrorKind =
  /** Locked by someone else, a serialization failure: the same write may succeed shortly. */
  | 'busy'
  /** The chain's head is not the `after` the writer expected: another writer, a replaced file. */
  | 'conflict'
  /** Anything else: read-only, disk full, I/O error, file deleted or replaced, connection lost. */
  | 'unavailable';

export interface AppendOptions {
  /**
   * Epoch milliseconds (`performance.timeOrigin + performance.now()`) after which the store must
   * not start the COMMIT: it rolls back and rejects with kind 'busy' instead, writing nothing.
   * The writer sets it a little before its callers' deadline, so that a commit that was waiting
   * for a lock does not land after they were refused. A store that cannot tell when its commit
   * starts may ignore it (PostgreSQL): a commit landing late is then adopted by the writer.
   */
  readonly commitBy?: number;
}

/** The one error a store throws. `message` is safe for logs and readiness (no secrets). */
export class AuditStoreError extends Error {
  readonly kind: AuditStoreErrorKind;

  constructor(kind: AuditStoreErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AuditStoreError';
    this.kind = kind;
  }
}

/**
 * A durable home for audit chains. One gateway instance writes one chain (named by
 * `audit.instanceId`); several instances may share a PostgreSQL store, each with its own chain.
 * All methods reject with AuditStoreError. Calls are never concurrent: the writer awaits each
 * append before the next, and the reader's queries are independent of writes. (The PostgreSQL
 * store also appends to other chains, for chain adoption, beside the writer's appends.)
 */
export interface AuditStore {
  /** The `store` label of the audit metrics. */
  readonly kind: 'sqlite' | 'postgres';
  /** Where the records live, for logs and readiness: a file path, or host/database. */
  readonly location: string;

  /** The chain's newest record, or null when the chain has none. */
  head(chain: string): Promise<ChainHead | null>;

  /**
   * Appends `records` (consecutive seqs after `after.seq`, already sealed) in one transaction
   * and resolves only once it is durable: committed and synced to stable storage. Rejects with
   * kind 'conflict', writing nothing, when the chain's head is not `after` at commit time.
   * Records are never updated or deleted afterwards.
   */
  append(
    chain: string,
    after: ChainHead,
    records: readonly StoredRecord[],
    options?: AppendOptions,
  ): Promise<void>;

  /** Matching records in (chain, seq) order after `query.after`, at most `query.limit`. */
  query(query: StoreQuery): Promise<readonly StoredRecord[]>;

  /** The chain's attempts that no outcome names in `attemptId`, oldest first. */
  dangling(chain: string): Promise<readonly StoredRecord[]>;

  /**
   * Cheap and synchronous (for /readyz): what the store knows without a round trip, e.g. that
   * its file was deleted or replaced. A store that cannot tell says ok.
   */
  health(): StoreHealth;

  /**
   * Re-establishes what a fault broke (reopens a replaced file only if it exists — never
   * creates one —, reconnects) and proves that a durable write is possible now, without writing
   * a record. Called while the trail is failing, by the background probe and before a write.
   */
  probe(): Promise<void>;

  /**
   * Optional: stores that keep signed checkpoints beside the records (PostgreSQL, so that a
   * fleet's checkpoints are where `audit:verify` reads the chains). Durable when it resolves;
   * append-only like the records.
   */
  appendCheckpoint?(checkpoint: Checkpoint): Promise<void>;

  /** Optional, with appendCheckpoint: the checkpoints it holds (of one chain), oldest first. */
  checkpoints?(chain?: string): Promise<readonly Checkpoint[]>;

  close(): Promise<void>;
}
