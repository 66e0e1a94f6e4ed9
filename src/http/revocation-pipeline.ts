// The one pipeline every revocation travels (STYLE: "One pipeline"). Each step is a small
// handler; the order is the design, and each position is explained where it is decided.

import express, { type RequestHandler } from 'express';
import type { AuditTrail } from '../audit/audit-trail.ts';
import type { Policy } from '../authz/policy.ts';
import type { Config } from '../config/schema.ts';
import type { CallerResolver } from '../identity/caller.ts';
import type { OperationSpec } from '../operations/catalog.ts';
import { ProblemError } from '../problems/problem-error.ts';
import type { Revoker } from '../upstream/revoker.ts';
import { auditEventOf } from './audit-facts.ts';
import { respond } from './respond.ts';
import { scopeOf } from './request-scope.ts';
import type { UnauthenticatedLimit } from './unauthenticated-limit.ts';
import { createValidateRequest, rawTargetOf } from './validate-request.ts';

export interface PipelineDeps {
  readonly config: Config;
  readonly callers: CallerResolver;
  readonly rateLimit: RequestHandler;
  readonly unauthenticatedLimit?: UnauthenticatedLimit;
  readonly policy: Policy;
  readonly auditTrail: AuditTrail;
  readonly revoker: Revoker;
}

export function createRevocationPipeline(
  operation: OperationSpec,
  deps: PipelineDeps,
): RequestHandler[] {
  return [
    // 1. From the moment a revocation route matches, the request is audited whatever happens:
    //    every refusal below ends in exactly one outcome record (the error handler's respond).
    bindOperation(operation),
    // 2. Identity first: limits and policy are per caller, and an anonymous request must learn
    //    nothing else about the route (not even whether its parameters are valid). Requests
    //    without a valid identity are limited per address here, before anything is written.
    authenticate(deps.callers, deps.unauthenticatedLimit),
    // 3. The rate limit before validation: a flood of malformed requests is still a flood, and
    //    each refused request costs an audit write.
    deps.rateLimit,
    // 4. Read and bound the body (413). A revocation takes no body; one that is sent must be
    //    JSON, and it is consumed here so that no caller byte is ever forwarded to the cloud.
    ...readBody(deps.config.server.bodyLimitBytes),
    // 5. Validate before authorizing: a denial's audit record then names a well-formed target
    //    and project, and validity reveals nothing (the rules are public in /openapi.json).
    createValidateRequest(operation, deps.config.cloud),
    // 6. Default-deny authorization of the operation's own permission.
    authorize(operation.name, deps.policy),
    // 7. Attempt record (durable) → token → cloud → normalize → outcome record → respond.
    revoke(operation, deps),
  ];
}

function bindOperation(operation: OperationSpec): RequestHandler {
  return function bindOperationStep(req, res, next) {
    const scope = scopeOf(res);
    scope.operation = operation;
    scope.target = rawTargetOf(operation, req.params, req.query);
    next();
  };
}

export function authenticate(
  callers: CallerResolver,
  unauthenticated?: UnauthenticatedLimit,
): RequestHandler {
  return async function authenticateStep(req, res, next) {
    const scope = scopeOf(res);
    try {
      scope.caller = await callers.authenticate({
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        peerAddress: req.socket.remoteAddress,
      });
    } catch (error) {
      if (!(error instanceof ProblemError) || error.code !== 'UNAUTHENTICATED') throw error;
      const refusal = await unauthenticated?.refuse(auditEventOf(scope, req));
      if (refusal === undefined || refusal === null) throw error;
      // Past the address's limit: no record of its own, the address's summary record counts it.
      scope.outcomeRecorded = true;
      throw refusal;
    }
    next();
  };
}

/** After validation on revocation routes, so the project the request targets is known. */
export function authorize(permission: string, policy: Policy): RequestHandler {
  return function authorizeStep(_req, res, next) {
    const { caller, project } = scopeOf(res);
    if (caller === undefined || !policy.allows(caller, permission, project?.alias)) {
      next(
        new ProblemError('FORBIDDEN', {
          detail:
            project === undefined
              ? `The caller may not perform ${permission}.`
              : `The caller may not perform ${permission} in project ${project.alias}.`,
        }),
      );
      return;
    }
    next();
  };
}

function readBody(limit: number): RequestHandler[] {
  const checkBody: RequestHandler = (req, _res, next) => {
    const body: unknown = req.body;
    if (Buffer.isBuffer(body) && body.length > 0) {
      try {
        JSON.parse(body.toString('utf8'));
      } catch {
        next(
          new ProblemError('INVALID_REQUEST', {
            detail: 'The request body is not valid JSON; revocation routes take no body.',
            errors: [{ field: 'body', message: 'must be empty or valid JSON' }],
          }),
        );
        return;
      }
    }
    next();
  };
  return [express.raw({ type: () => true, limit }), checkBody];
}

function revoke(operation: OperationSpec, deps: PipelineDeps): RequestHandler {
  return async function revokeStep(req, res) {
    const scope = scopeOf(res);
    const project = scope.project;
    const target = scope.target;
    if (project === undefined || target === undefined) throw new Error('revoke before validate');

    // Write-ahead: the cloud is not called unless the attempt is durable. A failure here is
    // AUDIT_UNAVAILABLE and goes to the error handler with no upstream call made.
    const attempt = await deps.auditTrail.recordAttempt(auditEventOf(scope, req));
    scope.attemptId = attempt.id;

    const result = await deps.revoker.revoke({
      operation,
      project,
      target,
      requestId: scope.requestId,
      traceparent: scope.trace.traceparent,
      deadline: scope.receivedAt + deps.config.upstream.deadlineMs,
    });
    scope.attempts = result.attempts;
    if (result.kind === 'failed') {
      scope.upstream = result.problem.upstream;
      // The cloud may have applied it (a reset or timeout after sending): the audit says so.
      if (result.outcomeUnknown === true) scope.reason = 'outcome-unknown';
      throw result.problem;
    }
    scope.upstream = result.upstream;
    if (result.reason !== undefined) scope.reason = result.reason;

    await respond(req, res, deps.auditTrail, {
      kind: 'success',
      body: (auditId) => ({
        result: 'revoked',
        operation: operation.name,
        project: project.alias,
        target,
        requestId: scope.requestId,
        auditId,
        upstream: {
          service: operation.service,
          status: result.upstream.status,
          requestId: result.upstream.requestId,
        },
      }),
    });
  };
}
