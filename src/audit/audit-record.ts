// The shape of one audit record as it is stored, exported, hashed and served by GET /v1/audit
// (docs/api.md "Audit records"). Field-level truncation flags follow one convention: a shortened string field
// `x` gets `xTruncated: true` and `xLength` (its original length in UTF-16 code units) beside it.

import type { AuditResult } from './audit-trail.ts';

export type AuditPhase = 'attempt' | 'outcome';

/** `prevHash` of the first record of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** No record, serialized as canonical JSON in UTF-8, is larger than this. */
export const AUDIT_RECORD_MAX_BYTES = 16 * 1024;

export interface AuditRecordActor {
  readonly subject: string | null;
  readonly email: string | null;
  readonly groups: readonly string[];
  readonly via: 'jwt' | 'trusted-headers' | null;
  readonly subjectTruncated?: true;
  readonly subjectLength?: number;
  readonly emailTruncated?: true;
  readonly emailLength?: number;
  /** Some groups were left out or shortened; `groupsLength` is how many there were. */
  readonly groupsTruncated?: true;
  readonly groupsLength?: number;
}

export interface AuditRecordUpstream {
  readonly status: number | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly requestId: string | null;
  /** Present only when the cloud sent one. */
  readonly encodedAuthorizationMessage?: string;
  readonly encodedAuthorizationMessageTruncated?: true;
  readonly encodedAuthorizationMessageLength?: number;
  readonly codeTruncated?: true;
  readonly codeLength?: number;
  readonly messageTruncated?: true;
  readonly messageLength?: number;
  readonly requestIdTruncated?: true;
  readonly requestIdLength?: number;
}

export interface AuditRecordOutcome {
  readonly result: AuditResult;
  /** What the pipeline answered the caller; null when nobody knows (a recovered attempt). */
  readonly status: number | null;
  readonly code: string | null;
  readonly codeTruncated?: true;
  readonly codeLength?: number;
  readonly upstream: AuditRecordUpstream | null;
  /** Upstream attempts made; null when unknown (a recovered attempt). */
  readonly attempts: number | null;
  readonly durationMs: number | null;
  /** The attempt record this outcome closes. */
  readonly attemptId?: string;
  readonly reason?: string;
  readonly reasonTruncated?: true;
  readonly reasonLength?: number;
  /** Reads of the audit trail (`operation: "audit.read"`): records sent to the reader. */
  readonly records?: number;
  /**
   * Present when the outcome could not be made durable in time and was written later, once the
   * store recovered: the caller had meanwhile been answered `answeredStatus`/`answeredCode`.
   */
  readonly deferred?: { readonly answeredStatus: number; readonly answeredCode: string };
  /**
   * Present when another instance closed the attempt because the chain's writer was gone for
   * good (its lease lapsed): that instance's id, the name of the chain it writes.
   */
  readonly closedBy?: string;
  /** Present on a summary record: it stands for `refused` requests between `since` and `until`. */
  readonly summary?: { readonly refused: number; readonly since: string; readonly until: string };
}

export interface AuditRecord {
  readonly id: string;
  readonly chain: string;
  readonly seq: number;
  /** UTC, ISO 8601 with milliseconds. */
  readonly time: string;
  readonly requestId: string;
  readonly requestIdTruncated?: true;
  readonly requestIdLength?: number;
  readonly phase: AuditPhase;
  readonly actor: AuditRecordActor;
  readonly client: {
    readonly ip: string | null;
    readonly ipTruncated?: true;
    readonly ipLength?: number;
  };
  readonly operation: string;
  readonly operationTruncated?: true;
  readonly operationLength?: number;
  readonly project: {
    readonly alias: string | null;
    readonly id: string | null;
    readonly aliasTruncated?: true;
    readonly aliasLength?: number;
    readonly idTruncated?: true;
    readonly idLength?: number;
  };
  readonly target: Readonly<Record<string, string>>;
  /** Target values that were shortened: name → original length (`(keys)` → original count). */
  readonly targetTruncated?: Readonly<Record<string, number>>;
  readonly outcome?: AuditRecordOutcome;
  readonly prevHash: string;
  readonly hash: string;
}

/** A record before it is placed in a chain: what the builder produces from an event. */
export type AuditRecordContent = Omit<AuditRecord, 'chain' | 'seq' | 'prevHash' | 'hash'>;
