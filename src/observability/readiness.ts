// `/readyz` (docs/api.md "Operating endpoints"): ready only when every dependency says so. Whoever
// can reach the port reads the answer, so a check that is not ready is shown there by a stable
// reason code only (`audit-store-not-durable`, `check-timed-out`…); what it actually said (a
// file path, `host:port/db`, a driver's message) goes to the log, where operators look.

import type { ReadinessReport } from '../audit/audit-trail.ts';
import type { Logger } from './logger.ts';

/** One dependency's readiness; `/readyz` is ready only when every check is. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<ReadinessCheckReport> | ReadinessCheckReport;
}

export interface ReadinessCheckReport extends ReadinessReport {
  /**
   * The stable reason code callers see when the check is not ready (kebab-case, no free text);
   * `<name>-unavailable` when the check gives none. `reasons` go to the log only.
   */
  readonly code?: string;
  /** A fixed sentence of ours an operator may want even when ready (what start-up recovery did). */
  readonly detail?: string;
}

export interface ReadinessResult {
  readonly ready: boolean;
  readonly checks: readonly {
    readonly name: string;
    readonly ready: boolean;
    /** Stable reason codes; empty when ready. */
    readonly reasons: readonly string[];
    readonly detail?: string;
  }[];
}

/** Probes give up after about a second; a check slower than this counts as not ready. */
export const DEFAULT_READINESS_TIMEOUT_MS = 800;

/** The codes every check may answer with, whatever it checks. */
export const CHECK_TIMED_OUT = 'check-timed-out';
export const CHECK_FAILED = 'check-failed';

export interface CheckReadinessOptions {
  readonly timeoutMs?: number;
  /** Where each check's own reasons go, once per change (probes ask every few seconds). */
  readonly logger?: Logger;
}

/** Runs every check; the same checks' reasons are logged when they change. */
export function createReadinessProbe(
  checks: readonly ReadinessCheck[],
  options: CheckReadinessOptions = {},
): () => Promise<ReadinessResult> {
  const logged = new Map<string, string>();
  return async () => {
    const results = await Promise.all(
      checks.map(async (check) => {
        const report = await runCheck(check, options.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS);
        logChange(options.logger, logged, check.name, report);
        return {
          name: check.name,
          ready: report.ready,
          reasons: report.ready ? [] : [report.code ?? `${check.name}-unavailable`],
          ...(report.detail === undefined ? {} : { detail: report.detail }),
        };
      }),
    );
    return { ready: results.every((result) => result.ready), checks: results };
  };
}

/** One round of checks, without logging (tests, tools). */
export function checkReadiness(
  checks: readonly ReadinessCheck[],
  options: CheckReadinessOptions = {},
): Promise<ReadinessResult> {
  return createReadinessProbe(checks, options)();
}

function logChange(
  logger: Logger | undefined,
  logged: Map<string, string>,
  name: string,
  report: ReadinessCheckReport,
): void {
  const state = report.ready ? '' : JSON.stringify([report.code, report.reasons]);
  if ((logged.get(name) ?? '') === state) return;
  logged.set(name, state);
  if (report.ready) logger?.info({ check: name }, 'readiness check is ready again');
  else logger?.warn({ check: name, code: report.code, reasons: report.reasons }, 'not ready');
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<ReadinessCheckReport> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessCheckReport>((resolve) => {
    timer = setTimeout(() => {
      resolve({
        ready: false,
        code: CHECK_TIMED_OUT,
        reasons: [`the ${check.name} check did not answer in ${timeoutMs} ms`],
      });
    }, timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ready: false,
      code: CHECK_FAILED,
      reasons: [`the ${check.name} check threw: ${message}`],
    };
  } finally {
    clearTimeout(timer);
  }
}
