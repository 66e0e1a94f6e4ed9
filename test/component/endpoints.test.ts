// Per-project endpoints through the whole gateway (docs/upstream.md "Endpoints"): a project whose
// IAM and service endpoints are its own gets its token from its own IAM and its call on its own
// endpoint, and a service turned off for a project is refused before anything is sent.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import {
  EU_PROJECT,
  OPERATION_FIXTURES,
  call,
  expectInvalid,
  expectRevoked,
  markCalls,
  withQuery,
} from './support-routes.ts';

let gw: TestGateway;
let euCloud: Simulator;

before(async () => {
  euCloud = await startSimulator();
  gw = await startGateway({
    config: {
      cloud: {
        projects: {
          eu: {
            id: EU_PROJECT,
            region: 'eu-west-101',
            endpoints: { iam: euCloud.url, kms: euCloud.url, modelarts: 'none' },
          },
        },
      },
    },
  });
});
after(async () => {
  await gw.close();
  await euCloud.close();
});

test("a project's own IAM and service endpoints carry its revocation; the others stay on theirs", async () => {
  const seeded = OPERATION_FIXTURES['kms.revokeGrant'].seed(euCloud, EU_PROJECT);
  const mainMark = markCalls(gw.sim);
  const euMark = markCalls(euCloud);
  expectRevoked(await call(gw, withQuery(seeded.path, 'project=eu')));
  assert.equal(seeded.exists(), false);
  const euCalls = euCloud.calls().filter((recorded) => recorded.seq > euMark);
  assert.deepEqual(
    euCalls.map((recorded) => recorded.service),
    ['iam', 'kms'],
  );
  assert.deepEqual(
    gw.sim.calls().filter((recorded) => recorded.seq > mainMark),
    [],
    'neither the token nor the call went to the account-wide endpoints',
  );
});

test('a service turned off for a project is a 400 naming the project, and the cloud is not called', async () => {
  const mark = markCalls(gw.sim);
  const euMark = markCalls(euCloud);
  const problem = expectInvalid(await call(gw, '/v1/modelarts/authorizations/user-1?project=eu'), [
    'project',
  ]);
  assert.match(problem.errors?.[0]?.message ?? '', /does not use modelarts/);
  assert.equal(gw.sim.calls().filter((recorded) => recorded.seq > mark).length, 0);
  assert.equal(euCloud.calls().filter((recorded) => recorded.seq > euMark).length, 0);
});
