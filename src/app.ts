import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { AuditTrail } from './audit/audit-trail.ts';
import { AUDIT_REPORT_PATH } from './http/audit-report-route.ts';
import type { Policy } from './authz/policy.ts';
import type { Config } from './config/schema.ts';
import { createAccessLog } from './http/access-log.ts';
import { createErrorHandler, methodNotAllowed, routeNotFound } from './http/error-handler.ts';
import { createHealthRoutes } from './http/health-routes.ts';
import { createRequestScope } from './http/create-request-scope.ts';
import type { UnauthenticatedLimit } from './http/unauthenticated-limit.ts';
import { authenticate, authorize, createRevocationPipeline } from './http/revocation-pipeline.ts';
import type { CallerResolver } from './identity/caller.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { ReadinessCheck } from './observability/readiness.ts';
import { OPERATIONS } from './operations/catalog.ts';
import type { Revoker } from './upstream/revoker.ts';

/** Everything the app is built from. `compose.ts` builds the real ones from a Config. */
export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly callers: CallerResolver;
  readonly policy: Policy;
  /** Per-caller rate limit; runs after authentication. */
  readonly rateLimit: RequestHandler;
  /** Per-address limit of requests without a valid identity; runs within authentication. */
  readonly unauthenticatedLimit?: UnauthenticatedLimit;
  readonly auditTrail: AuditTrail;
  /** `GET /v1/audit`, mounted after authentication and the `audit.read` check. */
  readonly auditQuery: RequestHandler;
  /** `GET /v1/audit/report`, mounted like `auditQuery`. */
  readonly auditReport: RequestHandler;
  readonly revoker: Revoker;
  readonly readiness: readonly ReadinessCheck[];
  readonly openapi: object;
  /** Epoch ms; the request's arrival time (and so its deadline) is read from it. */
  readonly clock?: () => number;
}

/** Paths as Express spells them: `/v1/kms/keys/{keyId}` → `/v1/kms/keys/:keyId`. */
export function toExpressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

export const AUDIT_PATH = '/v1/audit';
export const OPENAPI_PATH = '/openapi.json';

export function createApp(deps: AppDeps): Express {
  const app = express();
  // Exact routes: `/v1/KMS/...` is not a route. The client address is the TCP peer; forwarded
  // headers never change it (they carry identity only in trusted-headers mode).
  app.set('case sensitive routing', true);
  app.set('trust proxy', false);
  app.disable('x-powered-by');
  // A revocation's answer is an event, not a representation: no validators, no caching.
  app.set('etag', false);

  app.use(createRequestScope(deps.logger, deps.clock));
  app.use(createAccessLog(deps.metrics));
  app.use(helmet());
  app.use('/v1', noStore);
  app.use(escapeUndecodablePath);

  const allowed = new Map<string, string[]>();
  for (const operation of OPERATIONS) {
    const path = toExpressPath(operation.path);
    app.delete(path, ...createRevocationPipeline(operation, deps));
    allowed.set(path, [...(allowed.get(path) ?? []), 'DELETE']);
  }
  const auditReads: [string, RequestHandler][] = [
    [AUDIT_PATH, deps.auditQuery],
    [AUDIT_REPORT_PATH, deps.auditReport],
  ];
  for (const [path, handler] of auditReads) {
    app.get(
      path,
      authenticate(deps.callers, deps.unauthenticatedLimit),
      deps.rateLimit,
      authorize('audit.read', deps.policy),
      handler,
    );
    allowed.set(path, ['GET', 'HEAD']);
  }

  app.use(createHealthRoutes(deps.readiness, deps.metrics, { logger: deps.logger }));
  app.get(OPENAPI_PATH, (_req, res) => {
    res.json(deps.openapi);
  });
  // GET (and HEAD) only, like the probes: TRACE, POST… get the same 405 as elsewhere.
  allowed.set(OPENAPI_PATH, ['GET', 'HEAD']);
  for (const [path, methods] of allowed) app.all(path, methodNotAllowed(methods));

  app.use(routeNotFound);
  app.use(createErrorHandler(deps.auditTrail));
  return app;
}

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * Express decodes path parameters while matching routes and, when one does not decode (`%ZZ`,
 * a lone `%C3`), skips the route with a bare 400 (router's decodeParam): the refusal would name
 * no field and go unaudited. Escaping the `%` of such a segment lets the route match with the
 * literal text, which the validator then refuses like any other bad parameter.
 */
const escapeUndecodablePath: RequestHandler = (req, _res, next) => {
  const queryAt = req.url.indexOf('?');
  const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
  const escaped = path
    .split('/')
    .map((segment) => {
      try {
        decodeURIComponent(segment);
        return segment;
      } catch {
        return segment.replaceAll('%', '%25');
      }
    })
    .join('/');
  if (escaped !== path) req.url = escaped + (queryAt === -1 ? '' : req.url.slice(queryAt));
  next();
};
