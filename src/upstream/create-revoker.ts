// One revocation against the cloud: resolve what it needs, then attempt the call until an
// attempt says it is done (revocation-attempt.ts: circuit → credentials → call → judge the
// answer → replay with fresh credentials once, or retry a transient failure inside the deadline).

import { setTimeout as delay } from 'node:timers/promises';
import type { EndpointLookup } from '../cloud/resolve-endpoints.ts';
import type { Config } from '../config/schema.ts';
import {
  createTokenCredentials,
  type UpstreamCredentials,
} from '../credentials/upstream-credentials.ts';
import type { TokenProvider, TokenScope } from '../iam/token-provider.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { OperationSpec, ServiceName } from '../operations/catalog.ts';
import { ProblemError } from '../problems/problem-error.ts';
import type { Secret } from '../text/redact-secrets.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import {
  attemptRevocation,
  failedResult,
  newAttemptState,
  type AttemptContext,
  type RevokerDeps,
} from './revocation-attempt.ts';
import type { ResolvedProject, RevocationRequest, RevocationResult, Revoker } from './revoker.ts';
import { createSendUpstream } from './send-upstream.ts';
import { createServiceBreakers } from './service-breakers.ts';
import { USER_AGENT } from './user-agent.ts';

export { NOT_FOUND_AFTER_UNKNOWN_ATTEMPT } from './revocation-attempt.ts';

export interface RevokerOptions {
  readonly upstream: Config['upstream'];
  /** The endpoint of a project's service, resolved at start-up (docs/upstream.md "Endpoints"). */
  readonly endpoints: EndpointLookup;
  /** IAM tokens in X-Auth-Token (password mode), unless `credentials` says otherwise. */
  readonly tokens?: TokenProvider;
  /** How each call proves the gateway (docs/credentials.md); default: `tokens`. */
  readonly credentials?: UpstreamCredentials;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Epoch ms; also what request deadlines are measured against. */
  readonly clock?: () => number;
  /** [0, 1), for the backoff jitter. */
  readonly random?: () => number;
  /** Waits between retries. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Defaults to `rescind/<package version>`. */
  readonly userAgent?: string;
  /** The gateway's own secrets (configSecrets): redacted from what the cloud says, like tokens. */
  readonly secrets?: readonly Secret[];
}

export function createRevoker(options: RevokerOptions): Revoker {
  const { upstream, metrics, logger } = options;
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const deps: RevokerDeps = {
    upstream,
    metrics,
    credentials: options.credentials ?? createTokenCredentials(requireTokens(options.tokens)),
    secrets: options.secrets ?? [],
    clock,
    random: options.random ?? Math.random,
    userAgent: options.userAgent ?? USER_AGENT,
    send: createSendUpstream({ maxBodyBytes: upstream.maxBodyBytes }),
    // Long enough for a connection blip or a restarting node; the breaker's own wait when longer.
    unavailableRetryAfter: Math.max(1, Math.ceil(upstream.backoffMaxMs / 1000)),
  };
  const breakers = createServiceBreakers({
    circuitBreaker: upstream.circuitBreaker,
    clock,
    metrics,
    logger,
  });

  async function revoke(request: RevocationRequest): Promise<RevocationResult> {
    const context = attemptContextOf(request, deps, breakers, options);
    const state = newAttemptState();
    if (context === undefined) return failedResult(state, misconfigured());
    for (;;) {
      const step = await attemptRevocation(context, state);
      if (step.kind === 'done') return step.result;
      if (step.delayMs !== undefined) await sleep(step.delayMs);
    }
  }

  return { revoke };
}

/** What every attempt of `request` shares, or undefined when the service has no endpoint. */
function attemptContextOf(
  request: RevocationRequest,
  deps: RevokerDeps,
  breakers: Readonly<Record<ServiceName, CircuitBreaker>>,
  options: RevokerOptions,
): AttemptContext | undefined {
  const { operation, project, requestId } = request;
  const service = operation.service;
  const log = options.logger.child({
    requestId,
    upstreamService: service,
    operation: operation.name,
  });
  const target = options.endpoints(project.alias, service);
  if (target === undefined) {
    log.error({ region: project.region }, 'the project has no endpoint for the service');
    return undefined;
  }
  return {
    deps,
    request,
    service,
    log,
    breaker: breakers[service],
    target,
    plan: operation.upstream({ projectId: project.id, requestId, target: request.target }),
    scope: tokenScopeOf(operation, project),
  };
}

function misconfigured(): ProblemError {
  return new ProblemError('INTERNAL', {
    detail: 'The gateway is misconfigured for this service. It is logged with this request id.',
  });
}

function requireTokens(tokens: TokenProvider | undefined): TokenProvider {
  if (tokens === undefined) throw new Error('createRevoker needs tokens or credentials');
  return tokens;
}

function tokenScopeOf(operation: OperationSpec, project: ResolvedProject): TokenScope {
  return operation.tokenScope === 'domain'
    ? { kind: 'domain' }
    : { kind: 'project', projectId: project.id, alias: project.alias };
}
