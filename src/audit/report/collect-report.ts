// Gathers a report from a source in two passes: the whole trail through verifyChain (a chain can
// only be verified from its first record), then the period's records into the counts and the
// table. Memory is bounded by the table's limit, whatever the trail's size.

import type { AuditRecord } from '../audit-record.ts';
import { verifyChain, type VerifyResult } from '../chain/verify-chain.ts';
import type { ReportData, ReportPeriod, ReportVerification } from './report-data.ts';
import { createSummaryBuilder } from './report-summary.ts';
import type { ReportSource } from './report-source.ts';

/** Records listed in the table at most; the counts cover every record of the period. */
export const DEFAULT_REPORT_MAX_RECORDS = 10_000;

/** Wraps a pass over the trail, e.g. with a progress line. */
export type PassTracker = <T>(
  pass: 'verify' | 'records',
  items: AsyncIterable<T>,
) => AsyncIterable<T>;

export interface CollectOptions {
  readonly period: ReportPeriod;
  readonly generatedBy: string;
  readonly generatedAt: string;
  readonly maxRecords?: number;
  readonly track?: PassTracker;
}

export async function collectReport(
  source: ReportSource,
  options: CollectOptions,
): Promise<ReportData> {
  const track: PassTracker = options.track ?? ((_pass, items) => items);
  const verification = await verify(source, track);
  const maxRecords = options.maxRecords ?? DEFAULT_REPORT_MAX_RECORDS;
  const summary = createSummaryBuilder();
  const records: AuditRecord[] = [];
  let recordsLeftOut = 0;
  for await (const record of track('records', source.inPeriod(options.period))) {
    summary.add(record);
    if (records.length < maxRecords) records.push(record);
    else recordsLeftOut += 1;
  }
  return {
    period: options.period,
    generatedAt: options.generatedAt,
    generatedBy: options.generatedBy,
    source: source.label,
    verification,
    summary: summary.result(),
    records,
    recordsLeftOut,
  };
}

async function verify(source: ReportSource, track: PassTracker): Promise<ReportVerification> {
  const result = await verifyChain(track('verify', source.verifiable()), {
    ...(source.checkpoints !== undefined ? { checkpoints: source.checkpoints } : {}),
    ...(source.publicKeys !== undefined ? { publicKey: source.publicKeys } : {}),
  });
  if (result.ok && source.checkpointsDamage !== undefined) {
    return {
      ...summaryOf(result, source),
      ok: false,
      reason: `the checkpoints file is damaged: ${source.checkpointsDamage}`,
      firstBad: {},
    };
  }
  const { firstBadSeq: seq, chain } = result;
  const record =
    seq !== undefined && chain !== undefined ? await source.recordAt(chain, seq) : undefined;
  return {
    ...summaryOf(result, source),
    ok: result.ok,
    reason: result.reason,
    ...(result.ok
      ? {}
      : {
          firstBad: {
            ...(chain !== undefined ? { chain } : {}),
            ...(seq !== undefined ? { seq } : {}),
            ...(record !== undefined ? { record } : {}),
          },
        }),
  };
}

function summaryOf(
  result: VerifyResult,
  source: ReportSource,
): Omit<ReportVerification, 'ok' | 'reason' | 'firstBad'> {
  return {
    chains: result.chains,
    records: result.records,
    checkpointsHeld: source.checkpoints?.length ?? 0,
    checkpointsMatched: result.checkpoints,
    signaturesChecked: result.signaturesChecked,
  };
}
