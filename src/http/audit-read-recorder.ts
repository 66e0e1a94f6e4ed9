// Reading the audit trail is itself audited (docs/audit-trail.md "Reading: GET /v1/audit"): who
// read, with what filter, and how many records they were sent. The records use the trail's
// ordinary shape, so they sit in the same chain and verify like any other: operation
// `audit.read`, `target` the filter (plus `format`), `outcome.result` `read` and
// `outcome.records` the count. Fail closed like revocations: a JSON page is sent only once its
// outcome record is durable; an NDJSON export starts only once its attempt record is durable,
// and its outcome (with the count) follows when the stream ends.

import { performance } from 'node:perf_hooks';
import type { Request, Response } from 'express';
import type { AuditEvent, AuditOutcome, AuditTrail } from '../audit/audit-trail.ts';
import type { AuditReadFilter, AuditReadRecorder, StreamEnd } from './audit-query-routes.ts';
import { auditEventOf } from './audit-facts.ts';
import { scopeOf } from './request-scope.ts';

export const AUDIT_READ_OPERATION = 'audit.read';

export function createAuditReadRecorder(auditTrail: AuditTrail): AuditReadRecorder {
  return {
    async pageRead(req, res, filter, count) {
      const receipt = await auditTrail.recordOutcome(
        readEvent(req, res, filter),
        readOutcome(res, count),
      );
      scopeOf(res).auditId = receipt.id;
    },
    async streamStarting(req, res, filter) {
      const event = readEvent(req, res, filter);
      const attempt = await auditTrail.recordAttempt(event);
      scopeOf(res).attemptId = attempt.id;
      return async (count: number, end: StreamEnd) => {
        const outcome: AuditOutcome = {
          ...readOutcome(res, count),
          attemptId: attempt.id,
          ...(end === 'complete' ? {} : { reason: end }),
        };
        try {
          scopeOf(res).auditId = (await auditTrail.recordOutcome(event, outcome)).id;
        } catch (error) {
          // The records are already sent; the trail keeps the outcome and writes it once the
          // store is back, and recovery closes the attempt if the process stops first.
          scopeOf(res).log.error({ err: error }, 'audit read outcome could not be made durable');
        }
      };
    },
  };
}

function readEvent(req: Request, res: Response, filter: AuditReadFilter): AuditEvent {
  const target: Record<string, string> = {};
  for (const [name, value] of Object.entries(filter)) {
    if (value !== undefined) target[name] = String(value);
  }
  // The reader and the request, as for revocations; a read names no project.
  return {
    ...auditEventOf(scopeOf(res), req),
    operation: AUDIT_READ_OPERATION,
    project: { alias: null, id: null },
    target,
  };
}

function readOutcome(res: Response, count: number): AuditOutcome {
  return {
    result: 'read',
    status: 200,
    code: null,
    upstream: null,
    attempts: 0,
    durationMs: Math.round(performance.now() - scopeOf(res).startedAt),
    records: count,
  };
}
