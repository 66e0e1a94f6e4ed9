import type { Request, Response } from 'express';
import type { AuditTrail } from '../audit/audit-trail.ts';
import { ProblemError, toProblemError } from '../problems/problem-error.ts';
import { PROBLEM_CONTENT_TYPE, renderProblem } from '../problems/render-problem.ts';
import { auditEventOf, auditOutcomeOf, auditResultOf } from './audit-facts.ts';
import { scopeOf } from './request-scope.ts';

export type Answer =
  | { readonly kind: 'success'; readonly body: (auditId: string | undefined) => unknown }
  | { readonly kind: 'problem'; readonly problem: ProblemError };

/**
 * The one step that writes a response, for success and error alike. On a revocation route it
 * first awaits the durable outcome record: no caller is told anything — above all not
 * `revoked` — before the audit trail holds it. If the outcome cannot be made durable, the
 * answer becomes 503 AUDIT_UNAVAILABLE.
 */
export async function respond(
  req: Request,
  res: Response,
  auditTrail: AuditTrail,
  answer: Answer,
): Promise<void> {
  const scope = scopeOf(res);
  let final = answer;
  const code = answer.kind === 'problem' ? answer.problem.code : null;
  const status = answer.kind === 'problem' ? answer.problem.status : 200;

  // When the attempt itself could not be written the store is failing: waiting for the outcome
  // would only double the caller's wait for the same 503. The outcome is still handed over, not
  // awaited: the trail keeps a refused outcome and writes it once the store recovers, so this
  // request is audited too (with `deferred` saying what the caller was told).
  const storeAlreadyFailed = code === 'AUDIT_UNAVAILABLE' && scope.attemptId === undefined;
  if (scope.operation !== undefined && storeAlreadyFailed) {
    void auditTrail
      .recordOutcome(auditEventOf(scope, req), auditOutcomeOf(scope, status, code))
      .then(
        () => undefined,
        () => undefined,
      );
  } else if (scope.operation !== undefined && !scope.outcomeRecorded) {
    try {
      const receipt = await auditTrail.recordOutcome(
        auditEventOf(scope, req),
        auditOutcomeOf(scope, status, code),
      );
      scope.outcomeRecorded = true;
      scope.auditId = receipt.id;
    } catch (error) {
      scope.log.error({ err: error }, 'audit outcome could not be made durable');
      final = { kind: 'problem', problem: toAuditUnavailable(error) };
    }
  }
  if (scope.operation !== undefined) {
    scope.result = auditResultOf(final.kind === 'problem' ? final.problem.code : null);
  }
  if (final.kind === 'problem') scope.code = final.problem.code;
  const auditId = scope.auditId ?? scope.attemptId;

  if (res.headersSent) return;
  if (final.kind === 'success') {
    res.status(200).json(final.body(auditId));
    return;
  }
  const problem = final.problem;
  for (const [name, value] of Object.entries(problem.headers ?? {})) res.setHeader(name, value);
  if (problem.retryAfter !== undefined) res.setHeader('Retry-After', String(problem.retryAfter));
  res
    .status(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(
      JSON.stringify(
        renderProblem(problem, {
          instance: req.originalUrl.split('?')[0] ?? req.originalUrl,
          requestId: scope.requestId,
          ...(auditId !== undefined ? { auditId } : {}),
        }),
      ),
    );
}

function toAuditUnavailable(error: unknown): ProblemError {
  const problem = toProblemError(error);
  return problem.code === 'AUDIT_UNAVAILABLE'
    ? problem
    : new ProblemError('AUDIT_UNAVAILABLE', {
        detail: 'The audit record could not be made durable; the answer is withheld.',
        cause: error,
      });
}
