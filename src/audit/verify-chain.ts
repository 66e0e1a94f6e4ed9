// Verifies audit chains from any source (the store, an NDJSON export) in constant memory: only
// the head of each chain is kept while records stream by. Pure: no I/O, no clock.

import type { KeyObject } from 'node:crypto';
import { GENESIS_HASH } from './audit-record.ts';
import { checkpointSignatureValid, type Checkpoint } from './checkpoint.ts';
import { hashRecord } from './seal-record.ts';

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

interface ChainState {
  chain: string;
  records: number;
  headSeq: number;
  headHash: string;
  checkpoints: number;
}

interface Progress {
  /** The seq of the newest checkpoint that matched. */
  lastMatched: number;
}

interface RecordLike {
  readonly chain: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export async function verifyChain(
  records: Iterable<unknown> | AsyncIterable<unknown>,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const keys =
    options.publicKey === undefined
      ? undefined
      : Array.isArray(options.publicKey)
        ? (options.publicKey as readonly KeyObject[])
        : [options.publicKey as KeyObject];
  const states = new Map<string, ChainState>();
  const progress = new Map<string, Progress>();
  let count = 0;
  let matched = 0;

  const finish = (
    failure?: { seq?: number; chain?: string; reason: string },
    summary?: string,
  ): VerifyResult => ({
    ok: failure === undefined,
    ...(failure?.seq !== undefined ? { firstBadSeq: failure.seq } : {}),
    ...(failure?.chain !== undefined ? { chain: failure.chain } : {}),
    reason: failure?.reason ?? summary ?? '',
    chains: [...states.values()].map((state) => ({ ...state })),
    records: count,
    checkpoints: matched,
    signaturesChecked: keys !== undefined,
  });

  // Checkpoints by chain and seq; a bad signature is itself a finding.
  const expected = new Map<string, Map<number, Checkpoint>>();
  for (const checkpoint of options.checkpoints ?? []) {
    if (keys !== undefined && !checkpointSignatureValid(checkpoint, keys)) {
      return finish({
        seq: checkpoint.seq,
        chain: checkpoint.chain,
        reason: `the checkpoint of seq ${checkpoint.seq} (${checkpoint.time}) has no valid signature by the given key`,
      });
    }
    const byChain = expected.get(checkpoint.chain) ?? new Map<number, Checkpoint>();
    expected.set(checkpoint.chain, byChain);
    const twin = byChain.get(checkpoint.seq);
    if (twin !== undefined && twin.hash !== checkpoint.hash) {
      return finish({
        seq: checkpoint.seq,
        chain: checkpoint.chain,
        reason: `two checkpoints of seq ${checkpoint.seq} disagree about its hash`,
      });
    }
    byChain.set(checkpoint.seq, checkpoint);
  }

  for await (const item of records) {
    count += 1;
    if (!isRecordLike(item)) {
      const seq = (item as { seq?: unknown } | null)?.seq;
      return finish({
        ...(typeof seq === 'number' ? { seq } : {}),
        reason: `item ${count} is not an audit record`,
      });
    }
    const state = states.get(item.chain) ?? {
      chain: item.chain,
      records: 0,
      headSeq: 0,
      headHash: GENESIS_HASH,
      checkpoints: 0,
    };
    states.set(item.chain, state);
    const want = state.headSeq + 1;
    const at = { seq: want, chain: item.chain };
    if (item.seq > want) {
      return finish({
        ...at,
        reason: `seq ${item.seq} appears where seq ${want} belongs: seq ${want} is missing or out of order`,
      });
    }
    if (item.seq < want) {
      return finish({
        ...at,
        reason: `seq ${item.seq} appears where seq ${want} belongs (records reordered or duplicated)`,
      });
    }
    if (item.prevHash !== state.headHash) {
      return finish({
        ...at,
        reason: `prevHash of seq ${want} is not the hash of seq ${want - 1} (a record was changed, removed or inserted before it)`,
      });
    }
    let hash: string;
    try {
      hash = hashRecord(item);
    } catch {
      return finish({ ...at, reason: `seq ${want} cannot be canonicalized` });
    }
    if (hash !== item.hash) {
      return finish({ ...at, reason: `the hash of seq ${want} does not match its content` });
    }
    const checkpoint = expected.get(item.chain)?.get(want);
    if (checkpoint !== undefined) {
      const lastMatched = progress.get(item.chain)?.lastMatched ?? 0;
      if (checkpoint.hash !== hash) {
        return finish({
          ...at,
          reason: `the hash of seq ${want} differs from the checkpoint signed at ${checkpoint.time}: the chain was rewritten after seq ${lastMatched} and at or before seq ${want}`,
        });
      }
      progress.set(item.chain, { lastMatched: want });
      state.checkpoints += 1;
      matched += 1;
    }
    state.records += 1;
    state.headSeq = want;
    state.headHash = hash;
  }

  // A chain that ends before a checkpoint lost its tail.
  for (const [chain, byChain] of expected) {
    const headSeq = states.get(chain)?.headSeq ?? 0;
    const beyond = [...byChain.values()].filter((checkpoint) => checkpoint.seq > headSeq);
    if (beyond.length === 0) continue;
    const furthest = beyond.reduce((a, b) => (b.seq > a.seq ? b : a));
    return finish({
      seq: headSeq + 1,
      chain,
      reason: `chain ${chain} ends at seq ${headSeq}, but a checkpoint signed at ${furthest.time} covers seq ${furthest.seq}: records after seq ${headSeq} were removed`,
    });
  }

  const chainCount = states.size;
  return finish(
    undefined,
    `intact: ${count} records in ${chainCount} chain${chainCount === 1 ? '' : 's'}, ${matched} checkpoint${matched === 1 ? '' : 's'} matched${keys !== undefined ? ' (signatures verified)' : ''}`,
  );
}

function isRecordLike(value: unknown): value is RecordLike {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.chain === 'string' &&
    typeof record.seq === 'number' &&
    Number.isSafeInteger(record.seq) &&
    typeof record.prevHash === 'string' &&
    typeof record.hash === 'string'
  );
}
