// The single writer of one chain, with group commit: records handed over while a commit is
// being prepared or running wait in a queue and go into the next transaction together, so N
// concurrent requests cost one fsync, not N. It owns the chain head (seq, hash) in memory and
// advances it only after the store confirmed a commit, fails closed within a deadline, keeps
// outcomes that could not be written and writes them first once the store is back, and refuses
// to continue a chain whose head it cannot find in the store.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { ProblemError } from '../problems/problem-error.ts';
import type { AuditRecord, AuditRecordContent } from './audit-record.ts';
import {
  AuditStoreError,
  type AppendOptions,
  type AuditStore,
  type ChainHead,
} from './audit-store.ts';
import type { AuditReceipt, ReadinessReport } from './audit-trail.ts';
import { createDeferredOutcomes } from './deferred-outcomes.ts';
import type { OutcomeSpool } from './outcome-spool.ts';
import { closeLateAttempts, findLateCommits } from './late-commits.ts';
import { createProbeTimer } from './probe-timer.ts';
import { sealRecordWithBody } from './chain/seal-record.ts';
import { parseStoredRecord, toStoredRecordWithBody } from './stored-record.ts';
import { isLive, settle, takeLive, type WriteJob } from './write-job.ts';

/** A write not durable by then is refused: the caller must hear 503 within about a second. */
export const DEFAULT_WRITE_DEADLINE_MS = 800;
/** Bounds how long one commit blocks the thread that runs it (node:sqlite is synchronous). */
export const DEFAULT_MAX_BATCH_RECORDS = 256;
export const DEFAULT_PROBE_INTERVAL_MS = 1000;
export { DEFAULT_MAX_DEFERRED_OUTCOMES } from './deferred-outcomes.ts';
const BUSY_RETRY_MS = 20;
/**
 * A commit may start until this long before the oldest caller's deadline, no later: time for
 * the COMMIT itself. Past it the store rolls back (AppendOptions.commitBy), so that a commit
 * that waited for a lock does not land after its callers were refused.
 */
const COMMIT_ALLOWANCE_MS = 100;

export interface AuditWriterOptions {
  readonly store: AuditStore;
  readonly chain: string;
  /** The chain's head in the store when the writer starts. */
  readonly head: ChainHead;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly writeDeadlineMs?: number;
  readonly maxBatchRecords?: number;
  readonly probeIntervalMs?: number;
  readonly maxDeferredOutcomes?: number;
  /** Called after every commit with the new head and the number of records it added. */
  readonly onCommit?: (head: ChainHead, records: number) => void;
  /**
   * Where outcomes go that cannot wait in memory (over maxDeferredOutcomes, or still unwritten
   * at shutdown), to be written into the trail at the next start. Without one they are lost.
   */
  readonly spool?: OutcomeSpool;
}

export interface AuditWriterStats {
  /** Transactions that committed records (one fsync each). */
  readonly commits: number;
  readonly records: number;
  readonly largestBatch: number;
  readonly failedCommits: number;
  /** Outcomes waiting in memory for the store to come back. */
  readonly deferredOutcomes: number;
}

export interface AuditWriter {
  /** Resolves once the record is durable; rejects with AUDIT_UNAVAILABLE when it cannot be. */
  write(content: AuditRecordContent): Promise<AuditReceipt>;
  head(): ChainHead;
  readiness(): ReadinessReport;
  stats(): AuditWriterStats;
  /** Resolves when nothing is queued and no commit is running. */
  idle(): Promise<void>;
  /** Refuses new records, writes what is queued (and deferred, if the store allows), stops. */
  close(): Promise<void>;
}

export function createAuditWriter(options: AuditWriterOptions): AuditWriter {
  const { store, chain, metrics, logger, clock } = options;
  const deadlineMs = options.writeDeadlineMs ?? DEFAULT_WRITE_DEADLINE_MS;
  const maxBatch = Math.max(1, options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS);
  const labels = { store: store.kind };

  let head: ChainHead = options.head;
  let queue: WriteJob[] = [];
  /** Outcomes nobody waits for any more: deferred ones, and ones that close stray attempts. */
  const deferred = createDeferredOutcomes(options);
  /** Ids of records whose commit failed in a way that may still have reached the store. */
  const uncertain = new Set<string>();
  let failure: string | null = null;
  /** Why the last commit attempt was told to wait (a lock), to name it if a deadline passes. */
  let lastBusy: string | null = null;
  /** The one piece of store work in progress (a drain or a probe); they never overlap. */
  let running: Promise<void> | null = null;
  const probeTimer = createProbeTimer(options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS, probe);
  let closing = false;
  const stats = { commits: 0, records: 0, largestBatch: 0, failedCommits: 0 };
  metrics.auditChainHeadSeq.set({ chain }, head.seq);

  function write(content: AuditRecordContent): Promise<AuditReceipt> {
    if (closing) return Promise.reject(unavailable('the audit trail is shutting down'));
    return new Promise<AuditReceipt>((resolve, reject) => {
      const job: WriteJob = {
        content,
        enqueuedAt: performance.now(),
        resolve,
        reject,
        settled: false,
        retried: false,
        timer: undefined,
      };
      // The deadline holds whatever the store does, even if a commit hangs: the caller hears
      // 503 in time, and a commit that lands later is adopted (see commit and adopt).
      job.timer = setTimeout(() => {
        deadlinePassed(job);
      }, deadlineMs);
      queue.push(job);
      kick();
    });
  }

  function deadlinePassed(job: WriteJob): void {
    if (job.settled) return;
    if (failure === null) {
      failure = lastBusy ?? `${store.location} did not commit within ${deadlineMs} ms`;
      logger.error({ chain, store: store.kind }, 'audit store failing: %s', failure);
      startProbe();
    }
    refuse([job], failure);
  }

  function kick(): void {
    if (running !== null) return;
    // setImmediate, not a microtask: every request that arrived in this turn of the event loop
    // joins the batch.
    running = new Promise<void>((resolve) => {
      setImmediate(resolve);
    })
      .then(drain)
      .catch((error: unknown) => {
        logger.error({ err: error }, 'audit writer failed unexpectedly');
        refuse(takeQueued(), 'the audit writer failed unexpectedly');
      })
      .finally(() => {
        running = null;
        if (queue.length > 0 || (deferred.length > 0 && failure === null && !closing)) kick();
      });
  }

  function takeQueued(limit = Number.POSITIVE_INFINITY): WriteJob[] {
    const { taken, rest } = takeLive(queue, limit);
    queue = rest;
    return taken;
  }

  async function drain(): Promise<void> {
    for (;;) {
      queue = queue.filter((job) => !job.settled);
      const wantsDeferred = deferred.length > 0 && !closing;
      if (queue.length === 0 && !wantsDeferred) return;
      if (failure !== null) {
        try {
          await recover();
        } catch (error) {
          refuse(takeQueued(), markFailed(error));
          return;
        }
      }
      const jobs = takeQueued(Math.max(1, maxBatch - Math.min(deferred.length, maxBatch - 1)));
      if (!(await commit(jobs))) return;
    }
  }

  /** One transaction: deferred outcomes first (they are older), then the queued jobs. */
  async function commit(jobs: readonly WriteJob[]): Promise<boolean> {
    const carried = deferred.peek(maxBatch - jobs.length);
    const contents = [...carried, ...jobs.map((job) => job.content)];
    if (contents.length === 0) return true;
    const sealed = seal(contents);
    const records = sealed.map(({ record }) => record);
    try {
      await store.append(
        chain,
        head,
        sealed.map(({ record, body }) => toStoredRecordWithBody(record, body)),
        appendOptions(jobs),
      );
    } catch (caught) {
      return commitFailed(jobs, records, caught);
    }
    committed(jobs, carried.length, records);
    return true;
  }

  /** The commit must start in time for the oldest live caller's deadline. */
  function appendOptions(jobs: readonly WriteJob[]): AppendOptions {
    const waiting = jobs.filter(isLive).map((job) => job.enqueuedAt);
    if (waiting.length === 0) return {};
    const oldest = Math.min(...waiting);
    const allowance = Math.min(COMMIT_ALLOWANCE_MS, deadlineMs / 4);
    return { commitBy: performance.timeOrigin + oldest + deadlineMs - allowance };
  }

  /** Retries a busy store, recovers once per job, else refuses; false stops the drain. */
  async function commitFailed(
    jobs: readonly WriteJob[],
    records: readonly AuditRecord[],
    caught: unknown,
  ): Promise<boolean> {
    let error = caught;
    if (error instanceof AuditStoreError && error.kind === 'busy' && jobs.some(isLive)) {
      // Locked by someone else: retry until the jobs' deadlines refuse them.
      lastBusy = error.message;
      queue.unshift(...jobs);
      await sleep(BUSY_RETRY_MS);
      return true;
    }
    for (const record of records) uncertain.add(record.id);
    const fresh = jobs.filter((job) => isLive(job) && !job.retried);
    if (error instanceof AuditStoreError && error.kind !== 'busy' && fresh.length > 0) {
      // Once per job, at once: reopen a replaced file, reconcile a head that moved because a
      // commit we took for failed did land. A precise reason, or no refusal at all.
      for (const job of jobs) job.retried = true;
      try {
        await recover();
        queue.unshift(...jobs);
        return true;
      } catch (recoverError) {
        error = recoverError;
      }
    }
    stats.failedCommits += 1;
    refuse(jobs, markFailed(error));
    return false;
  }

  /** Advances the head and answers the callers still waiting; adopts the late ones. */
  function committed(
    jobs: readonly WriteJob[],
    carried: number,
    records: readonly AuditRecord[],
  ): void {
    const last = records[records.length - 1];
    if (last !== undefined) head = { seq: last.seq, hash: last.hash };
    uncertain.clear();
    lastBusy = null;
    deferred.drop(carried);
    if (failure !== null) {
      logger.info({ chain, store: store.kind, head: head.seq }, 'audit store recovered');
      failure = null;
      probeTimer.stop();
    }
    stats.commits += 1;
    stats.records += records.length;
    stats.largestBatch = Math.max(stats.largestBatch, records.length);
    metrics.auditChainHeadSeq.set({ chain }, head.seq);
    const now = performance.now();
    const late: AuditRecord[] = [];
    for (const [index, job] of jobs.entries()) {
      const record = records[carried + index];
      if (record === undefined) continue;
      if (job.settled) {
        late.push(record);
        continue;
      }
      settle(job);
      metrics.auditCommitDuration.observe(labels, (now - job.enqueuedAt) / 1000);
      job.resolve({ id: record.id, chain, seq: record.seq });
    }
    if (late.length > 0) adopt(late);
    options.onCommit?.(head, records.length);
  }

  function seal(
    contents: readonly AuditRecordContent[],
  ): { readonly record: AuditRecord; readonly body: string }[] {
    let previous = head;
    return contents.map((content) => {
      const sealed = sealRecordWithBody(content, chain, previous.seq + 1, previous.hash);
      previous = { seq: sealed.record.seq, hash: sealed.record.hash };
      return sealed;
    });
  }

  /** Refuses the jobs with AUDIT_UNAVAILABLE; their outcomes are kept and written later. */
  function refuse(jobs: readonly WriteJob[], reason: string): void {
    const refused = jobs.filter(isLive);
    if (refused.length === 0) return;
    metrics.auditWriteFailures.inc(labels, refused.length);
    for (const job of refused) {
      settle(job);
      if (job.content.phase === 'outcome') deferred.defer(job.content);
      job.reject(unavailable(reason));
    }
  }

  /** Fails the trail (readiness, background probe) and returns the reason. */
  function markFailed(error: unknown): string {
    const reason =
      error instanceof AuditStoreError ? error.message : `${store.location} failed to commit`;
    if (failure !== reason) {
      logger.error({ err: error, chain, store: store.kind }, 'audit store failing: %s', reason);
    }
    failure = reason;
    startProbe();
    return reason;
  }

  async function recover(): Promise<void> {
    await store.probe();
    await reconcile();
    if (failure !== null) {
      logger.info({ chain, store: store.kind, head: head.seq }, 'audit store recovered');
    }
    failure = null;
    probeTimer.stop();
  }

  /** Makes the in-memory head agree with the store (late-commits.ts), adopting late commits. */
  async function reconcile(): Promise<void> {
    const late = await findLateCommits(store, chain, head, uncertain);
    if (late.records.length === 0) return;
    head = late.head;
    metrics.auditChainHeadSeq.set({ chain }, head.seq);
    uncertain.clear();
    adopt(late.records.map(parseStoredRecord));
  }

  /** Records that reached the store after their callers had been refused. */
  function adopt(records: readonly AuditRecord[]): void {
    deferred.forget(new Set(records.map((record) => record.id)));
    deferred.prepend(closeLateAttempts(records, new Date(clock()).toISOString()));
    logger.warn({ chain, records: records.length }, 'audit records committed late were adopted');
  }

  function startProbe(): void {
    if (!closing) probeTimer.start();
  }

  function probe(): void {
    if (running !== null) return;
    running = recover()
      .catch((error: unknown) => {
        markFailed(error);
      })
      .finally(() => {
        running = null;
        // Records that arrived during the probe are written now, or refused now.
        if (queue.length > 0 || (deferred.length > 0 && failure === null)) kick();
      });
  }

  function readiness(): ReadinessReport {
    if (closing) return { ready: false, reasons: ['the audit trail is closed'] };
    const health = store.health();
    if (!health.ok && failure === null) {
      failure = health.reason ?? `${store.location} is not usable`;
      logger.error({ chain, store: store.kind }, 'audit store failing: %s', failure);
      startProbe();
    }
    if (failure !== null) {
      return { ready: false, reasons: [`audit records cannot be made durable: ${failure}`] };
    }
    return { ready: true, reasons: [] };
  }

  async function idle(): Promise<void> {
    while (running !== null) await running;
  }

  return {
    write,
    head: () => head,
    readiness,
    stats: () => ({ ...stats, deferredOutcomes: deferred.length }),
    idle,
    async close() {
      closing = true;
      probeTimer.stop();
      await idle();
      // One last chance for deferred outcomes; what still cannot be written is spooled.
      try {
        if (deferred.length > 0 && failure !== null) await recover();
        for (let round = 0; round < 100 && deferred.length > 0; round += 1) {
          if (!(await commit([]))) break;
        }
      } catch (error) {
        markFailed(error);
      }
      probeTimer.stop();
      deferred.spillAll('the store would not take them before shutdown');
    },
  };
}

function unavailable(reason: string): ProblemError {
  return new ProblemError('AUDIT_UNAVAILABLE', {
    detail: 'The audit trail cannot make records durable right now.',
    cause: new Error(reason),
  });
}
