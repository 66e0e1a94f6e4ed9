// What a report is made of: gathered by collect-report.ts from a store or an export, turned into
// HTML by render-report.ts. Records are in the shape GET /v1/audit returns, which holds no
// secret by construction (docs/audit-trail.md "Records").

import type { AuditRecord } from '../audit-record.ts';
import type { ChainSummary } from '../chain/verify-chain.ts';
import type { ReportSummary } from './report-summary.ts';

export interface ReportPeriod {
  /** ISO 8601, UTC: `since` ≤ time < `until`; absent: unbounded on that side. */
  readonly since?: string;
  readonly until?: string;
}

export interface ReportVerification {
  readonly ok: boolean;
  /** Witnessed checkpoints held against the store; absent when no witness was given. */
  readonly witnessed?: number;
  /** audit:verify's own words: `intact: …`, or what is wrong. */
  readonly reason: string;
  /** Where the trail first differs from an intact one. */
  readonly firstBad?: {
    readonly chain?: string;
    readonly seq?: number;
    /** The record stored at that position, when there is one. */
    readonly record?: AuditRecord;
  };
  readonly chains: readonly ChainSummary[];
  /** Records verified: the whole trail, not only the period. */
  readonly records: number;
  /** Signed checkpoints the chains were held against, and how many of them matched. */
  readonly checkpointsHeld: number;
  readonly checkpointsMatched: number;
  /** Whether checkpoint signatures were checked against a public key. */
  readonly signaturesChecked: boolean;
}

export interface ReportData {
  readonly period: ReportPeriod;
  /** ISO 8601, UTC. */
  readonly generatedAt: string;
  /** Who asked for it: a caller of the API, or the OS user and host of the CLI. */
  readonly generatedBy: string;
  /** The store's location or the export file's path. */
  readonly source: string;
  readonly verification: ReportVerification;
  /** Counts over every record in the period. */
  readonly summary: ReportSummary;
  /** The records the table shows, in (chain, seq) order: all of the period, up to a limit. */
  readonly records: readonly AuditRecord[];
  /** Records of the period beyond that limit, counted but not listed. */
  readonly recordsLeftOut: number;
}
