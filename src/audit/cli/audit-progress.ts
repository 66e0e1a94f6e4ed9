// The progress line of the audit CLIs for their two sources: the configured store (its size is
// the sum of its chains' head seqs, a few indexed lookups) and an NDJSON export (its size in
// bytes, against an estimate of the bytes read so far). Written to stderr, on a terminal only.

import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { AuditStore } from '../audit-store.ts';
import { createProgress, withProgress, type ProgressStream } from './progress.ts';

/** Where the line goes and the clock it is timed by: stderr and performance.now by default. */
export interface ProgressOutput {
  readonly stream?: ProgressStream;
  readonly clock?: () => number;
}

function progressFor(label: string, output: ProgressOutput) {
  return createProgress({
    stream: output.stream ?? process.stderr,
    clock: output.clock ?? (() => performance.now()),
    label,
  });
}

/** Every this many items, the size of one is measured to estimate the bytes read. */
const SAMPLE_EVERY = 64;

/** How many records the store holds: the head seq of each chain, visited one chain at a time. */
export async function countStoreRecords(store: AuditStore): Promise<number> {
  let total = 0;
  let after: { chain: string; seq: number } | undefined;
  for (;;) {
    const [first] = await store.query({ ...(after !== undefined ? { after } : {}), limit: 1 });
    if (first === undefined) return total;
    const head = await store.head(first.chain);
    const seq = Math.max(head?.seq ?? first.seq, first.seq);
    total += seq;
    after = { chain: first.chain, seq };
  }
}

/** `items` read from `store`, with a progress line that knows the store's size. */
export async function* storeProgress<T>(
  label: string,
  store: AuditStore,
  items: AsyncIterable<T>,
  output: ProgressOutput = {},
): AsyncGenerator<T> {
  const progress = progressFor(label, output);
  let total: number | undefined;
  if (progress.active) {
    try {
      total = await countStoreRecords(store);
    } catch {
      total = undefined;
    }
  }
  yield* withProgress(items, progress, (count) =>
    total === undefined || total === 0 ? undefined : count / total,
  );
}

/** `items` parsed from the NDJSON file at `path`, with a progress line that knows its size. */
export async function* fileProgress<T>(
  label: string,
  path: string,
  items: AsyncIterable<T>,
  output: ProgressOutput = {},
): AsyncGenerator<T> {
  const progress = progressFor(label, output);
  const size = progress.active ? (statSync(path, { throwIfNoEntry: false })?.size ?? 0) : 0;
  let sampledBytes = 0;
  let sampled = 0;
  yield* withProgress(items, progress, (count, item) => {
    if (size === 0) return undefined;
    if (sampled === 0 || count % SAMPLE_EVERY === 0) {
      sampledBytes += Buffer.byteLength(JSON.stringify(item)) + 1;
      sampled += 1;
    }
    return (count * sampledBytes) / sampled / size;
  });
}
