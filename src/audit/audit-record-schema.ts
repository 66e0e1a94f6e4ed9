// The audit record as a zod schema: the one description of its shape that both validates
// records read back (the outcome spool) and documents them (the OpenAPI `AuditRecord`, through
// `z.toJSONSchema`). The type in audit-record.ts stays the reference for code; the compiler
// checks that what the schema accepts is one (test/unit/audit/audit-record-schema.test.ts).

import { z } from 'zod';
import { AUDIT_RESULTS, type AuditResult } from './audit-trail.ts';

const nullableString = z.string().nullable();
const nullableInteger = z.int().nullable();
const truncated = z.literal(true).optional();
const length = z.int().min(0).optional();
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

const actor = z.strictObject({
  subject: nullableString,
  email: nullableString,
  groups: z.array(z.string()),
  via: z.enum(['jwt', 'trusted-headers']).nullable(),
  subjectTruncated: truncated,
  subjectLength: length,
  emailTruncated: truncated,
  emailLength: length,
  groupsTruncated: truncated,
  groupsLength: length,
});

const upstream = z.strictObject({
  status: nullableInteger,
  code: nullableString,
  message: nullableString,
  requestId: nullableString,
  encodedAuthorizationMessage: z.string().optional(),
  encodedAuthorizationMessageTruncated: truncated,
  encodedAuthorizationMessageLength: length,
  codeTruncated: truncated,
  codeLength: length,
  messageTruncated: truncated,
  messageLength: length,
  requestIdTruncated: truncated,
  requestIdLength: length,
});

const outcome = z.strictObject({
  result: z.enum(AUDIT_RESULTS as [AuditResult, ...AuditResult[]]),
  status: nullableInteger,
  code: nullableString,
  codeTruncated: truncated,
  codeLength: length,
  upstream: upstream.nullable(),
  attempts: nullableInteger,
  durationMs: z.number().nullable(),
  attemptId: z.string().optional(),
  reason: z.string().optional(),
  reasonTruncated: truncated,
  reasonLength: length,
  records: z
    .int()
    .min(0)
    .optional()
    .describe('reads of the trail (operation `audit.read`): records sent to the reader'),
  deferred: z
    .strictObject({ answeredStatus: z.int(), answeredCode: z.string() })
    .optional()
    .describe('the outcome was made durable late; the caller had been answered this'),
  closedBy: z
    .string()
    .optional()
    .describe('the instance that closed an attempt its own writer left open for good'),
  summary: z
    .strictObject({ refused: z.int().min(0), since: z.string(), until: z.string() })
    .optional()
    .describe('a summary record: it stands for `refused` requests between `since` and `until`'),
});

/** The fields every record has before it is placed in a chain (`AuditRecordContent`). */
export const AUDIT_RECORD_CONTENT_SCHEMA = z.strictObject({
  id: z.string(),
  time: z.iso.datetime(),
  requestId: z.string(),
  requestIdTruncated: truncated,
  requestIdLength: length,
  phase: z.enum(['attempt', 'outcome']),
  actor,
  client: z.strictObject({ ip: nullableString, ipTruncated: truncated, ipLength: length }),
  operation: z.string(),
  operationTruncated: truncated,
  operationLength: length,
  project: z.strictObject({
    alias: nullableString,
    id: nullableString,
    aliasTruncated: truncated,
    aliasLength: length,
    idTruncated: truncated,
    idLength: length,
  }),
  target: z.record(z.string(), z.string()),
  targetTruncated: z.record(z.string(), z.int().min(0)).optional(),
  outcome: outcome.optional(),
});

export const AUDIT_RECORD_SCHEMA = AUDIT_RECORD_CONTENT_SCHEMA.extend({
  chain: z.string(),
  seq: z.int().min(1),
  prevHash: hex64,
  hash: hex64,
}).describe(
  'One record of the hash chain (docs/audit-trail.md). A shortened string field `x` has `xTruncated: true` and `xLength` beside it.',
);
