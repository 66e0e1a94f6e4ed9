// Checkpoints indexed by chain and seq, for a verification to hold the chains against. A
// checkpoint without a valid signature, or two checkpoints that disagree, are findings.

import type { KeyObject } from 'node:crypto';
import { checkpointSignatureValid, type Checkpoint } from './checkpoint.ts';

export type CheckpointIndex = Map<string, Map<number, Checkpoint>>;

export interface ChainFailure {
  readonly seq?: number;
  readonly chain?: string;
  readonly reason: string;
}

export function indexCheckpoints(
  checkpoints: readonly Checkpoint[],
  keys: readonly KeyObject[] | undefined,
): { readonly index: CheckpointIndex } | { readonly failure: ChainFailure } {
  const index: CheckpointIndex = new Map();
  for (const checkpoint of checkpoints) {
    const at = { seq: checkpoint.seq, chain: checkpoint.chain };
    if (keys !== undefined && !checkpointSignatureValid(checkpoint, keys)) {
      const reason = `the checkpoint of seq ${checkpoint.seq} (${checkpoint.time}) has no valid signature by the given key`;
      return { failure: { ...at, reason } };
    }
    const byChain = index.get(checkpoint.chain) ?? new Map<number, Checkpoint>();
    index.set(checkpoint.chain, byChain);
    const twin = byChain.get(checkpoint.seq);
    if (twin !== undefined && twin.hash !== checkpoint.hash) {
      const reason = `two checkpoints of seq ${checkpoint.seq} disagree about its hash`;
      return { failure: { ...at, reason } };
    }
    byChain.set(checkpoint.seq, checkpoint);
  }
  return { index };
}

/** A chain that ends before one of its checkpoints lost its tail. */
export function findCutTail(
  index: CheckpointIndex,
  headSeqOf: (chain: string) => number,
): ChainFailure | undefined {
  for (const [chain, byChain] of index) {
    const headSeq = headSeqOf(chain);
    const beyond = [...byChain.values()].filter((checkpoint) => checkpoint.seq > headSeq);
    if (beyond.length === 0) continue;
    const furthest = beyond.reduce((a, b) => (b.seq > a.seq ? b : a));
    return {
      seq: headSeq + 1,
      chain,
      reason: `chain ${chain} ends at seq ${headSeq}, but a checkpoint signed at ${furthest.time} covers seq ${furthest.seq}: records after seq ${headSeq} were removed`,
    };
  }
  return undefined;
}
