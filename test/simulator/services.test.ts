import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_RESOURCES, startSimulator } from '../../src/simulator/index.ts';
import type { Simulator } from '../../src/simulator/index.ts';
import {
  call,
  domainScope,
  GRANT_ID,
  jsonOf,
  KEY_ID,
  OTHER_PROJECT_ID,
  PROJECT_ID,
  token,
} from './sim-client.ts';
import { withSimulator } from './support.ts';

const REQUEST_ID = /^[0-9a-f]{32}$/;

async function flatError(
  res: Response,
): Promise<{ error_code: string; error_msg: string; request_id: string }> {
  const body = (await jsonOf(res)) as { error_code: string; error_msg: string; request_id: string };
  assert.equal(
    body.request_id,
    res.headers.get('x-request-id'),
    'flat errors carry the answer request id',
  );
  return body;
}

describe('the five revocation APIs', () => {
  let sim: Simulator;
  let projectToken: string;
  let domainToken: string;
  before(async () => {
    sim = await startSimulator();
    projectToken = await token(sim);
    domainToken = await token(sim, domainScope());
  });
  after(() => sim.close());

  test('SCM privacy: 200 {"message":"success"}, then 404 flat SCM error for the revoked certificate', async () => {
    sim.addScmCertificate(PROJECT_ID, 'scs-test-0001');
    const first = await call.scmPrivacy(sim, projectToken, 'scs-test-0001');
    assert.equal(first.status, 200);
    assert.match(first.headers.get('x-request-id') ?? '', REQUEST_ID);
    assert.deepEqual(await jsonOf(first), { message: 'success' });
    assert.equal(sim.has('scmPrivacy', PROJECT_ID, 'scs-test-0001'), false);
    const second = await call.scmPrivacy(sim, projectToken, 'scs-test-0001');
    assert.equal(second.status, 404);
    assert.match((await flatError(second)).error_code, /^SCM\.\d{4}$/);
  });

  test('SCM CSR: 204 with no body using a domain-scoped token, then 404 flat', async () => {
    sim.addCsr('csr-test-0000000001');
    const first = await call.csr(sim, domainToken, 'csr-test-0000000001');
    assert.equal(first.status, 204);
    assert.equal(await first.text(), '');
    assert.match(first.headers.get('x-request-id') ?? '', REQUEST_ID);
    const second = await call.csr(sim, domainToken, 'csr-test-0000000001');
    assert.equal(second.status, 404);
    assert.match((await flatError(second)).error_code, /^SCM\./);
  });

  test('SCM CSR: a CSR of another account domain is not found and stays', async () => {
    sim.addCsr('csr-foreign-00000001', 'another-account');
    const res = await call.csr(sim, domainToken, 'csr-foreign-00000001');
    assert.equal(res.status, 404);
    assert.equal(sim.has('csr', 'csr-foreign-00000001'), true);
  });

  test('SCM CSR: an id outside 16-40 characters is 400', async () => {
    const res = await call.csr(sim, domainToken, 'short');
    assert.equal(res.status, 400);
    assert.equal((await flatError(res)).error_code, 'SCM.0001');
  });

  test('APIG certificate: 204, then 404 APIG.3021 naming the id', async () => {
    sim.addApigCertificate(PROJECT_ID, 'cert-test-1');
    const first = await call.apig(sim, projectToken, 'cert-test-1');
    assert.equal(first.status, 204);
    assert.equal(await first.text(), '');
    const second = await call.apig(sim, projectToken, 'cert-test-1');
    assert.equal(second.status, 404);
    const body = await flatError(second);
    assert.equal(body.error_code, 'APIG.3021');
    assert.match(body.error_msg, /cert-test-1/);
  });

  test('APIG certificate bound to a domain name: 409 flat saying so, and it stays', async () => {
    sim.addApigCertificate(PROJECT_ID, 'cert-bound-1', { bound: true });
    const res = await call.apig(sim, projectToken, 'cert-bound-1');
    assert.equal(res.status, 409);
    const body = await flatError(res);
    assert.match(body.error_code, /^APIG\./);
    assert.match(body.error_msg, /bound/);
    assert.equal(sim.has('apigCertificate', PROJECT_ID, 'cert-bound-1'), true);
  });

  test('APIG certificate: a malformed id is 400 APIG.2012', async () => {
    const res = await call.apig(sim, projectToken, 'bad.id');
    assert.equal(res.status, 400);
    assert.equal((await flatError(res)).error_code, 'APIG.2012');
  });

  test('KMS revoke-grant: 200 {}, then 404 nested KMS.0207', async () => {
    const grantId = 'ab'.repeat(32);
    sim.addKmsGrant(PROJECT_ID, KEY_ID, grantId);
    const first = await call.kms(sim, projectToken, {
      key_id: KEY_ID,
      grant_id: grantId,
      sequence: '919c82d4-8046-4722-9094-35c3c6524cff',
    });
    assert.equal(first.status, 200);
    assert.deepEqual(await jsonOf(first), {});
    assert.match(first.headers.get('x-request-id') ?? '', REQUEST_ID);
    const second = await call.kms(sim, projectToken, { key_id: KEY_ID, grant_id: grantId });
    assert.equal(second.status, 404);
    const body = (await jsonOf(second)) as { error: { error_code: string; error_msg: string } };
    assert.equal(body.error.error_code, 'KMS.0207');
    assert.equal(typeof body.error.error_msg, 'string');
  });

  test('KMS revoke-grant: malformed bodies and ids are 400 nested KMS.0201', async () => {
    const bad: unknown[] = [
      'not json',
      '[1]',
      { grant_id: GRANT_ID },
      { key_id: 'NOT-A-KEY', grant_id: GRANT_ID },
      { key_id: KEY_ID, grant_id: 'xyz' },
      { key_id: KEY_ID, grant_id: GRANT_ID, sequence: 'short' },
    ];
    for (const body of bad) {
      const res = await call.kms(sim, projectToken, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const parsed = (await jsonOf(res)) as { error: { error_code: string } };
      assert.equal(parsed.error.error_code, 'KMS.0201');
    }
    assert.equal(
      sim.has('kmsGrant', PROJECT_ID, KEY_ID, GRANT_ID),
      true,
      'no bad call revoked the seeded grant',
    );
  });

  test('KMS revoke-grant: a body without Content-Type application/json is 400', async () => {
    const res = await fetch(`${sim.url}/v1.0/${PROJECT_ID}/kms/revoke-grant`, {
      method: 'POST',
      headers: { 'X-Auth-Token': projectToken, 'Content-Type': 'text/plain' },
      body: JSON.stringify({ key_id: KEY_ID, grant_id: GRANT_ID }),
    });
    assert.equal(res.status, 400);
    assert.equal(sim.has('kmsGrant', PROJECT_ID, KEY_ID, GRANT_ID), true);
  });

  test('ModelArts: 200 {"result":"true"}, then 404 flat ModelArts error', async () => {
    sim.addModelArtsAuthorization(PROJECT_ID, 'user-test-1');
    const first = await call.modelarts(sim, projectToken, 'user-test-1');
    assert.equal(first.status, 200);
    assert.deepEqual(await jsonOf(first), { result: 'true' });
    const second = await call.modelarts(sim, projectToken, 'user-test-1');
    assert.equal(second.status, 404);
    assert.match((await flatError(second)).error_code, /^ModelArts\.\d{4}$/);
  });

  test('ModelArts: user_id=all removes every authorization of the project only, and answers 200 when none are left', async () => {
    sim.addModelArtsAuthorization(OTHER_PROJECT_ID, 'user-eu');
    const otherToken = await token(sim, { project: { id: OTHER_PROJECT_ID } });
    sim.addModelArtsAuthorization(PROJECT_ID, 'user-a');
    sim.addModelArtsAuthorization(PROJECT_ID, 'user-b');
    const all = await call.modelarts(sim, projectToken, 'all');
    assert.equal(all.status, 200);
    assert.deepEqual(await jsonOf(all), { result: 'true' });
    assert.equal(sim.has('modelartsAuthorization', PROJECT_ID, 'user-a'), false);
    assert.equal(sim.has('modelartsAuthorization', PROJECT_ID, 'user-b'), false);
    assert.equal(sim.has('modelartsAuthorization', OTHER_PROJECT_ID, 'user-eu'), true);
    const again = await call.modelarts(sim, projectToken, 'all');
    assert.equal(again.status, 200);
    assert.equal((await call.modelarts(sim, otherToken, 'user-eu', OTHER_PROJECT_ID)).status, 200);
  });

  test('ModelArts: a missing user_id is 400 ModelArts.0104', async () => {
    const res = await call.modelarts(sim, projectToken, undefined);
    assert.equal(res.status, 400);
    assert.equal((await flatError(res)).error_code, 'ModelArts.0104');
  });

  test('an unknown route is 404 flat APIGW.0101 with a request id', async () => {
    const res = await fetch(`${sim.url}/v2/${PROJECT_ID}/nothing-here`, {
      headers: { 'X-Auth-Token': projectToken },
    });
    assert.equal(res.status, 404);
    const body = await flatError(res);
    assert.equal(body.error_code, 'APIGW.0101');
    assert.match(body.request_id, REQUEST_ID);
  });

  test('a known path with the wrong method is 404 APIGW.0101, as the API gateway routes by method', async () => {
    const res = await fetch(`${sim.url}/v1.0/${PROJECT_ID}/kms/revoke-grant`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': projectToken },
    });
    assert.equal(res.status, 404);
    assert.equal((await flatError(res)).error_code, 'APIGW.0101');
    assert.equal(sim.calls().at(-1)?.service, 'kms');
  });

  test('every answer carries a fresh 32-hex X-Request-Id', async () => {
    const a = await call.apig(sim, projectToken, 'no-such-cert');
    const b = await call.apig(sim, projectToken, 'no-such-cert');
    const ids = [a.headers.get('x-request-id'), b.headers.get('x-request-id')];
    for (const id of ids) assert.match(id ?? '', REQUEST_ID);
    assert.notEqual(ids[0], ids[1]);
  });
});

describe('the demo seed', () => {
  test('holds every DEMO_RESOURCES id at start, and none with seed none', async () => {
    const seeded = await startSimulator();
    const empty = await startSimulator({ seed: 'none' });
    try {
      for (const sim of [seeded, empty]) {
        const expected = sim === seeded;
        for (const r of DEMO_RESOURCES.scmPrivacy)
          assert.equal(sim.has('scmPrivacy', r.projectId, r.certId), expected);
        for (const r of DEMO_RESOURCES.csrs) assert.equal(sim.has('csr', r.csrId), expected);
        for (const r of DEMO_RESOURCES.apigCertificates) {
          assert.equal(sim.has('apigCertificate', r.projectId, r.certificateId), expected);
        }
        for (const r of DEMO_RESOURCES.kmsGrants)
          assert.equal(sim.has('kmsGrant', r.projectId, r.keyId, r.grantId), expected);
        for (const r of DEMO_RESOURCES.modelartsAuthorizations) {
          assert.equal(sim.has('modelartsAuthorization', r.projectId, r.userId), expected);
        }
      }
      const tok = await token(seeded);
      assert.equal(
        (await call.kms(seeded, tok, { key_id: KEY_ID, grant_id: GRANT_ID })).status,
        200,
      );
    } finally {
      await seeded.close();
      await empty.close();
    }
  });

  test('has() throws when the ids do not fit the kind', async () => {
    await withSimulator({}, (sim) => {
      assert.throws(
        () => sim.has('kmsGrant', PROJECT_ID, KEY_ID),
        /keyId, grantId|projectId, keyId, grantId/,
      );
    });
  });
});

describe('autoReseed (benchmark mode)', () => {
  test('lets the same well-formed ids be revoked repeatedly, with token checks still applied', async () => {
    await withSimulator({ autoReseed: true, seed: 'none' }, async (sim) => {
      const tok = await token(sim);
      const domainTok = await token(sim, domainScope());
      for (let i = 0; i < 3; i += 1) {
        assert.equal((await call.scmPrivacy(sim, tok, 'scs-any')).status, 200);
        assert.equal((await call.csr(sim, domainTok, 'csr-any-0000000001')).status, 204);
        assert.equal((await call.apig(sim, tok, 'cert-any')).status, 204);
        assert.equal(
          (await call.kms(sim, tok, { key_id: KEY_ID, grant_id: GRANT_ID })).status,
          200,
        );
        assert.equal((await call.modelarts(sim, tok, 'user-any')).status, 200);
      }
      assert.equal((await call.kms(sim, tok, { key_id: 'bad', grant_id: GRANT_ID })).status, 400);
      assert.equal((await call.apig(sim, undefined, 'cert-any')).status, 401);
    });
  });
});
