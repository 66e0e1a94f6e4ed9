// One record handed to the audit writer and the caller waiting for it: the queue of the group
// commit is a list of these, answered once (committed, refused, or past their deadline).

import type { ProblemError } from '../problems/problem-error.ts';
import type { AuditRecordContent } from './audit-record.ts';
import type { AuditReceipt } from './audit-trail.ts';

export interface WriteJob {
  readonly content: AuditRecordContent;
  readonly enqueuedAt: number;
  readonly resolve: (receipt: AuditReceipt) => void;
  readonly reject: (error: ProblemError) => void;
  /** Set when the job was answered (committed, refused, or its deadline passed). */
  settled: boolean;
  /** Already went through one immediate recovery: a second failure refuses it. */
  retried: boolean;
  timer: NodeJS.Timeout | undefined;
}

export function isLive(job: WriteJob): boolean {
  return !job.settled;
}

/** Marks the job answered and stops its deadline. */
export function settle(job: WriteJob): void {
  job.settled = true;
  clearTimeout(job.timer);
}

/** The first `limit` jobs still waiting, and the waiting ones after them. */
export function takeLive(
  queue: readonly WriteJob[],
  limit: number,
): { readonly taken: WriteJob[]; readonly rest: WriteJob[] } {
  const live = queue.filter(isLive);
  const taken = live.slice(0, limit);
  return { taken, rest: live.slice(taken.length) };
}
