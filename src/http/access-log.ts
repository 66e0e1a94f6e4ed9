import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import type { Metrics } from '../observability/metrics.ts';
import { scopeOf } from './request-scope.ts';

/**
 * One access line per request (request id and trace id come from the scope's child logger) and
 * the request-duration metric for revocations. Written on `finish`, or on `close` when the
 * caller went away first.
 */
export function createAccessLog(metrics: Metrics): RequestHandler {
  return function accessLog(req, res, next) {
    const scope = scopeOf(res);
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const durationMs = performance.now() - scope.startedAt;
      const operation = scope.operation?.name;
      scope.log.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          subject: scope.caller?.subject,
          operation,
          result: scope.result,
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
    next();
  };
}
