// Every error shape of Huawei's SDK cores through the whole gateway (docs/upstream.md "Error
// bodies"): the simulator answers it, the caller's problem holds the code and message it holds,
// and an encoded policy denial reaches the caller and the audit outcome.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { FaultSpec } from '../../src/simulator/index.ts';
import { encodedAuthorizationMessage } from '../../src/simulator/envelopes.ts';
import { startGateway } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import { readTrail } from './support-audit-trail.ts';
import {
  OPERATION_FIXTURES,
  call,
  expectProblem,
  expectRevoked,
  type Problem,
} from './support-routes.ts';

const gw = suiteScoped(() => startGateway({ config: { upstream: { retries: 0 } } }));

type Kind = FaultSpec['kind'];
type Upstream = NonNullable<Problem['upstream']> & { encodedAuthorizationMessage?: string };

async function problemFor(
  kind: Kind,
  status: number,
  code: string,
  extra: Record<string, unknown> = {},
): Promise<{ upstream: Upstream; requestId: string }> {
  const seeded = OPERATION_FIXTURES['kms.revokeGrant'].seed(
    gw.sim,
    gw.config.cloud.projects.default?.id ?? '',
  );
  gw.sim.injectFault({ service: 'kms', kind, ...extra } as FaultSpec);
  const requestId = randomUUID();
  const problem = expectProblem(await call(gw, seeded.path, { requestId }), status, code);
  assert.ok(problem.upstream, 'the problem names what the cloud answered');
  return { upstream: problem.upstream, requestId };
}

test('encoded-403: the encoded denial reaches the caller and the audit outcome', async () => {
  const { upstream, requestId } = await problemFor('encoded-403', 502, 'UPSTREAM_FORBIDDEN');
  const encoded = encodedAuthorizationMessage('kms');
  assert.equal(upstream.code, 'KMS.0205');
  assert.match(upstream.message ?? '', /not authorized/);
  assert.equal(upstream.encodedAuthorizationMessage, encoded);
  const outcome = readTrail(gw.auditPath, requestId).find((record) => record.phase === 'outcome');
  assert.equal(outcome?.outcome?.upstream?.encodedAuthorizationMessage, encoded);
});

test('code-message: a top-level code/message pair is the upstream code and message', async () => {
  const { upstream } = await problemFor('code-message', 409, 'CONFLICT', { status: 409 });
  assert.equal(upstream.code, 'KMS.0409');
  assert.equal(upstream.message, 'Simulated 409 in the code/message envelope.');
});

test('nested-pair: a pair under another key, its numeric code as a string', async () => {
  const { upstream } = await problemFor('nested-pair', 404, 'NOT_FOUND');
  assert.equal(upstream.code, '404');
  assert.equal(upstream.message, 'Simulated: the resource could not be found.');
});

test('keystone-string-code: the string code of a Keystone body', async () => {
  const { upstream } = await problemFor('keystone-string-code', 400, 'UPSTREAM_REJECTED', {
    status: 400,
  });
  assert.equal(upstream.code, 'KMS.0101');
  assert.equal(upstream.message, 'Simulated: the request was refused.');
});

for (const kind of ['lb-html', 'lb-empty', 'lb-truncated'] as const) {
  test(`${kind}: a load balancer's page is UPSTREAM_ERROR without an upstream request id`, async () => {
    const { upstream } = await problemFor(kind, 502, 'UPSTREAM_ERROR', { status: 500 });
    assert.equal(upstream.status, 500);
    assert.equal(upstream.requestId, undefined);
    assert.equal(upstream.code, undefined);
  });
}

test('an empty 200 from KMS is revoked, as the SDK has it', async () => {
  const seeded = OPERATION_FIXTURES['kms.revokeGrant'].seed(
    gw.sim,
    gw.config.cloud.projects.default?.id ?? '',
  );
  gw.sim.injectFault({ service: 'kms', kind: 'empty', status: 200, takesEffect: true });
  const revoked = expectRevoked(await call(gw, seeded.path));
  assert.equal(revoked.upstream.status, 200);
  assert.equal(seeded.exists(), false);
});
