import { Router, type RequestHandler } from 'express';
import { methodNotAllowed } from './error-handler.ts';
import type { Metrics } from '../observability/metrics.ts';
import {
  createReadinessProbe,
  type CheckReadinessOptions,
  type ReadinessCheck,
} from '../observability/readiness.ts';

/** Paths that probes and scrapers call every few seconds; the access log keeps them at debug. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * `/healthz` (the process runs and answers), `/readyz` (every dependency is ready; 503 lists the
 * reasons), `/metrics` (Prometheus text). None needs a caller identity: they are for the
 * platform, and say nothing a caller could use (reasons are stable codes; details are logged).
 */
export function createHealthRoutes(
  checks: readonly ReadinessCheck[],
  metrics: Metrics,
  options: CheckReadinessOptions = {},
): Router {
  const router = Router();
  const probe = createReadinessProbe(checks, options);
  router.get('/healthz', noStore, (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', noStore, async (_req, res) => {
    const result = await probe();
    res
      .status(result.ready ? 200 : 503)
      .json({ status: result.ready ? 'ready' : 'not-ready', checks: result.checks });
  });
  router.get('/metrics', noStore, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  // Only GET and HEAD: TRACE, OPTIONS and the rest get the same 405 as any gateway route.
  for (const path of PROBE_PATHS) router.all(path, methodNotAllowed(['GET', 'HEAD']));
  return router;
}

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
