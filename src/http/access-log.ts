import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { createLogContext } from '../observability/log-context.ts';
import type { Metrics } from '../observability/metrics.ts';
import { PROBE_PATHS } from './health-routes.ts';
import { scopeOf } from './request-scope.ts';
import { boundLength } from '../text/scrub-text.ts';

/** A path is the caller's text: bounded, so a flood of long URLs cannot flood the log too. */
const MAX_LOGGED_PATH = 256;

/**
 * One access line per request, and the request-duration metric for revocations. The rest of the
 * request runs inside its log context, so lines that the token provider, the revoker or the
 * audit trail write for it carry its request id and trace id too. The line is written on
 * `finish`, or on `close` when the caller went away first; probes and scrapes log at debug.
 */
export function createAccessLog(metrics: Metrics): RequestHandler {
  return function accessLog(req, res, next) {
    const scope = scopeOf(res);
    const context = createLogContext({ requestId: scope.requestId, traceId: scope.trace.traceId });
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      context.end();
      const durationMs = performance.now() - scope.startedAt;
      const operation = scope.operation?.name;
      const path = boundLength(req.path, MAX_LOGGED_PATH, 'after');
      const level = PROBE_PATHS.has(req.path) && res.statusCode < 500 ? 'debug' : 'info';
      scope.log[level](
        {
          method: req.method,
          path,
          status: res.statusCode,
          ip: req.socket.remoteAddress,
          subject: scope.caller?.subject,
          operation,
          result: scope.result,
          code: scope.code,
          upstreamStatus: scope.upstream?.status,
          attempts: operation === undefined ? undefined : scope.attempts,
          durationMs: Math.round(durationMs * 10) / 10,
          aborted: !res.writableFinished,
        },
        'request',
      );
      if (operation !== undefined) {
        metrics.requestDuration
          .labels(operation, scope.result ?? 'failed', String(res.statusCode))
          .observe(durationMs / 1000);
      }
    };
    res.once('finish', done);
    res.once('close', done);
    context.run(next);
  };
}
