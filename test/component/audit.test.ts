// The audit trail through the whole gateway (docs/api.md "Audit records"): which records
// each request leaves, that they are committed before the cloud is called and before the caller
// hears anything, that the gateway fails closed — and recovers — when the store cannot commit
// for real, the GET /v1/audit API, and `npm run audit:verify` on the gateway's own database.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { AuditRecord } from '../../src/audit/audit-record.ts';
import { DEMO_ACCOUNT, DEMO_RESOURCES, startSimulator } from '../../src/simulator/index.ts';
import {
  DEFAULT_PROJECT,
  startGateway,
  type GatewayOptions,
  type TestGateway,
} from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import {
  defer,
  diskFull,
  holdLock,
  readOnly,
  tempDir,
  waitFor,
  type WriteFault,
} from '../unit/audit/audit-test-kit.ts';
import {
  APIG_PATH,
  KMS_GRANT,
  KMS_PATH,
  SCM_PATH,
  callRoute,
  eventually,
  gate,
  readTrail,
  startUpstreamTap,
  type Answer,
} from './support-audit-trail.ts';

const VERIFY_CLI = fileURLToPath(new URL('../../src/audit/cli/verify-cli.ts', import.meta.url));
const PROBLEM_JSON = /^application\/problem\+json/;
/** "Within about a second": the trail's write deadline is 800 ms; this only says "not hung". */
const REFUSAL_BOUND_MS = 2000;

/** A gateway whose cleanup runs in the audit kit's last-in-first-out order (before unmounts). */
async function gatewayFor(t: TestContext, options: GatewayOptions = {}): Promise<TestGateway> {
  const gw = await startGateway(options);
  defer(t, () => gw.close());
  return gw;
}

function recordsOf(gw: TestGateway, requestId: string): AuditRecord[] {
  return readTrail(gw.auditPath, requestId);
}

function assertRequestFacts(
  record: AuditRecord,
  expected: Pick<AuditRecord, 'requestId' | 'actor' | 'operation' | 'project' | 'target'>,
): void {
  assert.equal(record.requestId, expected.requestId);
  assert.deepEqual(record.actor, expected.actor);
  assert.deepEqual(record.client, { ip: '127.0.0.1' });
  assert.equal(record.operation, expected.operation);
  assert.deepEqual(record.project, expected.project);
  assert.deepEqual(record.target, expected.target);
}

const ALICE = {
  subject: 'alice',
  email: 'alice@example.invalid',
  groups: ['secops'],
  via: 'jwt' as const,
};
const KMS_TARGET = { keyId: KMS_GRANT.keyId, grantId: KMS_GRANT.grantId };
const DEFAULT = { alias: 'default', id: DEFAULT_PROJECT };

describe('the records each revocation request leaves', () => {
  const gw = suiteScoped(() => startGateway({ simulator: { autoReseed: true } }));

  test('a revocation leaves an attempt, then an outcome naming it, and answers with the outcome as auditId', async () => {
    const answer = await callRoute(`${gw.url}${KMS_PATH}`, {
      token: await gw.token(),
      requestId: 'audit-revoked-1',
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.result, 'revoked');

    const records = recordsOf(gw, 'audit-revoked-1');
    assert.deepEqual(
      records.map((record) => record.phase),
      ['attempt', 'outcome'],
    );
    const [attempt, outcome] = records as [AuditRecord, AuditRecord];
    for (const record of records) {
      assertRequestFacts(record, {
        requestId: 'audit-revoked-1',
        actor: ALICE,
        operation: 'kms.revokeGrant',
        project: DEFAULT,
        target: KMS_TARGET,
      });
    }
    assert.equal(attempt.outcome, undefined);
    assert.ok(outcome.seq > attempt.seq);
    assert.equal(answer.body.auditId, outcome.id);

    const upstream = answer.body.upstream as { status: number; requestId: string };
    const facts = outcome.outcome;
    assert.equal(facts?.result, 'revoked');
    assert.equal(facts.status, 200);
    assert.equal(facts.code, null);
    assert.equal(facts.attempts, 1);
    assert.equal(facts.attemptId, attempt.id);
    assert.equal(typeof facts.durationMs, 'number');
    assert.ok((facts.durationMs ?? -1) >= 0);
    assert.deepEqual(facts.upstream, {
      status: 200,
      code: null,
      message: null,
      requestId: upstream.requestId,
    });
    assert.equal(gw.sim.calls({ service: 'kms' }).length, 1);
  });

  test('a failure the cloud reports leaves an attempt and a failed outcome with its upstream facts', async () => {
    gw.sim.injectFault({
      service: 'apig',
      kind: 'status',
      status: 409,
      body: { error_code: 'APIG.3451', error_msg: 'The certificate is bound to a domain.' },
    });
    const answer = await callRoute(`${gw.url}${APIG_PATH}`, {
      token: await gw.token(),
      requestId: 'audit-conflict-1',
    });
    assert.equal(answer.status, 409);
    const [attempt, outcome] = recordsOf(gw, 'audit-conflict-1') as [AuditRecord, AuditRecord];
    assert.equal(attempt.phase, 'attempt');
    assert.equal(answer.body.auditId, outcome.id);
    assert.equal(outcome.outcome?.result, 'failed');
    assert.equal(outcome.outcome.status, 409);
    assert.equal(outcome.outcome.code, 'CONFLICT');
    assert.equal(outcome.outcome.attemptId, attempt.id);
    assert.equal(outcome.outcome.upstream?.status, 409);
    assert.equal(outcome.outcome.upstream.code, 'APIG.3451');
  });

  const refusals: {
    name: string;
    path: string;
    token: () => Promise<string | undefined>;
    status: number;
    code: string;
    result: string;
    facts: Pick<AuditRecord, 'actor' | 'project' | 'target' | 'operation'>;
  }[] = [
    {
      name: 'an unauthenticated request',
      path: KMS_PATH,
      token: () => Promise.resolve(undefined),
      status: 401,
      code: 'UNAUTHENTICATED',
      result: 'unauthenticated',
      facts: {
        actor: { subject: null, email: null, groups: [], via: null },
        operation: 'kms.revokeGrant',
        project: { alias: null, id: null },
        target: KMS_TARGET,
      },
    },
    {
      name: 'an invalid request',
      path: `/v1/kms/keys/not-a-key/grants/${KMS_GRANT.grantId}`,
      token: () => gw.token(),
      status: 400,
      code: 'INVALID_REQUEST',
      result: 'invalid',
      facts: {
        actor: ALICE,
        operation: 'kms.revokeGrant',
        project: { alias: null, id: null },
        target: { keyId: 'not-a-key', grantId: KMS_GRANT.grantId },
      },
    },
    {
      name: 'a denied request',
      path: SCM_PATH,
      token: () => gw.token('kms-only', []),
      status: 403,
      code: 'FORBIDDEN',
      result: 'denied',
      facts: {
        actor: { subject: 'kms-only', email: 'kms-only@example.invalid', groups: [], via: 'jwt' },
        operation: 'scm.revokePrivacy',
        project: DEFAULT,
        target: { certId: DEMO_RESOURCES.scmPrivacy[0].certId },
      },
    },
  ];
  for (const refusal of refusals) {
    test(`${refusal.name} leaves exactly one outcome, ${refusal.result}, no attempt, and calls no upstream`, async () => {
      gw.sim.clearCalls();
      const requestId = `audit-${refusal.result}-1`;
      const token = await refusal.token();
      const answer = await callRoute(`${gw.url}${refusal.path}`, {
        ...(token !== undefined ? { token } : {}),
        requestId,
      });
      assert.equal(answer.status, refusal.status);
      assert.match(answer.headers.get('content-type') ?? '', PROBLEM_JSON);
      assert.equal(answer.body.code, refusal.code);

      const records = recordsOf(gw, requestId);
      assert.equal(records.length, 1);
      const [outcome] = records as [AuditRecord];
      assert.equal(outcome.phase, 'outcome');
      assertRequestFacts(outcome, { requestId, ...refusal.facts });
      assert.equal(answer.body.auditId, outcome.id);
      assert.equal(outcome.outcome?.result, refusal.result);
      assert.equal(outcome.outcome.status, refusal.status);
      assert.equal(outcome.outcome.code, refusal.code);
      assert.equal(outcome.outcome.attempts, 0);
      assert.equal(outcome.outcome.upstream, null);
      assert.equal(outcome.outcome.attemptId, undefined);
      assert.deepEqual(gw.sim.calls(), []);
    });
  }

  test('a rate-limited request leaves exactly one outcome, rate-limited, no attempt, and calls no upstream', async (t) => {
    const limited = await gatewayFor(t, {
      config: { rateLimit: { windowSeconds: 60, perCaller: 1 } },
      simulator: { autoReseed: true },
    });
    const token = await limited.token();
    assert.equal(
      (await callRoute(`${limited.url}${KMS_PATH}`, { token, requestId: 'rl-1' })).status,
      200,
    );
    limited.sim.clearCalls();

    const answer = await callRoute(`${limited.url}${KMS_PATH}`, { token, requestId: 'rl-2' });
    assert.equal(answer.status, 429);
    assert.equal(answer.body.code, 'RATE_LIMITED');
    const records = recordsOf(limited, 'rl-2');
    assert.equal(records.length, 1);
    const [outcome] = records as [AuditRecord];
    assertRequestFacts(outcome, {
      requestId: 'rl-2',
      actor: ALICE,
      operation: 'kms.revokeGrant',
      project: { alias: null, id: null },
      target: KMS_TARGET,
    });
    assert.equal(answer.body.auditId, outcome.id);
    assert.equal(outcome.outcome?.result, 'rate-limited');
    assert.equal(outcome.outcome.status, 429);
    assert.equal(outcome.outcome.attempts, 0);
    assert.deepEqual(limited.sim.calls(), []);
  });
});

describe('write-ahead: committed before the cloud is called and before the caller is answered', () => {
  test('the attempt is committed, and no outcome yet, when the cloud receives the call', async (t) => {
    const sim = await startSimulator({ autoReseed: true });
    defer(t, () => sim.close());
    let auditPath = '';
    const seen: { requestId: string | undefined; phases: string[] }[] = [];
    const tap = await startUpstreamTap(sim.url, (call) => {
      // Read by another connection the moment the call arrives: only committed records show.
      seen.push({
        requestId: call.requestId,
        phases: readTrail(auditPath, call.requestId).map((record) => record.phase),
      });
    });
    defer(t, () => tap.close());
    const gw = await gatewayFor(t, { sim, env: { RESCIND_KMS_ENDPOINT: tap.url } });
    auditPath = gw.auditPath;

    const token = await gw.token();
    for (const requestId of ['wal-1', 'wal-2', 'wal-3']) {
      const answer = await callRoute(`${gw.url}${KMS_PATH}`, { token, requestId });
      assert.equal(answer.status, 200);
    }
    assert.deepEqual(seen, [
      { requestId: 'wal-1', phases: ['attempt'] },
      { requestId: 'wal-2', phases: ['attempt'] },
      { requestId: 'wal-3', phases: ['attempt'] },
    ]);
  });

  test('the outcome is committed when the answer arrives, for successes and failures alike', async (t) => {
    const gw = await gatewayFor(t, { simulator: { autoReseed: true } });
    const token = await gw.token();
    gw.sim.injectFault({ service: 'kms', kind: 'status', status: 404, count: 1 });
    gw.sim.injectFault({ service: 'scm', kind: 'html', status: 502, count: 3 });
    const calls: [string, string, number][] = [
      ['out-1', KMS_PATH, 404],
      ['out-2', KMS_PATH, 200],
      ['out-3', SCM_PATH, 502],
      ['out-4', APIG_PATH, 200],
    ];
    for (const [requestId, path, status] of calls) {
      const response = await fetch(`${gw.url}${path}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${token}`, 'X-Request-Id': requestId },
      });
      // Read at once, before the body: the status line alone is already an answer.
      const outcomes = readTrail(gw.auditPath, requestId).filter((r) => r.phase === 'outcome');
      assert.equal(response.status, status);
      assert.equal(outcomes.length, 1, `${requestId} has its outcome when answered`);
      const [outcome] = outcomes as [AuditRecord];
      assert.equal(outcome.outcome?.status, status);
      const body = (await response.json()) as { auditId?: string };
      assert.equal(body.auditId, outcome.id);
    }
  });
});

describe('fail closed: the store cannot commit', () => {
  function assertNoSecret(text: string, token: string): void {
    assert.ok(!text.includes(DEMO_ACCOUNT.password), 'no password');
    assert.ok(!text.includes(token), 'no caller token');
    assert.doesNotMatch(text, /Bearer|MII/);
  }

  async function readiness(gw: TestGateway): Promise<{ status: number; text: string }> {
    const response = await fetch(`${gw.url}/readyz`);
    return { status: response.status, text: await response.text() };
  }

  async function refused(gw: TestGateway, token: string, requestId: string): Promise<Answer> {
    const started = performance.now();
    const answer = await callRoute(`${gw.url}${KMS_PATH}`, { token, requestId });
    const elapsed = performance.now() - started;
    assert.equal(answer.status, 503);
    assert.match(answer.headers.get('content-type') ?? '', PROBLEM_JSON);
    assert.equal(answer.body.code, 'AUDIT_UNAVAILABLE');
    assert.equal(answer.body.requestId, requestId);
    assert.ok(elapsed < REFUSAL_BOUND_MS, `refused after ${Math.round(elapsed)} ms`);
    return answer;
  }

  async function recovers(
    gw: TestGateway,
    token: string,
    requestId: string,
    auditPath = gw.auditPath,
  ): Promise<void> {
    await eventually(
      async () => (await readiness(gw)).status === 200,
      '/readyz to turn 200 again without a restart',
    );
    const answer = await callRoute(`${gw.url}${KMS_PATH}`, { token, requestId });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.result, 'revoked');
    const records = readTrail(auditPath, requestId);
    assert.deepEqual(
      records.map((record) => record.phase),
      ['attempt', 'outcome'],
    );
  }

  test('answers 503 AUDIT_UNAVAILABLE and calls no upstream, not even IAM, while another process holds the lock; recovers when it lets go', async (t) => {
    const gw = await gatewayFor(t, { simulator: { autoReseed: true } });
    const token = await gw.token();
    const lock = await holdLock(t, gw.auditPath);

    const answer = await refused(gw, token, 'locked-1');
    assert.equal(answer.body.auditId, undefined, 'nothing could be audited');
    assert.deepEqual(gw.sim.calls(), [], 'the cloud was not called at all');
    assert.deepEqual(readTrail(gw.auditPath), []);

    const ready = await readiness(gw);
    assert.equal(ready.status, 503);
    // Callers read a stable code; the path and the driver's words are for the log.
    assert.match(ready.text, /"reasons":\["audit-store-not-durable"\]/);
    assert.ok(!ready.text.includes(gw.auditPath), 'no file path on /readyz');
    assert.match(gw.logs(), /is locked by another connection/);
    assertNoSecret(ready.text, token);
    assert.match(gw.logs(), /audit store failing/);
    assertNoSecret(gw.logs(), token);

    await lock.release();
    await recovers(gw, token, 'locked-after');

    // The refused request is audited too, once the store is back: its outcome was kept.
    const [outcome, ...rest] = readTrail(gw.auditPath, 'locked-1');
    assert.equal(rest.length, 0, 'one record, no attempt');
    assert.equal(outcome?.phase, 'outcome');
    assert.equal(outcome.outcome?.result, 'failed');
    assert.equal(outcome.outcome.status, 503);
    assert.equal(outcome.outcome.code, 'AUDIT_UNAVAILABLE');
    assert.equal(outcome.outcome.attempts, 0);
  });

  const faults: [string, (t: TestContext) => WriteFault][] = [
    ['the disk is full', diskFull],
    ['the database becomes read-only', readOnly],
  ];
  for (const [name, produce] of faults) {
    test(`answers 503 AUDIT_UNAVAILABLE and calls no upstream when ${name}; recovers once it clears`, async (t) => {
      const fault = produce(t);
      t.diagnostic(`fault: ${fault.how}`);
      const auditPath = join(fault.dir, 'audit.db');
      const gw = await gatewayFor(t, {
        simulator: { autoReseed: true },
        env: { RESCIND_AUDIT_SQLITE_PATH: auditPath },
      });
      const token = await gw.token();
      assert.equal(
        (await callRoute(`${gw.url}${KMS_PATH}`, { token, requestId: 'before' })).status,
        200,
      );

      fault.inject();
      // SQLite may still reuse space it has; the first request that needs more is refused.
      let answer: Answer | undefined;
      for (let index = 0; index < 2000 && answer?.status !== 503; index += 1) {
        gw.sim.clearCalls();
        answer = await callRoute(`${gw.url}${KMS_PATH}`, { token, requestId: `during-${index}` });
        assert.ok(answer.status === 200 || answer.status === 503, `answered ${answer.status}`);
      }
      assert.equal(answer?.status, 503, 'the fault refuses records');
      assert.deepEqual(gw.sim.calls(), [], 'the refused request did not reach the cloud');
      gw.sim.clearCalls();
      await refused(gw, token, 'still-failing');
      assert.deepEqual(gw.sim.calls(), []);

      const ready = await readiness(gw);
      assert.equal(ready.status, 503);
      assert.match(ready.text, /"reasons":\["audit-store-not-durable"\]/);
      assert.match(gw.logs(), fault.reason);
      assertNoSecret(ready.text, token);

      fault.clear();
      await recovers(gw, token, 'after', auditPath);
    });
  }

  test('answers 503, not revoked, when the outcome cannot be committed, and writes that outcome, deferred, once the store is back', async (t) => {
    const sim = await startSimulator();
    defer(t, () => sim.close());
    const held = gate();
    const tap = await startUpstreamTap(sim.url, () => held.opened);
    defer(t, () => tap.close());
    const gw = await gatewayFor(t, { sim, env: { RESCIND_KMS_ENDPOINT: tap.url } });
    const token = await gw.token();

    const pending = callRoute(`${gw.url}${KMS_PATH}`, { token, requestId: 'late-fault' });
    await tap.nextCall();
    // The attempt is committed and the call is at the cloud's door: now the store fails.
    const [attempt] = readTrail(gw.auditPath, 'late-fault') as [AuditRecord];
    assert.equal(attempt.phase, 'attempt');
    const lock = await holdLock(t, gw.auditPath);
    held.open();

    const answer = await pending;
    assert.equal(answer.status, 503);
    assert.equal(answer.body.code, 'AUDIT_UNAVAILABLE');
    assert.equal(answer.body.auditId, attempt.id, 'the attempt is what was audited');
    assert.equal(sim.has('kmsGrant', DEFAULT_PROJECT, KMS_GRANT.keyId, KMS_GRANT.grantId), false);
    assert.deepEqual(
      readTrail(gw.auditPath, 'late-fault').map((record) => record.phase),
      ['attempt'],
    );

    await lock.release();
    await waitFor(
      () => readTrail(gw.auditPath, 'late-fault').length === 2,
      'the deferred outcome to be written',
    );
    const outcome = readTrail(gw.auditPath, 'late-fault')[1];
    assert.equal(outcome?.phase, 'outcome');
    assert.equal(outcome.outcome?.result, 'revoked', 'what happened upstream');
    assert.equal(outcome.outcome.attemptId, attempt.id);
    assert.deepEqual(outcome.outcome.deferred, {
      answeredStatus: 503,
      answeredCode: 'AUDIT_UNAVAILABLE',
    });

    const second = DEMO_RESOURCES.kmsGrants[1];
    const next = await callRoute(`${gw.url}/v1/kms/keys/${second.keyId}/grants/${second.grantId}`, {
      token,
      requestId: 'late-fault-after',
    });
    assert.equal(next.status, 200);
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200);
  });
});

describe('GET /v1/audit', () => {
  let gw: TestGateway;
  let auditor: string;
  let revoker: string;
  before(async () => {
    gw = await startGateway({ simulator: { autoReseed: true } });
    auditor = await gw.token('auditor', []);
    revoker = await gw.token();
    const bob = await gw.token('bob');
    const calls: [string, string, string | undefined][] = [
      ['mix-1', KMS_PATH, revoker],
      ['mix-2', KMS_PATH, revoker],
      ['mix-3', SCM_PATH, bob],
      ['mix-4', SCM_PATH, await gw.token('kms-only', [])],
      ['mix-5', KMS_PATH, undefined],
      ['mix-6', `/v1/kms/keys/bad/grants/${KMS_GRANT.grantId}`, bob],
      ['mix-7', APIG_PATH, bob],
      ['mix-8', KMS_PATH, revoker],
    ];
    for (const [requestId, path, token] of calls) {
      await callRoute(`${gw.url}${path}`, { requestId, ...(token !== undefined ? { token } : {}) });
    }
  });
  after(() => gw.close());

  async function query(
    params: Record<string, string> | string,
    accept = 'application/json',
  ): Promise<Response> {
    return fetch(`${gw.url}/v1/audit?${new URLSearchParams(params).toString()}`, {
      headers: { Authorization: `Bearer ${auditor}`, Accept: accept },
    });
  }

  async function page(params: Record<string, string>) {
    const response = await query(params);
    assert.equal(response.status, 200);
    return (await response.json()) as { items: AuditRecord[]; nextCursor: string | null };
  }

  test('filters by operation, actor, result, requestId, since and until, alone and together', async () => {
    const all = readTrail(gw.auditPath);
    const middle = all[Math.floor(all.length / 2)]?.time ?? '';
    const cases: [Record<string, string>, (record: AuditRecord) => boolean][] = [
      [{ operation: 'scm.revokePrivacy' }, (r) => r.operation === 'scm.revokePrivacy'],
      [{ actor: 'bob' }, (r) => r.actor.subject === 'bob'],
      [{ result: 'revoked' }, (r) => r.outcome?.result === 'revoked'],
      [{ result: 'denied' }, (r) => r.outcome?.result === 'denied'],
      [{ result: 'unauthenticated' }, (r) => r.outcome?.result === 'unauthenticated'],
      [{ requestId: 'mix-2' }, (r) => r.requestId === 'mix-2'],
      [{ since: middle }, (r) => r.time >= middle],
      [{ until: middle }, (r) => r.time < middle],
      [
        { operation: 'kms.revokeGrant', actor: 'alice', result: 'revoked' },
        (r) =>
          r.operation === 'kms.revokeGrant' &&
          r.actor.subject === 'alice' &&
          r.outcome?.result === 'revoked',
      ],
      [
        { since: all[2]?.time ?? '', until: middle },
        (r) => r.time >= (all[2]?.time ?? '') && r.time < middle,
      ],
    ];
    for (const [params, matches] of cases) {
      // Every query adds its own audit.read record, which the next queries may match.
      const current = readTrail(gw.auditPath);
      const expected = current.filter(matches).map((record) => record.id);
      assert.ok(expected.length > 0 && expected.length < current.length, JSON.stringify(params));
      const result = await page({ ...params, limit: '1000' });
      assert.deepEqual(
        result.items.map((record) => record.id),
        expected,
        JSON.stringify(params),
      );
      assert.equal(result.nextCursor, null);
    }
  });

  test('pages with limit and cursor without gaps or duplicates while revocations are appended', async () => {
    const before = readTrail(gw.auditPath).length;
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let index = 0; index < 25; index += 1) {
          const answer = await callRoute(`${gw.url}${KMS_PATH}`, {
            token: revoker,
            requestId: `load-${worker}-${index}`,
          });
          assert.equal(answer.status, 200);
        }
      }),
    );

    const seqs: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const result = await page({ limit: '7', ...(cursor !== null ? { cursor } : {}) });
      assert.ok(result.items.length <= 7);
      seqs.push(...result.items.map((record) => record.seq));
      cursor = result.nextCursor;
      pages += 1;
      // And one more revocation between every two pages, whatever the load is doing.
      await callRoute(`${gw.url}${KMS_PATH}`, { token: revoker, requestId: `between-${pages}` });
    } while (cursor !== null);
    await load;

    assert.deepEqual(
      seqs,
      Array.from({ length: seqs.length }, (_, index) => index + 1),
      'every seq once, in order',
    );
    assert.ok(seqs.length > before, 'records appended while paging were paged too');

    // Filtered pages chain the same way.
    const kms: string[] = [];
    cursor = null;
    do {
      const result = await page({
        operation: 'kms.revokeGrant',
        result: 'revoked',
        limit: '50',
        ...(cursor !== null ? { cursor } : {}),
      });
      kms.push(...result.items.map((record) => record.id));
      cursor = result.nextCursor;
    } while (cursor !== null);
    assert.deepEqual(
      kms,
      readTrail(gw.auditPath)
        .filter((r) => r.operation === 'kms.revokeGrant' && r.outcome?.result === 'revoked')
        .map((r) => r.id),
    );
  });

  test('streams every match as NDJSON with Accept: application/x-ndjson, past one read batch and ignoring limit', async () => {
    // More records than the API reads from the store at a time (500).
    let count = readTrail(gw.auditPath).length;
    for (let round = 0; count <= 600; round += 1) {
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          callRoute(`${gw.url}${KMS_PATH}`, {
            token: revoker,
            requestId: `bulk-${round}-${index}`,
          }),
        ),
      );
      count = readTrail(gw.auditPath).length;
    }

    const streams: Record<string, string>[] = [{ limit: '1' }, { result: 'revoked', limit: '1' }];
    for (const params of streams) {
      const response = await query(params, 'application/x-ndjson');
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/x-ndjson/);
      const text = await response.text();
      assert.ok(text.endsWith('\n'));
      const streamed = text
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as AuditRecord).id);
      const trail = readTrail(gw.auditPath).filter(
        (record) => params.result === undefined || record.outcome?.result === 'revoked',
      );
      assert.deepEqual(
        streamed,
        trail.slice(0, streamed.length).map((record) => record.id),
      );
      // All that follows is the export's own audit.read outcome, written as the stream ended.
      assert.deepEqual(
        trail.slice(streamed.length).map((record) => [record.operation, record.phase]),
        params.result === undefined ? [['audit.read', 'outcome']] : [],
      );
    }
  });

  const badQueries: [string, string][] = [
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['since=yesterday', 'since'],
    ['until=2024-13-45T00:00:00Z', 'until'],
    ['since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z', 'until'],
    ['result=maybe', 'result'],
    ['cursor=not-a-cursor', 'cursor'],
    ['operation=a&operation=b', 'operation'],
    ['actor=', 'actor'],
    ['subject=alice', 'subject'],
  ];
  for (const [search, field] of badQueries) {
    test(`answers 400 INVALID_REQUEST naming ${field} for ?${search}`, async () => {
      const response = await query(search);
      assert.equal(response.status, 400);
      assert.match(response.headers.get('content-type') ?? '', PROBLEM_JSON);
      const problem = (await response.json()) as {
        code: string;
        errors?: { field: string; message: string }[];
      };
      assert.equal(problem.code, 'INVALID_REQUEST');
      assert.ok(
        problem.errors?.some((error) => error.field === field),
        JSON.stringify(problem.errors),
      );
    });
  }

  test('is for callers with audit.read only', async () => {
    assert.equal((await fetch(`${gw.url}/v1/audit`)).status, 401);
    const denied = await fetch(`${gw.url}/v1/audit`, {
      headers: { Authorization: `Bearer ${await gw.token('kms-only', [])}` },
    });
    assert.equal(denied.status, 403);
    assert.equal((await query({ limit: '1' })).status, 200);
  });
});

describe('npm run audit:verify on the gateway database', () => {
  function verify(sqlitePath: string, dir: string) {
    const configFile = join(dir, `verify-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(configFile, stringify({ audit: { sqlitePath, instanceId: 'test' } }));
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [VERIFY_CLI],
        { env: { PATH: process.env.PATH ?? '', RESCIND_CONFIG: configFile } },
        (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
        },
      );
    });
  }

  /** A consistent copy of the live database, edited by someone with write access to it. */
  function tamperedCopy(source: string, dir: string, sql: string): string {
    const copy = join(dir, `copy-${Math.random().toString(36).slice(2)}.db`);
    const reader = new DatabaseSync(source, { readOnly: true });
    reader.exec(`VACUUM INTO '${copy}'`);
    reader.close();
    const db = new DatabaseSync(copy);
    db.exec('DROP TRIGGER audit_records_no_update');
    db.exec(sql);
    db.close();
    return copy;
  }

  test('exits 0 after a mixed run, and 1 naming the seq of a record whose body was edited', async (t) => {
    const gw = await gatewayFor(t, { simulator: { autoReseed: true } });
    const dir = tempDir(t);
    const token = await gw.token();
    gw.sim.injectFault({ service: 'kms', kind: 'status', status: 404 });
    const calls: [string, string, string | undefined][] = [
      ['v-1', KMS_PATH, token],
      ['v-2', KMS_PATH, token],
      ['v-3', SCM_PATH, token],
      ['v-4', KMS_PATH, undefined],
      ['v-5', SCM_PATH, await gw.token('kms-only', [])],
      ['v-6', `/v1/scm/csrs/short`, token],
      ['v-7', APIG_PATH, token],
    ];
    for (const [requestId, path, bearer] of calls) {
      await callRoute(`${gw.url}${path}`, {
        requestId,
        ...(bearer !== undefined ? { token: bearer } : {}),
      });
    }
    const records = readTrail(gw.auditPath);
    const results = new Set(records.map((record) => record.outcome?.result));
    assert.deepEqual(
      [...results].sort(),
      ['denied', 'failed', 'invalid', 'revoked', 'unauthenticated', undefined].sort(),
    );

    const intact = await verify(gw.auditPath, dir);
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, new RegExp(`intact: ${records.length} records in 1 chain`));

    const outcome = records.find((r) => r.requestId === 'v-3' && r.phase === 'outcome');
    assert.equal(outcome?.outcome?.result, 'revoked');
    const edits = [
      // A field that is also an index column: the API and exports serve the body.
      `UPDATE audit_records SET body = replace(body, '"result":"revoked"', '"result":"failed"') WHERE seq = ${outcome.seq}`,
      `UPDATE audit_records SET body = replace(body, '"ip":"127.0.0.1"', '"ip":"10.9.8.7"') WHERE seq = ${outcome.seq}`,
    ];
    for (const edit of edits) {
      const broken = await verify(tamperedCopy(gw.auditPath, dir, edit), dir);
      assert.equal(broken.code, 1, edit);
      assert.match(
        broken.stderr,
        new RegExp(`BROKEN at seq ${outcome.seq} of chain test\\b`),
        edit,
      );
    }
  });
});
