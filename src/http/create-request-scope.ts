import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import type { Logger } from '../observability/logger.ts';
import { continueTrace } from '../observability/trace-context.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * A caller's request id is kept only when it is safe to log, audit and send upstream: short,
 * printable, no separators that could forge log lines or headers. Anything else is replaced.
 */
const SAFE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function acceptRequestId(value: string | string[] | undefined): string {
  return typeof value === 'string' && SAFE_REQUEST_ID.test(value) ? value : randomUUID();
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
