// Each credentials mode (docs/credentials.md) through the whole gateway against the simulator:
// all six routes revoke; in the signing modes every service call carries a signature the
// simulator verified and IAM is never called; in oidc mode the ID-token file is read again for
// every exchange; refusals are renewed and replayed once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CredentialMode } from '../../src/config/credentials-schema.ts';
import { OPERATION_NAMES } from '../../src/operations/catalog.ts';
import { DEMO_ACCESS_KEY, DEMO_ACCOUNT, type RecordedCall } from '../../src/simulator/index.ts';
import {
  DEFAULT_PROJECT,
  call,
  callFresh,
  callsSince,
  expectProblem,
  expectRevoked,
  iamCallsSince,
  markCalls,
  seedDefault,
  serviceCallsSince,
} from './support-routes.ts';
import { IDP_ID, modeGatewayOfSuite, withModeGateway } from './support-credentials.ts';

const FAST = { upstream: { retries: 0, deadlineMs: 6000 } };

/** A signed call: verified by the simulator, with the scope header the API needs, no token. */
function assertSigned(recorded: RecordedCall, keyKind: 'permanent' | 'temporary'): void {
  assert.equal(
    recorded.signature?.verified,
    true,
    `${recorded.path}: ${recorded.signature?.reason ?? 'not signed'}`,
  );
  assert.equal(recorded.signature.keyKind, keyKind);
  assert.equal(recorded.headers['x-auth-token'], undefined);
  const scopeHeader = recorded.path.startsWith('/v3/') ? 'x-domain-id' : 'x-project-id';
  assert.ok(recorded.signature.signedHeaders.includes(scopeHeader));
  assert.ok(recorded.signature.signedHeaders.includes('content-type'));
  if (keyKind === 'temporary') {
    assert.ok(recorded.signature.signedHeaders.includes('x-security-token'));
  }
  assert.equal(
    recorded.headers[scopeHeader],
    scopeHeader === 'x-domain-id' ? DEMO_ACCOUNT.domainId : DEFAULT_PROJECT,
  );
}

const MODES: readonly CredentialMode[] = ['password', 'oidc', 'access-key', 'metadata'];

for (const mode of MODES) {
  describe(`RESCIND_CREDENTIALS=${mode}`, { concurrency: 1 }, () => {
    const m = modeGatewayOfSuite(mode, { config: FAST });

    it('revokes through all six routes, each with one proven cloud call', async () => {
      const mark = markCalls(m.sim);
      for (const name of OPERATION_NAMES) {
        const seeded = seedDefault(m.sim, name);
        const before = markCalls(m.sim);
        expectRevoked(await call(m.gw, seeded.path));
        assert.equal(seeded.exists(), false, `${name}: the resource is gone`);
        const [recorded, ...more] = serviceCallsSince(m.sim, before).filter(
          (c) => c.service !== 'metadata',
        );
        assert.equal(more.length, 0, `${name}: one service call`);
        assert.ok(recorded !== undefined);
        if (mode === 'access-key') assertSigned(recorded, 'permanent');
        else if (mode === 'metadata') assertSigned(recorded, 'temporary');
        else assert.ok((recorded.token ?? '').length > 0, 'an IAM token in X-Auth-Token');
      }
      const iam = iamCallsSince(m.sim, mark);
      if (mode === 'access-key' || mode === 'metadata') {
        assert.deepEqual(iam, [], 'no IAM call at all');
      } else {
        // One exchange per scope: the project and SCM's global (domain) scope.
        assert.equal(iam.length, 2);
      }
      const metadata = callsSince(m.sim, mark, { service: 'metadata' });
      if (mode === 'metadata') {
        // The session handshake and one key, shared by all six calls.
        assert.deepEqual(
          metadata.map((c) => `${c.method} ${c.path}`),
          ['PUT /meta-data/latest/api/token', 'GET /openstack/latest/securitykey'],
        );
      } else {
        assert.deepEqual(metadata, []);
      }
    });
  });
}

describe('oidc: the ID token', { concurrency: 1 }, () => {
  const m = modeGatewayOfSuite('oidc', { config: FAST });

  it('is exchanged at /v3.0/OS-AUTH/id-token/tokens with X-Idp-Id and the scope the call needs', async () => {
    const mark = markCalls(m.sim);
    expectRevoked(await callFresh(m.gw, 'scm.deleteCsr'));
    expectRevoked(await callFresh(m.gw, 'kms.revokeGrant'));
    const exchanges = iamCallsSince(m.sim, mark);
    assert.deepEqual(
      exchanges.map((c) => [c.method, c.path, c.headers['x-idp-id'], c.status]),
      [
        ['POST', '/v3.0/OS-AUTH/id-token/tokens', IDP_ID, 201],
        ['POST', '/v3.0/OS-AUTH/id-token/tokens', IDP_ID, 201],
      ],
    );
    const scopes = exchanges.map(
      (c) => (JSON.parse(c.body) as { auth: { scope: unknown } }).auth.scope,
    );
    assert.deepEqual(scopes, [
      { domain: { id: DEMO_ACCOUNT.domainId } },
      { project: { id: DEFAULT_PROJECT } },
    ]);
  });

  it('is read again from the file after the platform rotated it', async () => {
    const rotated = await m.rotateIdToken();
    // The cloud stops taking the tokens it issued: the gateway exchanges again, with the new file.
    m.sim.revokeAllTokens();
    const mark = markCalls(m.sim);
    expectRevoked(await callFresh(m.gw, 'apig.deleteCertificate'));
    const exchanges = iamCallsSince(m.sim, mark);
    assert.equal(exchanges.length, 1);
    const sent = JSON.parse(exchanges[0]?.body ?? '{}') as { auth: { id_token: { id: string } } };
    assert.equal(sent.auth.id_token.id, rotated, 'the rotated token was sent');
    const services = serviceCallsSince(m.sim, mark);
    assert.deepEqual(
      services.map((c) => c.status),
      [401, 204],
      'refused once, renewed, replayed once',
    );
  });

  it('an expired ID token in the file is UPSTREAM_AUTH_FAILED, and the cloud is not called', async () => {
    await withModeGateway('oidc', { config: FAST }, async (fresh) => {
      await fresh.rotateIdToken({ expiresIn: -60 });
      const mark = markCalls(fresh.sim);
      const problem = expectProblem(
        await callFresh(fresh.gw, 'kms.revokeGrant'),
        502,
        'UPSTREAM_AUTH_FAILED',
      );
      assert.equal(problem.upstream?.service, 'iam');
      assert.deepEqual(
        serviceCallsSince(fresh.sim, mark).filter((c) => c.service !== 'iam'),
        [],
      );
    });
  });
});

describe('access-key: permanent keys cannot be renewed', { concurrency: 1 }, () => {
  const m = modeGatewayOfSuite('access-key', { config: FAST });

  for (const [service, answer] of [
    ['apig', '401 APIGW.0307'],
    ['kms', '403 KMS.0303'],
  ] as const) {
    it(`a second ${answer} is 502 UPSTREAM_AUTH_FAILED after exactly one replay`, async () => {
      m.sim.injectFault({ service, kind: 'token-expired', count: 5 });
      const seeded = seedDefault(
        m.sim,
        service === 'kms' ? 'kms.revokeGrant' : 'apig.deleteCertificate',
      );
      const mark = markCalls(m.sim);
      const problem = expectProblem(await call(m.gw, seeded.path), 502, 'UPSTREAM_AUTH_FAILED');
      m.sim.clearFaults();
      assert.equal(`${String(problem.upstream?.status)} ${problem.upstream?.code ?? ''}`, answer);
      const calls = serviceCallsSince(m.sim, mark);
      assert.equal(calls.length, 2, 'the call and one replay');
      assert.ok(calls.every((c) => c.signature?.verified === true));
      assert.equal(seeded.exists(), true);
    });
  }

  it('a secret key the cloud does not know: the simulator refuses the signature twice, 502', async () => {
    const wrongKey = { RESCIND_SECRET_KEY: `${DEMO_ACCESS_KEY.secret}-wrong` };
    await withModeGateway('access-key', { config: FAST, env: wrongKey }, async (wrong) => {
      const mark = markCalls(wrong.sim);
      expectProblem(
        await callFresh(wrong.gw, 'apig.deleteCertificate'),
        502,
        'UPSTREAM_AUTH_FAILED',
      );
      const calls = serviceCallsSince(wrong.sim, mark);
      assert.deepEqual(
        calls.map((c) => [c.status, c.signature?.verified, c.signature?.reason]),
        [
          [401, false, 'verify aksk signature fail'],
          [401, false, 'verify aksk signature fail'],
        ],
      );
    });
  });
});
