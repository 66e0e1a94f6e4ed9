// What the pipeline asks of the audit module (docs/api.md "Audit records"). Only the audit module writes audit
// records; the pipeline hands it events and outcomes and awaits durability.

/** `read`: a read of the audit trail itself (operation `audit.read`), not a revocation. */
export type AuditResult =
  | 'revoked'
  | 'failed'
  | 'denied'
  | 'invalid'
  | 'unauthenticated'
  | 'rate-limited'
  | 'unknown'
  | 'read';

export const AUDIT_RESULTS: readonly AuditResult[] = [
  'revoked',
  'failed',
  'denied',
  'invalid',
  'unauthenticated',
  'rate-limited',
  'unknown',
  'read',
];

export interface AuditActor {
  readonly subject: string | null;
  readonly email: string | null;
  readonly groups: readonly string[];
  readonly via: 'jwt' | 'trusted-headers' | null;
}

/** The request-level facts common to a request's attempt and outcome records. */
export interface AuditEvent {
  readonly requestId: string;
  readonly actor: AuditActor;
  readonly client: { readonly ip: string | null };
  readonly operation: string;
  readonly project: { readonly alias: string | null; readonly id: string | null };
  /** The route's ids as validated (or, for invalid requests, as received, truncated). */
  readonly target: Readonly<Record<string, string>>;
}

export interface AuditUpstream {
  readonly status: number | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly requestId: string | null;
  /** IAM's encoded policy denial, when the cloud gave one (docs/upstream.md "Error bodies"). */
  readonly encodedAuthorizationMessage?: string;
}

export interface AuditOutcome {
  readonly result: AuditResult;
  /** The HTTP status the caller was (about to be) told. */
  readonly status: number;
  /** The problem code, or null on success. */
  readonly code: string | null;
  readonly upstream: AuditUpstream | null;
  /** Upstream attempts made (0 when rejected before any call). */
  readonly attempts: number;
  readonly durationMs: number;
  /** The attempt record this outcome closes, when there was one. */
  readonly attemptId?: string;
  /**
   * Why a result is what it is when that is not obvious, e.g. 'not-found-after-unknown-attempt'
   * (a 404 on a retry after an attempt whose outcome was unknown: the earlier one took effect).
   */
  readonly reason?: string;
  /** One record standing for many refused requests (unauthenticated floods). */
  readonly summary?: AuditSummary;
  /** Reads of the audit trail: how many records the reader was sent. */
  readonly records?: number;
}

/** How many requests a summary outcome record stands for, and when they arrived. */
export interface AuditSummary {
  readonly refused: number;
  /** UTC, ISO 8601: the first and the last of them. */
  readonly since: string;
  readonly until: string;
}

export interface AuditReceipt {
  readonly id: string;
  readonly chain: string;
  readonly seq: number;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/**
 * Both record methods resolve only once the record is durable (committed and synced), and
 * reject with ProblemError('AUDIT_UNAVAILABLE') within about a second when it cannot be made so.
 * A rejected outcome is not lost: the trail keeps it and writes it once the store is back,
 * before any newer record, flagged `deferred` (the caller was answered 503 meanwhile).
 * Implemented by openAuditTrail (open-audit-trail.ts); see docs/audit-trail.md.
 */
export interface AuditTrail {
  recordAttempt(event: AuditEvent): Promise<AuditReceipt>;
  recordOutcome(event: AuditEvent, outcome: AuditOutcome): Promise<AuditReceipt>;
  readiness(): ReadinessReport;
  /** Writes the final checkpoint and releases the store. */
  close(): Promise<void>;
}
