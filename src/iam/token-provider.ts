/**
 * Which IAM token a call needs (docs/api.md "Cloud credentials"). Regional services take a token scoped to the
 * target project; SCM's global `/v3` API takes an account (domain) scoped token.
 */
export type TokenScope =
  | {
      readonly kind: 'project';
      readonly projectId: string;
      /** The configured alias; names the scope in metrics and logs instead of the id. */
      readonly alias?: string;
    }
  | { readonly kind: 'domain' };

export interface IamToken {
  /** The X-Subject-Token value. Never log it, return it or audit it. */
  readonly value: string;
  /** Epoch ms of `token.expires_at`. */
  readonly expiresAt: number;
}

export interface TokenRequestOptions {
  /**
   * Epoch ms by which the whole request must be done. The caller never waits for a token past
   * it (UPSTREAM_UNAVAILABLE); an exchange shared with other callers goes on for them, bounded
   * by `exchangeTimeoutMs`, and is cached if it succeeds.
   */
  readonly deadline: number;
  /**
   * Epoch ms until which the token must stay valid: the end of the call about to be made. A
   * cached token that could expire before then is not handed out (a freshly exchanged one is,
   * however short-lived: it is the best IAM gives).
   */
  readonly useUntil: number;
  /** Logged with, and sent to IAM as X-Request-Id on, the exchange this request triggers. */
  readonly requestId: string;
}

/**
 * Hands out IAM tokens that are valid for the call about to be made, exchanging the service
 * credentials when needed (cached per scope, refreshed ahead of expiry, one exchange in flight
 * per scope). Failures are thrown as ProblemError: UPSTREAM_AUTH_FAILED (IAM rejected the
 * credentials or the request), UPSTREAM_UNAVAILABLE (IAM unreachable, timed out, 5xx or
 * unreadable, or the caller's deadline passed first; with retryAfter), or UPSTREAM_THROTTLED
 * (IAM 429, with retryAfter); `upstream.service` is 'iam'. Implemented by createTokenProvider.
 */
export interface TokenProvider {
  getToken(scope: TokenScope, options: TokenRequestOptions): Promise<IamToken>;
  /**
   * Drops `token` from the cache (the cloud said it is no longer good) unless already replaced,
   * so the next getToken for `scope` exchanges again.
   */
  invalidate(scope: TokenScope, token: string): void;
}

/** The cache key: one token per project id, whichever alias asked for it. */
export function tokenScopeKey(scope: TokenScope): string {
  return scope.kind === 'domain' ? 'domain' : `project:${scope.projectId}`;
}

/**
 * The `scope` of metrics and logs: `project:<alias>`. `/metrics` is read without credentials,
 * and a project id is an account identifier an attacker can use; the alias is the gateway's own
 * name for it (the id only when a scope was built without one).
 */
export function tokenScopeLabel(scope: TokenScope): string {
  return scope.kind === 'domain' ? 'domain' : `project:${scope.alias ?? scope.projectId}`;
}
