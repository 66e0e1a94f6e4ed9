// The per-caller rate limit through the whole gateway (docs/api.md "Callers and permissions"): a caller over its limit is
// refused with 429 RATE_LIMITED, Retry-After and the draft RateLimit headers, audited as
// `rate-limited`, and the cloud never hears of it; another caller goes on unaffected.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startGateway } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import {
  assertProblem,
  auditOutcomeRecordOf,
  call,
  createTarget,
  type Answer,
} from './support-faults-http.ts';

const LIMIT = 3;
const WINDOW_SECONDS = 60;
const POLICY = `"${String(LIMIT)}-in-1min"`;

/** The draft-8 `RateLimit` field: `"<policy>"; r=<remaining>; t=<seconds to reset>`. */
function rateLimitOf(answer: Answer): { policy: string; remaining: number; reset: number } {
  const header = answer.headers.get('ratelimit') ?? '';
  const match = /^("[^"]+"); r=(\d+); t=(\d+)$/.exec(header);
  assert.ok(match !== null, `RateLimit header in draft-8 form: ${header}`);
  return { policy: match[1] ?? '', remaining: Number(match[2]), reset: Number(match[3]) };
}

/** `RateLimit-Policy`: `"<policy>"; q=<quota>; w=<window>; pk=:<partition key>:`. */
function policyOf(answer: Answer): { quota: number; window: number; partition: string } {
  const header = answer.headers.get('ratelimit-policy') ?? '';
  const match = new RegExp(`^${POLICY}; q=(\\d+); w=(\\d+); pk=:([^:]+):$`).exec(header);
  assert.ok(match !== null, `RateLimit-Policy header in draft-8 form: ${header}`);
  return { quota: Number(match[1]), window: Number(match[2]), partition: match[3] ?? '' };
}

describe('the per-caller rate limit', { concurrency: 1 }, () => {
  const gw = suiteScoped(() =>
    startGateway({
      config: { rateLimit: { perCaller: LIMIT, windowSeconds: WINDOW_SECONDS } },
    }),
  );

  it('refuses the caller over its limit with 429, audits it and calls no cloud; others go on', async () => {
    const alice = await gw.token('alice', ['secops']);
    const bob = await gw.token('bob', ['secops']);

    const within: Answer[] = [];
    for (let i = 0; i < LIMIT; i += 1) {
      const answer = await call(gw, createTarget(gw.sim, 'kms.revokeGrant').path, { token: alice });
      assert.equal(answer.status, 200, answer.text);
      within.push(answer);
    }
    assert.deepEqual(
      within.map((answer) => rateLimitOf(answer).remaining),
      [2, 1, 0],
    );
    for (const answer of within) {
      assert.equal(rateLimitOf(answer).policy, POLICY);
      assert.ok(rateLimitOf(answer).reset <= WINDOW_SECONDS);
      assert.deepEqual(
        { ...policyOf(answer), partition: 'x' },
        { quota: LIMIT, window: WINDOW_SECONDS, partition: 'x' },
      );
    }
    const kmsCallsWithin = gw.sim.calls({ service: 'kms' }).length;
    const iamCallsWithin = gw.sim.calls({ service: 'iam' }).length;
    assert.equal(kmsCallsWithin, LIMIT);

    const target = createTarget(gw.sim, 'kms.revokeGrant');
    const refused = await call(gw, target.path, { token: alice });

    assertProblem(refused, 429, 'RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_SECONDS);
    assert.equal(rateLimitOf(refused).remaining, 0);
    assert.equal(refused.body.upstream, undefined, 'the cloud was not involved');
    assert.equal(gw.sim.calls({ service: 'kms' }).length, kmsCallsWithin, 'no cloud call');
    assert.equal(gw.sim.calls({ service: 'iam' }).length, iamCallsWithin, 'no token exchange');
    assert.equal(target.exists(), true);

    const record = await auditOutcomeRecordOf(gw, refused.requestId);
    assert.equal(refused.body.auditId, record.id);
    assert.equal(record.actor.subject, 'alice');
    assert.equal(record.operation, 'kms.revokeGrant');
    assert.equal(record.outcome.result, 'rate-limited');
    assert.equal(record.outcome.status, 429);
    assert.equal(record.outcome.code, 'RATE_LIMITED');
    assert.equal(record.outcome.attempts, 0);

    // Another caller has a budget of its own, in a partition of its own.
    const other = await call(gw, target.path, { token: bob });
    assert.equal(other.status, 200, other.text);
    assert.equal(rateLimitOf(other).remaining, LIMIT - 1);
    assert.notEqual(policyOf(other).partition, policyOf(refused).partition);
    assert.ok(!(refused.headers.get('ratelimit-policy') ?? '').includes('alice'));
    assert.equal(target.exists(), false);
  });

  it('keeps refusing the limited caller on every route, the audit API included', async () => {
    const alice = await gw.token('alice', ['secops']);
    const before = gw.sim.calls().length;
    const revocation = await call(gw, createTarget(gw.sim, 'apig.deleteCertificate').path, {
      token: alice,
    });
    assertProblem(revocation, 429, 'RATE_LIMITED');
    const audit = await call(gw, '/v1/audit', { method: 'GET', token: alice });
    assertProblem(audit, 429, 'RATE_LIMITED', { audited: false });
    assert.match(audit.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal(gw.sim.calls().length, before);
  });

  it('counts a caller by its subject, whatever token it presents', async () => {
    // A fresh token for the same subject does not reset the budget.
    const fresh = await gw.token('alice', ['secops', 'another-group']);
    const answer = await call(gw, createTarget(gw.sim, 'modelarts.deleteAuthorization').path, {
      token: fresh,
    });
    assertProblem(answer, 429, 'RATE_LIMITED');
  });
});
