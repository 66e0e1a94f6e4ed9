// The gateway's TokenProvider (docs/api.md "Cloud credentials"): exchanges the service account's credentials for
// IAM tokens, per scope, cached and refreshed ahead of expiry, one exchange in flight per scope.
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { ProblemError } from '../problems/problem-error.ts';
import {
  buildAssumeRoleAuthBody,
  buildAuthScope,
  buildPasswordAuthBody,
  type AgencyTarget,
  type PasswordCredentials,
} from './build-auth-body.ts';
import { exchangeIdToken } from './exchange-id-token.ts';
import { exchangeToken, type ExchangeOutcome, type ExchangedToken } from './exchange-token.ts';
import { exchangeResultOf } from './iam-failure.ts';
import { scrubMessage } from './parse-iam-answer.ts';
import { createTokenCache, type TokenCacheResult } from './token-cache.ts';
import {
  tokenScopeKey,
  tokenScopeLabel,
  type TokenProvider,
  type TokenScope,
} from './token-provider.ts';

export interface TokenProviderOptions {
  readonly iam: Config['cloud']['iam'];
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Epoch ms; default Date.now. Expiry and refresh decisions use it. */
  readonly clock?: () => number;
  /** oidc mode: exchange the platform's ID token instead of the password (docs/credentials.md). */
  readonly oidc?: OidcSettings;
}

export interface OidcSettings {
  readonly idpId: string;
  readonly tokenFile: string;
  /** The account id for the domain scope; else `iam.domain` names it. */
  readonly domainId?: string | undefined;
}

/**
 * Cache key (and metric label) of the service account's own token in agency mode: the first
 * step of assume_role, scoped to the account's own domain. Not a TokenScope a caller can ask
 * for, so it cannot collide with `domain`, which then means the agency's domain.
 */
export const OWN_TOKEN_KEY = 'own-domain';

type Method = 'password' | 'assume_role' | 'id_token';

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const { iam, metrics, logger } = options;
  const clock = options.clock ?? Date.now;
  const cache = createTokenCache({ marginMs: iam.tokenRefreshMarginSeconds * 1000, clock });
  const password = options.oidc === undefined ? passwordCredentialsOf(iam) : undefined;
  const secrets = password === undefined ? [] : [password.password];
  let agency: AgencyTarget | undefined;
  if (iam.agency !== undefined) {
    // The config schema already insists on this; a hand-built config gets told at once.
    if (iam.agencyDomain === undefined) {
      throw new Error('cloud.iam.agencyDomain is required when cloud.iam.agency is set');
    }
    agency = { domain: iam.agencyDomain, agency: iam.agency };
  }

  /** One IAM call, counted and logged (never with the token or the password). */
  const exchangeLogged = async (
    label: string,
    method: Method,
    requestId: string,
    run: () => Promise<ExchangeOutcome>,
  ): Promise<ExchangedToken> => {
    const started = performance.now();
    const durationMs = (): number => Math.round(performance.now() - started);
    try {
      const { token, requestId: iamRequestId } = await run();
      metrics.tokenExchanges.labels(label, 'success').inc();
      const facts = {
        scope: label,
        method,
        requestId,
        iamRequestId,
        durationMs: durationMs(),
        expiresAt: new Date(token.expiresAt).toISOString(),
      };
      if (token.expiresAt <= clock()) {
        logger.warn(facts, 'IAM issued a token that is already expired by this host clock');
      } else {
        logger.info(facts, 'IAM token issued');
      }
      return token;
    } catch (error) {
      const result = exchangeResultOf(error);
      metrics.tokenExchanges.labels(label, result).inc();
      const facts = { scope: label, method, requestId, durationMs: durationMs(), result };
      if (error instanceof ProblemError) {
        const reason = error.cause instanceof Error ? error.cause.message : undefined;
        logger.warn(
          { ...facts, code: error.code, upstream: error.upstream, reason },
          'IAM token exchange failed',
        );
        throw error;
      }
      // Not one of ours: a bug. Its message is scrubbed all the same before it is logged.
      const name = error instanceof Error ? error.name : typeof error;
      const message = error instanceof Error ? scrubMessage(error.message, secrets) : undefined;
      logger.error({ ...facts, errorName: name, errorMessage: message }, 'IAM token exchange bug');
      throw new ProblemError('INTERNAL', {
        detail: 'The gateway hit an unexpected error while obtaining an IAM token.',
      });
    }
  };

  const passwordExchange = (
    label: string,
    scope: Record<string, unknown>,
    requestId: string,
  ): Promise<ExchangedToken> =>
    exchangeLogged(label, 'password', requestId, () =>
      exchangeToken({
        endpoint: iam.endpoint,
        body: buildPasswordAuthBody(requirePassword(password), scope),
        timeoutMs: iam.exchangeTimeoutMs,
        requestId,
        secrets,
        clock,
      }),
    );

  const countHit = (label: string, result: TokenCacheResult): TokenCacheResult => {
    if (result.fromCache) {
      metrics.tokenCacheHits.labels(label).inc();
      logger.trace({ scope: label }, 'IAM token served from cache');
    }
    return result;
  };

  /** The service account's own token, the first step of assume_role; cached like any other. */
  const ownToken = async (requestId: string): Promise<TokenCacheResult> =>
    countHit(
      OWN_TOKEN_KEY,
      await cache.get(
        OWN_TOKEN_KEY,
        // It has to last through the assume_role call; the callers' deadlines bound their wait
        // on the whole exchange, so this inner wait needs none.
        { useUntil: clock() + iam.exchangeTimeoutMs, deadline: Number.POSITIVE_INFINITY },
        () =>
          passwordExchange(
            OWN_TOKEN_KEY,
            { domain: { name: requirePassword(password).domain } },
            requestId,
          ),
      ),
    );

  const assumeRole = async (
    target: AgencyTarget,
    scope: TokenScope,
    requestId: string,
  ): Promise<ExchangedToken> => {
    const label = tokenScopeLabel(scope);
    const step = (own: string): Promise<ExchangedToken> =>
      exchangeLogged(label, 'assume_role', requestId, () =>
        exchangeToken({
          endpoint: iam.endpoint,
          body: buildAssumeRoleAuthBody(target, buildAuthScope(scope, target.domain)),
          authToken: own,
          timeoutMs: iam.exchangeTimeoutMs,
          requestId,
          secrets,
          clock,
        }),
      );
    const own = await ownToken(requestId);
    try {
      return await step(own.token.value);
    } catch (error) {
      // A cached own token IAM no longer takes (revoked by a password change, say) would
      // otherwise fail every exchange until it expires: drop it and go once more with a new one.
      const stale =
        own.fromCache && error instanceof ProblemError && error.upstream?.status === 401;
      if (!stale) throw error;
      cache.invalidate(OWN_TOKEN_KEY, own.token.value);
      return step((await ownToken(requestId)).token.value);
    }
  };

  const idTokenExchange = (
    oidc: OidcSettings,
    scope: TokenScope,
    requestId: string,
  ): Promise<ExchangedToken> =>
    exchangeLogged(tokenScopeLabel(scope), 'id_token', requestId, () =>
      exchangeIdToken({
        endpoint: iam.endpoint,
        idpId: oidc.idpId,
        tokenFile: oidc.tokenFile,
        scope: idTokenScope(scope, oidc.domainId, iam.domain),
        timeoutMs: iam.exchangeTimeoutMs,
        requestId,
        clock,
      }),
    );

  const exchangeFor = (scope: TokenScope, requestId: string): Promise<ExchangedToken> => {
    if (options.oidc !== undefined) return idTokenExchange(options.oidc, scope, requestId);
    if (agency !== undefined) return assumeRole(agency, scope, requestId);
    const { domain } = requirePassword(password);
    return passwordExchange(tokenScopeLabel(scope), buildAuthScope(scope, domain), requestId);
  };

  return {
    async getToken(scope, request) {
      const key = tokenScopeKey(scope);
      const { token } = countHit(
        tokenScopeLabel(scope),
        await cache.get(key, request, () => exchangeFor(scope, request.requestId)),
      );
      return { value: token.value, expiresAt: token.expiresAt };
    },

    invalidate(scope, token) {
      const key = tokenScopeKey(scope);
      const dropped = cache.invalidate(key, token);
      logger.debug({ scope: tokenScopeLabel(scope), dropped }, 'IAM token invalidated');
    },
  };
}

function passwordCredentialsOf(iam: Config['cloud']['iam']): PasswordCredentials {
  const { domain, user, password } = iam;
  // The config schema already insists on these in password mode; a hand-built config is told.
  if (domain === undefined || user === undefined || password === undefined) {
    throw new Error('cloud.iam.domain, user and password are required in password mode');
  }
  return { domain, user, password };
}

function requirePassword(password: PasswordCredentials | undefined): PasswordCredentials {
  if (password === undefined) throw new Error('no password credentials in this mode');
  return password;
}

/** The ID-token exchange names the account by id when it is known, else by name. */
function idTokenScope(
  scope: TokenScope,
  domainId: string | undefined,
  domainName: string | undefined,
): Record<string, unknown> {
  if (scope.kind === 'project') return { project: { id: scope.projectId } };
  return { domain: domainId === undefined ? { name: domainName } : { id: domainId } };
}
