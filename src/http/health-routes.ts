import { Router } from 'express';
import type { Metrics } from '../observability/metrics.ts';
import type { ReadinessCheck } from '../observability/readiness.ts';

/** `/healthz` (the process runs), `/readyz` (every dependency is ready), `/metrics`. */
export function createHealthRoutes(checks: readonly ReadinessCheck[], metrics: Metrics): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      checks.map(async (check) => {
        try {
          const report = await check.check();
          return { name: check.name, ready: report.ready, reasons: [...report.reasons] };
        } catch {
          return { name: check.name, ready: false, reasons: ['the check itself failed'] };
        }
      }),
    );
    const ready = results.every((result) => result.ready);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', checks: results });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
