import type { NetworkErrorKind } from './upstream-answer.ts';

// Node's error codes for a call that got no answer, grouped the way the retry policy and the
// contract (§2) distinguish them. Anything unlisted (TLS failures, EHOSTUNREACH…) is 'other'.
const KINDS: Readonly<Record<string, NetworkErrorKind>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NODATA: 'dns',
  EAI_NONAME: 'dns',
};

/** Classifies an error from Node's HTTP client by its `code`. */
export function classifyNetworkError(error: unknown): NetworkErrorKind {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return (typeof code === 'string' ? KINDS[code] : undefined) ?? 'other';
}
