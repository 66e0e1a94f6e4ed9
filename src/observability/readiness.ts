// `/readyz` (docs/api.md "Operating endpoints"): ready only when every dependency says so, with each one's reasons.
// Reasons are shown to whoever can reach the port, so they pass through scrubReason: no known
// secret, no URL (a connection string may carry a password), whatever a check lets slip.

import type { ReadinessReport } from '../audit/audit-trail.ts';

/** One dependency's readiness; `/readyz` is ready only when every check is. */
export interface ReadinessCheck {
  readonly name: string;
  /** Reasons must never contain secrets or connection strings (they are scrubbed anyway). */
  check(): Promise<ReadinessCheckReport> | ReadinessCheckReport;
}

export interface ReadinessCheckReport extends ReadinessReport {
  /** What an operator may want to know even when ready (e.g. what start-up recovery did). */
  readonly detail?: string;
}

export interface ReadinessResult {
  readonly ready: boolean;
  readonly checks: readonly {
    readonly name: string;
    readonly ready: boolean;
    readonly reasons: readonly string[];
    readonly detail?: string;
  }[];
}

/** Probes give up after about a second; a check slower than this counts as not ready. */
export const DEFAULT_READINESS_TIMEOUT_MS = 800;

export interface CheckReadinessOptions {
  readonly timeoutMs?: number;
  /** Values that must never be shown (passwords, connection strings), scrubbed from reasons. */
  readonly secrets?: readonly string[];
}

export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  options: CheckReadinessOptions = {},
): Promise<ReadinessResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
  const secrets = options.secrets ?? [];
  const results = await Promise.all(
    checks.map(async (check) => {
      const report = await runCheck(check, timeoutMs);
      const scrub = (text: string) => scrubReason(text, secrets);
      return {
        name: check.name,
        ready: report.ready,
        reasons: report.reasons.map(scrub),
        ...(report.detail === undefined ? {} : { detail: scrub(report.detail) }),
      };
    }),
  );
  return { ready: results.every((result) => result.ready), checks: results };
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<ReadinessCheckReport> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessCheckReport>((resolve) => {
    timer = setTimeout(() => {
      resolve({
        ready: false,
        reasons: [`the ${check.name} check did not answer in ${timeoutMs} ms`],
      });
    }, timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
  } catch {
    // A check's own error message may name what it connects to; say only that it failed.
    return { ready: false, reasons: [`the ${check.name} check failed`] };
  } finally {
    clearTimeout(timer);
  }
}

const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'",;)]*/gi;

/**
 * Removes every known secret (also as URL-encoded) and every URL from a reason. A URL becomes
 * its scheme alone, `redis://…`: enough to tell which dependency, never where or with what.
 */
export function scrubReason(reason: string, secrets: readonly string[]): string {
  let text = reason;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      text = text.replaceAll(form, '[secret]');
    }
  }
  return text.replace(URL_PATTERN, (url) => `${url.slice(0, url.indexOf('://'))}://…`);
}
