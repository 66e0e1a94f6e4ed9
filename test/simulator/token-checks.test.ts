import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSimulator } from '../../src/simulator/index.ts';
import type { Simulator } from '../../src/simulator/index.ts';
import {
  call,
  domainScope,
  expectFlat,
  flatBody,
  GRANT_ID,
  KEY_ID,
  KMS_BODY,
  expectNested,
  OTHER_PROJECT_ID,
  PROJECT_ID,
  projectScope,
  token,
} from './sim-client.ts';
import { withSimulator } from './support.ts';

/**
 * One call each, one after another, on a demo resource of the four APIs that answer in the flat
 * envelope: the project-scoped three with `tok`, the global CSR API with `domainTok`.
 */
async function flatDemoCalls(
  sim: Simulator,
  tok: string | undefined,
  domainTok: string | undefined,
): Promise<Response[]> {
  return [
    await call.scmPrivacy(sim, tok, 'scs1700000000001'),
    await call.apig(sim, tok, 'a27be832f2e9441c8127fe48e3b5ac67'),
    await call.modelarts(sim, tok, 'd80fb058844ae8b82aa66d9fe0f2e6a1'),
    await call.csr(sim, domainTok, 'csr-demo-0000000001'),
  ];
}

describe('token checks on service calls', () => {
  let sim: Simulator;
  let now = Date.UTC(2025, 0, 1);
  before(async () => {
    sim = await startSimulator({ clock: () => now, tokenLifetimeSeconds: 1 });
  });
  after(() => sim.close());

  test('a missing token is 401 APIGW.0301 on SCM, APIG and ModelArts and 403 KMS.0303 on KMS', async () => {
    for (const res of await flatDemoCalls(sim, undefined, undefined)) {
      assert.equal(res.status, 401);
      const body = await flatBody(res);
      assert.equal(body.error_code, 'APIGW.0301');
      assert.match(body.error_msg, /^Incorrect IAM authentication information: /);
    }
    const kms = await call.kms(sim, undefined, KMS_BODY);
    await expectNested(kms, 403, 'KMS.0303');
    assert.equal(sim.has('kmsGrant', PROJECT_ID, KEY_ID, GRANT_ID), true);
  });

  test('an unknown token is 401 APIGW.0301 (403 KMS.0303 on KMS)', async () => {
    const bogus = `MII${'x'.repeat(200)}`;
    const res = await call.apig(sim, bogus, 'a27be832f2e9441c8127fe48e3b5ac67');
    await expectFlat(res, 401, 'APIGW.0301');
    const kms = await call.kms(sim, bogus, KMS_BODY);
    await expectNested(kms, 403, 'KMS.0303');
  });

  test('an expired token is 401 APIGW.0307 "The token must be updated." (403 KMS.0303 on KMS)', async () => {
    now = Date.UTC(2025, 0, 1);
    const tok = await token(sim);
    const domainTok = await token(sim, domainScope());
    now += 999;
    assert.equal(
      (await call.apig(sim, tok, 'no-such-cert')).status,
      404,
      'still valid just before expiry',
    );
    now += 1;
    for (const res of await flatDemoCalls(sim, tok, domainTok)) {
      assert.equal(res.status, 401);
      assert.deepEqual(
        { ...(await flatBody(res)), request_id: 'x' },
        { error_code: 'APIGW.0307', error_msg: 'The token must be updated.', request_id: 'x' },
      );
    }
    const kms = await call.kms(sim, tok, KMS_BODY);
    await expectNested(kms, 403, 'KMS.0303');
    assert.equal(sim.has('apigCertificate', PROJECT_ID, 'a27be832f2e9441c8127fe48e3b5ac67'), true);
  });

  test('a revoked token is 401 APIGW.0301 and a new one works', async () => {
    const tok = await token(sim);
    sim.revokeAllTokens();
    const res = await call.apig(sim, tok, 'no-such-cert');
    await expectFlat(res, 401, 'APIGW.0301');
    const fresh = await token(sim);
    assert.equal((await call.apig(sim, fresh, 'no-such-cert')).status, 404);
  });

  test('a domain-scoped token on a /v2/{project_id} API is 401 APIGW.0301 and nothing is revoked', async () => {
    const domainTok = await token(sim, domainScope());
    const res = await call.scmPrivacy(sim, domainTok, 'scs1700000000001');
    await expectFlat(res, 401, 'APIGW.0301');
    assert.equal(sim.has('scmPrivacy', PROJECT_ID, 'scs1700000000001'), true);
    const kms = await call.kms(sim, domainTok, KMS_BODY);
    await expectNested(kms, 403, 'KMS.0302');
  });

  test('a project-scoped token on the global /v3/scm/csr API is 401 APIGW.0301 and the CSR stays', async () => {
    const tok = await token(sim, projectScope());
    const res = await call.csr(sim, tok, 'csr-demo-0000000001');
    await expectFlat(res, 401, 'APIGW.0301');
    assert.equal(sim.has('csr', 'csr-demo-0000000001'), true);
  });

  test('a token for another project is 403 (APIGW.0302; KMS.0302 on KMS) and nothing is revoked', async () => {
    const otherTok = await token(sim, projectScope(OTHER_PROJECT_ID));
    const res = await call.apig(sim, otherTok, 'a27be832f2e9441c8127fe48e3b5ac67');
    await expectFlat(res, 403, 'APIGW.0302');
    const modelarts = await call.modelarts(sim, otherTok, 'all');
    assert.equal(modelarts.status, 403);
    assert.equal(
      sim.has('modelartsAuthorization', PROJECT_ID, 'd80fb058844ae8b82aa66d9fe0f2e6a1'),
      true,
    );
    const kms = await call.kms(sim, otherTok, KMS_BODY);
    await expectNested(kms, 403, 'KMS.0302');
    assert.equal(sim.has('apigCertificate', PROJECT_ID, 'a27be832f2e9441c8127fe48e3b5ac67'), true);
  });

  test('an unknown project id in the URL is refused like another project', async () => {
    const tok = await token(sim);
    const res = await call.apig(sim, tok, 'a27be832f2e9441c8127fe48e3b5ac67', 'f'.repeat(32));
    assert.equal(res.status, 403);
  });
});

describe('token lifetime with the real clock', () => {
  test('a token from a 1-second simulator expires after a second', async () => {
    await withSimulator({ tokenLifetimeSeconds: 1 }, async (sim) => {
      const tok = await token(sim);
      assert.equal((await call.apig(sim, tok, 'no-such-cert')).status, 404);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const res = await call.apig(sim, tok, 'no-such-cert');
      await expectFlat(res, 401, 'APIGW.0307');
    });
  });
});
