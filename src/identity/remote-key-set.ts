// The SSO's signing keys from `identity.jwt.jwksUrl` (docs/api.md "Callers and permissions"),
// kept as jose's createRemoteJWKSet keeps them: fetched on first use and again once older than
// the cache's maximum age, refetched for an unknown `kid` at most once per cooldown, one fetch
// in flight at a time, and a failed fetch changes nothing. Fetched over node:http
// (src/net/request-bounded.ts) rather than by jose: its remote key set builds on the global
// fetch and Headers, which load Node's second HTTP stack, undici, into the gateway
// (docs/design/upstream-and-rate-limit.md "The gateway's own calls").

import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { requestBounded, RequestError, type BoundedAnswer } from '../net/request-bounded.ts';
import { USER_AGENT } from '../upstream/user-agent.ts';

export interface RemoteKeySetOptions {
  /** After a fetch, an unknown `kid` fetches the keys again only once this long has passed. */
  readonly cooldownMs: number;
  /** Keys fetched longer ago than this are fetched again before use. */
  readonly cacheMaxAgeMs: number;
  /** Bound on one fetch, body included. */
  readonly timeoutMs: number;
}

/** A JWKS is a few KB; anything this large is not one worth reading. */
const MAX_JWKS_BYTES = 512 * 1024;

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

export function createRemoteKeySet(url: URL, options: RemoteKeySetOptions): JWTVerifyGetKey {
  let local: LocalKeySet | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<LocalKeySet> | undefined;
  const within = (duration: number) => Date.now() < fetchedAt + duration;

  const reload = (): Promise<LocalKeySet> => {
    pending ??= fetchJwks(url, options.timeoutMs)
      .then((jwks) => {
        local = createLocalJWKSet(jwks);
        fetchedAt = Date.now();
        return local;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  return async (protectedHeader, token) => {
    const keys = local !== undefined && within(options.cacheMaxAgeMs) ? local : await reload();
    try {
      return await keys(protectedHeader, token);
    } catch (error) {
      // The SSO may have rotated a key in since the last fetch.
      if (!(error instanceof errors.JWKSNoMatchingKey) || within(options.cooldownMs)) throw error;
      return (await reload())(protectedHeader, token);
    }
  };
}

/** The JWKS as JSON; jose's errors for a timeout, a failed fetch or an unreadable answer. */
async function fetchJwks(url: URL, timeoutMs: number): Promise<JSONWebKeySet> {
  let answer: BoundedAnswer;
  try {
    answer = await requestBounded({
      url: url.href,
      method: 'GET',
      headers: { Accept: 'application/json, application/jwk-set+json', 'User-Agent': USER_AGENT },
      timeoutMs,
      maxBodyBytes: MAX_JWKS_BYTES,
    });
  } catch (error) {
    const code = error instanceof RequestError ? error.code : 'NETWORK_ERROR';
    if (code === 'DEADLINE') throw new errors.JWKSTimeout();
    throw new errors.JOSEError(`The JSON Web Key Set could not be fetched: ${code}`);
  }
  if (answer.status !== 200) {
    throw new errors.JOSEError('Expected 200 OK from the JSON Web Key Set HTTP response');
  }
  if (!answer.body.complete) {
    throw new errors.JOSEError('The JSON Web Key Set HTTP response is too large');
  }
  try {
    return JSON.parse(answer.body.text) as JSONWebKeySet;
  } catch (cause) {
    throw new errors.JOSEError('Failed to parse the JSON Web Key Set HTTP response as JSON', {
      cause,
    });
  }
}
