// Projects whose region is served by another IAM endpoint than the account's (docs/upstream.md
// "Endpoints") get their tokens there: one TokenProvider per distinct IAM endpoint, each with
// its own cache and in-flight exchanges, and calls routed to the one of the token's project.
// Domain-scoped tokens (SCM's global API) come from the account's IAM endpoint.

import type { TokenProvider, TokenScope } from './token-provider.ts';

export interface TokenRoutingOptions {
  /** The account's IAM endpoint (`cloud.iam.endpoint`). */
  readonly defaultEndpoint: string;
  /** Project id → the IAM endpoint its tokens come from. */
  readonly projectEndpoints: ReadonlyMap<string, string>;
  /** Builds the provider of one IAM endpoint. */
  readonly create: (endpoint: string) => TokenProvider;
}

export function routeTokensByEndpoint(options: TokenRoutingOptions): TokenProvider {
  const providers = new Map<string, TokenProvider>();
  const providerFor = (endpoint: string): TokenProvider => {
    let provider = providers.get(endpoint);
    if (provider === undefined) {
      provider = options.create(endpoint);
      providers.set(endpoint, provider);
    }
    return provider;
  };
  // Built up front: a misconfigured endpoint fails at start-up, not on the first request.
  providerFor(options.defaultEndpoint);
  for (const endpoint of options.projectEndpoints.values()) providerFor(endpoint);

  const route = (scope: TokenScope): TokenProvider =>
    providerFor(
      scope.kind === 'project'
        ? (options.projectEndpoints.get(scope.projectId) ?? options.defaultEndpoint)
        : options.defaultEndpoint,
    );
  return {
    getToken: (scope, request) => route(scope).getToken(scope, request),
    invalidate: (scope, token) => {
      route(scope).invalidate(scope, token);
    },
  };
}
