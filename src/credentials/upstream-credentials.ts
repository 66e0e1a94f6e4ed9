// The one question the revoker asks about credentials (docs/credentials.md): "authorize this
// upstream request". In password and oidc modes the answer is an IAM token in X-Auth-Token; in
// access-key and metadata modes it is an SDK-HMAC-SHA256 signature. The revoker does not know
// which: it sends what it gets, and tells the credentials when the cloud refused them.

import type { CredentialMode } from '../config/credentials-schema.ts';
import type { TokenProvider, TokenScope } from '../iam/token-provider.ts';
import type { UpstreamRequest } from '../upstream/build-upstream-request.ts';

export interface AuthorizeRequest {
  /** The service endpoint the request goes to (its host is signed). */
  readonly target: string;
  /** The request as built from the catalog, without credentials. */
  readonly request: UpstreamRequest;
  readonly scope: TokenScope;
  /** Epoch ms by which the whole revocation must be done: nobody waits for credentials past it. */
  readonly deadline: number;
  /** Epoch ms until which the credentials must stay valid: the end of the call about to be made. */
  readonly useUntil: number;
  readonly requestId: string;
}

export interface AuthorizedRequest {
  /** The request with the headers that prove the gateway. */
  readonly request: UpstreamRequest;
  /**
   * The secret that travelled with the request and that a service might quote back (the token,
   * the security token), redacted from its answers; '' when none did.
   */
  readonly quotable: string;
  /** The cloud said these credentials are no longer good: the next authorize renews them. */
  invalidate(): void;
}

/**
 * Implemented per mode (create-credentials.ts). Failures are thrown as ProblemError, like the
 * TokenProvider's: UPSTREAM_AUTH_FAILED, UPSTREAM_UNAVAILABLE (with retryAfter), or
 * UPSTREAM_THROTTLED; the revoker then makes no service call.
 */
export interface UpstreamCredentials {
  readonly mode: CredentialMode;
  authorize(call: AuthorizeRequest): Promise<AuthorizedRequest>;
}

/** password and oidc modes: an IAM token from the provider's cache, in X-Auth-Token. */
export function createTokenCredentials(
  tokens: TokenProvider,
  mode: CredentialMode = 'password',
): UpstreamCredentials {
  return {
    mode,
    async authorize(call) {
      const token = await tokens.getToken(call.scope, {
        deadline: call.deadline,
        useUntil: call.useUntil,
        requestId: call.requestId,
      });
      return {
        request: {
          ...call.request,
          headers: { 'x-auth-token': token.value, ...call.request.headers },
        },
        quotable: token.value,
        invalidate: () => {
          tokens.invalidate(call.scope, token.value);
        },
      };
    },
  };
}
