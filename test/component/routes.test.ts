// Every route of docs/api.md "Routes" through the whole gateway (config file, JWT, audit, token exchange)
// against the simulator: what the caller sees, and exactly what the cloud received.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { OPERATIONS, OPERATION_NAMES } from '../../src/operations/catalog.ts';
import { DEMO_ACCOUNT, type RecordedCall } from '../../src/simulator/index.ts';
import { startGateway } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import {
  DEFAULT_PROJECT,
  EU_CONFIG,
  EU_PROJECT,
  OPERATION_FIXTURES,
  call,
  callerTrace,
  callsSince,
  expectInvalid,
  expectProblem,
  expectRevoked,
  markCalls,
  onlyServiceCallSince,
  seedDefault,
  serviceCallsSince,
  uniqueId,
  withQuery,
  type SeededRevocation,
} from './support-routes.ts';
import type { OperationFixture } from '../fixtures/operations.ts';

const gw = suiteScoped(() => startGateway({ config: EU_CONFIG }));

interface Expected {
  readonly projectId: string;
  readonly requestId: string;
  readonly traceId: string;
  /** KMS only: whether `sequence` (= the request id) is in the body. */
  readonly sequence: boolean;
}

/** The cloud received exactly the operation's call, with our token and ids and nothing else. */
function assertSent(recorded: RecordedCall, seeded: SeededRevocation, expected: Expected): void {
  assert.equal(recorded.service, seeded.service);
  assert.equal(recorded.method, seeded.upstream.method);
  assert.equal(recorded.path, seeded.upstream.path);
  assert.deepEqual(recorded.query, seeded.upstream.query);
  if (seeded.upstream.body === undefined) {
    assert.equal(recorded.body, '');
  } else {
    assert.match(recorded.headers['content-type'] ?? '', /^application\/json(;|$)/);
    const body = expected.sequence
      ? { ...seeded.upstream.body, sequence: expected.requestId }
      : seeded.upstream.body;
    assert.deepEqual(JSON.parse(recorded.body), body);
  }
  assert.ok((recorded.token ?? '').length > 0, 'an IAM token in X-Auth-Token');
  assert.deepEqual(
    recorded.tokenScope,
    seeded.tokenScope === 'domain'
      ? { kind: 'domain', domain: DEMO_ACCOUNT.domain }
      : { kind: 'project', projectId: expected.projectId },
  );
  assert.equal(recorded.headers.authorization, undefined, "the caller's JWT stays here");
  assert.equal(recorded.headers.cookie, undefined, "the caller's cookies stay here");
  assert.equal(recorded.headers['x-caller-note'], undefined, "the caller's headers stay here");
  assert.equal(recorded.headers['x-request-id'], expected.requestId);
  assert.match(
    recorded.headers.traceparent ?? '',
    new RegExp(`^00-${expected.traceId}-[0-9a-f]{16}-[0-9a-f]{2}$`),
    "the caller's trace continues upstream",
  );
}

const callerExtras = { cookie: 'session=caller-secret', 'x-caller-note': 'not for the cloud' };

test('every operation of the catalog has a seeded route case here', () => {
  assert.deepEqual(Object.keys(OPERATION_FIXTURES).sort(), [...OPERATION_NAMES].sort());
});

for (const operation of OPERATIONS) {
  test(`${operation.name}: revokes a seeded resource with exactly one cloud call and answers 200, then 404 NOT_FOUND when repeated`, async () => {
    const seed = OPERATION_FIXTURES[operation.name].seed as OperationFixture['seed'] | undefined;
    assert.ok(seed !== undefined, `no route case for ${operation.name}`);
    const seeded = seed(gw.sim, DEFAULT_PROJECT);
    assert.ok(seeded.exists());
    const requestId = randomUUID();
    const { traceparent, traceId } = callerTrace();
    const mark = markCalls(gw.sim);

    const answer = await call(gw, seeded.path, { requestId, traceparent, headers: callerExtras });

    const body = expectRevoked(answer);
    assert.equal(answer.requestId, requestId);
    assert.deepEqual(body, {
      result: 'revoked',
      operation: operation.name,
      project: 'default',
      target: seeded.target,
      requestId,
      auditId: body.auditId,
      upstream: {
        service: operation.service,
        status: body.upstream.status,
        requestId: body.upstream.requestId,
      },
    });
    assert.ok(
      (operation.success.statuses as readonly number[]).includes(body.upstream.status ?? 0),
      `upstream status ${String(body.upstream.status)} is the seed's success`,
    );
    assert.equal(typeof body.upstream.requestId, 'string');
    assertSent(onlyServiceCallSince(gw.sim, mark), seeded, {
      projectId: DEFAULT_PROJECT,
      requestId,
      traceId,
      sequence: true,
    });
    assert.equal(seeded.exists(), false, 'the resource is gone');

    const again = await call(gw, seeded.path);
    if (seeded.notFoundCode === undefined) {
      expectRevoked(again);
    } else {
      const problem = expectProblem(again, 404, 'NOT_FOUND');
      assert.equal(problem.upstream?.service, operation.service);
      assert.equal(problem.upstream.status, 404);
      assert.equal(problem.upstream.code, seeded.notFoundCode);
    }
  });

  test(`${operation.name}: ?project=eu revokes in the eu project and leaves the default project alone`, async () => {
    const seed = OPERATION_FIXTURES[operation.name].seed;
    const seeded = seed(gw.sim, EU_PROJECT);
    // The same ids in the default project (SCM's CSRs are global: there is no twin).
    const twin =
      seeded.tokenScope === 'project' ? seed(gw.sim, DEFAULT_PROJECT, seeded.target) : undefined;
    const requestId = randomUUID();
    const { traceparent, traceId } = callerTrace();
    const mark = markCalls(gw.sim);

    const answer = await call(gw, withQuery(seeded.path, 'project=eu'), { requestId, traceparent });

    const body = expectRevoked(answer);
    assert.equal(body.project, 'eu');
    assert.deepEqual(body.target, seeded.target);
    assertSent(onlyServiceCallSince(gw.sim, mark), seeded, {
      projectId: EU_PROJECT,
      requestId,
      traceId,
      sequence: true,
    });
    assert.equal(seeded.exists(), false);
    if (twin !== undefined) assert.equal(twin.exists(), true, 'the default project is untouched');
  });
}

test('kms.revokeGrant sends no sequence when the caller’s request id is not a UUID', async () => {
  const seeded = seedDefault(gw.sim, 'kms.revokeGrant');
  const requestId = 'batch-7.grant:42';
  const { traceparent, traceId } = callerTrace();
  const mark = markCalls(gw.sim);

  const body = expectRevoked(await call(gw, seeded.path, { requestId, traceparent }));

  assert.equal(body.requestId, requestId);
  const recorded = onlyServiceCallSince(gw.sim, mark);
  assertSent(recorded, seeded, { projectId: DEFAULT_PROJECT, requestId, traceId, sequence: false });
  assert.equal('sequence' in (JSON.parse(recorded.body) as object), false);
});

test('kms.revokeGrant sends the generated request id as sequence when the caller sent none', async () => {
  const seeded = seedDefault(gw.sim, 'kms.revokeGrant');
  const mark = markCalls(gw.sim);

  const answer = await call(gw, seeded.path);

  const body = expectRevoked(answer);
  const recorded = onlyServiceCallSince(gw.sim, mark);
  assert.equal(recorded.headers['x-request-id'], answer.requestId);
  assert.deepEqual(JSON.parse(recorded.body), {
    ...seeded.upstream.body,
    sequence: body.requestId,
  });
});

test('an unknown project alias answers 400 INVALID_REQUEST naming project and calls nothing', async () => {
  const seeded = seedDefault(gw.sim, 'scm.revokePrivacy');
  const mark = markCalls(gw.sim);

  expectInvalid(await call(gw, withQuery(seeded.path, 'project=mars')), ['project']);

  assert.deepEqual(callsSince(gw.sim, mark), [], 'not even IAM was called');
  assert.equal(seeded.exists(), true);
});

test('deleting an APIG certificate still bound to a domain answers 409 CONFLICT with the cloud’s code and keeps it', async () => {
  const certificateId = uniqueId('bound', 32);
  gw.sim.addApigCertificate(DEFAULT_PROJECT, certificateId, { bound: true });
  const mark = markCalls(gw.sim);

  const problem = expectProblem(
    await call(gw, `/v1/apig/certificates/${certificateId}`),
    409,
    'CONFLICT',
  );

  assert.equal(problem.upstream?.service, 'apig');
  assert.equal(problem.upstream.status, 409);
  assert.equal(problem.upstream.code, 'APIG.4018');
  assert.equal(serviceCallsSince(gw.sim, mark).length, 1, 'a 409 is not retried');
  assert.equal(gw.sim.has('apigCertificate', DEFAULT_PROJECT, certificateId), true);
});

test('DELETE /v1/modelarts/authorizations without allUsers=true answers 400 naming allUsers and revokes nobody', async () => {
  const userId = uniqueId('user', 32);
  gw.sim.addModelArtsAuthorization(DEFAULT_PROJECT, userId);
  const mark = markCalls(gw.sim);

  expectInvalid(await call(gw, '/v1/modelarts/authorizations'), ['allUsers']);

  assert.deepEqual(callsSince(gw.sim, mark), []);
  assert.equal(gw.sim.has('modelartsAuthorization', DEFAULT_PROJECT, userId), true);
});

test('an unknown path answers 404 ROUTE_NOT_FOUND problem+json and calls nothing', async () => {
  const mark = markCalls(gw.sim);
  for (const path of [
    '/v1/nothing-here',
    // Routes are case-sensitive and exact.
    '/v1/KMS/keys/0d0466b0-e727-4d9c-b35d-f84bb474a37f/grants/7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d',
    '/v1/scm/certificates/scs1700000000001',
    '/v2/scm/csrs/csr-demo-0000000001',
  ]) {
    const answer = await call(gw, path);
    const problem = expectProblem(answer, 404, 'ROUTE_NOT_FOUND', { audited: false });
    assert.equal(problem.instance, path);
    if (path.startsWith('/v1/')) assert.equal(answer.headers.get('cache-control'), 'no-store');
  }
  assert.deepEqual(callsSince(gw.sim, mark), []);
});

test('GET, POST, PUT and PATCH on every revocation path answer 405 METHOD_NOT_ALLOWED with Allow: DELETE', async () => {
  const mark = markCalls(gw.sim);
  for (const operation of OPERATIONS) {
    let path: string = operation.path;
    for (const [name, rule] of Object.entries(operation.pathParams)) {
      path = path.replace(`{${name}}`, rule.example);
    }
    for (const method of ['GET', 'POST', 'PUT', 'PATCH']) {
      const answer = await call(gw, path, { method });
      expectProblem(answer, 405, 'METHOD_NOT_ALLOWED', { audited: false });
      assert.equal(answer.headers.get('allow'), 'DELETE', `${method} ${path}`);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
    }
  }
  assert.deepEqual(callsSince(gw.sim, mark), []);
});

test('every /v1 answer carries Cache-Control: no-store and every answer the security headers', async () => {
  const seeded = seedDefault(gw.sim, 'modelarts.deleteAuthorization');
  const answers = {
    success: await call(gw, seeded.path),
    notFound: await call(gw, seeded.path),
    invalid: await call(gw, '/v1/scm/csrs/too-short'),
    unauthenticated: await call(gw, seeded.path, { token: null }),
    audit: await call(gw, '/v1/audit?limit=1', { method: 'GET' }),
    health: await call(gw, '/healthz', { method: 'GET', token: null }),
  };
  assert.equal(answers.success.status, 200);
  assert.equal(answers.notFound.status, 404);
  assert.equal(answers.invalid.status, 400);
  assert.equal(answers.unauthenticated.status, 401);
  assert.equal(answers.audit.status, 200);
  assert.equal(answers.health.status, 200);

  for (const [name, answer] of Object.entries(answers)) {
    const headers = answer.headers;
    if (name !== 'health') assert.equal(headers.get('cache-control'), 'no-store', name);
    assert.equal(headers.get('x-content-type-options'), 'nosniff', name);
    assert.equal(headers.get('x-frame-options'), 'SAMEORIGIN', name);
    assert.equal(headers.get('referrer-policy'), 'no-referrer', name);
    assert.match(headers.get('content-security-policy') ?? '', /default-src 'self'/, name);
    assert.match(headers.get('strict-transport-security') ?? '', /max-age=\d+/, name);
    assert.equal(headers.get('x-powered-by'), null, name);
  }
});

test('without a usable traceparent the gateway starts a trace of its own and sends it upstream', async () => {
  for (const traceparent of [
    undefined,
    'not-a-traceparent',
    `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`,
  ]) {
    const seeded = seedDefault(gw.sim, 'apig.deleteCertificate');
    const mark = markCalls(gw.sim);

    expectRevoked(await call(gw, seeded.path, traceparent === undefined ? {} : { traceparent }));

    const sent = onlyServiceCallSince(gw.sim, mark).headers.traceparent ?? '';
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(sent);
    assert.ok(match !== null, `a well-formed traceparent upstream, got ${sent}`);
    assert.notEqual(match[1], '0'.repeat(32), 'an all-zero trace id is invalid');
    assert.notEqual(match[2], '0'.repeat(16));
  }
});
