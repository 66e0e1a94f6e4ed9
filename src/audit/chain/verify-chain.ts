// Verifies audit chains from any source (the store, an NDJSON export) in constant memory: only
// the head of each chain is kept while records stream by. Pure: no I/O, no clock.

import type { KeyObject } from 'node:crypto';
import { advanceHead, chainState, createChainWalk, type ChainWalk } from './chain-walk.ts';
import { checkpointMismatch, checkRecord, isRecordLike } from './check-record.ts';
import {
  findCutTail,
  indexCheckpoints,
  type ChainFailure,
  type CheckpointIndex,
} from './checkpoint-index.ts';
import type { Checkpoint } from './checkpoint.ts';

export interface VerifyOptions {
  /** Signed heads to hold the chains against: catches a cut tail and a recomputed chain. */
  readonly checkpoints?: readonly Checkpoint[];
  /** When given, every checkpoint must carry a valid signature by one of these keys. */
  readonly publicKey?: KeyObject | readonly KeyObject[];
}

export interface ChainSummary {
  readonly chain: string;
  readonly records: number;
  readonly headSeq: number;
  readonly headHash: string;
  /** Checkpoints of this chain whose head matched. */
  readonly checkpoints: number;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** The first seq at which the chain is not what an intact chain has there. */
  readonly firstBadSeq?: number;
  /** The chain of `firstBadSeq`. */
  readonly chain?: string;
  readonly reason: string;
  readonly chains: readonly ChainSummary[];
  /** Records read before verification ended. */
  readonly records: number;
  /** Checkpoints matched, over all chains. */
  readonly checkpoints: number;
  /** Whether checkpoint signatures were checked (a public key was given). */
  readonly signaturesChecked: boolean;
}

export async function verifyChain(
  records: Iterable<unknown> | AsyncIterable<unknown>,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const keys = keyList(options.publicKey);
  const walk = createChainWalk();
  const finish = (failure?: ChainFailure): VerifyResult => result(walk, keys, failure);

  const indexed = indexCheckpoints(options.checkpoints ?? [], keys);
  if ('failure' in indexed) return finish(indexed.failure);

  for await (const item of records) {
    walk.count += 1;
    const failure = walkRecord(walk, indexed.index, item);
    if (failure !== undefined) return finish(failure);
  }
  return finish(findCutTail(indexed.index, (chain) => walk.states.get(chain)?.headSeq ?? 0));
}

function keyList(publicKey: VerifyOptions['publicKey']): readonly KeyObject[] | undefined {
  if (publicKey === undefined) return undefined;
  return Array.isArray(publicKey) ? (publicKey as readonly KeyObject[]) : [publicKey as KeyObject];
}

/** Checks one streamed item and, when it is sound, makes it the head of its chain. */
function walkRecord(
  walk: ChainWalk,
  index: CheckpointIndex,
  item: unknown,
): ChainFailure | undefined {
  if (!isRecordLike(item)) {
    const seq = (item as { seq?: unknown } | null)?.seq;
    return {
      ...(typeof seq === 'number' ? { seq } : {}),
      reason: `item ${walk.count} is not an audit record`,
    };
  }
  const state = chainState(walk, item.chain);
  const checked = checkRecord(item, state);
  if ('failure' in checked) return checked.failure;
  const seq = state.headSeq + 1;
  const checkpoint = index.get(item.chain)?.get(seq);
  if (checkpoint !== undefined) {
    const lastMatched = walk.lastMatched.get(item.chain) ?? 0;
    const reason = checkpointMismatch(checkpoint, seq, checked.hash, lastMatched);
    if (reason !== undefined) return { seq, chain: item.chain, reason };
    walk.lastMatched.set(item.chain, seq);
    state.checkpoints += 1;
    walk.matched += 1;
  }
  advanceHead(state, seq, checked.hash);
  return undefined;
}

function result(
  walk: ChainWalk,
  keys: readonly KeyObject[] | undefined,
  failure: ChainFailure | undefined,
): VerifyResult {
  return {
    ok: failure === undefined,
    ...(failure?.seq !== undefined ? { firstBadSeq: failure.seq } : {}),
    ...(failure?.chain !== undefined ? { chain: failure.chain } : {}),
    reason: failure?.reason ?? intactSummary(walk, keys !== undefined),
    chains: [...walk.states.values()].map((state) => ({ ...state })),
    records: walk.count,
    checkpoints: walk.matched,
    signaturesChecked: keys !== undefined,
  };
}

function intactSummary(walk: ChainWalk, signed: boolean): string {
  const chains = walk.states.size;
  const matched = walk.matched;
  return `intact: ${walk.count} records in ${chains} chain${chains === 1 ? '' : 's'}, ${matched} checkpoint${matched === 1 ? '' : 's'} matched${signed ? ' (signatures verified)' : ''}`;
}
