// Fault injection: a queue of FaultSpecs, checked before normal handling, and the answers
// that stand in for the service's own. One parser serves injectFault() and POST /__sim/faults,
// so both reject the same mistakes.
import { STATUS_CODES } from 'node:http';
import type { ServerResponse } from 'node:http';
import {
  codeMessageResponse,
  encodedDenialResponse,
  errorResponse,
  JSON_TYPE,
  keystoneStringCodeResponse,
  nestedPairResponse,
  throttledError,
  tokenExpiredResponse,
} from './envelopes.ts';
import type { SimResponse } from './envelopes.ts';
import { SIM_SERVICES } from './simulator-types.ts';
import type { FaultKind, FaultSpec, SimService } from './simulator-types.ts';

export class FaultSpecError extends Error {
  readonly code = 'SIM_INVALID_FAULT';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid fault: ${problems.join('; ')}`);
    this.name = 'FaultSpecError';
    this.problems = problems;
  }
}

const COMMON_KEYS = ['service', 'kind', 'count', 'method', 'pathIncludes', 'takesEffect'];
const KIND_KEYS: Record<FaultKind, readonly string[]> = {
  status: ['status', 'body', 'headers'],
  html: ['status'],
  empty: ['status'],
  'truncated-json': ['status'],
  'lb-html': ['status'],
  'lb-empty': ['status'],
  'lb-truncated': ['status'],
  'encoded-403': [],
  'code-message': ['status'],
  'nested-pair': ['status'],
  'keystone-string-code': ['status'],
  oversized: ['status', 'sizeBytes'],
  delay: ['delayMs'],
  hang: [],
  reset: [],
  throttle: [],
  'token-expired': [],
};
const KINDS = Object.keys(KIND_KEYS) as FaultKind[];

/** What each kind answers: `npm run simulator -- --help` prints it (docs/upstream.md). */
export const FAULT_KIND_HELP: Readonly<Record<FaultKind, string>> = {
  status: 'answer {status, body?, headers?} as given',
  html: "a load balancer's HTML error page (default 502)",
  empty: 'an empty body (default 502)',
  'truncated-json': "the service's JSON error cut off mid-way (default 500)",
  'lb-html': 'an HTML page from a load balancer, without X-Request-Id (default 502)',
  'lb-empty': 'an empty body from a load balancer, without X-Request-Id (default 502)',
  'lb-truncated': 'cut-off JSON from a load balancer, without X-Request-Id (default 500)',
  'encoded-403':
    "403 in the service's envelope with encoded_authorization_message (flat; inside error for KMS and IAM)",
  'code-message': 'a top-level {"code","message"} body (default 400)',
  'nested-pair': 'a pair under another key: {"itemNotFound":{"code":404,"message"}} (default 404)',
  'keystone-string-code':
    'a Keystone body with a string code: {"error":{"code":"KMS.0101","message","title"}} (default 403)',
  oversized: 'a huge HTML body of sizeBytes, streamed (default 502)',
  delay: 'wait delayMs, then answer normally',
  hang: 'never answer',
  reset: 'reset the connection without answering',
  throttle: "429 with the service's throttling error and no Retry-After",
  'token-expired': "the service's answer to an expired token",
};

// Bounds that keep a typo from wedging a test run: a 10-minute delay or a 1 GiB body at most.
const MAX_DELAY_MS = 600_000;
const MAX_OVERSIZED_BYTES = 1024 ** 3;

// 1xx are interim answers, not something a fault can end a call with.
const isStatus = (value: unknown): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value >= 200 && value <= 599;

/**
 * Checks a fault from code or from JSON (where count may be the string "Infinity") and returns
 * it normalized; throws FaultSpecError listing every problem.
 */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FaultSpecError(['a fault must be an object']);
  }
  const raw = { ...(input as Record<string, unknown>) };
  const problems: string[] = [];
  if (typeof raw.service !== 'string' || !SIM_SERVICES.includes(raw.service as SimService)) {
    problems.push(`service must be one of ${SIM_SERVICES.join(', ')}`);
  }
  const kind = raw.kind as FaultKind;
  if (typeof raw.kind !== 'string' || !KINDS.includes(kind)) {
    problems.push(`kind must be one of ${KINDS.join(', ')}`);
    throw new FaultSpecError(problems);
  }
  const allowed = new Set([...COMMON_KEYS, ...KIND_KEYS[kind]]);
  for (const k of Object.keys(raw))
    if (!allowed.has(k)) problems.push(`unknown key "${k}" for kind ${kind}`);

  problems.push(...commonProblems(raw), ...kindProblems(kind, raw));
  if (problems.length > 0) throw new FaultSpecError(problems);
  return raw as FaultSpec;
}

/** Checks (and normalizes in `raw`) the keys every kind takes. */
function commonProblems(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (raw.count === 'Infinity') raw.count = Infinity;
  if (
    raw.count !== undefined &&
    raw.count !== Infinity &&
    !(typeof raw.count === 'number' && Number.isInteger(raw.count) && raw.count >= 1)
  ) {
    problems.push('count must be a positive integer or Infinity');
  }
  if (raw.method !== undefined && (typeof raw.method !== 'string' || raw.method === '')) {
    problems.push('method must be a non-empty string');
  }
  if (typeof raw.method === 'string') raw.method = raw.method.toUpperCase();
  if (raw.pathIncludes !== undefined && typeof raw.pathIncludes !== 'string') {
    problems.push('pathIncludes must be a string');
  }
  if (raw.takesEffect !== undefined && typeof raw.takesEffect !== 'boolean') {
    problems.push('takesEffect must be a boolean');
  }
  return problems;
}

/** Checks the keys that belong to `kind`. */
function kindProblems(kind: FaultKind, raw: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  if (kind === 'status' && !isStatus(raw.status))
    problems.push('status must be an integer from 200 to 599');
  if (kind !== 'status' && raw.status !== undefined && !isStatus(raw.status)) {
    problems.push('status must be an integer from 200 to 599');
  }
  if (
    kind === 'status' &&
    raw.body !== undefined &&
    typeof raw.body !== 'string' &&
    typeof raw.body !== 'object'
  ) {
    problems.push('body must be a string or a JSON value');
  }
  if (kind === 'status' && raw.headers !== undefined) {
    const headers = raw.headers;
    if (
      typeof headers !== 'object' ||
      headers === null ||
      Object.values(headers).some((v) => typeof v !== 'string')
    ) {
      problems.push('headers must map names to strings');
    }
  }
  if (
    kind === 'oversized' &&
    !(
      typeof raw.sizeBytes === 'number' &&
      Number.isInteger(raw.sizeBytes) &&
      raw.sizeBytes > 0 &&
      raw.sizeBytes <= MAX_OVERSIZED_BYTES
    )
  ) {
    problems.push(`sizeBytes must be an integer from 1 to ${MAX_OVERSIZED_BYTES}`);
  }
  if (
    kind === 'delay' &&
    !(
      typeof raw.delayMs === 'number' &&
      Number.isFinite(raw.delayMs) &&
      raw.delayMs >= 0 &&
      raw.delayMs <= MAX_DELAY_MS
    )
  ) {
    problems.push(`delayMs must be a number from 0 to ${MAX_DELAY_MS}`);
  }
  return problems;
}

interface QueuedFault {
  spec: FaultSpec;
  remaining: number;
}

export class FaultQueue {
  #queued: QueuedFault[] = [];

  add(spec: FaultSpec): void {
    const parsed = parseFaultSpec(spec);
    this.#queued.push({ spec: parsed, remaining: parsed.count ?? 1 });
  }

  clear(): void {
    this.#queued = [];
  }

  /** Faults still queued; exhausted ones are removed. */
  get pending(): number {
    return this.#queued.length;
  }

  /** The first queued fault matching the call, with one use consumed; undefined when none. */
  take(service: SimService, method: string, path: string): FaultSpec | undefined {
    for (let i = 0; i < this.#queued.length; i += 1) {
      const queued = this.#queued[i];
      if (queued === undefined) continue;
      const { spec } = queued;
      if (spec.service !== service) continue;
      if (spec.method !== undefined && spec.method !== method) continue;
      if (spec.pathIncludes !== undefined && !path.includes(spec.pathIncludes)) continue;
      queued.remaining -= 1;
      if (queued.remaining <= 0) this.#queued.splice(i, 1);
      return spec;
    }
    return undefined;
  }
}

const htmlPage = (status: number): string => {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
};

// What a proxy forwards when the upstream died mid-answer: valid JSON up to a point.
const TRUNCATED_JSON: Record<SimService, string> = {
  iam: '{"error":{"code":500,"message":"Internal ser',
  scm: '{"error_code":"SCM.9999","error_',
  apig: '{"error_code":"APIG.9999","error_',
  kms: '{"error":{"error_code":"KMS.0101","error_m',
  modelarts: '{"error_code":"ModelArts.0010","error_',
  metadata: '{"credential":{"access":"',
};

/**
 * The answer a fault gives in place of the service's, for the kinds that answer at once.
 * delay, hang, reset and oversized are handled by the server, which owns the socket.
 */
export function faultResponse(
  spec: FaultSpec,
  service: SimService,
  requestId: string,
): SimResponse | undefined {
  switch (spec.kind) {
    case 'status': {
      const headers: Record<string, string> = {};
      let body: string | undefined;
      if (typeof spec.body === 'string') {
        body = spec.body;
        headers['Content-Type'] = /^\s*[[{]/.test(body) ? JSON_TYPE : 'text/plain;charset=UTF-8';
      } else if (spec.body !== undefined) {
        body = JSON.stringify(spec.body);
        headers['Content-Type'] = JSON_TYPE;
      }
      return {
        status: spec.status,
        ...(body === undefined ? {} : { body }),
        headers: { ...headers, ...spec.headers },
      };
    }
    case 'html': {
      const status = spec.status ?? 502;
      return { status, body: htmlPage(status), headers: { 'Content-Type': 'text/html' } };
    }
    case 'empty':
      return { status: spec.status ?? 502 };
    case 'truncated-json':
      return {
        status: spec.status ?? 500,
        body: TRUNCATED_JSON[service],
        headers: { 'Content-Type': JSON_TYPE },
      };
    case 'lb-html':
    case 'lb-empty':
    case 'lb-truncated': {
      const kind = spec.kind === 'lb-truncated' ? 'truncated-json' : spec.kind.slice(3);
      const like = faultResponse({ ...spec, kind } as FaultSpec, service, requestId);
      return like === undefined ? undefined : { ...like, withoutRequestId: true };
    }
    case 'encoded-403':
      return encodedDenialResponse(service, requestId);
    case 'code-message':
      return codeMessageResponse(service, spec.status ?? 400);
    case 'nested-pair':
      return nestedPairResponse(spec.status ?? 404);
    case 'keystone-string-code':
      return keystoneStringCodeResponse(service, spec.status ?? 403);
    case 'throttle':
      return errorResponse(throttledError(service), requestId);
    case 'token-expired':
      return tokenExpiredResponse(service, requestId);
    case 'oversized':
    case 'delay':
    case 'hang':
    case 'reset':
      return undefined;
  }
}

// One filler chunk, built once and written repeatedly: an oversized answer costs no memory
// per call however large it is.
const CHUNK = Buffer.from('<p>upstream error</p>\n'.repeat(2979)); // ~64 KiB

/** Streams `sizeBytes` of HTML, honouring backpressure; stops if the client goes away. */
export function streamOversized(
  res: ServerResponse,
  status: number,
  sizeBytes: number,
  requestId: string,
): void {
  res.writeHead(status, { 'Content-Type': 'text/html', 'X-Request-Id': requestId });
  let remaining = sizeBytes;
  res.once('close', () => {
    remaining = 0;
  });
  const pump = (): void => {
    while (remaining > 0) {
      const n = Math.min(remaining, CHUNK.length);
      remaining -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.writableEnded) res.end();
  };
  pump();
}
