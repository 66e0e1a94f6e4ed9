// The state of a chain walk: the head of each chain seen so far and the counts a verification
// reports. Constant memory: one head per chain, whatever the number of records.

import { GENESIS_HASH } from '../audit-record.ts';

export interface ChainState {
  chain: string;
  records: number;
  headSeq: number;
  headHash: string;
  checkpoints: number;
}

export interface ChainWalk {
  /** Records read so far. */
  count: number;
  /** Checkpoints matched so far, over all chains. */
  matched: number;
  readonly states: Map<string, ChainState>;
  /** The seq of the newest checkpoint that matched, by chain. */
  readonly lastMatched: Map<string, number>;
}

export function createChainWalk(): ChainWalk {
  return { count: 0, matched: 0, states: new Map(), lastMatched: new Map() };
}

/** The head of `chain`, created at the genesis when the chain was not seen before. */
export function chainState(walk: ChainWalk, chain: string): ChainState {
  const state = walk.states.get(chain) ?? {
    chain,
    records: 0,
    headSeq: 0,
    headHash: GENESIS_HASH,
    checkpoints: 0,
  };
  walk.states.set(chain, state);
  return state;
}

/** Moves the head of `state` onto the record `seq` whose hash is `hash`. */
export function advanceHead(state: ChainState, seq: number, hash: string): void {
  state.records += 1;
  state.headSeq = seq;
  state.headHash = hash;
}
