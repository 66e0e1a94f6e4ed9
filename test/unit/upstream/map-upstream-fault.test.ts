import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProblemCode } from '../../../src/problems/catalog.ts';
import {
  isThrottled,
  isTokenRejected,
  mapUpstreamFault,
  type FaultMappingContext,
} from '../../../src/upstream/map-upstream-fault.ts';
import type { UpstreamFault } from '../../../src/upstream/parse-upstream-error.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const CONTEXT: FaultMappingContext = {
  service: 'kms',
  now: NOW,
  throttleRetryAfterSeconds: 3,
  unavailableRetryAfterSeconds: 2,
};

interface Row {
  readonly when: string;
  readonly fault: UpstreamFault;
  readonly code: ProblemCode;
  readonly status: number;
  readonly retryAfter?: number;
}

const envelope = (status: number, code?: string): UpstreamFault => ({
  kind: 'envelope',
  status,
  ...(code === undefined ? {} : { code }),
  message: 'the cloud says so',
  requestId: 'cloud-req-1',
});

// prettier-ignore
const ROWS: readonly Row[] = [
  { when: 'the cloud answered 400', fault: envelope(400, 'KMS.0201'), code: 'UPSTREAM_REJECTED', status: 400 },
  { when: 'the cloud answered 401 (after the replay)', fault: envelope(401, 'APIGW.0301'), code: 'UPSTREAM_AUTH_FAILED', status: 502 },
  { when: 'Keystone answered 401', fault: envelope(401, '401'), code: 'UPSTREAM_AUTH_FAILED', status: 502 },
  { when: 'the cloud answered 403', fault: envelope(403, 'APIGW.0302'), code: 'UPSTREAM_FORBIDDEN', status: 502 },
  { when: 'KMS answered 403 KMS.0301 (token no longer good)', fault: envelope(403, 'KMS.0301'), code: 'UPSTREAM_AUTH_FAILED', status: 502 },
  { when: 'KMS answered 403 KMS.0302', fault: envelope(403, 'KMS.0302'), code: 'UPSTREAM_AUTH_FAILED', status: 502 },
  { when: 'KMS answered 403 KMS.0303', fault: envelope(403, 'KMS.0303'), code: 'UPSTREAM_AUTH_FAILED', status: 502 },
  { when: 'a KMS.0303 code came with a status other than 403', fault: envelope(400, 'KMS.0303'), code: 'UPSTREAM_REJECTED', status: 400 },
  { when: 'the cloud answered 404', fault: envelope(404, 'KMS.0207'), code: 'NOT_FOUND', status: 404 },
  { when: 'the cloud answered 409', fault: envelope(409, 'APIG.4018'), code: 'CONFLICT', status: 409 },
  { when: 'the cloud answered 429 without Retry-After', fault: envelope(429, 'KMS.0308'), code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 3 },
  { when: 'the cloud answered 429 with Retry-After: 9', fault: { ...envelope(429), retryAfter: '9' }, code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 9 },
  { when: 'the cloud answered 429 with an HTTP-date Retry-After', fault: { ...envelope(429), retryAfter: 'Sun, 01 Mar 2026 12:00:20 GMT' }, code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 20 },
  { when: 'the cloud answered 429 with an unreadable Retry-After', fault: { ...envelope(429), retryAfter: 'soon' }, code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 3 },
  { when: 'APIG.0308 came as a 400', fault: envelope(400, 'APIG.0308'), code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 3 },
  { when: 'APIGW.0308 came as a 403', fault: envelope(403, 'APIGW.0308'), code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 3 },
  { when: 'IAM.0012 came as a 400', fault: envelope(400, 'IAM.0012'), code: 'UPSTREAM_THROTTLED', status: 429, retryAfter: 3 },
  { when: 'the cloud answered 405 (another 4xx)', fault: envelope(405), code: 'UPSTREAM_REJECTED', status: 400 },
  { when: 'the cloud answered 413 (another 4xx)', fault: envelope(413, 'APIG.0201'), code: 'UPSTREAM_REJECTED', status: 400 },
  { when: 'the cloud answered 500', fault: envelope(500, 'KMS.0101'), code: 'UPSTREAM_ERROR', status: 502 },
  { when: 'the cloud answered 502 with HTML', fault: { kind: 'html', status: 502, message: '502 Bad Gateway' }, code: 'UPSTREAM_ERROR', status: 502 },
  { when: 'the cloud answered 503', fault: { kind: 'empty', status: 503 }, code: 'UPSTREAM_ERROR', status: 502 },
  { when: 'the cloud answered 504', fault: { kind: 'empty', status: 504 }, code: 'UPSTREAM_ERROR', status: 502 },
  { when: 'the body was cut-off JSON', fault: { kind: 'truncated-json', status: 500 }, code: 'UPSTREAM_ERROR', status: 502 },
  { when: 'the body was over the cap', fault: { kind: 'oversized', status: 502 }, code: 'UPSTREAM_ERROR', status: 502 },
  { when: 'a 2xx contradicted the seed', fault: { kind: 'json', status: 200 }, code: 'UPSTREAM_ERROR', status: 502 },
  { when: 'a 3xx came back', fault: { kind: 'empty', status: 302 }, code: 'UPSTREAM_ERROR', status: 502 },
  { when: 'the connection was refused', fault: { kind: 'network', network: 'refused', sent: false }, code: 'UPSTREAM_UNAVAILABLE', status: 503, retryAfter: 2 },
  { when: 'the connection was reset', fault: { kind: 'network', network: 'reset', sent: true }, code: 'UPSTREAM_UNAVAILABLE', status: 503, retryAfter: 2 },
  { when: 'the name did not resolve', fault: { kind: 'network', network: 'dns', sent: false }, code: 'UPSTREAM_UNAVAILABLE', status: 503, retryAfter: 2 },
  { when: 'another network error happened', fault: { kind: 'network', network: 'other', sent: false }, code: 'UPSTREAM_UNAVAILABLE', status: 503, retryAfter: 2 },
  { when: 'the attempt timed out', fault: { kind: 'network', network: 'timeout', sent: true }, code: 'UPSTREAM_TIMEOUT', status: 504 },
];

describe('mapUpstreamFault', () => {
  for (const row of ROWS) {
    it(`answers ${row.status} ${row.code} when ${row.when}`, () => {
      const problem = mapUpstreamFault(row.fault, CONTEXT);
      assert.equal(problem.code, row.code);
      assert.equal(problem.status, row.status);
      assert.equal(problem.retryAfter, row.retryAfter);
    });
  }

  it('keeps what the cloud said on the problem', () => {
    const problem = mapUpstreamFault(envelope(404, 'KMS.0207'), CONTEXT);
    assert.deepEqual(problem.upstream, {
      service: 'kms',
      status: 404,
      code: 'KMS.0207',
      message: 'the cloud says so',
      requestId: 'cloud-req-1',
    });
  });

  it('names only the service when nothing came back', () => {
    const problem = mapUpstreamFault({ kind: 'network', network: 'reset', sent: true }, CONTEXT);
    assert.deepEqual(problem.upstream, { service: 'kms' });
  });

  it("says why a 2xx was not a success, in the gateway's own words", () => {
    const problem = mapUpstreamFault(
      { kind: 'json', status: 200 },
      { ...CONTEXT, contradiction: 'the body\'s "result" is not "true"' },
    );
    assert.equal(
      problem.detail,
      'The kms service answered 200, but the body\'s "result" is not "true".',
    );
  });

  it('never puts the cloud message, an address or a token into detail', () => {
    const fault: UpstreamFault = {
      kind: 'envelope',
      status: 500,
      code: 'KMS.0101',
      message: 'backend 10.0.0.7:8443 failed for token MIIsecret',
    };
    for (const status of [400, 401, 403, 404, 409, 429, 500, 502]) {
      const detail = mapUpstreamFault({ ...fault, status }, CONTEXT).detail ?? '';
      assert.doesNotMatch(detail, /10\.0\.0\.7|MII|backend/);
    }
  });

  it('treats any 429 and the documented throttling codes as throttling', () => {
    assert.equal(isThrottled(envelope(429)), true);
    assert.equal(isThrottled(envelope(400, 'APIGW.0308')), true);
    assert.equal(isThrottled(envelope(400, 'APIG.2012')), false);
  });

  it('treats any 401, and 403 only with KMS.0301-0303, as a rejected token', () => {
    assert.equal(isTokenRejected(envelope(401)), true);
    assert.equal(isTokenRejected(envelope(403, 'KMS.0302')), true);
    assert.equal(isTokenRejected(envelope(403, 'APIGW.0302')), false);
    assert.equal(isTokenRejected(envelope(403)), false);
  });
});
