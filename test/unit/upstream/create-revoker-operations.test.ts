// The six operations end to end over real HTTP: exactly what the cloud receives.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { DEMO_ACCOUNT, type SimResourceKind } from '../../../src/simulator/index.ts';
import {
  CALLER_BODY,
  CALLER_HEADERS,
  PROJECT,
  startWorld,
  TARGETS,
  TRACEPARENT,
} from './revoker-harness.ts';

interface Expected {
  readonly service: 'scm' | 'apig' | 'kms' | 'modelarts';
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly status: number;
  readonly scope: 'project' | 'domain';
  readonly gone: readonly [SimResourceKind, ...string[]];
}

const P = PROJECT.id;
const EXPECTED: Record<keyof typeof TARGETS, Expected> = {
  'scm.revokePrivacy': {
    service: 'scm',
    method: 'DELETE',
    path: `/v2/${P}/scm/privacy-protection/scs1700000000001`,
    query: {},
    status: 200,
    scope: 'project',
    gone: ['scmPrivacy', P, 'scs1700000000001'],
  },
  'scm.deleteCsr': {
    service: 'scm',
    method: 'DELETE',
    path: '/v3/scm/csr/csr-demo-0000000001',
    query: {},
    status: 204,
    scope: 'domain',
    gone: ['csr', 'csr-demo-0000000001'],
  },
  'apig.deleteCertificate': {
    service: 'apig',
    method: 'DELETE',
    path: `/v2/${P}/apigw/certificates/a27be832f2e9441c8127fe48e3b5ac67`,
    query: {},
    status: 204,
    scope: 'project',
    gone: ['apigCertificate', P, 'a27be832f2e9441c8127fe48e3b5ac67'],
  },
  'kms.revokeGrant': {
    service: 'kms',
    method: 'POST',
    path: `/v1.0/${P}/kms/revoke-grant`,
    query: {},
    status: 200,
    scope: 'project',
    gone: ['kmsGrant', P, TARGETS['kms.revokeGrant'].keyId, TARGETS['kms.revokeGrant'].grantId],
  },
  'modelarts.deleteAuthorization': {
    service: 'modelarts',
    method: 'DELETE',
    path: `/v2/${P}/authorizations`,
    query: { user_id: 'd80fb058844ae8b82aa66d9fe0f2e6a1' },
    status: 200,
    scope: 'project',
    gone: ['modelartsAuthorization', P, 'd80fb058844ae8b82aa66d9fe0f2e6a1'],
  },
  'modelarts.deleteAllAuthorizations': {
    service: 'modelarts',
    method: 'DELETE',
    path: `/v2/${P}/authorizations`,
    query: { user_id: 'all' },
    status: 200,
    scope: 'project',
    gone: ['modelartsAuthorization', P, 'e91a0c169a5bf9c93bb77eaf1f3f7b21'],
  },
};

describe('createRevoker: what the cloud receives for each operation', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    const target = TARGETS[name as keyof typeof TARGETS];
    it(`${name}: ${expected.method} ${expected.path} with only the gateway's headers`, async (t) => {
      const world = await startWorld(t);
      const requestId = randomUUID();
      const result = await world.revoke(name, target, { requestId });

      assert.equal(result.kind, 'revoked');
      assert.equal(result.attempts, 1);
      assert.equal(result.upstream?.service, expected.service);
      assert.equal(result.upstream.status, expected.status);
      assert.match(result.upstream.requestId ?? '', /^\w+$/, "the cloud's request id");
      assert.equal(world.sim.has(...expected.gone), false, 'the resource is gone');

      const calls = world.sim.calls({ service: expected.service });
      assert.equal(calls.length, 1);
      const [call] = calls;
      assert.ok(call);
      assert.equal(call.method, expected.method);
      assert.equal(call.path, expected.path);
      assert.deepEqual(call.query, expected.query);
      assert.equal(call.status, expected.status);

      const token = world.tokens.handedOut[0];
      assert.ok(token !== undefined && token.length >= 9_000, 'a ~9 KB token was used');
      assert.equal(call.token, token);
      assert.deepEqual(
        call.tokenScope,
        expected.scope === 'domain'
          ? { kind: 'domain', domain: DEMO_ACCOUNT.domain }
          : { kind: 'project', projectId: P },
      );

      const withBody = expected.method === 'POST';
      assert.deepEqual(Object.keys(call.headers).sort(), [
        'accept',
        'connection',
        'content-length',
        ...(withBody ? ['content-type'] : []),
        'host',
        'traceparent',
        'user-agent',
        'x-auth-token',
        'x-request-id',
      ]);
      assert.equal(call.headers.accept, 'application/json');
      assert.equal(call.headers['x-request-id'], requestId);
      assert.equal(call.headers.traceparent, TRACEPARENT);
      assert.match(call.headers['user-agent'] ?? '', /^rescind\/\d+\.\d+\.\d+/);
      assert.equal(call.headers.host, new URL(world.sim.url).host);
      assert.equal(call.headers['content-length'], String(Buffer.byteLength(call.body)));
      if (withBody) {
        assert.equal(call.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(call.body), {
          key_id: TARGETS['kms.revokeGrant'].keyId,
          grant_id: TARGETS['kms.revokeGrant'].grantId,
          sequence: requestId,
        });
      } else {
        assert.equal(call.body, '', "the caller's body is not forwarded");
      }
      assert.doesNotMatch(world.logs(), new RegExp(token.slice(0, 64)), 'no token in the logs');
    });
  }

  // httpxy skips its proxyReq event for such requests, and Node then writes the incoming
  // headers as they are: this is the case that made the revoker stop proxying the caller's own
  // request (see src/upstream/send-upstream.ts).
  it('forwards none of the headers of a caller that sends Expect: 100-continue', async (t) => {
    const world = await startWorld(t);
    const body = Buffer.from(CALLER_BODY);
    const target = encodeURIComponent(JSON.stringify(TARGETS['apig.deleteCertificate']));
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${world.url}/revoke/apig.deleteCertificate?target=${target}`, {
        method: 'DELETE',
        headers: { ...CALLER_HEADERS, expect: '100-continue', 'content-length': body.length },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode);
        });
      });
      req.on('continue', () => req.end(body));
      req.on('error', reject);
    });
    assert.equal(status, 200);
    const [call] = world.sim.calls({ service: 'apig' });
    assert.ok(call);
    assert.equal(call.status, 204);
    for (const name of [
      'authorization',
      'cookie',
      'expect',
      'x-forwarded-for',
      'x-forwarded-host',
    ]) {
      assert.equal(call.headers[name], undefined, name);
    }
    assert.equal(call.body, '');
  });

  it('sends no KMS sequence when the request id is not a UUID', async (t) => {
    const world = await startWorld(t);
    const result = await world.revoke('kms.revokeGrant', TARGETS['kms.revokeGrant'], {
      requestId: 'caller-chosen-id-42',
    });
    assert.equal(result.kind, 'revoked');
    const [call] = world.sim.calls({ service: 'kms' });
    assert.deepEqual(JSON.parse(call?.body ?? ''), {
      key_id: TARGETS['kms.revokeGrant'].keyId,
      grant_id: TARGETS['kms.revokeGrant'].grantId,
    });
  });

  it('records each attempt in the upstream duration histogram by status class', async (t) => {
    const world = await startWorld(t);
    await world.revoke('apig.deleteCertificate', TARGETS['apig.deleteCertificate']);
    const metric = await world.metrics.upstreamDuration.get();
    const count = metric.values.find(
      (v) =>
        v.metricName === 'rescind_upstream_request_duration_seconds_count' &&
        v.labels.service === 'apig' &&
        v.labels.status_class === '2xx',
    );
    assert.equal(count?.value, 1);
  });
});
