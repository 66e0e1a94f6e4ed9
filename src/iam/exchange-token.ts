// One call to IAM's token endpoint: POST {endpoint}/v3/auth/tokens?nocatalog=true with the
// password or the assume_role method. Every failure leaves as a ProblemError (iam-failure.ts).
import { requestBounded, RequestError, type BoundedAnswer } from '../net/request-bounded.ts';
import type { ProblemError } from '../problems/problem-error.ts';
import { tokenSecret, type Secret } from '../text/redact-secrets.ts';
import { safeRequestId } from '../text/safe-request-id.ts';
import { iamFailure } from './iam-failure.ts';
import { parseIamAnswer, type ExchangedToken } from './parse-iam-answer.ts';

export type { ExchangedToken } from './parse-iam-answer.ts';

/**
 * The most of IAM's answer that is read. With `nocatalog=true` a token answer is a few KB; an
 * error body is smaller still. Anything longer is not an answer worth buffering.
 */
export const MAX_IAM_ANSWER_BYTES = 64 * 1024;

export interface ExchangeTokenRequest {
  /** IAM's base URL, e.g. https://iam.myhuaweicloud.com (a trailing slash is fine). */
  readonly endpoint: string;
  /** Another token API of IAM than POST /v3/auth/tokens (the ID-token exchange), as a path. */
  readonly path?: string;
  /** Extra request headers (X-Idp-Id). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The auth body (build-auth-body.ts). It holds the password: it never leaves this call. */
  readonly body: Record<string, unknown>;
  /** Sent as X-Auth-Token: the service account's own token, for assume_role. */
  readonly authToken?: string;
  /** The whole exchange, answer body included, is abandoned after this long. */
  readonly timeoutMs: number;
  /** The gateway request that caused the exchange, sent as X-Request-Id for correlation. */
  readonly requestId?: string;
  /** What IAM's messages must not carry into a problem (the password), in any form. */
  readonly secrets: readonly Secret[];
  readonly clock: () => number;
}

export interface ExchangeOutcome {
  readonly token: ExchangedToken;
  /** IAM's X-Request-Id, for the log. */
  readonly requestId?: string;
}

export function tokenEndpoint(endpoint: string, path = '/v3/auth/tokens?nocatalog=true'): string {
  return `${endpoint.replace(/\/+$/, '')}${path}`;
}

export async function exchangeToken(request: ExchangeTokenRequest): Promise<ExchangeOutcome> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json;charset=utf8',
    Accept: 'application/json',
    ...request.headers,
  };
  if (request.authToken !== undefined) headers['X-Auth-Token'] = request.authToken;
  const requestId = safeRequestId(request.requestId, 'iam');
  if (requestId !== undefined) headers['X-Request-Id'] = requestId;
  const sentAt = request.clock();
  let answer: BoundedAnswer;
  try {
    // Never follows a redirect: it would carry the password to wherever it points (307/308
    // resend the body). IAM does not redirect its token endpoint; a 3xx means a wrong
    // endpoint, and parseIamAnswer refuses it.
    answer = await requestBounded({
      url: tokenEndpoint(request.endpoint, request.path),
      method: 'POST',
      headers,
      body: JSON.stringify(request.body),
      timeoutMs: request.timeoutMs,
      maxBodyBytes: MAX_IAM_ANSWER_BYTES,
    });
  } catch (error) {
    throw networkFailure(error, request.timeoutMs);
  }
  const secrets =
    request.authToken === undefined
      ? request.secrets
      : [...request.secrets, tokenSecret(request.authToken)];
  const parsed = parseIamAnswer(answer, { sentAt, now: request.clock(), secrets });
  if (!parsed.ok) throw parsed.error;
  return {
    token: parsed.token,
    ...(parsed.requestId === undefined ? {} : { requestId: parsed.requestId }),
  };
}

const unreachable = (reason: string): string => `IAM could not be reached (${reason}).`;

/** The detail for each code of a RequestError (request-bounded.ts); others are a network error. */
const DETAILS: Readonly<Record<string, string>> = {
  ECONNREFUSED: unreachable('connection refused'),
  ECONNRESET: unreachable('connection reset'),
  EPIPE: unreachable('connection reset'),
  SOCKET_CLOSED: unreachable('connection closed'),
  ENOTFOUND: unreachable('name not resolved'),
  EAI_AGAIN: unreachable('name not resolved'),
  ETIMEDOUT: unreachable('connect timeout'),
  EHOSTUNREACH: unreachable('host unreachable'),
  ENETUNREACH: unreachable('network unreachable'),
  // Answer headers over MAX_ANSWER_HEADER_BYTES (64 KiB); a token is ~9 KB today, so this means
  // an unusually large token or a misbehaving endpoint.
  HPE_HEADER_OVERFLOW: "IAM's answer headers were too large to read.",
};

/**
 * Node's errors are not passed on as they are: they may carry socket details, and nothing but a
 * fixed sentence and an error code should travel with the problem. The cause is rebuilt from the
 * code alone (RequestError keeps nothing else), which can hold no secret.
 */
function networkFailure(error: unknown, timeoutMs: number): ProblemError {
  const code = error instanceof RequestError ? error.code : 'NETWORK_ERROR';
  if (code === 'DEADLINE') {
    return iamFailure('unavailable', {
      detail: `IAM did not answer within ${timeoutMs} ms.`,
      cause: new Error('IAM token request timed out'),
    });
  }
  return iamFailure('unavailable', {
    detail: DETAILS[code] ?? unreachable('network error'),
    cause: new Error(`IAM token request failed: ${code}`),
  });
}
