// Endpoint resolution (docs/upstream.md "Endpoints"): the SDKs' region table, the overrides in
// their order, SCM's global endpoint, IAM per site, and refusal naming the key to set.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENDPOINT_TABLE, tableEndpoint } from '../../../src/cloud/endpoint-table.ts';
import {
  endpointLookupOf,
  resolveEndpoints,
  type EndpointResolution,
} from '../../../src/cloud/resolve-endpoints.ts';
import { configSchema, type Config } from '../../../src/config/schema.ts';

const ID = '0123456789abcdef0123456789abcdef';

function cloudOf(cloud: Record<string, unknown>): Config['cloud'] {
  return configSchema.parse({
    cloud: {
      iam: { domain: 'd', user: 'u', password: 'p' },
      projects: { default: { id: ID } },
      ...cloud,
    },
    identity: { mode: 'trusted-headers', trustedProxies: ['127.0.0.1/32'] },
  }).cloud;
}

function urlsOf(resolution: EndpointResolution, alias = 'default'): Record<string, unknown> {
  const project = resolution.projects.find((candidate) => candidate.alias === alias);
  return Object.fromEntries(
    Object.entries(project?.endpoints ?? {}).map(([service, endpoint]) => [service, endpoint.url]),
  );
}

describe('the region table', () => {
  it("holds the SDKs' rows: .eu for eu-west-101, .cn for ModelArts in ap-southeast-1, SCM in three regions", () => {
    const rows = [...ENDPOINT_TABLE.values()].reduce((sum, regions) => sum + regions.size, 0);
    assert.equal(rows, 119);
    for (const [service, regions] of ENDPOINT_TABLE) {
      for (const [region, endpoint] of regions) {
        assert.match(
          endpoint,
          new RegExp(`^https://${service}\\.${region}\\.myhuaweicloud\\.(com|eu|cn)$`),
        );
      }
    }
    assert.equal(tableEndpoint('kms', 'eu-west-101'), 'https://kms.eu-west-101.myhuaweicloud.eu');
    assert.equal(
      tableEndpoint('modelarts', 'ap-southeast-1'),
      'https://modelarts.ap-southeast-1.myhuaweicloud.cn',
    );
    assert.deepEqual([...(ENDPOINT_TABLE.get('scm')?.keys() ?? [])].sort(), [
      'ap-southeast-1',
      'cn-north-4',
      'my-kualalumpur-1',
    ]);
  });
});

describe('resolveEndpoints', () => {
  it('takes every endpoint of a listed region from the table', () => {
    const resolution = resolveEndpoints(cloudOf({ region: 'cn-north-4' }));
    assert.deepEqual(resolution.problems, []);
    assert.deepEqual(urlsOf(resolution), {
      iam: 'https://iam.myhuaweicloud.com',
      scm: 'https://scm.cn-north-4.myhuaweicloud.com',
      apig: 'https://apig.cn-north-4.myhuaweicloud.com',
      kms: 'https://kms.cn-north-4.myhuaweicloud.com',
      modelarts: 'https://modelarts.cn-north-4.myhuaweicloud.com',
    });
  });

  it('sends eu-west-101 to .myhuaweicloud.eu, IAM included, and names what eu-west-101 lacks', () => {
    const resolution = resolveEndpoints(
      cloudOf({ projects: { default: { id: ID }, eu: { id: ID, region: 'eu-west-101' } } }),
    );
    assert.deepEqual(urlsOf(resolution, 'eu'), {
      iam: 'https://iam.eu-west-101.myhuaweicloud.eu',
      apig: 'https://apig.eu-west-101.myhuaweicloud.eu',
      kms: 'https://kms.eu-west-101.myhuaweicloud.eu',
    });
    assert.deepEqual(
      resolution.problems.map((problem) => [problem.key, problem.variable]),
      [
        ['cloud.projects.eu.endpoints.scm', 'RESCIND_SCM_ENDPOINT'],
        ['cloud.projects.eu.endpoints.modelarts', 'RESCIND_MODELARTS_ENDPOINT'],
      ],
    );
    assert.match(resolution.problems[0]?.message ?? '', /RESCIND_SCM_REGION/);
    assert.match(resolution.problems[1]?.message ?? '', /"none"/);
  });

  it('refuses an unknown region for every service, guessing no host', () => {
    const resolution = resolveEndpoints(cloudOf({ region: 'xx-moon-1' }));
    assert.deepEqual(
      resolution.problems.map((problem) => problem.key),
      ['scm', 'apig', 'kms', 'modelarts'].map((s) => `cloud.projects.default.endpoints.${s}`),
    );
    assert.deepEqual(urlsOf(resolution), { iam: 'https://iam.myhuaweicloud.com' });
    for (const problem of resolution.problems) {
      assert.match(problem.message, /no \w+ endpoint is listed for region "xx-moon-1"/);
    }
  });

  it('lets a project override its endpoints, over RESCIND_*_ENDPOINT, over the table', () => {
    const resolution = resolveEndpoints(
      cloudOf({
        region: 'xx-moon-1',
        endpoints: {
          scm: 'http://127.0.0.1:9/scm',
          apig: 'http://127.0.0.1:9/apig',
          kms: 'https://kms.{region}.internal.example',
          modelarts: 'http://127.0.0.1:9/ma',
        },
        projects: {
          default: { id: ID },
          eu: {
            id: ID,
            region: 'eu-west-101',
            endpoints: { kms: 'http://127.0.0.1:7/kms', modelarts: 'none' },
          },
        },
      }),
    );
    assert.deepEqual(resolution.problems, []);
    assert.equal(urlsOf(resolution).kms, 'https://kms.xx-moon-1.internal.example');
    assert.deepEqual(urlsOf(resolution, 'eu'), {
      iam: 'https://iam.eu-west-101.myhuaweicloud.eu',
      scm: 'http://127.0.0.1:9/scm',
      apig: 'http://127.0.0.1:9/apig',
      kms: 'http://127.0.0.1:7/kms',
      modelarts: undefined,
    });
    const lookup = endpointLookupOf(resolution);
    assert.equal(lookup('eu', 'kms'), 'http://127.0.0.1:7/kms');
    assert.equal(lookup('eu', 'modelarts'), undefined);
    assert.equal(lookup('nobody', 'kms'), undefined);
  });

  it('sends SCM, a global service, to the SCM of scmRegion for every project', () => {
    const resolution = resolveEndpoints(
      cloudOf({
        scmRegion: 'ap-southeast-1',
        projects: { default: { id: ID }, eu: { id: ID, region: 'eu-west-101' } },
        endpoints: { modelarts: 'http://127.0.0.1:9' },
      }),
    );
    assert.deepEqual(resolution.problems, []);
    for (const alias of ['default', 'eu']) {
      assert.equal(urlsOf(resolution, alias).scm, 'https://scm.ap-southeast-1.myhuaweicloud.com');
    }
    const wrong = resolveEndpoints(cloudOf({ scmRegion: 'la-south-2' }));
    const [problem] = wrong.problems;
    assert.ok(problem);
    assert.equal(problem.key, 'cloud.scmRegion');
    assert.equal(problem.variable, 'RESCIND_SCM_REGION');
  });

  it('keeps an explicitly configured private IAM for every project; a project may set its own', () => {
    const resolution = resolveEndpoints(
      cloudOf({
        iam: { endpoint: 'http://127.0.0.1:8', domain: 'd', user: 'u', password: 'p' },
        projects: {
          default: { id: ID },
          eu: { id: ID, region: 'eu-west-101', endpoints: { scm: 'none', modelarts: 'none' } },
          other: { id: ID, endpoints: { iam: 'http://127.0.0.1:6/' } },
        },
      }),
    );
    assert.deepEqual(resolution.problems, []);
    assert.equal(urlsOf(resolution, 'eu').iam, 'http://127.0.0.1:8');
    assert.equal(urlsOf(resolution, 'other').iam, 'http://127.0.0.1:6');
  });

  it('refuses an override that does not form a URL for the region', () => {
    const resolution = resolveEndpoints(
      cloudOf({ region: 'a/b', endpoints: { kms: 'https://kms.{region}.example' } }),
    );
    const kms = resolution.problems.find((problem) => problem.key === 'cloud.endpoints.kms');
    assert.match(kms?.message ?? '', /does not form an http\(s\) URL/);
  });
});
