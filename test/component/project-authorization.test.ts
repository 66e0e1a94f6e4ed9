// Authorization per project (README "Callers"): a rule may name the project aliases it holds
// for. A caller allowed modelarts.deleteAuthorization in `eu` only is refused in `default`,
// audited as denied, and the cloud is never called.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway, TEST_RULES } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import { readTrail } from './support-audit-trail.ts';
import {
  EU_CONFIG,
  EU_PROJECT,
  OPERATION_FIXTURES,
  call,
  callsSince,
  expectProblem,
  expectRevoked,
  markCalls,
  seedDefault,
  uniqueId,
  withQuery,
} from './support-routes.ts';

const gw = suiteScoped(() =>
  startGateway({
    config: {
      ...EU_CONFIG,
      authorization: {
        rules: [
          ...TEST_RULES,
          { subjects: ['ml-eu'], allow: ['modelarts.deleteAuthorization'], projects: ['eu'] },
          { subjects: ['eu-auditor'], allow: ['*'], projects: ['eu'] },
        ],
      },
    },
  }),
);

test('a caller allowed modelarts.deleteAuthorization in eu only is 403 in default and revokes in eu', async () => {
  const token = await gw.token('ml-eu', []);
  const inDefault = seedDefault(gw.sim, 'modelarts.deleteAuthorization');
  const mark = markCalls(gw.sim);

  for (const path of [inDefault.path, withQuery(inDefault.path, 'project=default')]) {
    const requestId = uniqueId('deny-default');
    const answer = await call(gw, path, { token, requestId });
    const problem = expectProblem(answer, 403, 'FORBIDDEN');
    assert.match(String(problem.detail), /modelarts\.deleteAuthorization in project default/);
    const records = readTrail(gw.auditPath, requestId);
    assert.deepEqual(
      records.map((record) => [record.phase, record.outcome?.result, record.project.alias]),
      [['outcome', 'denied', 'default']],
    );
  }
  assert.deepEqual(callsSince(gw.sim, mark), [], 'the cloud was not called');
  assert.equal(inDefault.exists(), true);

  const inEu = OPERATION_FIXTURES['modelarts.deleteAuthorization'].seed(gw.sim, EU_PROJECT);
  const revoked = expectRevoked(await call(gw, withQuery(inEu.path, 'project=eu'), { token }));
  assert.equal(revoked.project, 'eu');
  assert.equal(inEu.exists(), false);

  // The rule grants only what it names, in eu too.
  const mass = await call(gw, '/v1/modelarts/authorizations?allUsers=true&project=eu', { token });
  expectProblem(mass, 403, 'FORBIDDEN');
});

test('a rule limited to projects grants nothing outside a project: not the audit API', async () => {
  const token = await gw.token('eu-auditor', []);
  const answer = await fetch(`${gw.url}/v1/audit`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(answer.status, 403);
  const inEu = OPERATION_FIXTURES['kms.revokeGrant'].seed(gw.sim, EU_PROJECT);
  expectRevoked(await call(gw, withQuery(inEu.path, 'project=eu'), { token }));
});

test('an unrestricted rule still holds in every project', async () => {
  const token = await gw.token('alice', ['secops']);
  const inEu = OPERATION_FIXTURES['scm.deleteCsr'].seed(gw.sim, EU_PROJECT);
  expectRevoked(await call(gw, withQuery(inEu.path, 'project=eu'), { token }));
  const inDefault = seedDefault(gw.sim, 'scm.deleteCsr');
  expectRevoked(await call(gw, inDefault.path, { token }));
});

test('/openapi.json documents project as the enum of the configured aliases', async () => {
  const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as {
    paths: Record<
      string,
      { delete?: { parameters: { name: string; schema: { enum?: string[] } }[] } }
    >;
  };
  const operation = doc.paths['/v1/modelarts/authorizations/{userId}']?.delete;
  const project = operation?.parameters.find((parameter) => parameter.name === 'project');
  assert.deepEqual(project?.schema.enum, ['default', 'eu']);
});
