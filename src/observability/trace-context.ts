import { randomBytes } from 'node:crypto';

// W3C Trace Context: continue the caller's trace when it sent a valid `traceparent`, else
// start one; either way the gateway is a new span whose id goes upstream as the parent.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: string;
  /** The header value to send upstream. */
  readonly traceparent: string;
}

export function continueTrace(header: string | undefined): TraceContext {
  const match = header === undefined ? null : TRACEPARENT.exec(header.trim().toLowerCase());
  const spanId = randomBytes(8).toString('hex');
  if (match?.[1] && match[3] && !ALL_ZERO.test(match[1]) && !ALL_ZERO.test(match[2] ?? '0')) {
    return build(match[1], spanId, match[3]);
  }
  return build(randomBytes(16).toString('hex'), spanId, '01');
}

function build(traceId: string, spanId: string, flags: string): TraceContext {
  return { traceId, spanId, flags, traceparent: `00-${traceId}-${spanId}-${flags}` };
}
