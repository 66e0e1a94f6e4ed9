// Reads an HTTP answer's body up to a byte bound, for every answer the gateway reads: the cloud
// services' (src/upstream/send-upstream.ts) and its own calls' (request-bounded.ts). Past the
// bound it stops and destroys the answer, so an oversized body costs the bound and its
// connection, never more; an answer cut off before its end is lost, not truncated.

import type { IncomingMessage } from 'node:http';

export interface BoundedBodyHandlers {
  /** The body, or its first `maxBytes` bytes (`truncated`) when it was longer. */
  readonly body: (body: Buffer, truncated: boolean) => void;
  /** The connection ended or failed before the body did; `error` when the stream gave one. */
  readonly lost: (error?: Error) => void;
}

/** Calls exactly one of the handlers, once. */
export function readBoundedBody(
  answer: IncomingMessage,
  maxBytes: number,
  handlers: BoundedBodyHandlers,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (report: () => void): void => {
    if (finished) return;
    finished = true;
    report();
  };
  answer.on('data', (chunk: Buffer) => {
    if (finished) return;
    const room = maxBytes - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      size = maxBytes;
      finish(() => {
        handlers.body(Buffer.concat(chunks, size), true);
      });
      // The rest is of no use and may be large.
      answer.destroy();
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
  });
  answer.once('end', () => {
    finish(() => {
      handlers.body(Buffer.concat(chunks, size), false);
    });
  });
  answer.once('close', () => {
    if (!answer.complete)
      finish(() => {
        handlers.lost();
      });
  });
  answer.on('error', (error) => {
    finish(() => {
      handlers.lost(error);
    });
  });
}
