import { performance } from 'node:perf_hooks';
import type { Request } from 'express';
import type { AuditEvent, AuditOutcome, AuditResult } from '../audit/audit-trail.ts';
import type { ProblemCode } from '../problems/catalog.ts';
import type { RequestScope } from './request-scope.ts';

/** The request-level facts of the audit records, from what the pipeline learned so far. */
export function auditEventOf(scope: RequestScope, req: Request): AuditEvent {
  const caller = scope.caller;
  return {
    requestId: scope.requestId,
    actor: {
      subject: caller?.subject ?? null,
      email: caller?.email ?? null,
      groups: caller?.groups ?? [],
      via: caller?.via ?? null,
    },
    client: { ip: req.socket.remoteAddress ?? null },
    operation: scope.operation?.name ?? 'unknown',
    project: { alias: scope.project?.alias ?? null, id: scope.project?.id ?? null },
    target: scope.target ?? {},
  };
}

/** How a problem is classified in the audit trail. */
export function auditResultOf(code: ProblemCode | null): AuditResult {
  switch (code) {
    case null:
      return 'revoked';
    case 'UNAUTHENTICATED':
      return 'unauthenticated';
    case 'FORBIDDEN':
      return 'denied';
    case 'INVALID_REQUEST':
    case 'PAYLOAD_TOO_LARGE':
      return 'invalid';
    case 'RATE_LIMITED':
      return 'rate-limited';
    default:
      return 'failed';
  }
}

export function auditOutcomeOf(
  scope: RequestScope,
  status: number,
  code: ProblemCode | null,
): AuditOutcome {
  const upstream = scope.upstream;
  return {
    result: auditResultOf(code),
    status,
    code,
    upstream: upstream
      ? {
          status: upstream.status ?? null,
          code: upstream.code ?? null,
          message: upstream.message ?? null,
          requestId: upstream.requestId ?? null,
          ...(upstream.encodedAuthorizationMessage === undefined
            ? {}
            : { encodedAuthorizationMessage: upstream.encodedAuthorizationMessage }),
        }
      : null,
    attempts: scope.attempts,
    durationMs: Math.round(performance.now() - scope.startedAt),
    ...(scope.attemptId !== undefined ? { attemptId: scope.attemptId } : {}),
    ...(scope.reason !== undefined ? { reason: scope.reason } : {}),
  };
}
