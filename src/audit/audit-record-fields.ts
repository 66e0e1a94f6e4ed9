// What each field of an audit record means, as data: docs/api.md "Audit records" renders its
// tables from these, and the types make them complete — a field added to AuditRecord or
// AuditRecordOutcome without a meaning here does not compile.

import type { AuditRecord, AuditRecordOutcome } from './audit-record.ts';
import type { AuditResult } from './audit-trail.ts';

/** Truncation flags (`xTruncated`, `xLength`) are one convention, described once. */
type Described<T> = Exclude<keyof T, `${string}Truncated` | `${string}Length`>;

export const AUDIT_RECORD_FIELDS = {
  id: 'UUID of the record; the `auditId` of responses',
  chain: 'the writing instance (`audit.instanceId`, default the host name)',
  seq: '1, 2, 3… per chain',
  time: 'when the record was handed over, UTC, ISO 8601 with milliseconds',
  requestId: "the request's `X-Request-Id`",
  phase: '`attempt` (written before the upstream call) or `outcome`',
  actor:
    '`subject`, `email`, `groups`, `via` (`jwt`, `trusted-headers`, or `null` when unauthenticated)',
  client: '`ip`: the TCP peer',
  operation: 'the operation name (= permission), e.g. `kms.revokeGrant`',
  project: '`alias` and `id` of the project the route named',
  target: 'the route\'s ids, e.g. `{"keyId": …, "grantId": …}`',
  outcome: 'outcome records only: the fields below',
  prevHash: "the previous record's `hash`; 64 zeros before `seq` 1",
  hash: "SHA-256 over the record's canonical JSON without `hash`",
} as const satisfies Record<Described<AuditRecord>, string>;

export const AUDIT_OUTCOME_FIELDS = {
  result: 'what happened (the results below)',
  status: 'the HTTP status the caller was told; `null` for a recovered attempt',
  code: 'the problem code the caller was told, `null` on success',
  upstream:
    "`status`, `code`, `message`, `requestId` (and `encodedAuthorizationMessage` when sent) of the cloud's last answer, or `null`",
  attempts: 'upstream calls made; `null` for a recovered attempt',
  durationMs: 'from the request to the outcome; `null` for a recovered attempt',
  attemptId: 'the attempt record this outcome closes',
  reason:
    'why, when the result needs one (`outcome-unknown`, `not-found-after-unknown-attempt`, …)',
  deferred:
    '`answeredStatus`, `answeredCode`: the outcome was written after the caller had been answered',
  closedBy:
    'the instance that closed an attempt whose own writer was gone for good (its chain adopted)',
  summary:
    '`refused`, `since`, `until`: one record standing for the unauthenticated requests refused past the per-address limit in one window',
  records: 'reads of the trail (`audit.read`): how many records the reader was sent',
} as const satisfies Record<Described<AuditRecordOutcome>, string>;

export const AUDIT_RESULT_MEANINGS = {
  revoked: 'the cloud confirmed the revocation',
  failed: 'the cloud, IAM or the audit store failed the request',
  denied: "the caller lacks the operation's permission",
  invalid: 'a parameter, the project or the body was refused',
  unauthenticated: 'no or invalid caller identity',
  'rate-limited': 'the caller exceeded its limit',
  unknown: 'nobody knows: the process ended before the outcome, or the cloud never answered',
  read: 'a read of the audit trail (`GET /v1/audit`, its NDJSON export, or the report)',
} as const satisfies Record<AuditResult, string>;
