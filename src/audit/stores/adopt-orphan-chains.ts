// Chains whose instance never comes back (docs/audit-trail.md): crash recovery closes open
// attempts only for the restarting instance's own chain, and a pod with a random name that was
// OOM-killed or evicted never restarts under its name. With the PostgreSQL store every live
// instance therefore renews the lease of its own chain and, at start-up and every scan interval,
// adopts the chains whose lease lapsed (postgres-chain-lease.ts): it takes the dead chain's lock,
// so exactly one instance adopts it, and closes the chain's open attempts as `unknown`, appending
// the outcomes to that chain after its head, naming itself in `outcome.closedBy`.
//
// A chain never forks: the outcomes are appended with the store's head check (the append fails
// with nothing written if the chain moved), and a writer that comes back to a chain adopted
// meanwhile finds a head it did not write and refuses to continue it (audit-writer.ts,
// reconcile); a process that starts afresh under the dead chain's name continues it from the
// adopter's tail.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { GENESIS_HASH } from '../audit-record.ts';
import {
  AuditStoreError,
  type AuditStore,
  type ChainHead,
  type StoredRecord,
} from '../audit-store.ts';
import { buildUnknownOutcomeContent } from '../build-audit-record.ts';
import {
  chainsWithOpenAttempts,
  createLeaseWatch,
  releaseChainLock,
  renewChainLease,
  tryTakeChainLock,
} from './postgres-chain-lease.ts';
import { postgresLocation } from './postgres-audit-store.ts';
import { sealRecordWithBody } from '../chain/seal-record.ts';
import { toStoredRecordWithBody } from '../stored-record.ts';

/** Outcomes per append: like the writer's batches, one transaction stays short. */
const RECORDS_PER_APPEND = 256;
/** Bounds for the scan's own session; the store's operations have their own. */
const CONNECT_TIMEOUT_MS = 1_000;
const QUERY_TIMEOUT_MS = 2_000;

export interface ChainAdoptionOptions {
  /** This instance's store: the adopted chains' outcomes are appended through it. */
  readonly store: Pick<AuditStore, 'head' | 'dangling' | 'append'>;
  /** postgres://… of the same database; never logged. */
  readonly url: string;
  /** This instance's chain: its lease is renewed, and it names the closer. */
  readonly chain: string;
  readonly leaseSeconds: number;
  readonly scanSeconds: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Wall clock for the records' `time`. */
  readonly clock: () => number;
  /** Monotonic milliseconds for the lease watch (tests replace it). */
  readonly now?: () => number;
}

export interface AdoptionScan {
  /** Chains whose open attempts this scan closed. */
  readonly adopted: readonly string[];
  /** Attempts closed, over those chains. */
  readonly closed: number;
}

export interface ChainAdoption {
  /** Renews this instance's lease and adopts what is due, now (scans never overlap). */
  scan(): Promise<AdoptionScan>;
  /** Stops the periodic scans and waits for a running one. */
  close(): Promise<void>;
}

/** Starts the periodic scans, the first one at once. */
export function startChainAdoption(options: ChainAdoptionOptions): ChainAdoption {
  const { logger, chain } = options;
  const now = options.now ?? (() => performance.now());
  const watch = createLeaseWatch(options.leaseSeconds * 1000);
  let running: Promise<AdoptionScan> | null = null;
  let closed = false;
  let failing = false;

  async function scanOnce(): Promise<AdoptionScan> {
    const client = new Client({
      connectionString: options.url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      application_name: 'rescind-audit-adopter',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await renewChainLease(client, chain);
      const due = watch.observe(await chainsWithOpenAttempts(client, chain), now());
      const adopted: string[] = [];
      let closedAttempts = 0;
      for (const orphan of due) {
        const count = await adoptIfFree(client, orphan);
        if (count === null) continue;
        adopted.push(orphan);
        closedAttempts += count;
      }
      return { adopted, closed: closedAttempts };
    } catch (error) {
      // What this scan missed may have been renewals: the watch starts over.
      watch.forget();
      throw error;
    } finally {
      await Promise.race([
        client.end().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, CONNECT_TIMEOUT_MS).unref()),
      ]);
    }
  }

  /**
   * Closes the chain's open attempts under its lock; null when its lock is held, or when
   * another adopter closed them all just before.
   */
  async function adoptIfFree(client: Client, orphan: string): Promise<number | null> {
    if (!(await tryTakeChainLock(client, orphan))) return null;
    try {
      const count = await closeOrphanAttempts(options.store, orphan, chain, options.clock);
      if (count === 0) return null;
      options.metrics.auditDanglingRecovered.inc(count);
      logger.warn(
        { chain: orphan, closedBy: chain, attempts: count },
        'adopted the audit chain of an instance gone for good: its open attempts were closed as unknown',
      );
      return count;
    } finally {
      await releaseChainLock(client, orphan).catch(() => undefined);
    }
  }

  function scan(): Promise<AdoptionScan> {
    running ??= scanOnce()
      .then((result) => {
        if (failing) logger.info({ chain }, 'audit chain adoption scans work again');
        failing = false;
        return result;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  function tick(): void {
    if (closed || running !== null) return;
    scan().catch((error: unknown) => {
      if (!failing) {
        logger.warn(
          { chain, location: postgresLocation(options.url), reason: safeReason(error) },
          'audit chain adoption scan failed',
        );
      }
      failing = true;
    });
  }

  tick();
  const timer = setInterval(tick, options.scanSeconds * 1000);
  timer.unref();

  return {
    scan,
    async close() {
      closed = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

/**
 * Why a scan failed, without anything a driver error may carry along (SQL, values, a URL): the
 * store's own messages are safe, of others only the SQLSTATE or system error code.
 */
function safeReason(error: unknown): string {
  if (error instanceof AuditStoreError) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$|^E[A-Z]+$/.test(code)) return code;
  return error instanceof Error && /timeout/i.test(error.message) ? 'timed out' : 'failed';
}

/**
 * Appends an `unknown` outcome, naming `closer`, for every open attempt of `chain`, after the
 * chain's head. Reads the head before the open attempts: if anything is appended after that
 * read, the append's head check fails with nothing written. Returns how many were closed.
 */
export async function closeOrphanAttempts(
  store: Pick<AuditStore, 'head' | 'dangling' | 'append'>,
  chain: string,
  closer: string,
  clock: () => number,
): Promise<number> {
  let head: ChainHead = (await store.head(chain)) ?? { seq: 0, hash: GENESIS_HASH };
  const dangling = await store.dangling(chain);
  const time = new Date(clock()).toISOString();
  for (let start = 0; start < dangling.length; start += RECORDS_PER_APPEND) {
    const after = head;
    const records: StoredRecord[] = [];
    for (const attempt of dangling.slice(start, start + RECORDS_PER_APPEND)) {
      const content = buildUnknownOutcomeContent(attempt, randomUUID(), time, closer);
      const { record, body } = sealRecordWithBody(content, chain, head.seq + 1, head.hash);
      head = { seq: record.seq, hash: record.hash };
      records.push(toStoredRecordWithBody(record, body));
    }
    await store.append(chain, after, records);
  }
  return dangling.length;
}
