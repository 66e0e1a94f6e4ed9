import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSimulator } from '../../src/simulator/index.ts';
import type { RecordedCall, Simulator } from '../../src/simulator/index.ts';
import { call, GRANT_ID, jsonOf, KEY_ID, PROJECT_ID, token } from './sim-client.ts';

describe('the /__sim/ control API', () => {
  let sim: Simulator;
  let tok: string;
  const control = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${sim.url}/__sim/${path}`, init);
  const postJson = (path: string, body: unknown): Promise<Response> =>
    control(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  before(async () => {
    sim = await startSimulator();
    tok = await token(sim);
  });
  after(() => sim.close());

  test('GET /__sim/calls lists recorded calls, filtered by service and since, and is not recorded itself', async () => {
    sim.clearCalls();
    await call.apig(sim, tok, 'x');
    await call.kms(sim, tok, { key_id: KEY_ID, grant_id: 'ee'.repeat(32) });
    const all = (await jsonOf(await control('calls'))) as { calls: RecordedCall[] };
    assert.deepEqual(
      all.calls.map((c) => [c.service, c.status]),
      [
        ['apig', 404],
        ['kms', 404],
      ],
    );
    const kms = (await jsonOf(await control('calls?service=kms'))) as { calls: RecordedCall[] };
    assert.equal(kms.calls.length, 1);
    const since = (await jsonOf(await control(`calls?since=${all.calls[0]!.seq}`))) as {
      calls: RecordedCall[];
    };
    assert.deepEqual(
      since.calls.map((c) => c.service),
      ['kms'],
    );
    assert.equal(sim.calls().length, 2, 'control calls are not recorded');
    assert.equal((await control('calls?service=ecs')).status, 400);
  });

  test('DELETE /__sim/calls clears the record', async () => {
    await call.apig(sim, tok, 'x');
    const res = await control('calls', { method: 'DELETE' });
    assert.equal(res.status, 204);
    assert.equal(sim.calls().length, 0);
  });

  test('POST /__sim/faults queues a fault, with count "Infinity" accepted; DELETE clears them', async () => {
    const res = await postJson('faults', {
      service: 'apig',
      kind: 'status',
      status: 503,
      count: 'Infinity',
    });
    assert.equal(res.status, 201);
    assert.deepEqual(await jsonOf(res), { pending: 1 });
    for (let i = 0; i < 3; i += 1) assert.equal((await call.apig(sim, tok, 'x')).status, 503);
    assert.equal((await control('faults', { method: 'DELETE' })).status, 204);
    assert.equal((await call.apig(sim, tok, 'x')).status, 404);
  });

  test('POST /__sim/faults rejects an invalid fault with 400 and the problems', async () => {
    const res = await postJson('faults', {
      service: 'apig',
      kind: 'status',
      status: 'soon',
      colour: 'red',
    });
    assert.equal(res.status, 400);
    const body = (await jsonOf(res)) as { error: string; problems: string[] };
    assert.equal(body.problems.length, 2);
    assert.equal((await control('faults', { method: 'POST', body: 'nope' })).status, 400);
  });

  test('POST /__sim/resources adds resources the services then revoke; GET /__sim/has reports them', async () => {
    const res = await postJson('resources', {
      scmPrivacy: [{ projectId: PROJECT_ID, certId: 'scs-ctl-1' }],
      csrs: [{ csrId: 'csr-ctl-000000000001', domain: 'rescind-demo' }],
      apigCertificates: [{ projectId: PROJECT_ID, certificateId: 'cert-ctl-1', bound: true }],
      kmsGrants: [{ projectId: PROJECT_ID, keyId: KEY_ID, grantId: 'ab'.repeat(32) }],
      modelartsAuthorizations: [{ projectId: PROJECT_ID, userId: 'user-ctl-1' }],
    });
    assert.equal(res.status, 201);
    assert.deepEqual(((await jsonOf(res)) as { added: Record<string, number> }).added.kmsGrants, 1);
    assert.equal(sim.has('csr', 'csr-ctl-000000000001'), true);
    assert.equal(sim.has('apigCertificate', PROJECT_ID, 'cert-ctl-1'), true);
    assert.equal((await call.apig(sim, tok, 'cert-ctl-1')).status, 409);
    const has = async (query: string): Promise<unknown> =>
      ((await jsonOf(await control(`has?${query}`))) as { has: boolean }).has;
    const kmsQuery = `kind=kmsGrant&id=${PROJECT_ID}&id=${KEY_ID}&id=${'ab'.repeat(32)}`;
    assert.equal(await has(kmsQuery), true);
    assert.equal(
      (await call.kms(sim, tok, { key_id: KEY_ID, grant_id: 'ab'.repeat(32) })).status,
      200,
    );
    assert.equal(await has(kmsQuery), false);
    assert.equal(await has(`kind=modelartsAuthorization&id=${PROJECT_ID}&id=user-ctl-1`), true);
    assert.equal((await control(`has?kind=kmsGrant&id=${PROJECT_ID}`)).status, 400);
    assert.equal((await control('has?kind=ecsServer&id=x')).status, 400);
  });

  test('POST /__sim/resources rejects unknown lists and incomplete items', async () => {
    const res = await postJson('resources', {
      kmsGrants: [{ projectId: PROJECT_ID, keyId: KEY_ID }],
      servers: [],
    });
    assert.equal(res.status, 400);
    const body = (await jsonOf(res)) as { problems: string[] };
    assert.equal(body.problems.length, 2);
    assert.equal(sim.has('kmsGrant', PROJECT_ID, KEY_ID, GRANT_ID), true);
  });

  test('POST /__sim/tokens/revoke makes issued tokens invalid', async () => {
    const own = await token(sim);
    assert.equal((await control('tokens/revoke', { method: 'POST' })).status, 204);
    assert.equal((await call.apig(sim, own, 'x')).status, 401);
    tok = await token(sim);
  });

  test('GET /__sim/stats reports issued tokens, calls per service and pending faults', async () => {
    sim.clearCalls();
    sim.clearFaults();
    const issued = sim.issuedTokens();
    await call.apig(sim, tok, 'x');
    await call.apig(sim, tok, 'y');
    sim.injectFault({ service: 'kms', kind: 'hang' });
    const stats = (await jsonOf(await control('stats'))) as {
      issuedTokens: number;
      calls: Record<string, number>;
      recordedCalls: number;
      pendingFaults: number;
    };
    assert.equal(stats.issuedTokens, issued);
    assert.deepEqual(stats.calls, { iam: 0, scm: 0, apig: 2, kms: 0, modelarts: 0, metadata: 0 });
    assert.equal(stats.recordedCalls, 2);
    assert.equal(stats.pendingFaults, 1);
    sim.clearFaults();
  });

  test('unknown control routes are 404 and wrong methods 405 with Allow', async () => {
    assert.equal((await control('nothing')).status, 404);
    const res = await control('stats', { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
  });
});
