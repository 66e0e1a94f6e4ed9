// Opens the audit trail of this gateway instance: the configured store, this instance's chain,
// the signed checkpoints, and — before anything may be written — crash recovery, which closes
// every attempt a previous run left without an outcome (docs/api.md "Audit records").

import { randomUUID, type KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { ProblemError } from '../problems/problem-error.ts';
import { createAuditReader, type AuditReader } from './audit-reader.ts';
import { GENESIS_HASH, type AuditRecordContent } from './audit-record.ts';
import type { AuditStore, ChainHead } from './audit-store.ts';
import type { AuditOutcome, AuditReceipt, AuditTrail } from './audit-trail.ts';
import {
  createAuditWriter,
  type AuditWriter,
  type AuditWriterOptions,
  type AuditWriterStats,
} from './audit-writer.ts';
import {
  buildAuditRecordContent,
  buildUnknownOutcomeContent,
  type RecordFacts,
} from './build-audit-record.ts';
import { lastCheckpointOf, readCheckpoints, type Checkpoint } from './chain/checkpoint.ts';
import { parseSigningKey } from './chain/checkpoint-key.ts';
import { createCheckpointer, type Checkpointer } from './chain/checkpointer.ts';
import type { ChainAdoption } from './stores/adopt-orphan-chains.ts';
import { openAuditStore } from './stores/open-audit-store.ts';
import { createOutcomeSpool, type OutcomeSpool } from './outcome-spool.ts';

export interface OpenAuditTrailOptions {
  readonly config: Config['audit'];
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** Tuning for tests; the defaults are the production values. */
  readonly writer?: Pick<
    AuditWriterOptions,
    'writeDeadlineMs' | 'maxBatchRecords' | 'probeIntervalMs' | 'maxDeferredOutcomes'
  >;
  /** A store to use instead of opening the configured one (the shared store test suite). */
  readonly store?: AuditStore;
}

export interface AuditTrailStats extends AuditWriterStats {
  readonly head: ChainHead;
  readonly checkpointsWritten: number;
  /** Attempts closed as `unknown` at open. */
  readonly danglingRecovered: number;
  /** Outcomes written at open from the spool a previous run left. */
  readonly spooledReplayed: number;
}

export type OpenedAuditTrail = AuditTrail & {
  readonly reader: AuditReader;
  /** This instance's chain (audit.instanceId). */
  readonly chain: string;
  stats(): AuditTrailStats;
  /** Signs and appends a checkpoint of the head now, if a key is configured and it moved. */
  checkpoint(): Checkpoint | null;
};

export async function openAuditTrail(options: OpenAuditTrailOptions): Promise<OpenedAuditTrail> {
  const { config } = options;
  const clock = options.clock ?? Date.now;
  const chain = chainName(config.instanceId);
  const signingKey =
    config.checkpoints.signingKey === undefined
      ? undefined
      : parseSigningKey(config.checkpoints.signingKey);
  const store = options.store ?? (await openAuditStore(config, { chain }));
  // A store that keeps checkpoints (PostgreSQL) gets them; the file then only when configured.
  const checkpointPath =
    config.checkpoints.path ??
    (store.appendCheckpoint === undefined ? `${config.sqlitePath}.checkpoints` : undefined);
  // Outcomes the store would not take before a stop wait beside a SQLite file for the next start.
  const spool =
    config.store === 'sqlite' ? createOutcomeSpool(`${config.sqlitePath}.spool`) : undefined;
  try {
    const head = (await store.head(chain)) ?? { seq: 0, hash: GENESIS_HASH };
    const last = await checkAgainstLastCheckpoint(store, chain, head, checkpointPath);
    // The checkpointer counts what the writer commits, and reads the writer's head.
    let checkpointer: Checkpointer | null = null;
    const writer = createAuditWriter({
      store,
      chain,
      head,
      metrics: options.metrics,
      logger: options.logger,
      clock,
      ...options.writer,
      ...(spool !== undefined ? { spool } : {}),
      onCommit: (_head, records) => {
        checkpointer?.committed(records);
      },
    });
    checkpointer =
      signingKey === undefined
        ? null
        : startCheckpointer(options, { store, chain, clock, writer }, signingKey, {
            path: checkpointPath,
            last,
          });
    const parts: TrailParts = { store, chain, clock, writer, checkpointer };
    const recovered = await recover(options, parts, spool);
    options.logger.info(
      { chain, store: store.kind, location: store.location, head: writer.head().seq },
      'audit trail open',
    );
    const adoption = await startAdoption(store, config, chain, options, clock);
    return trailOf(parts, recovered, adoption, options.logger);
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** What the opened trail is made of. */
interface TrailParts {
  readonly store: AuditStore;
  readonly chain: string;
  readonly clock: () => number;
  readonly writer: AuditWriter;
  readonly checkpointer: Checkpointer | null;
}

interface Recovered {
  readonly danglingRecovered: number;
  readonly spooledReplayed: number;
}

/** The checkpointer that signs the head of this chain with `key`. */
function startCheckpointer(
  options: OpenAuditTrailOptions,
  parts: Omit<TrailParts, 'checkpointer'>,
  key: KeyObject,
  { path, last }: { readonly path: string | undefined; readonly last: Checkpoint | null },
): Checkpointer {
  const { config, metrics, logger } = options;
  const { store, writer } = parts;
  return createCheckpointer({
    path,
    ...(store.appendCheckpoint !== undefined
      ? { store: { appendCheckpoint: store.appendCheckpoint.bind(store) } }
      : {}),
    key,
    chain: parts.chain,
    everyRecords: config.checkpoints.everyRecords,
    intervalSeconds: config.checkpoints.intervalSeconds,
    last,
    head: () => writer.head(),
    clock: parts.clock,
    metrics,
    logger,
  });
}

/** Crash recovery at open: spooled outcomes, then attempts a previous run left open. */
async function recover(
  options: OpenAuditTrailOptions,
  parts: TrailParts,
  spool: OutcomeSpool | undefined,
): Promise<Recovered> {
  const { metrics, logger } = options;
  const { store, chain, writer } = parts;
  let danglingRecovered: number;
  let spooledReplayed = 0;
  try {
    // Spooled outcomes first: one that closes an attempt keeps what really happened.
    if (spool !== undefined) spooledReplayed = await replaySpool(spool, writer, logger);
    danglingRecovered = await closeDanglingAttempts(
      store,
      chain,
      (content) => writer.write(content),
      parts.clock,
    );
  } catch (error) {
    await parts.checkpointer?.close();
    await writer.close();
    throw error;
  }
  if (danglingRecovered > 0) {
    metrics.auditDanglingRecovered.inc(danglingRecovered);
    logger.warn(
      { chain, attempts: danglingRecovered },
      'audit attempts left without an outcome by a previous run were closed as unknown',
    );
  }
  return { danglingRecovered, spooledReplayed };
}

/** The trail the pipeline writes to, over its open parts. */
function trailOf(
  parts: TrailParts,
  recovered: Recovered,
  adoption: ChainAdoption | null,
  logger: Logger,
): OpenedAuditTrail {
  const { store, chain, writer, checkpointer } = parts;
  const now = () => new Date(parts.clock()).toISOString();
  const record = (fields: Omit<RecordFacts, 'id' | 'time'>) =>
    guard(() =>
      writer.write(buildAuditRecordContent({ id: randomUUID(), time: now(), ...fields })),
    );
  let closed: Promise<void> | null = null;
  return {
    chain,
    reader: createAuditReader(store),
    recordAttempt: (event) => record({ phase: 'attempt', event }),
    recordOutcome: (event, outcome) =>
      record({ phase: 'outcome', event, outcome: outcomeFacts(outcome) }),
    readiness: () => writer.readiness(),
    stats: () => ({
      ...writer.stats(),
      head: writer.head(),
      checkpointsWritten: checkpointer?.stats().written ?? 0,
      ...recovered,
    }),
    checkpoint: () => checkpointer?.checkpoint() ?? null,
    close() {
      closed ??= (async () => {
        await adoption?.close();
        await writer.close();
        await checkpointer?.close();
        await store.close();
        logger.info({ chain, head: writer.head().seq }, 'audit trail closed');
      })();
      return closed;
    },
  };
}

/**
 * With PostgreSQL, this instance renews its chain's lease and adopts the chains of instances
 * gone for good (adopt-orphan-chains.ts; loaded only then, like `pg`).
 */
async function startAdoption(
  store: AuditStore,
  config: Config['audit'],
  chain: string,
  options: OpenAuditTrailOptions,
  clock: () => number,
): Promise<ChainAdoption | null> {
  if (store.kind !== 'postgres' || config.postgresUrl === undefined) return null;
  const { startChainAdoption } = await import('./stores/adopt-orphan-chains.ts');
  return startChainAdoption({
    store,
    url: config.postgresUrl,
    chain,
    leaseSeconds: config.adoption.leaseSeconds,
    scanSeconds: config.adoption.scanSeconds,
    logger: options.logger,
    metrics: options.metrics,
    clock,
  });
}

/** `audit.instanceId`, or — as loadConfig resolves it — the host name. */
function chainName(instanceId: string): string {
  if (instanceId !== '') return instanceId;
  return (
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 64) || 'rescind'
  );
}

/** Copies the outcome field by field: nothing else the pipeline holds can reach the record. */
function outcomeFacts(outcome: AuditOutcome) {
  return {
    result: outcome.result,
    status: outcome.status,
    code: outcome.code,
    upstream:
      outcome.upstream === null
        ? null
        : {
            status: outcome.upstream.status,
            code: outcome.upstream.code,
            message: outcome.upstream.message,
            requestId: outcome.upstream.requestId,
            ...(outcome.upstream.encodedAuthorizationMessage === undefined
              ? {}
              : { encodedAuthorizationMessage: outcome.upstream.encodedAuthorizationMessage }),
          },
    attempts: outcome.attempts,
    durationMs: outcome.durationMs,
    ...(outcome.attemptId !== undefined ? { attemptId: outcome.attemptId } : {}),
    ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
    ...(outcome.summary !== undefined
      ? {
          summary: {
            refused: outcome.summary.refused,
            since: outcome.summary.since,
            until: outcome.summary.until,
          },
        }
      : {}),
    ...(outcome.records !== undefined ? { records: outcome.records } : {}),
  };
}

/** A record that cannot even be built is refused like one that cannot be written. */
function guard(write: () => Promise<AuditReceipt>): Promise<AuditReceipt> {
  try {
    return write();
  } catch (error) {
    return Promise.reject(
      new ProblemError('AUDIT_UNAVAILABLE', {
        detail: 'The audit trail cannot make records durable right now.',
        cause: error,
      }),
    );
  }
}

/**
 * The store must still hold what the newest checkpoint signed (in the checkpoints file, or in
 * the store itself when it keeps them). If it ends before it, or has a different record there,
 * records were removed or the database was replaced by another one, and appending to it would
 * bury the evidence: the trail refuses to open. To start a new chain on purpose, archive the
 * database and its checkpoints file together.
 */
async function checkAgainstLastCheckpoint(
  store: AuditStore,
  chain: string,
  head: ChainHead,
  path: string | undefined,
): Promise<Checkpoint | null> {
  const stored = (await store.checkpoints?.(chain)) ?? [];
  let filed: Checkpoint[] = [];
  try {
    if (path !== undefined) filed = readCheckpoints(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const last = lastCheckpointOf([...stored, ...filed], chain);
  if (last === null) return null;
  const source = filed.includes(last) ? path : `${store.location} itself`;
  const [record] =
    last.seq > head.seq
      ? []
      : await store.query({ chain, after: { chain, seq: last.seq - 1 }, limit: 1 });
  if (record?.seq !== last.seq || record.hash !== last.hash) {
    throw new Error(
      `the audit store ${store.location} does not hold the record of chain ${chain} signed by the last checkpoint in ${source ?? 'the store'} (seq ${last.seq}; the store's head is seq ${head.seq}): records were removed or the database was replaced. Restore it, or archive both to start a new chain.`,
    );
  }
  return last;
}

/**
 * Writes the outcomes a previous run spooled into the trail, then removes the spool. A failure
 * leaves the spool in place (the trail then refuses to open, as for any store failure at open).
 */
async function replaySpool(
  spool: OutcomeSpool,
  writer: { write(content: AuditRecordContent): Promise<AuditReceipt> },
  logger: Logger,
): Promise<number> {
  const { outcomes, unreadable } = spool.read();
  if (outcomes.length === 0 && unreadable === 0) return 0;
  await Promise.all(outcomes.map((outcome) => writer.write(outcome)));
  spool.clear();
  logger.warn(
    { spool: spool.path, outcomes: outcomes.length, unreadable },
    'audit outcomes spooled by a previous run were written into the trail',
  );
  return outcomes.length;
}

/** Crash recovery: every attempt without an outcome gets one, `unknown`, naming it. */
async function closeDanglingAttempts(
  store: AuditStore,
  chain: string,
  write: (content: AuditRecordContent) => Promise<AuditReceipt>,
  clock: () => number,
): Promise<number> {
  const dangling = await store.dangling(chain);
  const time = new Date(clock()).toISOString();
  await Promise.all(
    dangling.map((stored) => write(buildUnknownOutcomeContent(stored, randomUUID(), time))),
  );
  return dangling.length;
}
