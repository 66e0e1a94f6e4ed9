// The witness: checkpoints kept outside the box. Every signed checkpoint is also logged as one
// line (`"msg":"audit checkpoint"`), so the log pipeline holds a copy that someone who can
// rewrite the store and its checkpoints file cannot reach. `audit:verify --witness FILE` holds
// the store against those lines: every witnessed (chain, seq, hash) must be a record of the
// store, with that hash (docs/audit-trail.md "What protects what").

import type { KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { checkpointSignatureValid, toCheckpoint, type Checkpoint } from './checkpoint.ts';

/** The message of the log line each signed checkpoint is written as. */
export const CHECKPOINT_LOG_MESSAGE = 'audit checkpoint';

export interface Witnessed {
  readonly chain: string;
  readonly seq: number;
  readonly hash: string;
  /** Present when the line carries the whole signed checkpoint. */
  readonly checkpoint?: Checkpoint;
  /** The line of the witness file it came from. */
  readonly line: number;
}

export interface WitnessFinding {
  readonly ok: boolean;
  readonly reason: string;
  readonly chain?: string;
  readonly seq?: number;
  /** Witnessed checkpoints held against the store. */
  readonly witnessed: number;
}

/**
 * The checkpoint lines of a log file (pino's JSON lines, other messages skipped) or of an NDJSON
 * file of checkpoints. Lines that are not JSON (a log with other output) are skipped too.
 */
export async function readWitness(path: string): Promise<Witnessed[]> {
  const lines = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const witnessed: Witnessed[] = [];
  let number = 0;
  for await (const line of lines) {
    number += 1;
    const entry = parseWitnessLine(line, number);
    if (entry !== null) witnessed.push(entry);
  }
  return witnessed;
}

function parseWitnessLine(line: string, number: number): Witnessed | null {
  const start = line.indexOf('{');
  if (start === -1) return null;
  let value: unknown;
  try {
    value = JSON.parse(line.slice(start));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const fields = value as Record<string, unknown>;
  if (fields.msg !== undefined && fields.msg !== CHECKPOINT_LOG_MESSAGE) return null;
  const { chain, seq, hash, time, signature, keyId } = fields;
  if (typeof chain !== 'string' || typeof hash !== 'string') return null;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
  const signed =
    typeof time === 'string' && typeof signature === 'string'
      ? { checkpoint: toCheckpoint({ chain, seq, hash, time, signature, keyId }) }
      : {};
  return { chain, seq, hash, line: number, ...signed };
}

/**
 * Watches records stream by (to verifyChain) and remembers what each witnessed seq holds.
 * `finding()` after the stream ended: the first witnessed checkpoint the store lacks or
 * disagrees with, or a witness line whose signature the given keys do not confirm.
 */
export function createWitnessCheck(
  witnessed: readonly Witnessed[],
  keys: readonly KeyObject[] | undefined,
) {
  const wanted = new Map<string, Witnessed[]>();
  for (const entry of witnessed) {
    const key = `${entry.chain}\u0000${String(entry.seq)}`;
    wanted.set(key, [...(wanted.get(key) ?? []), entry]);
  }
  const found = new Map<string, string>();

  return {
    async *tap(records: AsyncIterable<unknown>): AsyncGenerator {
      for await (const record of records) {
        const { chain, seq, hash } = (record ?? {}) as Record<string, unknown>;
        if (typeof chain === 'string' && typeof seq === 'number' && typeof hash === 'string') {
          const key = `${chain}\u0000${String(seq)}`;
          if (wanted.has(key)) found.set(key, hash);
        }
        yield record;
      }
    },
    finding(): WitnessFinding {
      const count = witnessed.length;
      for (const entry of witnessed) {
        const where = { chain: entry.chain, seq: entry.seq, witnessed: count };
        if (keys !== undefined && entry.checkpoint !== undefined) {
          if (!checkpointSignatureValid(entry.checkpoint, keys)) {
            return {
              ok: false,
              ...where,
              reason: `the witnessed checkpoint of seq ${entry.seq} (witness line ${entry.line}) has no valid signature by the given key`,
            };
          }
        }
        const hash = found.get(`${entry.chain}\u0000${String(entry.seq)}`);
        if (hash === undefined) {
          return {
            ok: false,
            ...where,
            reason: `the store lacks seq ${entry.seq} of chain ${entry.chain}, which the witness (line ${entry.line}) saw checkpointed: records were removed`,
          };
        }
        if (hash !== entry.hash) {
          return {
            ok: false,
            ...where,
            reason: `seq ${entry.seq} of chain ${entry.chain} differs from the witnessed checkpoint (line ${entry.line}): the chain was rewritten`,
          };
        }
      }
      return { ok: true, reason: `${count} witnessed checkpoints held`, witnessed: count };
    },
  };
}
