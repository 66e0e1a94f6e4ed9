// Where a revocation's time goes inside the gateway, from its own histograms' _sum and _count
// (GET /metrics) read before and after a run: the mean server-side duration of a request, of one
// audit commit as a caller waits for it (queue, thread hops and the commit itself), and of one
// upstream call. Means add up where quantiles do not: a revocation waits for two commits and one
// upstream call, and what is left is the gateway's own work and its event loop's queue.

const SERIES = {
  request: 'rescind_request_duration_seconds',
  auditCommit: 'rescind_audit_commit_duration_seconds',
  upstream: 'rescind_upstream_request_duration_seconds',
} as const;

type Phase = keyof typeof SERIES;
export type PhaseTotals = Record<Phase, { readonly sum: number; readonly count: number }>;
/** Mean milliseconds per request, per commit and per upstream call. */
export type PhaseMeans = Record<Phase, number>;

export async function scrapePhaseTotals(gatewayUrl: string): Promise<PhaseTotals> {
  const response = await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  return parsePhaseTotals(await response.text());
}

/** The three histograms' _sum and _count in a Prometheus text exposition. */
export function parsePhaseTotals(text: string): PhaseTotals {
  const totals = {} as Record<Phase, { sum: number; count: number }>;
  for (const phase of Object.keys(SERIES) as Phase[]) totals[phase] = { sum: 0, count: 0 };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const space = line.lastIndexOf(' ');
    const name = line.slice(0, space).replace(/\{.*$/, '');
    const value = Number(line.slice(space + 1));
    for (const [phase, series] of Object.entries(SERIES) as [Phase, string][]) {
      // Every label combination (operation, status, store…) counts: they are summed.
      if (name === `${series}_sum`) totals[phase].sum += value;
      if (name === `${series}_count`) totals[phase].count += value;
    }
  }
  return totals;
}

export function phaseMeans(before: PhaseTotals, after: PhaseTotals): PhaseMeans {
  const mean = (phase: Phase): number => {
    const count = after[phase].count - before[phase].count;
    return count > 0 ? ((after[phase].sum - before[phase].sum) / count) * 1000 : Number.NaN;
  };
  return { request: mean('request'), auditCommit: mean('auditCommit'), upstream: mean('upstream') };
}
