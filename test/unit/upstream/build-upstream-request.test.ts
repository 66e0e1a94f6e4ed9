import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findOperation } from '../../../src/operations/catalog.ts';
import { buildUpstreamRequest } from '../../../src/upstream/build-upstream-request.ts';

const PROJECT = '0123456789abcdef0123456789abcdef';
const IDENTITY = {
  token: 'MII' + 'x'.repeat(9000),
  requestId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  userAgent: 'rescind/0.1.0',
};

function planOf(name: string, target: Record<string, string>, requestId = IDENTITY.requestId) {
  const operation = findOperation(name);
  assert.ok(operation);
  return operation.upstream({ projectId: PROJECT, requestId, target });
}

describe('buildUpstreamRequest', () => {
  it('sends exactly the fixed header set and no body on a DELETE', () => {
    const request = buildUpstreamRequest(
      planOf('apig.deleteCertificate', { certificateId: 'abc' }),
      IDENTITY,
    );
    assert.equal(request.method, 'DELETE');
    assert.equal(request.path, `/v2/${PROJECT}/apigw/certificates/abc`);
    assert.equal(request.body, undefined);
    assert.deepEqual(request.headers, {
      'x-auth-token': IDENTITY.token,
      accept: 'application/json',
      'x-request-id': IDENTITY.requestId,
      traceparent: IDENTITY.traceparent,
      'user-agent': 'rescind/0.1.0',
      'content-length': '0',
    });
  });

  it('sends the KMS body as JSON with its length and the request id as sequence', () => {
    const keyId = '0d0466b0-e727-4d9c-b35d-f84bb474a37f';
    const grantId = 'a'.repeat(64);
    const request = buildUpstreamRequest(planOf('kms.revokeGrant', { keyId, grantId }), IDENTITY);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, `/v1.0/${PROJECT}/kms/revoke-grant`);
    const body = request.body?.toString('utf8') ?? '';
    assert.deepEqual(JSON.parse(body), {
      key_id: keyId,
      grant_id: grantId,
      sequence: IDENTITY.requestId,
    });
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['content-length'], String(Buffer.byteLength(body)));
  });

  it('puts the ModelArts user in the query', () => {
    const one = buildUpstreamRequest(
      planOf('modelarts.deleteAuthorization', { userId: 'u-1' }),
      IDENTITY,
    );
    assert.equal(one.path, `/v2/${PROJECT}/authorizations?user_id=u-1`);
    const all = buildUpstreamRequest(planOf('modelarts.deleteAllAuthorizations', {}), IDENTITY);
    assert.equal(all.path, `/v2/${PROJECT}/authorizations?user_id=all`);
  });
});
