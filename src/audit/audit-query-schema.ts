// The query parameters of GET /v1/audit: the schema the route validates with (it refuses any
// other parameter) and the OpenAPI document's description of them (`z.toJSONSchema`).

import { z } from 'zod';
import { DEFAULT_AUDIT_PAGE_LIMIT, MAX_AUDIT_PAGE_LIMIT } from './audit-reader.ts';
import { AUDIT_RESULTS, type AuditResult } from './audit-trail.ts';

const text = (max: number) =>
  z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const timestamp = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp' });
const limitMessage = `must be an integer from 1 to ${MAX_AUDIT_PAGE_LIMIT}`;

export const AUDIT_QUERY_SCHEMA = z.strictObject({
  operation: text(128).optional().describe('operation name'),
  actor: text(256).optional().describe('caller subject'),
  result: z
    .enum(AUDIT_RESULTS as [AuditResult, ...AuditResult[]], {
      error: `must be one of ${AUDIT_RESULTS.join(', ')}`,
    })
    .optional()
    .describe('outcome result'),
  requestId: text(200).optional().describe('request id'),
  since: timestamp.optional().describe('records at or after this time (ISO 8601 with offset)'),
  until: timestamp
    .optional()
    .describe('records before this time (ISO 8601 with offset); not before `since`'),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, limitMessage)
    .transform(Number)
    .pipe(z.int().min(1, limitMessage).max(MAX_AUDIT_PAGE_LIMIT, limitMessage))
    .optional()
    .meta({ description: 'page size (JSON pages only)', default: DEFAULT_AUDIT_PAGE_LIMIT }),
  cursor: text(512).optional().describe('opaque cursor from `nextCursor`'),
});
