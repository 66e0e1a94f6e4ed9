// Every fault the simulator can inject, through the real revoker: the contract code, the
// Retry-After where one is due, and how many calls reached the cloud (retries: 2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultSpec, SimService } from '../../../src/simulator/index.ts';
import type { OperationName } from '../../../src/operations/catalog.ts';
import { OPERATION_FIXTURES } from '../../fixtures/operations.ts';
import { startWorld, type HarnessResult } from './revoker-harness.ts';

type Operation = OperationName;
type Fault = FaultSpec extends infer F ? (F extends FaultSpec ? Omit<F, 'service'> : never) : never;

interface Row {
  readonly when: string;
  readonly operation?: Operation;
  readonly faults: readonly Fault[];
  readonly expected: Partial<HarnessResult> & { readonly attempts: number };
  /** IAM password exchanges in total (1 = no re-exchange). */
  readonly exchanges?: number;
}

/** The cloud service an operation calls, after its fixture. */
const serviceOf = (operation: Operation): SimService =>
  OPERATION_FIXTURES[operation].demo.revocation('').service;

const always = { count: Infinity } as const;
const flat = (code: string) => ({ error_code: code, error_msg: `simulated ${code}` });

// prettier-ignore
const ROWS: readonly Row[] = [
  { when: 'the cloud answers 400',
    faults: [{ kind: 'status', status: 400, body: flat('APIG.2012'), ...always }],
    expected: { code: 'UPSTREAM_REJECTED', status: 400, attempts: 1, upstream: { service: 'apig', status: 400, code: 'APIG.2012', message: 'simulated APIG.2012' } } },
  { when: 'the cloud answers 401 every time',
    faults: [{ kind: 'status', status: 401, body: flat('APIGW.0301'), ...always }],
    expected: { code: 'UPSTREAM_AUTH_FAILED', status: 502, attempts: 2 }, exchanges: 2 },
  { when: 'the cloud answers 403',
    faults: [{ kind: 'status', status: 403, body: flat('APIGW.0302'), ...always }],
    expected: { code: 'UPSTREAM_FORBIDDEN', status: 502, attempts: 1 }, exchanges: 1 },
  { when: 'the cloud answers 404',
    faults: [{ kind: 'status', status: 404, body: flat('APIG.3021'), ...always }],
    expected: { code: 'NOT_FOUND', status: 404, attempts: 1 } },
  { when: 'the cloud answers 409',
    faults: [{ kind: 'status', status: 409, body: flat('APIG.4018'), ...always }],
    expected: { code: 'CONFLICT', status: 409, attempts: 1 } },
  { when: 'the cloud answers 429 without Retry-After',
    faults: [{ kind: 'status', status: 429, body: flat('APIG.0308'), ...always }],
    expected: { code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 3, attempts: 1 } },
  { when: 'the cloud answers 429 with Retry-After: 7',
    faults: [{ kind: 'status', status: 429, body: flat('APIG.0308'), headers: { 'Retry-After': '7' }, ...always }],
    expected: { code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 7, attempts: 1 } },
  { when: 'the cloud answers 500 (not retried)',
    faults: [{ kind: 'status', status: 500, body: flat('APIG.9999'), ...always }],
    expected: { code: 'UPSTREAM_ERROR', status: 502, attempts: 1 } },
  { when: 'the cloud answers 502 every time',
    faults: [{ kind: 'status', status: 502, ...always }],
    expected: { outcomeUnknown: true, code: 'UPSTREAM_ERROR', status: 502, attempts: 3 } },
  { when: 'the cloud answers 503 every time',
    faults: [{ kind: 'status', status: 503, ...always }],
    expected: { code: 'UPSTREAM_ERROR', status: 502, attempts: 3 } },
  { when: 'the cloud answers 504 every time',
    faults: [{ kind: 'status', status: 504, ...always }],
    expected: { outcomeUnknown: true, code: 'UPSTREAM_ERROR', status: 502, attempts: 3 } },
  { when: 'a load balancer answers an HTML 502 page every time',
    faults: [{ kind: 'html', ...always }],
    expected: { outcomeUnknown: true, code: 'UPSTREAM_ERROR', status: 502, attempts: 3, upstream: { service: 'apig', status: 502, message: '502 Bad Gateway' } } },
  { when: 'a load balancer answers an HTML 500 page',
    faults: [{ kind: 'html', status: 500, ...always }],
    expected: { code: 'UPSTREAM_ERROR', status: 502, attempts: 1 } },
  { when: 'the cloud answers an empty 502 every time',
    faults: [{ kind: 'empty', ...always }],
    expected: { outcomeUnknown: true, code: 'UPSTREAM_ERROR', status: 502, attempts: 3 } },
  { when: 'KMS answers cut-off JSON',
    operation: 'kms.revokeGrant',
    faults: [{ kind: 'truncated-json', ...always }],
    expected: { code: 'UPSTREAM_ERROR', status: 502, attempts: 1, upstream: { service: 'kms', status: 500 } } },
  { when: 'the cloud answers a 10 MB error page',
    faults: [{ kind: 'oversized', status: 500, sizeBytes: 10 * 1024 * 1024, ...always }],
    expected: { code: 'UPSTREAM_ERROR', status: 502, attempts: 1 } },
  { when: 'every answer comes after the attempt timeout',
    faults: [{ kind: 'delay', delayMs: 3_000, ...always }],
    expected: { outcomeUnknown: true, code: 'UPSTREAM_TIMEOUT', status: 504, attempts: 3, upstream: { service: 'apig' } } },
  { when: 'the cloud never answers',
    faults: [{ kind: 'hang', ...always }],
    expected: { outcomeUnknown: true, code: 'UPSTREAM_TIMEOUT', status: 504, attempts: 3 } },
  { when: 'every connection is reset',
    faults: [{ kind: 'reset', ...always }],
    expected: { outcomeUnknown: true, code: 'UPSTREAM_UNAVAILABLE', status: 503, retryAfter: 1, attempts: 3, upstream: { service: 'apig' } } },
  { when: 'APIG throttles without Retry-After',
    faults: [{ kind: 'throttle', ...always }],
    expected: { code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 3, attempts: 1 } },
  { when: 'KMS throttles without Retry-After',
    operation: 'kms.revokeGrant',
    faults: [{ kind: 'throttle', ...always }],
    expected: { code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 3, attempts: 1 } },
  { when: 'the token has expired once (APIGW.0307)',
    faults: [{ kind: 'token-expired' }],
    expected: { kind: 'revoked', attempts: 2 }, exchanges: 2 },
  { when: 'KMS says the token has expired once (403 KMS.0303)',
    operation: 'kms.revokeGrant',
    faults: [{ kind: 'token-expired' }],
    expected: { kind: 'revoked', attempts: 2 }, exchanges: 2 },
  { when: 'KMS answers 403 with another code (not a token problem)',
    operation: 'kms.revokeGrant',
    faults: [{ kind: 'status', status: 403, body: { error: { error_code: 'KMS.0205', error_msg: 'denied' } }, ...always }],
    expected: { code: 'UPSTREAM_FORBIDDEN', status: 502, attempts: 1 }, exchanges: 1 },
  { when: 'ModelArts answers 200 {"result":"false"}',
    operation: 'modelarts.deleteAuthorization',
    faults: [{ kind: 'status', status: 200, body: { result: 'false' }, ...always }],
    expected: { code: 'UPSTREAM_ERROR', status: 502, attempts: 1, upstream: { service: 'modelarts', status: 200 } } },
  { when: 'SCM answers 200 {"message":"fail"} to a privacy revocation',
    operation: 'scm.revokePrivacy',
    faults: [{ kind: 'status', status: 200, body: { message: 'fail' }, ...always }],
    expected: { code: 'UPSTREAM_ERROR', status: 502, attempts: 1 } },
  { when: 'KMS answers an empty 200 (the SDK accepts it)',
    operation: 'kms.revokeGrant',
    faults: [{ kind: 'empty', status: 200, takesEffect: true }],
    expected: { kind: 'revoked', attempts: 1 } },
  { when: 'KMS answers 204',
    operation: 'kms.revokeGrant',
    faults: [{ kind: 'empty', status: 204, takesEffect: true }],
    expected: { kind: 'revoked', attempts: 1 } },
  { when: 'ModelArts answers 200 {"result":true}',
    operation: 'modelarts.deleteAuthorization',
    faults: [{ kind: 'status', status: 200, body: { result: true }, takesEffect: true }],
    expected: { kind: 'revoked', attempts: 1 } },
  { when: 'ModelArts answers 200 {"result":false}',
    operation: 'modelarts.deleteAuthorization',
    faults: [{ kind: 'status', status: 200, body: { result: false }, ...always }],
    expected: { code: 'UPSTREAM_ERROR', status: 502, attempts: 1, upstream: { service: 'modelarts', status: 200 } } },
  { when: 'KMS answers an HTML page with status 200',
    operation: 'kms.revokeGrant',
    faults: [{ kind: 'html', status: 200, ...always }],
    expected: { code: 'UPSTREAM_ERROR', status: 502, attempts: 1 } },
];

describe('createRevoker: faults injected by the simulator', { concurrency: true }, () => {
  for (const row of ROWS) {
    const operation = row.operation ?? 'apig.deleteCertificate';
    const expected = { kind: 'failed', ...row.expected };
    const outcome =
      expected.kind === 'revoked'
        ? 'revokes'
        : `answers ${String(expected.status)} ${String(expected.code)}`;
    it(`${outcome} after ${row.expected.attempts} attempt(s) when ${row.when}`, async (t) => {
      const world = await startWorld(t);
      const service = serviceOf(operation);
      for (const fault of row.faults) world.sim.injectFault({ ...fault, service });

      const result = await world.revoke(operation, OPERATION_FIXTURES[operation].demo.target);

      assert.equal(result.kind, expected.kind);
      assert.equal(result.attempts, row.expected.attempts);
      assert.equal(
        world.sim.calls({ service }).length,
        row.expected.attempts,
        'calls the cloud saw',
      );
      if (expected.kind === 'failed') {
        assert.equal(result.code, expected.code);
        assert.equal(result.status, expected.status);
        assert.equal(result.retryAfter, row.expected.retryAfter);
        assert.equal(result.outcomeUnknown, row.expected.outcomeUnknown, 'outcome unknown');
        assert.equal(result.upstream?.service, service);
      }
      if (row.expected.upstream !== undefined) {
        for (const [key, value] of Object.entries(row.expected.upstream)) {
          assert.equal(result.upstream?.[key as keyof typeof result.upstream], value, key);
        }
      }
      if (row.exchanges !== undefined) assert.equal(world.tokens.exchanges(), row.exchanges);
      // No detail names the simulator's address, and no token reaches the logs.
      assert.doesNotMatch(result.detail ?? '', /127\.0\.0\.1|localhost|http:/);
      for (const token of new Set(world.tokens.handedOut)) {
        assert.equal(world.logs().includes(token.slice(0, 64)), false, 'no token in the logs');
      }
    });
  }

  it('answers 409 CONFLICT for a certificate still bound to a domain (no injection)', async (t) => {
    const world = await startWorld(t);
    const result = await world.revoke('apig.deleteCertificate', {
      certificateId: 'c49d0a54b40b5663e349b06a05d7ce89',
    });
    assert.equal(result.code, 'CONFLICT');
    assert.equal(result.upstream?.code, 'APIG.4018');
  });

  it("answers 404 NOT_FOUND with KMS's code for a grant that does not exist", async (t) => {
    const world = await startWorld(t);
    const result = await world.revoke('kms.revokeGrant', {
      keyId: OPERATION_FIXTURES['kms.revokeGrant'].demo.target.keyId,
      grantId: 'b'.repeat(64),
    });
    assert.equal(result.code, 'NOT_FOUND');
    assert.equal(result.upstream?.code, 'KMS.0207');
    assert.equal(result.attempts, 1);
  });

  it('serves the next request normally after a 10 MB error page', async (t) => {
    const world = await startWorld(t);
    world.sim.injectFault({
      service: 'apig',
      kind: 'oversized',
      status: 500,
      sizeBytes: 10 * 1024 * 1024,
    });
    const first = await world.revoke(
      'apig.deleteCertificate',
      OPERATION_FIXTURES['apig.deleteCertificate'].demo.target,
    );
    assert.equal(first.code, 'UPSTREAM_ERROR');
    const second = await world.revoke(
      'apig.deleteCertificate',
      OPERATION_FIXTURES['apig.deleteCertificate'].demo.target,
    );
    assert.equal(second.kind, 'revoked');
    assert.equal(second.upstream?.status, 204);
  });
});
