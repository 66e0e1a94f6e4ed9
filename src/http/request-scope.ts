import type { Response } from 'express';
import type { AuditResult } from '../audit/audit-trail.ts';
import type { Caller } from '../identity/caller.ts';
import type { Logger } from '../observability/logger.ts';
import type { TraceContext } from '../observability/trace-context.ts';
import type { OperationSpec } from '../operations/catalog.ts';
import type { ProblemCode } from '../problems/catalog.ts';
import type { UpstreamSummary } from '../problems/problem-error.ts';
import type { ResolvedProject } from '../upstream/revoker.ts';

/**
 * Everything the gateway learns about one request as it travels the pipeline (the typed
 * per-request scope of oauth2-proxy). Created by `createRequestScope`; read by the
 * respond step, the audit outcome and the access log.
 */
export interface RequestScope {
  readonly requestId: string;
  readonly trace: TraceContext;
  /** performance.now() at arrival, for durations. */
  readonly startedAt: number;
  /** Epoch ms at arrival; the request's deadline counts from here. */
  readonly receivedAt: number;
  readonly log: Logger;
  caller?: Caller;
  /** Set as soon as a revocation route matched: from then on the request is audited. */
  operation?: OperationSpec;
  project?: ResolvedProject;
  /** The route's ids: validated values once validation passed, else as received (truncated). */
  target?: Record<string, string>;
  attemptId?: string;
  auditId?: string;
  outcomeRecorded: boolean;
  attempts: number;
  upstream?: UpstreamSummary;
  /** Why the result is what it is when not obvious (audit `reason`). */
  reason?: string;
  /** The audit result, for the access log and metrics. */
  result?: AuditResult;
  /** The problem code answered, if any, for the access log. */
  code?: ProblemCode;
}

declare module 'express-serve-static-core' {
  interface Locals {
    scope?: RequestScope;
  }
}

export function scopeOf(res: Response): RequestScope {
  const scope = res.locals.scope;
  if (scope === undefined)
    throw new Error('request scope missing: request-id middleware not mounted');
  return scope;
}
