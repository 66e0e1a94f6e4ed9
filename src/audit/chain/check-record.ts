// The checks one record must pass to extend its chain: its seq follows the head, it links to the
// head's hash, its hash matches its content, and it matches the checkpoint of its seq, if any.

import type { ChainState } from './chain-walk.ts';
import type { ChainFailure } from './checkpoint-index.ts';
import type { Checkpoint } from './checkpoint.ts';
import { hashRecord } from './seal-record.ts';

export interface RecordLike {
  readonly chain: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export function isRecordLike(value: unknown): value is RecordLike {
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

/** The record's own hash when it extends the chain of `state`, else why it does not. */
export function checkRecord(
  item: RecordLike,
  state: ChainState,
): { readonly hash: string } | { readonly failure: ChainFailure } {
  const want = state.headSeq + 1;
  const fail = (reason: string) => ({ failure: { seq: want, chain: item.chain, reason } });
  if (item.seq > want) {
    return fail(
      `seq ${item.seq} appears where seq ${want} belongs: seq ${want} is missing or out of order`,
    );
  }
  if (item.seq < want) {
    return fail(
      `seq ${item.seq} appears where seq ${want} belongs (records reordered or duplicated)`,
    );
  }
  if (item.prevHash !== state.headHash) {
    return fail(
      `prevHash of seq ${want} is not the hash of seq ${want - 1} (a record was changed, removed or inserted before it)`,
    );
  }
  let hash: string;
  try {
    hash = hashRecord(item);
  } catch {
    return fail(`seq ${want} cannot be canonicalized`);
  }
  if (hash !== item.hash) return fail(`the hash of seq ${want} does not match its content`);
  return { hash };
}

/** Why the record `seq` of hash `hash` does not match its checkpoint. */
export function checkpointMismatch(
  checkpoint: Checkpoint,
  seq: number,
  hash: string,
  lastMatched: number,
): string | undefined {
  if (checkpoint.hash === hash) return undefined;
  return `the hash of seq ${seq} differs from the checkpoint signed at ${checkpoint.time}: the chain was rewritten after seq ${lastMatched} and at or before seq ${seq}`;
}
