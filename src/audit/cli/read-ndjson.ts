import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** A line of an NDJSON file that is not JSON; verifyChain reports it as not a record. */
export interface UnreadableLine {
  readonly line: number;
  readonly unreadable: true;
}

/**
 * The values of an NDJSON file, one per non-empty line, read as a stream (constant memory).
 * The file must exist and be readable: open errors reject the first `next()`.
 */
export async function* readNdjson(path: string): AsyncGenerator {
  const lines = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as unknown;
    } catch {
      yield { line: number, unreadable: true } satisfies UnreadableLine;
    }
  }
}
