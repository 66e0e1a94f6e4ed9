// What must hold after a gateway was killed with SIGKILL and restarted on the same store
// (docs/api.md "Audit records"): no caller was told anything — above all `revoked` — without a committed outcome
// that says so; every attempt has exactly one outcome, the ones the dead process left open
// closed as `unknown`; and the chain verifies with no seq missing. Each breach is one violation.

import type { KeyObject } from 'node:crypto';
import { scanStore } from '../../src/audit/audit-reader.ts';
import type { AuditRecord } from '../../src/audit/audit-record.ts';
import type { Checkpoint } from '../../src/audit/chain/checkpoint.ts';
import { openSqliteAuditStore } from '../../src/audit/stores/sqlite-audit-store.ts';
import { parseStoredRecord, recordForVerification } from '../../src/audit/stored-record.ts';
import { verifyChain } from '../../src/audit/chain/verify-chain.ts';
import type { ClientAnswer } from './drive-load.ts';

export const RECOVERY_REASON = 'process-ended-before-outcome';

export interface TrailFacts {
  readonly records: number;
  /** Outcomes written at start-up for attempts the killed process left open. */
  readonly recoveredUnknown: number;
  readonly violations: string[];
}

export interface TrailCheckInput {
  readonly sqlitePath: string;
  /** Every request sent, as its client saw the answer. */
  readonly answers: readonly ClientAnswer[];
  readonly checkpoints?: readonly Checkpoint[];
  readonly publicKey?: KeyObject;
}

export async function checkTrail(input: TrailCheckInput): Promise<TrailFacts> {
  const violations: string[] = [];
  const store = openSqliteAuditStore({ path: input.sqlitePath, readOnly: true });
  const records: AuditRecord[] = [];
  const forVerification: unknown[] = [];
  try {
    for await (const stored of scanStore(store)) {
      records.push(parseStoredRecord(stored));
      forVerification.push(recordForVerification(stored));
    }
  } finally {
    await store.close();
  }

  const verified = await verifyChain(forVerification, {
    ...(input.checkpoints !== undefined ? { checkpoints: input.checkpoints } : {}),
    ...(input.publicKey !== undefined ? { publicKey: input.publicKey } : {}),
  });
  if (!verified.ok) violations.push(`the chain does not verify: ${verified.reason}`);
  records.forEach((record, index) => {
    if (record.seq !== index + 1) {
      violations.push(`record ${index + 1} in store order has seq ${record.seq}`);
    }
  });

  const byId = new Map(records.map((record) => [record.id, record]));
  const attemptsOf = new Map<string, AuditRecord[]>();
  const outcomesOf = new Map<string, AuditRecord[]>();
  const outcomeOfAttempt = new Map<string, AuditRecord[]>();
  for (const record of records) {
    const index = record.phase === 'attempt' ? attemptsOf : outcomesOf;
    index.set(record.requestId, [...(index.get(record.requestId) ?? []), record]);
    const attemptId = record.outcome?.attemptId;
    if (attemptId !== undefined) {
      outcomeOfAttempt.set(attemptId, [...(outcomeOfAttempt.get(attemptId) ?? []), record]);
    }
  }

  // Every attempt is closed by exactly one later outcome of the same request.
  for (const attempt of records.filter((record) => record.phase === 'attempt')) {
    const closing = outcomeOfAttempt.get(attempt.id) ?? [];
    if (closing.length !== 1) {
      violations.push(
        `attempt seq ${attempt.seq} (${attempt.requestId}) has ${closing.length} outcomes`,
      );
      continue;
    }
    const [outcome] = closing;
    if (
      outcome !== undefined &&
      (outcome.requestId !== attempt.requestId || outcome.seq < attempt.seq)
    ) {
      violations.push(
        `the outcome of attempt seq ${attempt.seq} is seq ${outcome.seq} of ${outcome.requestId}`,
      );
    }
  }
  for (const [requestId, list] of [...attemptsOf, ...outcomesOf]) {
    if (list.length > 1) {
      violations.push(`${requestId} has ${list.length} ${list[0]?.phase ?? ''} records`);
    }
  }
  for (const record of records) {
    const attemptId = record.outcome?.attemptId;
    if (attemptId !== undefined && byId.get(attemptId)?.phase !== 'attempt') {
      violations.push(`outcome seq ${record.seq} names ${attemptId}, which is not an attempt`);
    }
  }

  // What the clients saw.
  const answered = new Map(input.answers.map((answer) => [answer.requestId, answer]));
  for (const answer of input.answers) {
    if (answer.status === undefined) continue;
    const outcome = outcomesOf.get(answer.requestId)?.[0];
    if (outcome?.outcome === undefined) {
      violations.push(
        `${answer.requestId} was answered ${answer.status} without a committed outcome`,
      );
      continue;
    }
    if (outcome.outcome.status !== answer.status) {
      violations.push(
        `${answer.requestId} was answered ${answer.status}, its outcome says ${String(outcome.outcome.status)}`,
      );
    }
    const body = answer.body;
    if (body === undefined) continue;
    const auditId = body.auditId;
    if (typeof auditId === 'string' && byId.get(auditId)?.requestId !== answer.requestId) {
      violations.push(`${answer.requestId} was given auditId ${auditId}, not a record of it`);
    }
    if (body.result === 'revoked') {
      if (outcome.outcome.result !== 'revoked' || outcome.outcome.deferred !== undefined) {
        violations.push(
          `${answer.requestId} was told revoked; its outcome is ${outcome.outcome.result}`,
        );
      }
      if (auditId !== outcome.id) {
        violations.push(`${answer.requestId} was told revoked with an auditId not its outcome's`);
      }
    }
  }

  // Recovered outcomes: only for requests whose answer nobody saw, and shaped as documented.
  let recoveredUnknown = 0;
  for (const record of records) {
    const outcome = record.outcome;
    if (outcome?.result !== 'unknown') continue;
    recoveredUnknown += 1;
    if (outcome.reason !== RECOVERY_REASON || outcome.status !== null) {
      violations.push(`unknown outcome seq ${record.seq} is not a recovery record`);
    }
    const answer = answered.get(record.requestId);
    if (answer === undefined) {
      violations.push(`unknown outcome seq ${record.seq} is for ${record.requestId}, never sent`);
    } else if (answer.status !== undefined) {
      violations.push(
        `${record.requestId} was answered ${answer.status} but its attempt was recovered as unknown`,
      );
    }
  }

  return { records: records.length, recoveredUnknown, violations };
}
