import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeTokensByEndpoint } from '../../../src/iam/route-tokens-by-endpoint.ts';
import type { TokenProvider, TokenScope } from '../../../src/iam/token-provider.ts';

const REQUEST = { deadline: Number.MAX_SAFE_INTEGER, useUntil: 0, requestId: 'r' };

function fakeProvider(endpoint: string, log: string[]): TokenProvider {
  return {
    getToken: (scope: TokenScope) => {
      log.push(`${endpoint} get ${scope.kind === 'project' ? scope.projectId : 'domain'}`);
      return Promise.resolve({ value: `token@${endpoint}`, expiresAt: 0 });
    },
    invalidate: (scope: TokenScope) => {
      log.push(`${endpoint} drop ${scope.kind === 'project' ? scope.projectId : 'domain'}`);
    },
  };
}

describe('routeTokensByEndpoint', () => {
  it("gets each project its token from its own IAM endpoint, domain tokens from the account's", async () => {
    const log: string[] = [];
    const created: string[] = [];
    const tokens = routeTokensByEndpoint({
      defaultEndpoint: 'https://iam.myhuaweicloud.com',
      projectEndpoints: new Map([
        ['p-cn', 'https://iam.myhuaweicloud.com'],
        ['p-eu', 'https://iam.eu-west-101.myhuaweicloud.eu'],
      ]),
      create: (endpoint) => {
        created.push(endpoint);
        return fakeProvider(endpoint, log);
      },
    });
    assert.deepEqual(created, [
      'https://iam.myhuaweicloud.com',
      'https://iam.eu-west-101.myhuaweicloud.eu',
    ]);
    const eu = await tokens.getToken({ kind: 'project', projectId: 'p-eu' }, REQUEST);
    assert.equal(eu.value, 'token@https://iam.eu-west-101.myhuaweicloud.eu');
    await tokens.getToken({ kind: 'project', projectId: 'p-cn' }, REQUEST);
    await tokens.getToken({ kind: 'domain' }, REQUEST);
    await tokens.getToken({ kind: 'project', projectId: 'unlisted' }, REQUEST);
    tokens.invalidate({ kind: 'project', projectId: 'p-eu' }, eu.value);
    assert.deepEqual(log, [
      'https://iam.eu-west-101.myhuaweicloud.eu get p-eu',
      'https://iam.myhuaweicloud.com get p-cn',
      'https://iam.myhuaweicloud.com get domain',
      'https://iam.myhuaweicloud.com get unlisted',
      'https://iam.eu-west-101.myhuaweicloud.eu drop p-eu',
    ]);
  });
});
