// One attempt of a revocation: circuit → credentials → call → judge the answer → a step that
// says what comes next (done, or go again after a replay or a retry delay). Every decision is
// one of the small pure modules beside this one; this file only puts them in order.

import type { Config } from '../config/schema.ts';
import type {
  AuthorizedRequest,
  UpstreamCredentials,
} from '../credentials/upstream-credentials.ts';
import type { TokenScope } from '../iam/token-provider.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ServiceName, UpstreamPlan } from '../operations/catalog.ts';
import { ProblemError, type UpstreamSummary } from '../problems/problem-error.ts';
import type { Secret } from '../text/redact-secrets.ts';
import { buildUpstreamRequest } from './build-upstream-request.ts';
import { checkUpstreamSuccess } from './check-upstream-success.ts';
import type { CircuitBreaker, CircuitTicket } from './circuit-breaker.ts';
import { isTokenRejected, mapUpstreamFault, summaryOf } from './map-upstream-fault.ts';
import { parseUpstreamError, type UpstreamFault } from './parse-upstream-error.ts';
import { redactTokenInFault } from './redact-token.ts';
import { decideRetry, isServiceFailure, isUnknownOutcome } from './retry-policy.ts';
import type { RevocationRequest, RevocationResult } from './revoker.ts';
import type { SendUpstream } from './send-upstream.ts';
import { isNetworkFailure, type UpstreamAnswer, type UpstreamResponse } from './upstream-answer.ts';

/** The audit `reason` when success was inferred from a 404 (docs/api.md "Errors"). */
export const NOT_FOUND_AFTER_UNKNOWN_ATTEMPT = 'not-found-after-unknown-attempt';

// A 404 from the API gateway in front of the service says the *API* does not exist (wrong
// endpoint or path), not the resource: it cannot confirm that an earlier attempt took effect.
const API_NOT_FOUND_CODES: ReadonlySet<string> = new Set(['APIGW.0101', 'APIG.0101']);

/** What the revoker holds for every revocation, its options resolved. */
export interface RevokerDeps {
  readonly upstream: Config['upstream'];
  readonly credentials: UpstreamCredentials;
  readonly metrics: Metrics;
  readonly secrets: readonly Secret[];
  readonly clock: () => number;
  readonly random: () => number;
  readonly userAgent: string;
  readonly send: SendUpstream;
  /** Retry-After for an unreachable service, in seconds, unless its breaker says longer. */
  readonly unavailableRetryAfter: number;
}

/** What one revocation holds fixed across its attempts. */
export interface AttemptContext {
  readonly deps: RevokerDeps;
  readonly request: RevocationRequest;
  readonly service: ServiceName;
  readonly log: Logger;
  readonly breaker: CircuitBreaker;
  /** The service's endpoint for the project. */
  readonly target: string;
  readonly plan: UpstreamPlan;
  readonly scope: TokenScope;
}

/** What one revocation learns across its attempts. */
export interface AttemptState {
  attempts: number;
  retriesUsed: number;
  replayed: boolean;
  /** An earlier attempt may have taken effect (docs/api.md "Upstream calls"). */
  unknownEarlier: boolean;
  last: ProblemError | undefined;
}

export type AttemptStep =
  | { readonly kind: 'done'; readonly result: RevocationResult }
  /** Go again: at once after a credential replay, after `delayMs` for a retry. */
  | { readonly kind: 'again'; readonly delayMs?: number };

type Verdict =
  | {
      readonly kind: 'success';
      readonly response: UpstreamResponse;
      /** The cloud's request id, checked like an error's (it is echoed to the caller). */
      readonly requestId: string | undefined;
    }
  | FaultVerdict;

interface FaultVerdict {
  readonly kind: 'fault';
  readonly fault: UpstreamFault;
  readonly contradiction?: string;
}

export function newAttemptState(): AttemptState {
  return { attempts: 0, retriesUsed: 0, replayed: false, unknownEarlier: false, last: undefined };
}

export function failedResult(state: AttemptState, problem: ProblemError): RevocationResult {
  return {
    kind: 'failed',
    problem,
    attempts: state.attempts,
    ...(state.unknownEarlier ? { outcomeUnknown: true } : {}),
  };
}

function failedStep(state: AttemptState, problem: ProblemError): AttemptStep {
  return { kind: 'done', result: failedResult(state, problem) };
}

/** One call to the cloud, unless the deadline, the circuit or the credentials forbid it. */
export async function attemptRevocation(
  context: AttemptContext,
  state: AttemptState,
): Promise<AttemptStep> {
  const { deps, service, request } = context;
  if (deps.clock() >= request.deadline) return failedStep(state, timedOut(service, state.last));
  const admission = context.breaker.admit();
  if (!admission.allowed) {
    // Opened by this request's own failures: the last of them says more than "open".
    return failedStep(state, state.last ?? circuitOpen(service, admission.retryAfterSeconds));
  }
  const { ticket } = admission;
  const authorized = await authorizeAttempt(context, state, ticket);
  if (authorized instanceof ProblemError) return failedStep(state, authorized);
  const timeoutMs = Math.min(deps.upstream.attemptTimeoutMs, request.deadline - deps.clock());
  if (timeoutMs <= 0) {
    ticket.released();
    return failedStep(state, timedOut(service, state.last));
  }

  state.attempts += 1;
  const answer = await sendAttempt(context, ticket, authorized, timeoutMs);
  const verdict = judge(answer, context, authorized.quotable);
  if (verdict.kind === 'success') {
    ticket.succeeded();
    const upstream = successSummary(service, verdict.response, verdict.requestId);
    return { kind: 'done', result: { kind: 'revoked', upstream, attempts: state.attempts } };
  }
  if (isServiceFailure(verdict.fault)) ticket.failed();
  else ticket.succeeded();
  logFault(context, state, verdict.fault, answer);
  return afterFault(context, state, verdict, authorized);
}

/** The upstream request with the gateway's credentials, or the problem that there are none. */
async function authorizeAttempt(
  context: AttemptContext,
  state: AttemptState,
  ticket: CircuitTicket,
): Promise<AuthorizedRequest | ProblemError> {
  const { deps, request, target, plan, scope } = context;
  const { requestId, deadline } = request;
  try {
    return await deps.credentials.authorize({
      target,
      request: buildUpstreamRequest(plan, {
        requestId,
        traceparent: request.traceparent,
        userAgent: deps.userAgent,
      }),
      scope,
      deadline,
      useUntil: Math.min(deadline, deps.clock() + deps.upstream.attemptTimeoutMs),
      requestId,
    });
  } catch (error) {
    ticket.released();
    if (error instanceof ProblemError) {
      context.log.warn(
        { code: error.code, attempts: state.attempts },
        'no credentials for the upstream call',
      );
      return error;
    }
    throw error;
  }
}

/** Sends the call and measures it. */
async function sendAttempt(
  context: AttemptContext,
  ticket: CircuitTicket,
  authorized: AuthorizedRequest,
  timeoutMs: number,
): Promise<UpstreamAnswer> {
  const { deps, target, service } = context;
  let answer: UpstreamAnswer;
  try {
    answer = await deps.send({ target, request: authorized.request, timeoutMs });
  } catch (error) {
    // send never rejects; if it did (a bug), the probe slot must not stay taken.
    ticket.released();
    throw error;
  }
  deps.metrics.upstreamDuration
    .labels(service, statusClassOf(answer))
    .observe(answer.durationMs / 1000);
  return answer;
}

function logFault(
  context: AttemptContext,
  state: AttemptState,
  fault: UpstreamFault,
  answer: UpstreamAnswer,
): void {
  // A 404 or 409 is an ordinary answer; an unreachable or unhealthy service is not.
  context.log[isServiceFailure(fault) ? 'warn' : 'info'](
    {
      attempt: state.attempts,
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
}

/** After a failed call: success inferred, a replay with fresh credentials, a retry, or the end. */
function afterFault(
  context: AttemptContext,
  state: AttemptState,
  verdict: FaultVerdict,
  authorized: AuthorizedRequest,
): AttemptStep {
  const { deps, service } = context;
  const { fault } = verdict;
  if (fault.status === 404 && state.unknownEarlier && !isApiNotFound(fault)) {
    context.log.info(
      { attempts: state.attempts },
      'not found after an attempt of unknown outcome: it took effect',
    );
    const result: RevocationResult = {
      kind: 'revoked',
      upstream: summaryOf(fault, service),
      attempts: state.attempts,
      reason: NOT_FOUND_AFTER_UNKNOWN_ATTEMPT,
    };
    return { kind: 'done', result };
  }
  if (isTokenRejected(fault) && !state.replayed) {
    // docs/api.md "Cloud credentials": renew the credentials once, replay the call once.
    state.replayed = true;
    authorized.invalidate();
    deps.metrics.upstreamRetries.labels(service, 'token-rejected').inc();
    return { kind: 'again' };
  }
  if (isUnknownOutcome(fault)) state.unknownEarlier = true;
  state.last = problemOf(context, verdict);
  const { upstream } = deps;
  const decision = decideRetry({
    fault,
    retriesUsed: state.retriesUsed,
    retries: upstream.retries,
    now: deps.clock(),
    deadline: context.request.deadline,
    attemptTimeoutMs: upstream.attemptTimeoutMs,
    backoff: { baseMs: upstream.backoffBaseMs, maxMs: upstream.backoffMaxMs },
    random: deps.random,
  });
  if (!decision.retry) return failedStep(state, state.last);
  state.retriesUsed += 1;
  deps.metrics.upstreamRetries.labels(service, retryReasonOf(fault)).inc();
  return { kind: 'again', delayMs: decision.delayMs };
}

function problemOf(context: AttemptContext, verdict: FaultVerdict): ProblemError {
  const { deps, service, breaker } = context;
  return mapUpstreamFault(verdict.fault, {
    service,
    now: deps.clock(),
    throttleRetryAfterSeconds: deps.upstream.throttleRetryAfterSeconds,
    unavailableRetryAfterSeconds: Math.max(
      deps.unavailableRetryAfter,
      breaker.retryAfterSeconds() ?? 0,
    ),
    ...(verdict.contradiction === undefined ? {} : { contradiction: verdict.contradiction }),
  });
}

function isApiNotFound(fault: UpstreamFault): boolean {
  return fault.code !== undefined && API_NOT_FOUND_CODES.has(fault.code);
}

/** `token` is the one the call carried: a service quoting it (or a secret) back must not pass it on. */
function judge(answer: UpstreamAnswer, context: AttemptContext, token: string): Verdict {
  const fault = redactTokenInFault(parseUpstreamError(answer), token, context.deps.secrets);
  if (isNetworkFailure(answer) || answer.status < 200 || answer.status > 299) {
    return { kind: 'fault', fault };
  }
  const contradiction = checkUpstreamSuccess(context.request.operation.success, answer);
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
