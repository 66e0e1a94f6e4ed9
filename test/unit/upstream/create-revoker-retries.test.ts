// Retries inside the deadline, unknown outcomes, token replay, the circuit breaker, token
// failures and a caller that hangs up, through the real revoker and the simulator.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TokenProvider } from '../../../src/iam/token-provider.ts';
import type { Metrics } from '../../../src/observability/metrics.ts';
import { ProblemError } from '../../../src/problems/problem-error.ts';
import { NOT_FOUND_AFTER_UNKNOWN_ATTEMPT } from '../../../src/upstream/create-revoker.ts';
import { OPERATION_FIXTURES } from '../../fixtures/operations.ts';
import { PROJECT, startWorld } from './revoker-harness.ts';

const APIG = OPERATION_FIXTURES['apig.deleteCertificate'].demo.target;
const APIG_GONE = ['apigCertificate', PROJECT.id, APIG.certificateId] as const;

async function counterValue(
  metric: Metrics['upstreamRetries'],
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await metric.get();
  const found = values.find((v) =>
    Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
  );
  return found?.value ?? 0;
}

async function gaugeValue(metrics: Metrics, service: string): Promise<number | undefined> {
  const { values } = await metrics.circuitState.get();
  return values.find((v) => v.labels.service === service)?.value;
}

describe('createRevoker: retries inside the deadline', () => {
  it('revokes on the second attempt after one reset, and counts the retry', async (t) => {
    const world = await startWorld(t);
    world.sim.injectFault({ service: 'apig', kind: 'reset' });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.kind, 'revoked');
    assert.equal(result.attempts, 2);
    assert.equal(result.reason, undefined);
    assert.equal(world.sim.has(...APIG_GONE), false);
    assert.equal(
      await counterValue(world.metrics.upstreamRetries, { service: 'apig', reason: 'reset' }),
      1,
    );
  });

  it('answers 503 UPSTREAM_UNAVAILABLE after retries + 1 attempts when every connection is reset', async (t) => {
    const world = await startWorld(t, { upstream: { retries: 4 } });
    world.sim.injectFault({ service: 'apig', kind: 'reset', count: Infinity });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(result.attempts, 5);
    assert.equal(world.sim.calls({ service: 'apig' }).length, 5);
    assert.ok((result.retryAfter ?? 0) >= 1);
  });

  it('revokes on the second attempt after one 503', async (t) => {
    const world = await startWorld(t);
    world.sim.injectFault({ service: 'apig', kind: 'status', status: 503 });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.kind, 'revoked');
    assert.equal(result.attempts, 2);
    assert.equal(result.upstream?.status, 204);
  });

  it('stops retrying when the next backoff would not leave time before the deadline', async (t) => {
    // A clock that only the (instant) sleeps move: 400 ms backoffs in a 1,000 ms deadline
    // leave room for exactly two retries (each needs the backoff plus 100 ms of attempt).
    let now = 1_000_000;
    const world = await startWorld(t, {
      clock: () => now,
      random: () => 1,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      upstream: { retries: 10, deadlineMs: 1_000, backoffBaseMs: 400, backoffMaxMs: 400 },
    });
    world.sim.injectFault({ service: 'apig', kind: 'reset', count: Infinity });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.code, 'UPSTREAM_UNAVAILABLE', 'the last failure, not a timeout');
    assert.equal(result.attempts, 3);
  });

  it('answers 504 UPSTREAM_TIMEOUT when the deadline, shorter than the attempt timeout, runs out', async (t) => {
    const world = await startWorld(t, { upstream: { attemptTimeoutMs: 10_000, deadlineMs: 300 } });
    world.sim.injectFault({ service: 'apig', kind: 'hang', count: Infinity });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.code, 'UPSTREAM_TIMEOUT');
    assert.equal(result.attempts, 1);
  });
});

describe('createRevoker: attempts whose outcome is unknown', () => {
  for (const [what, fault] of [
    ['a timeout', { kind: 'hang' }],
    ['a reset', { kind: 'reset' }],
    ['a 502', { kind: 'status', status: 502 }],
    ['a 504', { kind: 'status', status: 504 }],
  ] as const) {
    it(`revokes with the reason when ${what} took effect and the retry answers 404`, async (t) => {
      const world = await startWorld(t);
      world.sim.injectFault({ service: 'apig', takesEffect: true, ...fault });
      const result = await world.revoke('apig.deleteCertificate', APIG);
      assert.equal(result.kind, 'revoked');
      assert.equal(result.reason, NOT_FOUND_AFTER_UNKNOWN_ATTEMPT);
      assert.equal(result.attempts, 2);
      assert.equal(result.upstream?.status, 404);
      assert.equal(result.upstream.code, 'APIG.3021');
      assert.equal(world.sim.has(...APIG_GONE), false);
    });
  }

  it('answers 404 NOT_FOUND when the earlier failure was a 503 (the service did not start)', async (t) => {
    const world = await startWorld(t);
    world.sim.injectFault({ service: 'apig', kind: 'status', status: 503, takesEffect: true });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.code, 'NOT_FOUND');
    assert.equal(result.attempts, 2);
  });

  it("answers 404 NOT_FOUND when the retry's 404 says the API, not the resource, is missing", async (t) => {
    const world = await startWorld(t);
    world.sim.injectFault({ service: 'apig', kind: 'reset' });
    world.sim.injectFault({
      service: 'apig',
      kind: 'status',
      status: 404,
      body: { error_code: 'APIGW.0101', error_msg: 'The API does not exist.' },
    });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.code, 'NOT_FOUND');
    assert.equal(result.upstream?.code, 'APIGW.0101');
  });
});

describe('createRevoker: token replay', () => {
  it('replays once with a fresh token after APIGW.0307, exchanging exactly once more', async (t) => {
    const world = await startWorld(t);
    world.sim.injectFault({ service: 'apig', kind: 'token-expired' });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.kind, 'revoked');
    assert.equal(result.attempts, 2);
    assert.equal(world.tokens.exchanges(), 2);
    const [first, second] = world.sim.calls({ service: 'apig' });
    assert.ok(first && second);
    assert.notEqual(first.token, second.token, 'the replay carries the fresh token');
    assert.equal(
      await counterValue(world.metrics.upstreamRetries, {
        service: 'apig',
        reason: 'token-rejected',
      }),
      1,
    );
  });

  it('answers 502 UPSTREAM_AUTH_FAILED after exactly one replay when 401 persists', async (t) => {
    const world = await startWorld(t);
    world.sim.injectFault({ service: 'apig', kind: 'token-expired', count: Infinity });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.code, 'UPSTREAM_AUTH_FAILED');
    assert.equal(result.attempts, 2);
    assert.equal(world.sim.calls({ service: 'apig' }).length, 2);
    assert.equal(world.tokens.exchanges(), 2);
    assert.equal(result.upstream?.code, 'APIGW.0307');
  });

  it('ends with the token problem, having called no service, when IAM cannot be reached', async (t) => {
    const world = await startWorld(t, {
      tokens: (real): TokenProvider => ({
        getToken: () =>
          Promise.reject(
            new ProblemError('UPSTREAM_UNAVAILABLE', {
              detail: 'IAM could not be reached.',
              upstream: { service: 'iam' },
              retryAfter: 5,
            }),
          ),
        invalidate: (scope, token) => {
          real.invalidate(scope, token);
        },
      }),
    });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(result.retryAfter, 5);
    assert.equal(result.upstream?.service, 'iam');
    assert.equal(result.attempts, 0);
    assert.equal(world.sim.calls({ service: 'apig' }).length, 0);
  });

  it('ends with the token problem when the re-exchange for the replay is refused', async (t) => {
    let calls = 0;
    const world = await startWorld(t, {
      tokens: (real): TokenProvider => ({
        getToken: (scope, options) => {
          calls += 1;
          if (calls === 1) return real.getToken(scope, options);
          return Promise.reject(
            new ProblemError('UPSTREAM_AUTH_FAILED', {
              detail: 'IAM rejected the service credentials.',
              upstream: { service: 'iam', status: 401 },
            }),
          );
        },
        invalidate: (scope, token) => {
          real.invalidate(scope, token);
        },
      }),
    });
    world.sim.injectFault({ service: 'apig', kind: 'token-expired' });
    const result = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(result.code, 'UPSTREAM_AUTH_FAILED');
    assert.equal(result.upstream?.service, 'iam');
    assert.equal(result.attempts, 1);
  });
});

describe('createRevoker: circuit breaker', () => {
  it('opens after consecutive failures, fails fast without calling the cloud, and closes after a good probe', async (t) => {
    let offset = 0;
    const world = await startWorld(t, {
      clock: () => Date.now() + offset,
      upstream: { retries: 0, circuitBreaker: { failureThreshold: 2, openSeconds: 30 } },
    });
    world.sim.injectFault({ service: 'apig', kind: 'reset', count: Infinity });

    const first = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(first.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(await gaugeValue(world.metrics, 'apig'), 0);
    const second = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(second.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(second.retryAfter, 30, 'the failure that opened the circuit says how long');
    assert.equal(await gaugeValue(world.metrics, 'apig'), 1);

    const exchanges = world.tokens.exchanges();
    const fastFail = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(fastFail.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(fastFail.status, 503);
    assert.equal(fastFail.attempts, 0);
    assert.ok((fastFail.retryAfter ?? 0) >= 1 && (fastFail.retryAfter ?? 0) <= 30);
    assert.equal(world.sim.calls({ service: 'apig' }).length, 2, 'the cloud was not called');
    assert.equal(world.tokens.exchanges(), exchanges, 'IAM was not asked either');

    // Other services keep their own circuit.
    const kms = await world.revoke(
      'kms.revokeGrant',
      OPERATION_FIXTURES['kms.revokeGrant'].demo.target,
    );
    assert.equal(kms.kind, 'revoked');

    world.sim.clearFaults();
    offset += 31_000;
    const probe = await world.revoke('apig.deleteCertificate', APIG);
    assert.equal(probe.kind, 'revoked');
    assert.equal(probe.attempts, 1);
    assert.equal(await gaugeValue(world.metrics, 'apig'), 0);
  });

  it('does not count 4xx answers against the circuit', async (t) => {
    const world = await startWorld(t, {
      upstream: { retries: 0, circuitBreaker: { failureThreshold: 1, openSeconds: 30 } },
    });
    world.sim.injectFault({ service: 'apig', kind: 'status', status: 404, count: 3 });
    for (let i = 0; i < 3; i += 1) {
      const result = await world.revoke('apig.deleteCertificate', APIG);
      assert.equal(result.code, 'NOT_FOUND');
      assert.equal(result.attempts, 1);
    }
  });
});

describe('createRevoker: a caller that hangs up', () => {
  it('completes a revocation already sent, so its outcome can be audited', async (t) => {
    const world = await startWorld(t, { upstream: { attemptTimeoutMs: 5_000 } });
    world.sim.injectFault({ service: 'apig', kind: 'delay', delayMs: 300 });
    const abort = new AbortController();
    const started = world.nextStart();
    const outcome = world.nextResult();
    const caller = world.revoke('apig.deleteCertificate', APIG, { signal: abort.signal });
    await started;
    abort.abort();
    await assert.rejects(caller, { name: 'AbortError' });

    const result = await outcome;
    assert.equal(result.kind, 'revoked');
    assert.equal(result.attempts, 1);
    assert.equal(world.sim.calls({ service: 'apig' })[0]?.status, 204);
    assert.equal(world.sim.has(...APIG_GONE), false);
  });
});
