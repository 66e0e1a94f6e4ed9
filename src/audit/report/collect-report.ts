// Gathers a report from a source in two passes: the whole trail through verifyChain (a chain can
// only be verified from its first record), then the period's records into the counts and the
// table. Memory is bounded by the table's limit, whatever the trail's size.

import type { AuditRecord } from '../audit-record.ts';
import { verifyChain, type VerifyResult } from '../chain/verify-chain.ts';
import { createWitnessCheck, type Witnessed, type WitnessFinding } from '../chain/witness.ts';
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
  /** Checkpoint lines kept off the box (audit:verify --witness): the store must hold each. */
  readonly witness?: readonly Witnessed[];
}

export async function collectReport(
  source: ReportSource,
  options: CollectOptions,
): Promise<ReportData> {
  const track: PassTracker = options.track ?? ((_pass, items) => items);
  const verification = await verify(source, track, options.witness);
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

async function verify(
  source: ReportSource,
  track: PassTracker,
  witnessed: readonly Witnessed[] | undefined,
): Promise<ReportVerification> {
  const witness =
    witnessed === undefined ? undefined : createWitnessCheck(witnessed, source.publicKeys);
  const records = track('verify', source.verifiable());
  const chained = await verifyChain(witness?.tap(records) ?? records, {
    ...(source.checkpoints !== undefined ? { checkpoints: source.checkpoints } : {}),
    ...(source.publicKeys !== undefined ? { publicKey: source.publicKeys } : {}),
  });
  const result = witness === undefined ? chained : heldAgainstWitness(chained, witness.finding());
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

/** Only the witness catches a trail cut back, records and checkpoints alike, to an earlier point. */
function heldAgainstWitness(
  result: VerifyResult,
  finding: WitnessFinding,
): VerifyResult & { witnessed: number } {
  if (!result.ok || finding.ok) return { ...result, witnessed: finding.witnessed };
  return {
    ...result,
    ok: false,
    reason: finding.reason,
    ...(finding.chain !== undefined ? { chain: finding.chain } : {}),
    ...(finding.seq !== undefined ? { firstBadSeq: finding.seq } : {}),
    witnessed: finding.witnessed,
  };
}

function summaryOf(
  result: VerifyResult & { witnessed?: number },
  source: ReportSource,
): Omit<ReportVerification, 'ok' | 'reason' | 'firstBad'> {
  return {
    ...(result.witnessed !== undefined ? { witnessed: result.witnessed } : {}),
    chains: result.chains,
    records: result.records,
    checkpointsHeld: source.checkpoints?.length ?? 0,
    checkpointsMatched: result.checkpoints,
    signaturesChecked: result.signaturesChecked,
  };
}
