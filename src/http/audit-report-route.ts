// GET /v1/audit/report: the report of `npm run audit:report` for a period, as HTML (docs/api.md
// "Audit records"). Mounted by app.ts after authentication, the rate limit and the `audit.read`
// check, like GET /v1/audit. It reads the configured store read-only, exactly as the CLI does,
// in batches that leave the event loop to the revocations in between.

import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { scopeOf } from './request-scope.ts';
import { ProblemError } from '../problems/problem-error.ts';
import type { AuditReadRecorder } from './audit-query-routes.ts';
import type { ReportPeriod } from '../audit/report/report-data.ts';
import type { ReportSource } from '../audit/report/report-source.ts';

export const AUDIT_REPORT_PATH = '/v1/audit/report';

const timestamp = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp' });
const querySchema = z.strictObject({ since: timestamp.optional(), until: timestamp.optional() });

export interface AuditReportHandlerOptions {
  readonly clock?: () => number;
  /** Audits the read (format `html`) before the page is sent, like GET /v1/audit. */
  readonly recorder?: AuditReadRecorder;
}

/**
 * The report's code loads with the first report asked for: a gateway that never serves one
 * keeps neither that code nor its source text in memory (docs/benchmarks.md, idle RSS).
 */
async function reportModules() {
  const [source, collect, render] = await Promise.all([
    import('../audit/report/report-source.ts'),
    import('../audit/report/collect-report.ts'),
    import('../audit/report/render-report.ts'),
  ]);
  return {
    openConfiguredReportSource: source.openConfiguredReportSource,
    collectReport: collect.collectReport,
    renderReport: render.renderReport,
  };
}

export function createAuditReportHandler(
  audit: Config['audit'],
  options: AuditReportHandlerOptions = {},
): RequestHandler {
  const clock = options.clock ?? Date.now;
  return async function auditReport(req, res) {
    const period = parsePeriod(req.query);
    const { openConfiguredReportSource, collectReport, renderReport } = await reportModules();
    let source: ReportSource;
    try {
      source = await openConfiguredReportSource(audit);
    } catch (error) {
      throw unavailable(error);
    }
    let html: string;
    let policy: string;
    let shown: number;
    try {
      const caller = scopeOf(res).caller;
      const data = await collectReport(source, {
        period,
        generatedAt: new Date(clock()).toISOString(),
        generatedBy: `${caller?.subject ?? 'unknown caller'} (GET ${AUDIT_REPORT_PATH})`,
      });
      ({ html, contentSecurityPolicy: policy } = renderReport(data));
      shown = data.records.length + data.recordsLeftOut;
    } catch (error) {
      throw error instanceof ProblemError ? error : unavailable(error);
    } finally {
      await source.close();
    }
    // Durable before the page leaves (fail closed): a ProblemError AUDIT_UNAVAILABLE otherwise.
    await options.recorder?.pageRead(req, res, { ...period, format: 'html' }, shown);
    // The page's own policy replaces the gateway's default one: it allows the report's inline
    // script and style by hash, and nothing else.
    res.setHeader('Content-Security-Policy', policy);
    res.status(200).type('html').send(html);
  };
}

function parsePeriod(raw: unknown): ReportPeriod {
  const parsed = querySchema.safeParse(raw);
  if (!parsed.success) {
    throw new ProblemError('INVALID_REQUEST', {
      detail: 'The audit report parameters are not valid.',
      errors: parsed.error.issues.flatMap((issue: z.core.$ZodIssue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({
              field: key,
              message: `is not a query parameter of ${AUDIT_REPORT_PATH}`,
            }))
          : [
              {
                field: String(issue.path[0] ?? 'query'),
                message:
                  issue.code === 'invalid_type' ? 'must be given once, as text' : issue.message,
              },
            ],
      ),
    });
  }
  const since = parsed.data.since === undefined ? undefined : iso(parsed.data.since);
  const until = parsed.data.until === undefined ? undefined : iso(parsed.data.until);
  if (since !== undefined && until !== undefined && until < since) {
    throw new ProblemError('INVALID_REQUEST', {
      detail: 'The audit report parameters are not valid.',
      errors: [{ field: 'until', message: 'must not be before since' }],
    });
  }
  return { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
}

function iso(value: string): string {
  return new Date(Date.parse(value)).toISOString();
}

function unavailable(error: unknown): ProblemError {
  return new ProblemError('AUDIT_UNAVAILABLE', {
    detail: 'The audit trail cannot be read right now.',
    cause: error,
  });
}
