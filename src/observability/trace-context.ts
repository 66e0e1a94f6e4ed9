import { randomBytes } from 'node:crypto';

// W3C Trace Context (https://www.w3.org/TR/trace-context/#traceparent-header): continue the
// caller's trace when it sent a valid `traceparent`, else start one; either way the gateway is a
// new span whose id goes upstream as the parent. The fields are lowercase hex by the spec's
// grammar, so an uppercase header is invalid like any other malformed one.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;
/** The only version whose layout is known; 0xff is forbidden. */
const VERSION = '00';
const SAMPLED = '01';

export interface TraceContext {
  readonly traceId: string;
  /** The gateway's own span, the parent of its upstream calls. */
  readonly spanId: string;
  readonly flags: string;
  /** True when the trace came from the caller's `traceparent`. */
  readonly continued: boolean;
  /** The header value to send upstream. */
  readonly traceparent: string;
}

export function continueTrace(header: string | undefined): TraceContext {
  const parent = header === undefined ? undefined : parseTraceparent(header.trim());
  const spanId = newId(8);
  if (parent === undefined) return build(newId(16), spanId, SAMPLED, false);
  return build(parent.traceId, spanId, parent.flags, true);
}

/** The caller's trace id and flags, or undefined when the header is not a valid traceparent. */
export function parseTraceparent(
  header: string,
): { readonly traceId: string; readonly parentId: string; readonly flags: string } | undefined {
  const match = TRACEPARENT.exec(header);
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags, rest] = match;
  if (version === undefined || traceId === undefined || parentId === undefined) return undefined;
  if (flags === undefined || version === 'ff') return undefined;
  // Version 00 has exactly four fields; a later version may append more, which we ignore.
  if (version === VERSION && rest !== undefined) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  return { traceId, parentId, flags };
}

function build(traceId: string, spanId: string, flags: string, continued: boolean): TraceContext {
  return {
    traceId,
    spanId,
    flags,
    continued,
    traceparent: `${VERSION}-${traceId}-${spanId}-${flags}`,
  };
}

function newId(bytes: number): string {
  // An all-zero id is invalid; at 2^-64 odds it is still cheaper to check than to explain.
  for (;;) {
    const id = randomHex(bytes);
    if (!ALL_ZERO.test(id)) return id;
  }
}

// Every request needs 24 random bytes for its ids; one getrandom call per request and id showed
// in the profile (docs/benchmarks.md), so they are cut from a pool, each byte used once — as
// crypto.randomUUID does with its own cache.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
