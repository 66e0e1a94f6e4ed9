// The six operations end to end over real HTTP: exactly what the cloud receives.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { DEMO_ACCOUNT } from '../../../src/simulator/index.ts';
import { FIXTURE_OPERATIONS, OPERATION_FIXTURES } from '../../fixtures/operations.ts';
import {
  CALLER_BODY,
  CALLER_HEADERS,
  PROJECT,
  startWorld,
  TRACEPARENT,
} from './revoker-harness.ts';

const P = PROJECT.id;

describe('createRevoker: what the cloud receives for each operation', () => {
  for (const name of FIXTURE_OPERATIONS) {
    const { demo } = OPERATION_FIXTURES[name];
    const { target } = demo;
    const expected = { ...demo.revocation(P), status: demo.status };
    const { method, path } = expected.upstream;
    it(`${name}: ${method} ${path} with only the gateway's headers`, async (t) => {
      const world = await startWorld(t);
      const requestId = randomUUID();
      const result = await world.revoke(name, target, { requestId });

      assert.equal(result.kind, 'revoked');
      assert.equal(result.attempts, 1);
      assert.equal(result.upstream?.service, expected.service);
      assert.equal(result.upstream.status, expected.status);
      assert.match(result.upstream.requestId ?? '', /^\w+$/, "the cloud's request id");
      assert.equal(demo.exists(world.sim, P), false, 'the resource is gone');

      const calls = world.sim.calls({ service: expected.service });
      assert.equal(calls.length, 1);
      const [call] = calls;
      assert.ok(call);
      assert.equal(call.method, method);
      assert.equal(call.path, path);
      assert.deepEqual(call.query, expected.upstream.query);
      assert.equal(call.status, expected.status);

      const token = world.tokens.handedOut[0];
      assert.ok(token !== undefined && token.length >= 9_000, 'a ~9 KB token was used');
      assert.equal(call.token, token);
      assert.deepEqual(
        call.tokenScope,
        expected.tokenScope === 'domain'
          ? { kind: 'domain', domain: DEMO_ACCOUNT.domain }
          : { kind: 'project', projectId: P },
      );

      const withBody = method === 'POST';
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
          key_id: OPERATION_FIXTURES['kms.revokeGrant'].demo.target.keyId,
          grant_id: OPERATION_FIXTURES['kms.revokeGrant'].demo.target.grantId,
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
    const target = encodeURIComponent(
      JSON.stringify(OPERATION_FIXTURES['apig.deleteCertificate'].demo.target),
    );
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
    const result = await world.revoke(
      'kms.revokeGrant',
      OPERATION_FIXTURES['kms.revokeGrant'].demo.target,
      {
        requestId: 'caller-chosen-id-42',
      },
    );
    assert.equal(result.kind, 'revoked');
    const [call] = world.sim.calls({ service: 'kms' });
    assert.deepEqual(JSON.parse(call?.body ?? ''), {
      key_id: OPERATION_FIXTURES['kms.revokeGrant'].demo.target.keyId,
      grant_id: OPERATION_FIXTURES['kms.revokeGrant'].demo.target.grantId,
    });
  });

  it('records each attempt in the upstream duration histogram by status class', async (t) => {
    const world = await startWorld(t);
    await world.revoke(
      'apig.deleteCertificate',
      OPERATION_FIXTURES['apig.deleteCertificate'].demo.target,
    );
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
