import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import type { Logger } from '../observability/logger.ts';
import { continueTrace } from '../observability/trace-context.ts';
import { safeRequestId } from '../text/safe-request-id.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * A caller's request id is kept only when it is safe to log, audit and send upstream: short,
 * printable, no separators that could forge log lines or headers. Anything else is replaced.
 */
export function acceptRequestId(value: string | string[] | undefined): string {
  return safeRequestId(value, 'caller') ?? randomUUID();
}

/**
 * Creates the request scope: request id (echoed on every response), trace context, logger.
 * `receivedAt` comes from `clock`, the clock the revoker counts the request's deadline with.
 */
export function createRequestScope(logger: Logger, clock: () => number = Date.now): RequestHandler {
  return function requestScope(req, res, next) {
    const requestId = acceptRequestId(req.headers['x-request-id']);
    const traceparent = req.headers.traceparent;
    const trace = continueTrace(typeof traceparent === 'string' ? traceparent : undefined);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.locals.scope = {
      requestId,
      trace,
      startedAt: performance.now(),
      receivedAt: clock(),
      log: logger.child({ requestId, traceId: trace.traceId }),
      outcomeRecorded: false,
      attempts: 0,
    };
    next();
  };
}
