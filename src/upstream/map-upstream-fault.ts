// The cloud's answer → the gateway's one error format (docs/api.md "Errors"), as a pure function. The
// revoker decides what to retry and when to replay with a fresh token; this decides what a
// final answer means. Details are fixed sentences: never a token, an endpoint or a stack.

import { parseRetryAfter } from '../iam/parse-retry-after.ts';
import type { ProblemCode } from '../problems/catalog.ts';
import { ProblemError, type UpstreamSummary } from '../problems/problem-error.ts';
import type { UpstreamFault } from './parse-upstream-error.ts';
import type { NetworkErrorKind } from './upstream-answer.ts';

/** Throttling answered under another status (docs/api.md "Cloud credentials"); any 429 is throttling too. */
export const THROTTLE_CODES: ReadonlySet<string> = new Set(['APIG.0308', 'APIGW.0308', 'IAM.0012']);

/** KMS's 403s that mean "this token is no longer good" rather than "not allowed". */
export const STALE_TOKEN_403_CODES: ReadonlySet<string> = new Set([
  'KMS.0301',
  'KMS.0302',
  'KMS.0303',
]);

export interface FaultMappingContext {
  readonly service: string;
  /** Epoch ms, for a Retry-After given as an HTTP date. */
  readonly now: number;
  /** Sent with UPSTREAM_THROTTLED when the cloud gave no Retry-After. */
  readonly throttleRetryAfterSeconds: number;
  /** Sent with UPSTREAM_UNAVAILABLE. */
  readonly unavailableRetryAfterSeconds: number;
  /** For a 2xx answer: why its body contradicts the operation's documented success. */
  readonly contradiction?: string;
}

export function isThrottled(fault: UpstreamFault): boolean {
  return fault.status === 429 || (fault.code !== undefined && THROTTLE_CODES.has(fault.code));
}

/** The token was refused as such: drop it, exchange once more and replay the call once. */
export function isTokenRejected(fault: UpstreamFault): boolean {
  return (
    fault.status === 401 ||
    (fault.status === 403 && fault.code !== undefined && STALE_TOKEN_403_CODES.has(fault.code))
  );
}

export function mapUpstreamFault(fault: UpstreamFault, context: FaultMappingContext): ProblemError {
  const { service } = context;
  const upstream = summaryOf(fault, service);
  const problem = (code: ProblemCode, detail: string, retryAfter?: number) =>
    new ProblemError(code, {
      detail,
      upstream,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });

  if (fault.kind === 'network') {
    const network = fault.network ?? 'other';
    if (network === 'timeout') {
      return problem('UPSTREAM_TIMEOUT', `The ${service} service did not answer in time.`);
    }
    return problem(
      'UPSTREAM_UNAVAILABLE',
      `The ${service} service could not be reached (${NETWORK_WORDS[network]}).`,
      context.unavailableRetryAfterSeconds,
    );
  }

  const status = fault.status ?? 0;
  // Throttling first: APIG.0308 is throttling whatever status carries it.
  if (isThrottled(fault)) {
    const retryAfter =
      parseRetryAfter(fault.retryAfter ?? null, context.now) ?? context.throttleRetryAfterSeconds;
    return problem(
      'UPSTREAM_THROTTLED',
      `The ${service} service is throttling the gateway; retry after ${retryAfter} s.`,
      retryAfter,
    );
  }
  // Reached only after the one replay with a fresh token was refused as well.
  if (isTokenRejected(fault)) {
    return problem(
      'UPSTREAM_AUTH_FAILED',
      `The ${service} service refused the gateway's credentials, also after renewing them once.`,
    );
  }
  switch (status) {
    case 400:
      return problem('UPSTREAM_REJECTED', `The ${service} service rejected the request (400).`);
    case 403:
      return problem(
        'UPSTREAM_FORBIDDEN',
        `The ${service} service refused the gateway's own account access (403).`,
      );
    case 404:
      return problem('NOT_FOUND', `The ${service} service says the resource does not exist.`);
    case 409:
      return problem(
        'CONFLICT',
        `The ${service} service refused because of the resource's state (409).`,
      );
  }
  // Other 4xx (405, 413, 415, 422…): the request as the gateway built it was not accepted, which
  // is what UPSTREAM_REJECTED tells a caller; none of them is worth retrying.
  if (status >= 400 && status < 500) {
    return problem('UPSTREAM_REJECTED', `The ${service} service rejected the request (${status}).`);
  }
  if (status >= 200 && status < 300) {
    return problem(
      'UPSTREAM_ERROR',
      `The ${service} service answered ${status}, but ${context.contradiction ?? 'not in the documented form'}.`,
    );
  }
  return problem(
    'UPSTREAM_ERROR',
    `The ${service} service answered ${status}${BODY_WORDS[fault.kind]}.`,
  );
}

const NETWORK_WORDS: Readonly<Record<Exclude<NetworkErrorKind, 'timeout'>, string>> = {
  refused: 'connection refused',
  reset: 'connection reset',
  dns: 'name resolution failed',
  other: 'network error',
};

const BODY_WORDS: Readonly<Record<UpstreamFault['kind'], string>> = {
  envelope: '',
  json: '',
  html: ' with an HTML page instead of a JSON error',
  text: ' with text instead of a JSON error',
  empty: ' with an empty body',
  'truncated-json': ' with a cut-off JSON body',
  oversized: ' with a body over the size limit',
  network: '',
};

/** What the audit record and the problem's `upstream` member keep of a fault. */
export function summaryOf(fault: UpstreamFault, service: string): UpstreamSummary {
  return {
    service,
    ...(fault.status === undefined ? {} : { status: fault.status }),
    ...(fault.code === undefined ? {} : { code: fault.code }),
    ...(fault.message === undefined ? {} : { message: fault.message }),
    ...(fault.requestId === undefined ? {} : { requestId: fault.requestId }),
    ...(fault.encodedAuthorizationMessage === undefined
      ? {}
      : { encodedAuthorizationMessage: fault.encodedAuthorizationMessage }),
  };
}
