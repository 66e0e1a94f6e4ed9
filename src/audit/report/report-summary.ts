// The counts a report shows, gathered record by record in one pass (pure: no I/O, no clock):
// outcomes per time bucket and result, per operation, caller and project, the cloud's error
// codes, and every mass revocation. Outcome records count: each request has exactly one.

import type { AuditRecord } from '../audit-record.ts';
import { AUDIT_RESULTS, type AuditResult } from '../audit-trail.ts';

/** The operation that revokes every user's authorization at once: listed one by one. */
export const MASS_REVOCATION_OPERATION = 'modelarts.deleteAllAuthorizations';

export type ResultCounts = Partial<Record<AuditResult, number>> & { total: number };

export interface CloudErrorCount {
  readonly code: string;
  readonly status: number | null;
  readonly count: number;
}

export interface ReportSummary {
  /** Records in the period (attempts and outcomes). */
  readonly records: number;
  readonly outcomes: number;
  readonly byResult: ResultCounts;
  /** Outcomes per UTC hour (the hour's start, epoch ms); the timeline may merge them by day. */
  readonly byHour: ReadonlyMap<number, ResultCounts>;
  readonly byOperation: ReadonlyMap<string, ResultCounts>;
  readonly byCaller: ReadonlyMap<string, ResultCounts>;
  readonly byProject: ReadonlyMap<string, ResultCounts>;
  readonly cloudErrors: readonly CloudErrorCount[];
  readonly massRevocations: readonly AuditRecord[];
}

export interface SummaryBuilder {
  add(record: AuditRecord): void;
  result(): ReportSummary;
}

/** How an unauthenticated caller is named in the breakdown. */
export const NO_CALLER = '(unauthenticated)';
export const NO_PROJECT = '(none)';

export const HOUR_MS = 3_600_000;

export function createSummaryBuilder(): SummaryBuilder {
  let records = 0;
  const byResult: ResultCounts = { total: 0 };
  const byHour = new Map<number, ResultCounts>();
  const byOperation = new Map<string, ResultCounts>();
  const byCaller = new Map<string, ResultCounts>();
  const byProject = new Map<string, ResultCounts>();
  const cloudErrors = new Map<string, CloudErrorCount>();
  const massRevocations: AuditRecord[] = [];
  return {
    add(record) {
      records += 1;
      const outcome = record.outcome;
      if (record.phase !== 'outcome' || outcome === undefined) return;
      const result = resultOf(outcome.result);
      count(byResult, result);
      const time = Date.parse(record.time);
      if (!Number.isNaN(time)) count(entry(byHour, time - (time % HOUR_MS)), result);
      count(entry(byOperation, record.operation), result);
      count(entry(byCaller, record.actor.subject ?? NO_CALLER), result);
      count(entry(byProject, projectName(record)), result);
      const upstream = outcome.upstream;
      if (upstream?.code != null) {
        const key = `${upstream.code}\u0000${String(upstream.status)}`;
        const known = cloudErrors.get(key);
        cloudErrors.set(key, {
          code: upstream.code,
          status: upstream.status,
          count: (known?.count ?? 0) + 1,
        });
      }
      if (record.operation === MASS_REVOCATION_OPERATION) massRevocations.push(record);
    },
    result() {
      return {
        records,
        outcomes: byResult.total,
        byResult,
        byHour: new Map([...byHour].sort(([a], [b]) => a - b)),
        byOperation: sortedByTotal(byOperation),
        byCaller: sortedByTotal(byCaller),
        byProject: sortedByTotal(byProject),
        cloudErrors: [...cloudErrors.values()].sort(
          (a, b) => b.count - a.count || a.code.localeCompare(b.code),
        ),
        massRevocations,
      };
    },
  };
}

/** A result the catalog does not know (a damaged record) still counts, as `unknown`. */
function resultOf(value: unknown): AuditResult {
  return AUDIT_RESULTS.includes(value as AuditResult) ? (value as AuditResult) : 'unknown';
}

export function projectName(record: AuditRecord): string {
  const { alias, id } = record.project;
  if (alias !== null && id !== null) return `${alias} (${id})`;
  return alias ?? id ?? NO_PROJECT;
}

function entry<K>(map: Map<K, ResultCounts>, key: K): ResultCounts {
  let counts = map.get(key);
  if (counts === undefined) {
    counts = { total: 0 };
    map.set(key, counts);
  }
  return counts;
}

function count(counts: ResultCounts, result: AuditResult): void {
  counts.total += 1;
  counts[result] = (counts[result] ?? 0) + 1;
}

function sortedByTotal(map: Map<string, ResultCounts>): ReadonlyMap<string, ResultCounts> {
  return new Map([...map].sort(([a, x], [b, y]) => y.total - x.total || a.localeCompare(b)));
}
