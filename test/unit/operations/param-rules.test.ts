import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_USERS_FLAG,
  CSR_ID,
  KMS_GRANT_ID,
  KMS_KEY_ID,
  PROJECT_ALIAS,
  RESOURCE_ID,
  USER_ID,
  checkParam,
  type ParamRule,
} from '../../../src/operations/param-rules.ts';

const GRANT = '7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d';

const TABLE: [string, ParamRule, unknown, boolean][] = [
  ['resource id: 1 char', RESOURCE_ID, 'a', true],
  ['resource id: 64 chars', RESOURCE_ID, 'a'.repeat(64), true],
  ['resource id: 65 chars', RESOURCE_ID, 'a'.repeat(65), false],
  ['resource id: empty', RESOURCE_ID, '', false],
  ['resource id: _ and -', RESOURCE_ID, 'scs_1554-192131150', true],
  ['resource id: slash', RESOURCE_ID, 'a/b', false],
  ['resource id: dot', RESOURCE_ID, 'a.b', false],
  ['resource id: space', RESOURCE_ID, 'a b', false],
  ['resource id: unicode', RESOURCE_ID, 'zertifikat-ä', false],
  ['resource id: newline at end', RESOURCE_ID, 'abc\n', false],
  ['resource id: array (repeated query)', RESOURCE_ID, ['a', 'b'], false],
  ['resource id: missing', RESOURCE_ID, undefined, false],
  ['user id: all is refused', USER_ID, 'all', false],
  ['user id: ALL is refused too', USER_ID, 'ALL', false],
  ['user id: All is refused too', USER_ID, 'All', false],
  ['user id: allison', USER_ID, 'allison', true],
  ['csr id: 15 chars', CSR_ID, 'a'.repeat(15), false],
  ['csr id: 16 chars', CSR_ID, 'a'.repeat(16), true],
  ['csr id: 40 chars', CSR_ID, 'a'.repeat(40), true],
  ['csr id: 41 chars', CSR_ID, 'a'.repeat(41), false],
  ['key id: seed example', KMS_KEY_ID, '0d0466b0-e727-4d9c-b35d-f84bb474a37f', true],
  ['key id: upper case', KMS_KEY_ID, '0D0466B0-E727-4D9C-B35D-F84BB474A37F', false],
  ['key id: no dashes', KMS_KEY_ID, '0d0466b0e7274d9cb35df84bb474a37f', false],
  ['key id: one short', KMS_KEY_ID, '0d0466b0-e727-4d9c-b35d-f84bb474a37', false],
  ['grant id: seed example', KMS_GRANT_ID, GRANT, true],
  ['grant id: upper hex', KMS_GRANT_ID, GRANT.toUpperCase(), true],
  ['grant id: 63 chars', KMS_GRANT_ID, GRANT.slice(1), false],
  ['grant id: non-hex', KMS_GRANT_ID, `${GRANT.slice(1)}g`, false],
  ['allUsers: true', ALL_USERS_FLAG, 'true', true],
  ['allUsers: 1', ALL_USERS_FLAG, '1', false],
  ['allUsers: TRUE', ALL_USERS_FLAG, 'TRUE', false],
  ['project: default', PROJECT_ALIAS, 'default', true],
  ['project: eu-west', PROJECT_ALIAS, 'eu-west', true],
  ['project: upper case', PROJECT_ALIAS, 'EU', false],
];

describe('parameter rules (docs/api.md "Routes")', () => {
  for (const [name, rule, value, valid] of TABLE) {
    it(`${valid ? 'accepts' : 'refuses'} ${name}`, () => {
      const problem = checkParam(rule, value);
      if (valid) assert.equal(problem, undefined);
      else assert.equal(typeof problem, 'string');
    });
  }

  it('words every refusal as one sentence ("must be …", never "must be must be")', () => {
    const rules = [ALL_USERS_FLAG, CSR_ID, KMS_GRANT_ID, KMS_KEY_ID, PROJECT_ALIAS, RESOURCE_ID];
    for (const rule of rules) {
      const problem = checkParam(rule, '!') ?? '';
      assert.match(problem, /^must be /);
      assert.doesNotMatch(problem, /must be must be/);
    }
    assert.equal(
      checkParam(ALL_USERS_FLAG, 'false'),
      'must be "true", which confirms the revocation of every user\'s authorization',
    );
  });

  it('explains that mass revocation has its own route', () => {
    assert.match(checkParam(USER_ID, 'all') ?? '', /allUsers=true/);
  });
});
