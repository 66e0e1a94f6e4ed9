// A small audit trail for the report tests, written through the real trail over three hours:
// revocations that succeed, fail with cloud error codes and are refused, two mass revocations,
// and one request whose caller-controlled text tries to inject markup and script.

import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { TestContext } from 'node:test';
import type { AuditEvent, AuditOutcome, AuditResult } from '../../../src/audit/audit-trail.ts';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import type { Config } from '../../../src/config/schema.ts';
import {
  auditConfig,
  openTestTrail,
  sampleEvent,
  sampleOutcome,
  tempDir,
} from './audit-test-kit.ts';

export const REPORT_START = Date.UTC(2026, 11, 7, 8, 5, 0);
const HOUR = 3_600_000;

/** Caller-controlled text that must only ever show as text. */
export const HOSTILE = {
  subject: '<script>window.__pwned = 1</script>',
  email: '"><img src=x onerror="window.__pwned = 2">',
  message: '</pre><script>window.__pwned = 3</script>',
  code: '<svg onload="window.__pwned = 4">',
  group: "'><iframe src=javascript:window.__pwned=5>",
  requestId: '"><script>window.__pwned = 6</script>',
  target: '</td></tr><script>window.__pwned = 7</script>',
  project: '<style>body { display: none }</style>',
} as const;

interface Request {
  readonly hour: number;
  readonly event: Partial<AuditEvent>;
  readonly result: AuditResult;
  readonly upstream?: { status: number; code: string; message?: string };
}

const alice = {
  subject: 'alice',
  email: 'alice@example.test',
  groups: ['secops'],
  via: 'jwt' as const,
};
const bob = { subject: 'bob', email: null, groups: [], via: 'jwt' as const };
const nobody = { subject: null, email: null, groups: [], via: null };
const mass = {
  operation: 'modelarts.deleteAllAuthorizations',
  target: { allUsers: 'true' },
  project: { alias: 'eu', id: 'fedcba9876543210fedcba9876543210' },
};

export const REQUESTS: readonly Request[] = [
  { hour: 0, event: { actor: alice }, result: 'revoked' },
  { hour: 0, event: { actor: alice }, result: 'revoked' },
  { hour: 0, event: { actor: alice }, result: 'revoked' },
  {
    hour: 0,
    event: { actor: bob, operation: 'scm.deleteCsr', target: { csrId: 'csr-1' } },
    result: 'denied',
  },
  { hour: 1, event: { actor: alice, ...mass }, result: 'revoked' },
  {
    hour: 1,
    event: { actor: alice, ...mass },
    result: 'failed',
    upstream: { status: 500, code: 'ModelArts.0104', message: 'internal error' },
  },
  {
    hour: 1,
    event: { actor: bob, operation: 'apig.deleteCertificate', target: { certificateId: 'c1' } },
    result: 'failed',
    upstream: { status: 404, code: 'APIG.3002', message: 'certificate not found' },
  },
  { hour: 2, event: { actor: nobody }, result: 'unauthenticated' },
  {
    hour: 2,
    event: {
      actor: {
        subject: HOSTILE.subject,
        email: HOSTILE.email,
        groups: [HOSTILE.group],
        via: 'jwt',
      },
      requestId: HOSTILE.requestId,
      target: { keyId: HOSTILE.target },
      project: { alias: HOSTILE.project, id: null },
    },
    result: 'failed',
    upstream: { status: 400, code: HOSTILE.code, message: HOSTILE.message },
  },
];

/** Records written: an attempt and an outcome for requests that reached the cloud. */
export const RECORD_COUNT = REQUESTS.reduce(
  (sum, request) => sum + (reachedCloud(request.result) ? 2 : 1),
  0,
);

function reachedCloud(result: AuditResult): boolean {
  return result === 'revoked' || result === 'failed';
}

function outcomeOf(request: Request): AuditOutcome {
  if (request.result === 'denied') {
    return sampleOutcome({
      result: 'denied',
      status: 403,
      code: 'FORBIDDEN',
      upstream: null,
      attempts: 0,
    });
  }
  if (request.result === 'unauthenticated') {
    return sampleOutcome({
      result: 'unauthenticated',
      status: 401,
      code: 'UNAUTHENTICATED',
      upstream: null,
      attempts: 0,
    });
  }
  const upstream = request.upstream;
  return upstream === undefined
    ? sampleOutcome()
    : sampleOutcome({
        result: 'failed',
        status: 502,
        code: 'UPSTREAM_ERROR',
        upstream: {
          status: upstream.status,
          code: upstream.code,
          message: upstream.message ?? null,
          requestId: 'up-1',
        },
      });
}

export interface ReportTrail {
  readonly dir: string;
  readonly config: Config['audit'];
  readonly database: string;
}

/** Writes REQUESTS into a fresh SQLite store with signed checkpoints (written at close). */
export async function writeReportTrail(t: TestContext): Promise<ReportTrail> {
  const dir = tempDir(t);
  const key = generateCheckpointKey();
  const config = auditConfig(dir, {
    instanceId: 'report-test',
    checkpoints: { everyRecords: 5, signingKey: key.privateKeyPem },
  });
  let now = REPORT_START;
  const { trail } = await openTestTrail(t, config, { clock: () => now });
  for (const [index, request] of REQUESTS.entries()) {
    now = REPORT_START + request.hour * HOUR + index * 1000;
    const event = sampleEvent({ requestId: `req-${index + 1}`, ...request.event });
    if (reachedCloud(request.result)) {
      const attempt = await trail.recordAttempt(event);
      await trail.recordOutcome(event, { ...outcomeOf(request), attemptId: attempt.id });
    } else {
      await trail.recordOutcome(event, outcomeOf(request));
    }
  }
  await trail.close();
  return { dir, config, database: join(dir, 'audit.db') };
}

/** Edits a record's body in place, as someone with write access to the file could. */
export function tamperWith(database: string, seq: number): void {
  const db = new DatabaseSync(database);
  try {
    db.exec('DROP TRIGGER audit_records_no_update; DROP TRIGGER audit_records_no_delete;');
    db.prepare(
      'UPDATE audit_records SET body = replace(body, \'"subject":"alice"\', \'"subject":"mallory"\') WHERE seq = ?',
    ).run(seq);
  } finally {
    db.close();
  }
}
