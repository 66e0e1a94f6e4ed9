// Writes signed checkpoints of one chain: every `everyRecords` records, every `intervalSeconds`
// when the head moved since the last one, and at close. A checkpoint that cannot be written is
// logged and counted, and retried at the next occasion: it weakens tamper evidence, not
// durability, so it does not fail the audit trail.

import type { KeyObject } from 'node:crypto';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ChainHead } from './audit-store.ts';
import { appendCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.ts';

export interface CheckpointerOptions {
  readonly path: string;
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
  /** Writes a checkpoint of the current head if it is not covered yet. */
  checkpoint(): Checkpoint | null;
  stats(): { readonly written: number; readonly last: Checkpoint | null };
  close(): void;
}

export function createCheckpointer(options: CheckpointerOptions): Checkpointer {
  const { path, key, chain, clock, metrics, logger } = options;
  let last = options.last;
  let lastAt = clock();
  let sinceLast = 0;
  let written = 0;

  const timer = setInterval(() => {
    checkpoint();
    updateAge();
  }, options.intervalSeconds * 1000);
  timer.unref();
  updateAge();

  function checkpoint(): Checkpoint | null {
    const head = options.head();
    if (head.seq === 0 || (last !== null && last.seq >= head.seq)) return null;
    const now = clock();
    const signed = signCheckpoint({ chain, ...head }, new Date(now).toISOString(), key);
    try {
      appendCheckpoint(path, signed);
    } catch (error) {
      metrics.auditWriteFailures.inc({ store: 'checkpoints' });
      logger.error({ err: error, path }, 'audit checkpoint could not be written');
      return null;
    }
    last = signed;
    lastAt = now;
    sinceLast = 0;
    written += 1;
    updateAge();
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
    stats: () => ({ written, last }),
    close() {
      clearInterval(timer);
      checkpoint();
    },
  };
}
