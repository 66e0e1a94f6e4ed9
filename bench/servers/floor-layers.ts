// The layers `npm run bench:ladder` adds to the durable floor (bench/servers/durable-floor.ts),
// one at a time, each as Rescind uses it, so that the step from the floor to Rescind can be split
// into what the libraries cost and what Rescind's own pipeline costs:
//   express  Express 5 with helmet, the revocation's route with its two parameters, res.json;
//   proxy    the upstream call through Rescind's own src/upstream/send-upstream.ts
//            (http-proxy-middleware on a request and response of its own);
//   log      one access line per request through Rescind's logger (src/observability/logger.ts,
//            the gateway's secrets scrubbed from it), from a child logger bound to the request
//            and inside its log context, as src/http/access-log.ts writes it;
//   audit    Rescind's audit trail (src/audit/open-audit-trail.ts, its defaults: the SQLite store
//            on its worker thread, sealed and chained records, checkpoints) instead of the
//            floor's own two commits: an attempt record before the call, an outcome after.

import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { openAuditTrail } from '../../src/audit/open-audit-trail.ts';
import type { AuditEvent } from '../../src/audit/audit-trail.ts';
import { configSchema } from '../../src/config/schema.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createLogContext } from '../../src/observability/log-context.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createSendUpstream } from '../../src/upstream/send-upstream.ts';

export interface UpstreamSpec {
  readonly target: URL;
  readonly path: string;
  readonly body: string;
  readonly token: string;
}

/** The cloud call through Rescind's upstream module; resolves with the status, 0 for none. */
export function proxiedCall(spec: UpstreamSpec): () => Promise<number> {
  const send = createSendUpstream({ maxBodyBytes: 64 * 1024 });
  const body = Buffer.from(spec.body);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(body.length),
    'x-auth-token': spec.token,
  };
  return async () => {
    const answer = await send({
      target: spec.target.origin,
      timeoutMs: 10_000,
      request: { method: 'POST', path: spec.path, headers, body },
    });
    return 'status' in answer ? answer.status : 0;
  };
}

/** A revocation as Rescind records it: attempt durable, the cloud call, outcome durable. */
export async function auditedRevocation(
  dbFile: string,
  callCloud: () => Promise<number>,
): Promise<(method: string, path: string) => Promise<number>> {
  const trail = await openAuditTrail({
    config: configSchema.shape.audit.parse({ sqlitePath: dbFile, instanceId: 'floor' }),
    metrics: createMetrics(new Registry(), { process: false }),
    logger: pino({ level: 'silent' }),
  });
  return async (_method, path) => {
    const startedAt = performance.now();
    const event: AuditEvent = {
      requestId: randomUUID(),
      actor: { subject: 'bench-caller', email: null, groups: ['secops'], via: 'jwt' },
      client: { ip: '127.0.0.1' },
      operation: 'kms.revokeGrant',
      project: { alias: 'default', id: null },
      target: { path },
    };
    const attempt = await trail.recordAttempt(event);
    const status = await callCloud();
    await trail.recordOutcome(event, {
      result: status === 200 ? 'revoked' : 'failed',
      status: status === 200 ? 200 : 502,
      code: status === 200 ? null : 'UPSTREAM_ERROR',
      upstream: { status, code: null, message: null, requestId: null },
      attempts: 1,
      durationMs: performance.now() - startedAt,
      attemptId: attempt.id,
    });
    return status;
  };
}

/** The revocation's route in Express (helmet first), with the access log when asked for. */
export function expressHandler(
  revoke: (method: string, path: string) => Promise<number>,
  options: { readonly logFile?: string; readonly secret: string },
): RequestListener {
  const app = express();
  app.set('etag', false);
  app.disable('x-powered-by');
  if (options.logFile !== undefined) app.use(accessLog(options.logFile, options.secret));
  app.use(helmet());
  app.delete('/v1/kms/keys/:keyId/grants/:grantId', (req, res, next) => {
    revoke(req.method, req.url).then((status) => {
      res.status(status === 200 ? 200 : 502);
      res.json({ result: status === 200 ? 'revoked' : 'failed', upstreamStatus: status });
    }, next);
  });
  return app;
}

function accessLog(file: string, secret: string): RequestHandler {
  const logger = createLogger({
    level: 'info',
    destination: pino.destination({ dest: file, sync: true }),
    secrets: [secret],
  });
  return (req, res, next) => {
    const requestId = randomUUID();
    const traceId = randomUUID().replaceAll('-', '');
    const log = logger.child({ requestId, traceId });
    const context = createLogContext({ requestId, traceId });
    const startedAt = performance.now();
    res.once('finish', () => {
      context.end();
      const durationMs = Math.round((performance.now() - startedAt) * 10) / 10;
      log.info(
        { method: req.method, path: req.path, status: res.statusCode, durationMs },
        'request',
      );
    });
    context.run(next);
  };
}
