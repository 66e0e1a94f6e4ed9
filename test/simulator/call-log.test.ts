import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallLog } from '../../src/simulator/call-log.ts';
import {
  call,
  KMS_BODY,
  passwordAuth,
  postTokens,
  PROJECT_ID,
  projectScope,
  token,
} from './sim-client.ts';
import { withSimulator } from './support.ts';

test('records IAM calls with the query, the body as received and the answered status', async () => {
  await withSimulator({}, async (sim) => {
    const body = passwordAuth(projectScope());
    await postTokens(sim, body);
    const [recorded] = sim.calls({ service: 'iam' });
    assert.equal(recorded?.service, 'iam');
    assert.equal(recorded.method, 'POST');
    assert.equal(recorded.path, '/v3/auth/tokens');
    assert.deepEqual(recorded.query, { nocatalog: 'true' });
    assert.equal(recorded.body, body);
    assert.equal(recorded.status, 201);
    assert.equal(recorded.token, undefined);
    assert.equal(recorded.headers['content-type'], 'application/json');
  });
});

test('records service calls with lower-cased headers, the token and its scope', async () => {
  await withSimulator({}, async (sim) => {
    const tok = await token(sim);
    sim.clearCalls();
    await call.kms(sim, tok, KMS_BODY);
    await call.modelarts(sim, tok, 'all');
    await call.apig(sim, 'MIInot-a-token', 'x');
    const [kms, modelarts, apig, ...rest] = sim.calls();
    assert.equal(rest.length, 0);
    assert.equal(kms?.service, 'kms');
    assert.equal(kms.status, 200);
    assert.equal(kms.token, tok);
    assert.equal(kms.headers['x-auth-token'], tok);
    assert.deepEqual(kms.tokenScope, { kind: 'project', projectId: PROJECT_ID });
    assert.deepEqual(JSON.parse(kms.body), KMS_BODY);
    assert.equal(kms.path, `/v1.0/${PROJECT_ID}/kms/revoke-grant`);
    assert.deepEqual(modelarts?.query, { user_id: 'all' });
    assert.equal(modelarts.path, `/v2/${PROJECT_ID}/authorizations`);
    assert.equal(modelarts.body, '');
    assert.deepEqual(apig?.tokenScope, { kind: 'invalid' });
    assert.equal(apig.status, 401);
    assert.ok(kms.seq < modelarts.seq && modelarts.seq < apig.seq);
    assert.equal(sim.calls({ service: 'apig' }).length, 1);
  });
});

test('records the fault kind and keeps seq counting across clearCalls()', async () => {
  await withSimulator({}, async (sim) => {
    sim.injectFault({ service: 'scm', kind: 'status', status: 503 });
    await call.scmPrivacy(sim, undefined, 'x');
    const [faulted] = sim.calls();
    assert.equal(faulted?.fault, 'status');
    assert.equal(faulted.status, 503);
    sim.clearCalls();
    assert.equal(sim.calls().length, 0);
    await call.scmPrivacy(sim, undefined, 'x');
    assert.ok((sim.calls()[0]?.seq ?? 0) > faulted.seq);
    assert.equal(sim.calls()[0]?.fault, undefined);
  });
});

test('keeps only the newest callLogLimit calls', async () => {
  await withSimulator({ callLogLimit: 3 }, async (sim) => {
    for (let i = 0; i < 5; i += 1) await call.apig(sim, undefined, `cert-${i}`);
    const paths = sim.calls().map((c) => c.path.split('/').at(-1));
    assert.deepEqual(paths, ['cert-2', 'cert-3', 'cert-4']);
  });
});

test('returns copies, so a caller cannot change the record', async () => {
  await withSimulator({}, async (sim) => {
    await call.apig(sim, undefined, 'x');
    const [first] = sim.calls();
    first!.status = 999;
    assert.equal(sim.calls()[0]?.status, 401);
  });
});

test('the ring buffer keeps order and per-service counts through wrap-around', () => {
  const log = new CallLog(2);
  const base = { method: 'GET', path: '/', query: {}, headers: {}, body: '', status: 200 };
  log.record({ ...base, service: 'kms' });
  log.record({ ...base, service: 'scm' });
  log.record({ ...base, service: 'kms' });
  assert.deepEqual(
    log.list().map((c) => [c.seq, c.service]),
    [
      [2, 'scm'],
      [3, 'kms'],
    ],
  );
  assert.deepEqual(
    log.list({ afterSeq: 2 }).map((c) => c.seq),
    [3],
  );
  assert.equal(log.counts().kms, 2, 'counts include calls the ring dropped');
  log.clear();
  assert.equal(log.size, 0);
  assert.equal(log.counts().kms, 0);
  assert.equal(log.record({ ...base, service: 'iam' }).seq, 4);
});
