// metadata mode (docs/credentials.md "Metadata keys"): temporary keys from the ECS/CCE metadata
// service, as Huawei's SDKs fetch them. First the session-token handshake
// (PUT /meta-data/latest/api/token with X-Metadata-Token-Ttl-Seconds; 404, 405 or 503 mean the
// service does not offer it), then GET /openstack/latest/securitykey, with X-Metadata-Token when
// there is one. Every call is bounded by a timeout and never follows a redirect: a redirect
// from a link-local address is not the metadata service.

import { parseKeystoneTime } from '../iam/parse-keystone-time.ts';
import { requestBounded, RequestError } from '../net/request-bounded.ts';
import { ProblemError } from '../problems/problem-error.ts';
import type { SigningKey } from './sign-request.ts';

export const SESSION_TOKEN_PATH = '/meta-data/latest/api/token';
export const SECURITY_KEY_PATH = '/openstack/latest/securitykey';
/** What the SDKs ask for: a session token that lasts six hours. */
export const SESSION_TOKEN_TTL_SECONDS = 6 * 60 * 60;
const MAX_ANSWER_BYTES = 64 * 1024;
const RETRY_AFTER_SECONDS = 2;

export interface TemporaryKey extends SigningKey {
  readonly securityToken: string;
  /** Epoch ms of `expires_at`. */
  readonly expiresAt: number;
}

export interface MetadataClientOptions {
  readonly url: string;
  readonly timeoutMs: number;
}

export interface MetadataClient {
  /** Fetches a fresh temporary key; throws ProblemError (service `metadata`). */
  fetchKey(): Promise<TemporaryKey>;
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

export function createMetadataClient(options: MetadataClientOptions): MetadataClient {
  // undefined: not asked yet; null: the service does not offer session tokens.
  let session: string | null | undefined;

  const call = async (method: string, path: string, headers: Record<string, string>) => {
    try {
      const answer = await requestBounded({
        url: `${options.url}${path}`,
        method,
        headers,
        timeoutMs: options.timeoutMs,
        maxBodyBytes: MAX_ANSWER_BYTES,
      });
      const { body } = answer;
      return { status: answer.status, text: body.complete ? body.text : '' } satisfies Answer;
    } catch (error) {
      throw unavailable(
        error instanceof RequestError && error.code === 'DEADLINE'
          ? `The metadata service did not answer within ${String(options.timeoutMs)} ms.`
          : 'The metadata service could not be reached.',
      );
    }
  };

  const handshake = async (): Promise<string | null> => {
    const answer = await call('PUT', SESSION_TOKEN_PATH, {
      'X-Metadata-Token-Ttl-Seconds': String(SESSION_TOKEN_TTL_SECONDS),
    });
    if (answer.status === 200 && answer.text.trim() !== '') return answer.text.trim();
    if ([404, 405, 503].includes(answer.status)) return null;
    throw failure(answer.status);
  };

  const getKey = (token: string | null): Promise<Answer> =>
    call('GET', SECURITY_KEY_PATH, token === null ? {} : { 'X-Metadata-Token': token });

  return {
    async fetchKey() {
      if (session === undefined) session = await handshake();
      let answer = await getKey(session);
      // A session token that expired or was revoked, or a service that has started to require
      // one: one new handshake, and one more try if it gave a token.
      if (answer.status === 401) {
        session = await handshake();
        if (session !== null) answer = await getKey(session);
      }
      if (answer.status !== 200) throw failure(answer.status);
      return parseSecurityKey(answer.text);
    },
  };
}

/** `{"credential":{"access","secret","securitytoken","expires_at"}}`, every field required. */
export function parseSecurityKey(text: string): TemporaryKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw unavailable('The metadata service sent a key that could not be read.');
  }
  const credential = (parsed as { credential?: Record<string, unknown> } | null)?.credential;
  const field = (name: string): string | undefined => {
    const value = credential?.[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const accessKey = field('access');
  const secretKey = field('secret');
  const securityToken = field('securitytoken');
  const expiresText = field('expires_at');
  const expiresAt = expiresText === undefined ? undefined : parseKeystoneTime(expiresText);
  if (
    accessKey === undefined ||
    secretKey === undefined ||
    securityToken === undefined ||
    expiresAt === undefined
  ) {
    throw unavailable('The metadata service sent a key that could not be read.');
  }
  return { accessKey, secretKey, securityToken, expiresAt };
}

function failure(status: number): ProblemError {
  // 4xx: the node has no agency (or refuses us); 3xx: a redirect we do not follow; 5xx: down.
  if (status >= 400 && status < 500) {
    return new ProblemError('UPSTREAM_AUTH_FAILED', {
      detail: `The metadata service refused to hand out a key (${String(status)}); is an agency attached to this node?`,
      upstream: { service: 'metadata', status },
    });
  }
  return unavailable(`The metadata service answered ${String(status)} instead of a key.`, status);
}

function unavailable(detail: string, status?: number): ProblemError {
  return new ProblemError('UPSTREAM_UNAVAILABLE', {
    detail,
    upstream: { service: 'metadata', ...(status === undefined ? {} : { status }) },
    retryAfter: RETRY_AFTER_SECONDS,
  });
}
