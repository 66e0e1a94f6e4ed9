import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { AuditTrail } from '../audit/audit-trail.ts';
import { ProblemError, toProblemError } from '../problems/problem-error.ts';
import { respond } from './respond.ts';
import { scopeOf } from './request-scope.ts';

/**
 * The only place that turns errors into problem+json. Errors from Express and body-parser are
 * translated by their documented `type`/`status`; anything unknown becomes INTERNAL with a fixed
 * sentence and is logged with the request id.
 */
export function createErrorHandler(auditTrail: AuditTrail): ErrorRequestHandler {
  return async function errorHandler(error: unknown, req, res, _next) {
    const scope = scopeOf(res);
    const problem = fromHttpError(error) ?? toProblemError(error);
    if (problem.code === 'INTERNAL') {
      scope.log.error({ err: problem.cause ?? error }, 'unexpected error');
    }
    if (res.headersSent) {
      // Too late for a problem document; end the exchange so the caller is not left waiting.
      res.destroy();
      return;
    }
    await respond(req, res, auditTrail, { kind: 'problem', problem });
  };
}

interface HttpErrorLike {
  readonly status?: unknown;
  readonly type?: unknown;
}

function fromHttpError(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError || typeof error !== 'object' || error === null)
    return undefined;
  const { status, type } = error as HttpErrorLike;
  if (type === 'entity.too.large' || status === 413) {
    return new ProblemError('PAYLOAD_TOO_LARGE', {
      detail: 'The request body is larger than the gateway accepts.',
      errors: [{ field: 'body', message: 'is too large' }],
    });
  }
  if (type === 'entity.parse.failed') {
    return new ProblemError('INVALID_REQUEST', {
      detail: 'The request body is not valid JSON.',
      errors: [{ field: 'body', message: 'must be empty or valid JSON' }],
    });
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    // Only identity, gzip, deflate, br and zstd are read, each applied once: a
    // stacked `gzip, gzip` or an unknown coding is the caller's mistake, not a gateway fault.
    const field = type === 'encoding.unsupported' ? 'Content-Encoding' : 'Content-Type';
    return new ProblemError('INVALID_REQUEST', {
      detail: `The request body's ${field} is not one the gateway reads.`,
      errors: [
        {
          field,
          message:
            field === 'Content-Encoding'
              ? 'must be identity, gzip, deflate, br or zstd, applied once'
              : 'has a charset the gateway does not read',
        },
      ],
    });
  }
  // Any other refusal of the request's bytes (bad compressed data, aborted upload…).
  if (error instanceof URIError || (typeof status === 'number' && status >= 400 && status < 500)) {
    return new ProblemError('INVALID_REQUEST', {
      detail: 'The request could not be read (malformed encoding or body).',
    });
  }
  return undefined;
}

export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(
    new ProblemError('ROUTE_NOT_FOUND', {
      detail: `No gateway route ${req.method} ${req.path}.`,
    }),
  );
};

export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  const allow = allowed.join(', ');
  return (req, _res, next) => {
    next(
      new ProblemError('METHOD_NOT_ALLOWED', {
        detail: `${req.method} is not allowed here; use ${allow}.`,
        headers: { Allow: allow },
      }),
    );
  };
}
