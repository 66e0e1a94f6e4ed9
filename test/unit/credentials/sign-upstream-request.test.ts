// Every operation of the catalog, signed the way the gateway signs it, passes the simulator's
// separately written verifier — also behind an endpoint with a base path — and carries the
// scope header its API needs; a temporary key adds its security token.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signUpstreamRequest } from '../../../src/credentials/sign-upstream-request.ts';
import { OPERATIONS } from '../../../src/operations/catalog.ts';
import { DEMO_ACCOUNT } from '../../../src/simulator/index.ts';
import { SimCredentials } from '../../../src/simulator/sim-credentials.ts';
import { verifySignature } from '../../../src/simulator/verify-signature.ts';
import { buildUpstreamRequest } from '../../../src/upstream/build-upstream-request.ts';

const PROJECT = '0123456789abcdef0123456789abcdef';
const KEY = { accessKey: 'AKUNITTEST0000000001', secretKey: 'unit-test-secret' };
const NOW = Date.parse('2025-06-01T12:00:00Z');
const keys = new SimCredentials(
  {
    accessKeys: [{ access: KEY.accessKey, secret: KEY.secretKey, domain: DEMO_ACCOUNT.domain }],
    identityProviders: [],
    sessionTokens: false,
    keyLifetimeSeconds: 3600,
    metadataDomain: undefined,
  },
  [DEMO_ACCOUNT],
);
const TARGET_IDS = {
  certId: 'scs1700000000001',
  csrId: 'csr-demo-0000000001',
  certificateId: 'a27be832f2e9441c8127fe48e3b5ac67',
  keyId: '0d0466b0-e727-4d9c-b35d-f84bb474a37f',
  grantId: '7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d',
  userId: 'd80fb058844ae8b82aa66d9fe0f2e6a1',
};

describe('signUpstreamRequest', () => {
  for (const operation of OPERATIONS) {
    for (const target of ['https://svc.example.com', 'http://127.0.0.1:8443/gateway/']) {
      it(`${operation.name} through ${target} passes the simulator's verifier`, () => {
        const plan = operation.upstream({
          projectId: PROJECT,
          requestId: '919c82d4-8046-4722-9094-35c3c6524cff',
          target: TARGET_IDS,
        });
        const request = buildUpstreamRequest(plan, {
          requestId: 'r-1',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          userAgent: 'rescind/test',
        });
        const scope =
          operation.tokenScope === 'domain'
            ? ({ kind: 'domain' } as const)
            : ({ kind: 'project', projectId: PROJECT } as const);
        const signed = signUpstreamRequest(request, KEY, {
          target,
          scope,
          domainId: DEMO_ACCOUNT.domainId,
          time: NOW,
        });
        assert.equal(signed.headers['x-auth-token'], undefined);
        const url = new URL(signed.path, 'http://placeholder');
        const base = new URL(target).pathname.replace(/\/+$/, '');
        const check = verifySignature(
          {
            method: signed.method,
            rawPath: `${base}${url.pathname}`,
            rawQuery: url.search.slice(1),
            headers: signed.headers,
            body: signed.body?.toString('utf8') ?? '',
          },
          keys,
          NOW + 60_000,
        );
        assert.equal(check.verified, true, check.reason);
        assert.equal(signed.headers.host, new URL(target).host);
        if (scope.kind === 'domain') {
          assert.equal(signed.headers['x-domain-id'], DEMO_ACCOUNT.domainId);
        } else {
          assert.equal(signed.headers['x-project-id'], PROJECT);
        }
        assert.equal(signed.headers['content-type'], 'application/json');
        // Unsigned headers still travel: the request id and the trace.
        assert.equal(signed.headers['x-request-id'], 'r-1');
      });
    }
  }

  it('a temporary key sends and signs its security token', () => {
    const plan = OPERATIONS[0].upstream({ projectId: PROJECT, requestId: 'r', target: TARGET_IDS });
    const request = buildUpstreamRequest(plan, {
      requestId: 'r',
      traceparent: 't',
      userAgent: 'u',
    });
    const signed = signUpstreamRequest(
      request,
      { ...KEY, securityToken: 'gQsecurity-token' },
      {
        target: 'https://svc.example.com',
        scope: { kind: 'project', projectId: PROJECT },
        domainId: 'd',
        time: NOW,
      },
    );
    assert.equal(signed.headers['x-security-token'], 'gQsecurity-token');
    assert.match(signed.headers.authorization ?? '', /SignedHeaders=[^,]*x-security-token,/);
  });
});
