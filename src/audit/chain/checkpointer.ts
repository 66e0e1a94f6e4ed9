// Writes signed checkpoints of one chain: every `everyRecords` records, every `intervalSeconds`
// when the head moved since the last one, and at close. A checkpoint goes to the checkpoints
// file, to the store (when it keeps checkpoints: PostgreSQL), or to both. A checkpoint that
// cannot be written is logged and counted, and retried at the next occasion: it weakens tamper
// evidence, not durability, so it does not fail the audit trail.

import type { KeyObject } from 'node:crypto';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { AuditStore, ChainHead } from '../audit-store.ts';
import { appendCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.ts';
import { CHECKPOINT_LOG_MESSAGE } from './witness.ts';

export interface CheckpointerOptions {
  /** The checkpoints file; none when only the store keeps them. */
  readonly path: string | undefined;
  /** A store that keeps checkpoints beside the records. */
  readonly store?: Required<Pick<AuditStore, 'appendCheckpoint'>>;
  readonly key: KeyObject;
  readonly chain: string;
  readonly everyRecords: number;
  readonly intervalSeconds: number;
  /** The chain's newest checkpoint found at start-up. */
  readonly last: Checkpoint | null;
  readonly head: () => ChainHead;
  readonly clock: () => number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export interface Checkpointer {
  /** Tells the checkpointer about a commit; writes a checkpoint when `everyRecords` is reached. */
  committed(records: number): void;
  /**
   * Signs the current head if it is not covered yet and writes it to the file; the store's copy
   * is written in the background (`flush()` awaits it).
   */
  checkpoint(): Checkpoint | null;
  /** Resolves when every checkpoint handed to the store has been written or given up. */
  flush(): Promise<void>;
  stats(): { readonly written: number; readonly last: Checkpoint | null };
  /** Writes a last checkpoint and waits for it. */
  close(): Promise<void>;
}

export function createCheckpointer(options: CheckpointerOptions): Checkpointer {
  const { path, store, key, chain, clock, metrics, logger } = options;
  let last = options.last;
  let lastAt = clock();
  let sinceLast = 0;
  let written = 0;
  /** Store writes run one after another, in signing order. */
  let storing: Promise<void> = Promise.resolve();

  const timer = setInterval(() => {
    checkpoint();
    updateAge();
  }, options.intervalSeconds * 1000);
  timer.unref();
  updateAge();

  function failed(error: unknown, where: string): void {
    metrics.auditWriteFailures.inc({ store: 'checkpoints' });
    logger.error({ err: error, where }, 'audit checkpoint could not be written');
  }

  function checkpoint(): Checkpoint | null {
    const head = options.head();
    if (head.seq === 0 || (last !== null && last.seq >= head.seq)) return null;
    const now = clock();
    const signed = signCheckpoint({ chain, ...head }, new Date(now).toISOString(), key);
    let inFile = false;
    if (path !== undefined) {
      try {
        appendCheckpoint(path, signed);
        inFile = true;
      } catch (error) {
        failed(error, path);
      }
    }
    // Without a copy anywhere, sign the head again at the next occasion.
    if (!inFile && store === undefined) return null;
    const previous = last;
    last = signed;
    lastAt = now;
    sinceLast = 0;
    written += 1;
    updateAge();
    // The witness: the log pipeline keeps this line where the store's writers cannot reach it.
    logger.info(
      {
        chain: signed.chain,
        seq: signed.seq,
        hash: signed.hash,
        time: signed.time,
        keyId: signed.keyId,
        signature: signed.signature,
      },
      CHECKPOINT_LOG_MESSAGE,
    );
    if (store !== undefined) {
      storing = storing
        .then(() => store.appendCheckpoint(signed))
        .catch((error: unknown) => {
          failed(error, 'store');
          // Not in the store: sign the head again at the next occasion.
          if (last === signed) last = previous;
          updateAge();
        });
    }
    return signed;
  }

  /** Seconds the newest records have gone without a checkpoint; 0 while the head is covered. */
  function updateAge(): void {
    const covered = last !== null && last.seq >= options.head().seq;
    metrics.auditCheckpointAge.set(covered ? 0 : Math.max(0, (clock() - lastAt) / 1000));
  }

  return {
    committed(records) {
      sinceLast += records;
      if (sinceLast >= options.everyRecords) checkpoint();
      else updateAge();
    },
    checkpoint,
    flush: () => storing,
    stats: () => ({ written, last }),
    async close() {
      clearInterval(timer);
      checkpoint();
      await storing;
    },
  };
}
