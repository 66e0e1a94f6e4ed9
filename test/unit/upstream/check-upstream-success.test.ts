import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findOperation, type OperationSpec } from '../../../src/operations/catalog.ts';
import { checkUpstreamSuccess } from '../../../src/upstream/check-upstream-success.ts';

function operation(name: string): OperationSpec {
  const found = findOperation(name);
  assert.ok(found, name);
  return found;
}

const answer = (status: number, body = '', truncated = false) => ({
  status,
  headers: {},
  body: Buffer.from(body),
  truncated,
  durationMs: 1,
});

describe('checkUpstreamSuccess', () => {
  // prettier-ignore
  const ROWS: readonly [string, string, ReturnType<typeof answer>, boolean][] = [
    ['scm.revokePrivacy',               'its documented 200 {"message":"success"}', answer(200, '{"message":"success"}'), true],
    ['scm.revokePrivacy',               '200 {"message":"fail"}',                     answer(200, '{"message":"fail"}'),    false],
    ['scm.revokePrivacy',               '204 without the JSON it promises',           answer(204),                          false],
    ['scm.deleteCsr',                   'its documented 204',                          answer(204),                          true],
    ['scm.deleteCsr',                   '200 (any 2xx performs the deletion)',         answer(200, '{}'),                    true],
    ['apig.deleteCertificate',          'its documented 204',                          answer(204),                          true],
    ['kms.revokeGrant',                 'its documented 200 {}',                       answer(200, '{}'),                    true],
    ['kms.revokeGrant',                 '200 with an HTML page',                       answer(200, '<html>ok</html>'),       false],
    ['kms.revokeGrant',                 'an empty 200 (the SDK model has no fields)',  answer(200),                          true],
    ['kms.revokeGrant',                 '200 with whitespace only',                    answer(200, ' \r\n'),                 true],
    ['kms.revokeGrant',                 '204',                                         answer(204),                          true],
    ['kms.revokeGrant',                 '200 with any JSON object',                    answer(200, '{"grant_id":"g","x":[1]}'), true],
    ['kms.revokeGrant',                 '200 with a JSON array',                       answer(200, '[]'),                    false],
    ['kms.revokeGrant',                 '200 whose body was cut at the cap',           answer(200, '{}', true),              false],
    ['modelarts.deleteAuthorization',   'its documented 200 {"result":"true"}',        answer(200, '{"result":"true"}'),     true],
    ['modelarts.deleteAuthorization',   '200 {"result":"false"}',                      answer(200, '{"result":"false"}'),    false],
    ['modelarts.deleteAllAuthorizations', '200 {"result":true} (the boolean)',    answer(200, '{"result":true}'),       true],
    ['modelarts.deleteAuthorization',   '200 {"result":false}',                        answer(200, '{"result":false}'),      false],
    ['modelarts.deleteAuthorization',   'an empty 200',                                answer(200),                          false],
    ['scm.revokePrivacy',               'an empty 200',                                answer(200),                          false],
    ['apig.deleteCertificate',          'a 404',                                       answer(404),                          false],
  ];
  for (const [name, what, response, success] of ROWS) {
    it(`${success ? 'accepts' : 'rejects'} ${what} for ${name}`, () => {
      const reason = checkUpstreamSuccess(operation(name).success, response);
      if (success) assert.equal(reason, undefined);
      else assert.equal(typeof reason, 'string');
    });
  }
});
