// Signed checkpoints: at intervals the writer signs its chain head, `{chain, seq, hash, time}`,
// and appends it to a separate JSON-lines file. Someone who can rewrite the database can
// recompute a whole hash chain or cut its tail, but cannot sign: `audit:verify` then finds the
// head of a checkpoint missing or different (docs/audit-trail.md, "Tamper evidence").

import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import { checkpointKeyId } from './checkpoint-key.ts';
import { OWNER_ONLY_FILE_MODE, tightenDescriptor } from '../stores/owner-only-files.ts';

export interface Checkpoint {
  readonly chain: string;
  readonly seq: number;
  /** The hash of the record at `seq`. */
  readonly hash: string;
  /** UTC, ISO 8601 with milliseconds. */
  readonly time: string;
  /** Ed25519 over the canonical JSON of the other fields, base64url. */
  readonly signature: string;
  readonly keyId?: string;
}

export function signCheckpoint(
  head: { readonly chain: string; readonly seq: number; readonly hash: string },
  time: string,
  key: KeyObject,
): Checkpoint {
  const unsigned = {
    chain: head.chain,
    seq: head.seq,
    hash: head.hash,
    time,
    keyId: checkpointKeyId(key),
  };
  const signature = sign(null, Buffer.from(canonicalJson(unsigned), 'utf8'), key);
  return { ...unsigned, signature: signature.toString('base64url') };
}

/** Whether one of the keys (the one named by `keyId`, if any) signed this checkpoint. */
export function checkpointSignatureValid(
  checkpoint: Checkpoint,
  keys: readonly KeyObject[],
): boolean {
  const { signature, ...unsigned } = checkpoint;
  const data = Buffer.from(canonicalJson(unsigned), 'utf8');
  const candidates =
    checkpoint.keyId === undefined
      ? keys
      : keys.filter((key) => checkpointKeyId(key) === checkpoint.keyId);
  return candidates.some((key) => {
    try {
      return verify(null, data, key, Buffer.from(signature, 'base64url'));
    } catch {
      return false;
    }
  });
}

/** Appends one checkpoint line and fsyncs it (and the directory, when the file is new). */
export function appendCheckpoint(path: string, checkpoint: Checkpoint): void {
  const isNew = statSync(path, { throwIfNoEntry: false }) === undefined;
  const fd = openSync(path, 'a', OWNER_ONLY_FILE_MODE);
  try {
    // The umask cannot widen 0600, but a file an earlier version left looser is tightened.
    tightenDescriptor(fd);
    if (!isNew) repairTornTail(fd, path);
    writeSync(fd, `${canonicalJson(checkpoint)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (isNew) syncDirectory(dirname(path));
}

/**
 * A power cut can leave the last line half-written (no newline). Readers ignore such a tail, but
 * the next append would be glued onto it and turn the file unreadable. So before appending: a
 * tail that is a whole checkpoint only lacking its newline gets one; anything else is cut off.
 */
function repairTornTail(fd: number, path: string): void {
  const text = readFileSync(path);
  if (text.length === 0 || text[text.length - 1] === 0x0a) return;
  const cut = text.lastIndexOf(0x0a) + 1;
  if (parseCheckpoint(text.subarray(cut).toString('utf8')) !== null) writeSync(fd, '\n');
  else ftruncateSync(fd, cut);
}

function syncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Not every platform lets a directory be fsynced; the file itself is.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export class CheckpointFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFileError';
  }
}

/**
 * The checkpoints of a file, in file order. A last line without its newline is a write the
 * process did not finish (it died) and is ignored; any other line that is not a checkpoint
 * throws CheckpointFileError. A missing file throws the fs error (ENOENT).
 */
export function readCheckpoints(path: string): Checkpoint[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // After the last newline: '' normally, or a line the writer did not finish.
  const torn = lines.pop() ?? '';
  const complete = lines;
  const checkpoints: Checkpoint[] = [];
  for (const [index, line] of complete.entries()) {
    if (line.trim() === '') continue;
    const checkpoint = parseCheckpoint(line);
    if (checkpoint === null) {
      throw new CheckpointFileError(`${path} line ${index + 1} is not a checkpoint`);
    }
    checkpoints.push(checkpoint);
  }
  if (torn.trim() !== '') {
    const checkpoint = parseCheckpoint(torn);
    if (checkpoint !== null) checkpoints.push(checkpoint);
  }
  return checkpoints;
}

/** One checkpoint line (or stored row body); null when it is not a checkpoint. */
export function parseCheckpoint(line: string): Checkpoint | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const candidate = value as Record<string, unknown>;
  const { chain, seq, hash, time, signature, keyId } = candidate;
  if (
    typeof chain !== 'string' ||
    typeof seq !== 'number' ||
    !Number.isSafeInteger(seq) ||
    seq < 1 ||
    typeof hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(hash) ||
    typeof time !== 'string' ||
    typeof signature !== 'string' ||
    (keyId !== undefined && typeof keyId !== 'string')
  ) {
    return null;
  }
  return toCheckpoint({ chain, seq, hash, time, signature, keyId });
}

/** A checkpoint of fields already checked; `keyId` is kept only when it is a string. */
export function toCheckpoint(
  fields: Omit<Checkpoint, 'keyId'> & { readonly keyId: unknown },
): Checkpoint {
  const { chain, seq, hash, time, signature, keyId } = fields;
  return { chain, seq, hash, time, signature, ...(typeof keyId === 'string' ? { keyId } : {}) };
}

/** The newest checkpoint of a chain in a list read from a file, or null. */
export function lastCheckpointOf(
  checkpoints: readonly Checkpoint[],
  chain: string,
): Checkpoint | null {
  let last: Checkpoint | null = null;
  for (const checkpoint of checkpoints) {
    if (checkpoint.chain === chain && (last === null || checkpoint.seq >= last.seq)) {
      last = checkpoint;
    }
  }
  return last;
}
