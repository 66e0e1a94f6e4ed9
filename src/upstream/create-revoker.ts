// One revocation against the cloud: circuit → token → call → judge the answer → replay with a
// fresh token once, or retry a transient failure inside the deadline → result. Every decision
// is one of the small pure modules beside this one; this file only puts them in order.

import { setTimeout as delay } from 'node:timers/promises';
import type { EndpointLookup } from '../cloud/resolve-endpoints.ts';
import type { Config } from '../config/schema.ts';
import {
  createTokenCredentials,
  type AuthorizedRequest,
  type UpstreamCredentials,
} from '../credentials/upstream-credentials.ts';
import type { TokenProvider, TokenScope } from '../iam/token-provider.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { SERVICES, type OperationSpec, type ServiceName } from '../operations/catalog.ts';
import { ProblemError, type UpstreamSummary } from '../problems/problem-error.ts';
import { buildUpstreamRequest } from './build-upstream-request.ts';
import { checkUpstreamSuccess } from './check-upstream-success.ts';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.ts';
import { isTokenRejected, mapUpstreamFault, summaryOf } from './map-upstream-fault.ts';
import { parseUpstreamError, type UpstreamFault } from './parse-upstream-error.ts';
import type { Secret } from '../text/redact-secrets.ts';
import { redactTokenInFault } from './redact-token.ts';
import { decideRetry, isServiceFailure, isUnknownOutcome } from './retry-policy.ts';
import type { ResolvedProject, RevocationRequest, RevocationResult, Revoker } from './revoker.ts';
import { createSendUpstream, type SendUpstream } from './send-upstream.ts';
import { isNetworkFailure, type UpstreamAnswer, type UpstreamResponse } from './upstream-answer.ts';
import { USER_AGENT } from './user-agent.ts';

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

/** The audit `reason` when success was inferred from a 404 (docs/api.md "Errors"). */
export const NOT_FOUND_AFTER_UNKNOWN_ATTEMPT = 'not-found-after-unknown-attempt';

// A 404 from the API gateway in front of the service says the *API* does not exist (wrong
// endpoint or path), not the resource: it cannot confirm that an earlier attempt took effect.
const API_NOT_FOUND_CODES: ReadonlySet<string> = new Set(['APIGW.0101', 'APIG.0101']);

type Verdict =
  | {
      readonly kind: 'success';
      readonly response: UpstreamResponse;
      /** The cloud's request id, checked like an error's (it is echoed to the caller). */
      readonly requestId: string | undefined;
    }
  | { readonly kind: 'fault'; readonly fault: UpstreamFault; readonly contradiction?: string };

export function createRevoker(options: RevokerOptions): Revoker {
  const { upstream, metrics } = options;
  const credentials = options.credentials ?? createTokenCredentials(requireTokens(options.tokens));
  const secrets = options.secrets ?? [];
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const userAgent = options.userAgent ?? USER_AGENT;
  const send: SendUpstream = createSendUpstream({ maxBodyBytes: upstream.maxBodyBytes });
  // Long enough for a connection blip or a restarting node; the breaker's own wait when longer.
  const unavailableRetryAfter = Math.max(1, Math.ceil(upstream.backoffMaxMs / 1000));

  const breakers = new Map<ServiceName, CircuitBreaker>();
  for (const service of SERVICES) {
    metrics.circuitState.labels(service).set(0);
    breakers.set(
      service,
      createCircuitBreaker({
        failureThreshold: upstream.circuitBreaker.failureThreshold,
        openSeconds: upstream.circuitBreaker.openSeconds,
        clock,
        onStateChange: (state) => {
          // Half-open still refuses all but one call: it reads as "not closed".
          metrics.circuitState.labels(service).set(state === 'closed' ? 0 : 1);
          options.logger.warn({ service, circuit: state }, 'upstream circuit changed state');
        },
      }),
    );
  }
  const breakerOf = (service: ServiceName): CircuitBreaker => {
    const breaker = breakers.get(service);
    if (breaker === undefined) throw new Error(`no circuit breaker for service ${service}`);
    return breaker;
  };

  async function revoke(request: RevocationRequest): Promise<RevocationResult> {
    const { operation, project, requestId, deadline } = request;
    const service = operation.service;
    const log = options.logger.child({
      requestId,
      upstreamService: service,
      operation: operation.name,
    });
    const breaker = breakerOf(service);
    const target = options.endpoints(project.alias, service);
    if (target === undefined) {
      log.error({ region: project.region }, 'the project has no endpoint for the service');
      return {
        kind: 'failed',
        attempts: 0,
        problem: new ProblemError('INTERNAL', {
          detail:
            'The gateway is misconfigured for this service. It is logged with this request id.',
        }),
      };
    }
    const plan = operation.upstream({ projectId: project.id, requestId, target: request.target });
    const scope = tokenScopeOf(operation, project);

    let attempts = 0;
    let retriesUsed = 0;
    let replayed = false;
    let unknownEarlier = false;
    let last: ProblemError | undefined;
    const failed = (problem: ProblemError): RevocationResult => ({
      kind: 'failed',
      problem,
      attempts,
      ...(unknownEarlier ? { outcomeUnknown: true } : {}),
    });

    for (;;) {
      if (clock() >= deadline) return failed(timedOut(service, last));
      const admission = breaker.admit();
      if (!admission.allowed) {
        // Opened by this request's own failures: the last of them says more than "open".
        return failed(last ?? circuitOpen(service, admission.retryAfterSeconds));
      }
      const { ticket } = admission;

      let authorized: AuthorizedRequest;
      try {
        authorized = await credentials.authorize({
          target,
          request: buildUpstreamRequest(plan, {
            requestId,
            traceparent: request.traceparent,
            userAgent,
          }),
          scope,
          deadline,
          useUntil: Math.min(deadline, clock() + upstream.attemptTimeoutMs),
          requestId,
        });
      } catch (error) {
        ticket.released();
        if (error instanceof ProblemError) {
          log.warn({ code: error.code, attempts }, 'no credentials for the upstream call');
          return failed(error);
        }
        throw error;
      }
      const timeoutMs = Math.min(upstream.attemptTimeoutMs, deadline - clock());
      if (timeoutMs <= 0) {
        ticket.released();
        return failed(timedOut(service, last));
      }

      attempts += 1;
      let answer: UpstreamAnswer;
      try {
        answer = await send({ target, request: authorized.request, timeoutMs });
      } catch (error) {
        // send never rejects; if it did (a bug), the probe slot must not stay taken.
        ticket.released();
        throw error;
      }
      metrics.upstreamDuration
        .labels(service, statusClassOf(answer))
        .observe(answer.durationMs / 1000);

      const verdict = judge(answer, operation, authorized.quotable, secrets);
      if (verdict.kind === 'success') {
        ticket.succeeded();
        return {
          kind: 'revoked',
          upstream: successSummary(service, verdict.response, verdict.requestId),
          attempts,
        };
      }
      const { fault } = verdict;
      const serviceFailure = isServiceFailure(fault);
      if (serviceFailure) ticket.failed();
      else ticket.succeeded();
      // A 404 or 409 is an ordinary answer; an unreachable or unhealthy service is not.
      log[serviceFailure ? 'warn' : 'info'](
        {
          attempt: attempts,
          status: fault.status,
          code: fault.code,
          kind: fault.kind,
          network: fault.network,
          upstreamRequestId: fault.requestId,
          encodedAuthorizationMessage: fault.encodedAuthorizationMessage,
          durationMs: Math.round(answer.durationMs),
        },
        'upstream attempt failed',
      );

      if (
        fault.status === 404 &&
        unknownEarlier &&
        !(fault.code !== undefined && API_NOT_FOUND_CODES.has(fault.code))
      ) {
        log.info({ attempts }, 'not found after an attempt of unknown outcome: it took effect');
        return {
          kind: 'revoked',
          upstream: summaryOf(fault, service),
          attempts,
          reason: NOT_FOUND_AFTER_UNKNOWN_ATTEMPT,
        };
      }
      if (isTokenRejected(fault) && !replayed) {
        // docs/api.md "Cloud credentials": renew the credentials once, replay the call once.
        replayed = true;
        authorized.invalidate();
        metrics.upstreamRetries.labels(service, 'token-rejected').inc();
        continue;
      }
      if (isUnknownOutcome(fault)) unknownEarlier = true;

      last = mapUpstreamFault(fault, {
        service,
        now: clock(),
        throttleRetryAfterSeconds: upstream.throttleRetryAfterSeconds,
        unavailableRetryAfterSeconds: Math.max(
          unavailableRetryAfter,
          breaker.retryAfterSeconds() ?? 0,
        ),
        ...(verdict.contradiction === undefined ? {} : { contradiction: verdict.contradiction }),
      });
      const decision = decideRetry({
        fault,
        retriesUsed,
        retries: upstream.retries,
        now: clock(),
        deadline,
        attemptTimeoutMs: upstream.attemptTimeoutMs,
        backoff: { baseMs: upstream.backoffBaseMs, maxMs: upstream.backoffMaxMs },
        random,
      });
      if (!decision.retry) return failed(last);
      retriesUsed += 1;
      metrics.upstreamRetries.labels(service, retryReasonOf(fault)).inc();
      await sleep(decision.delayMs);
    }
  }

  return { revoke };
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

/** `token` is the one the call carried: a service quoting it (or a secret) back must not pass it on. */
function judge(
  answer: UpstreamAnswer,
  operation: OperationSpec,
  token: string,
  secrets: readonly Secret[],
): Verdict {
  const fault = redactTokenInFault(parseUpstreamError(answer), token, secrets);
  if (isNetworkFailure(answer) || answer.status < 200 || answer.status > 299) {
    return { kind: 'fault', fault };
  }
  const contradiction = checkUpstreamSuccess(operation.success, answer);
  return contradiction === undefined
    ? { kind: 'success', response: answer, requestId: fault.requestId }
    : { kind: 'fault', fault, contradiction };
}

function successSummary(
  service: string,
  response: UpstreamResponse,
  requestId: string | undefined,
): UpstreamSummary {
  return {
    service,
    status: response.status,
    ...(requestId === undefined ? {} : { requestId }),
  };
}

function timedOut(service: string, last: ProblemError | undefined): ProblemError {
  return new ProblemError('UPSTREAM_TIMEOUT', {
    detail: `The request's time ran out before the ${service} service answered.`,
    upstream: last?.upstream ?? { service },
  });
}

function circuitOpen(service: string, retryAfter: number): ProblemError {
  return new ProblemError('UPSTREAM_UNAVAILABLE', {
    detail: `The ${service} service has been failing; the gateway is not calling it for now.`,
    upstream: { service },
    retryAfter,
  });
}

/** The `status_class` label: 2xx…5xx, or `network` / `timeout` when nothing came back. */
function statusClassOf(answer: UpstreamAnswer): string {
  if (isNetworkFailure(answer)) return answer.error === 'timeout' ? 'timeout' : 'network';
  return `${Math.floor(answer.status / 100)}xx`;
}

/** The `reason` label of the retry counter: the network failure, or the status. */
function retryReasonOf(fault: UpstreamFault): string {
  return fault.kind === 'network' ? (fault.network ?? 'other') : String(fault.status ?? 0);
}
