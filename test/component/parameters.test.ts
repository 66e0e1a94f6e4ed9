// Every parameter rule of docs/api.md "Routes" through HTTP: a bad value answers 400 INVALID_REQUEST (or
// 413 for a body over the limit) naming the field, is audited, and reaches neither IAM nor the
// cloud; the valid boundary values revoke.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { OPERATIONS, type OperationSpec } from '../../src/operations/catalog.ts';
import { startGateway } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import {
  DEFAULT_PROJECT,
  EU_CONFIG,
  OPERATION_FIXTURES,
  call,
  callsSince,
  expectInvalid,
  expectProblem,
  expectRevoked,
  fieldsOf,
  markCalls,
  seedDefault,
  withQuery,
} from './support-routes.ts';
import type { OperationName } from '../../src/operations/catalog.ts';

const gw = suiteScoped(() => startGateway({ config: EU_CONFIG }));

interface BadRequest {
  /** What is wrong, for the test title. */
  readonly name: string;
  readonly path: string;
  /** The fields the problem must name, exactly. */
  readonly fields: readonly string[];
  readonly status?: 400 | 413;
  readonly body?: string;
}

// Well-formed ids of resources the simulator does not hold: if a bad request slipped through,
// the cloud would be called (and the test would see it).
const CERT = 'scs-param-0000001';
const KEY = '0d0466b0-e727-4d9c-b35d-000000000abc';
const GRANT = 'ab'.repeat(32);
const USER = 'param-user-00000001';

const scm = (certId: string): string => `/v1/scm/certificates/${certId}/privacy`;
const csr = (csrId: string): string => `/v1/scm/csrs/${csrId}`;
const apig = (certificateId: string): string => `/v1/apig/certificates/${certificateId}`;
const kms = (keyId: string, grantId: string): string => `/v1/kms/keys/${keyId}/grants/${grantId}`;
const user = (userId: string): string => `/v1/modelarts/authorizations/${userId}`;
const allUsers = (query: string): string => `/v1/modelarts/authorizations${query}`;

const BAD: readonly BadRequest[] = [
  // certId, certificateId, userId: 1–64 characters of [A-Za-z0-9_-]
  { name: 'a 65-character certId', path: scm('a'.repeat(65)), fields: ['certId'] },
  {
    name: 'an over-long certId (2000 characters)',
    path: scm('a'.repeat(2000)),
    fields: ['certId'],
  },
  { name: 'a certId with a dot', path: scm('scs.1700000001'), fields: ['certId'] },
  { name: 'a certId with a space', path: scm('scs%20170000'), fields: ['certId'] },
  { name: 'a unicode certId', path: scm('caf%C3%A9-cert'), fields: ['certId'] },
  { name: 'a certId with a percent-encoded slash', path: scm('abc%2Fdef'), fields: ['certId'] },
  { name: 'a double-encoded certId', path: scm('abc%252Fdef'), fields: ['certId'] },
  { name: 'a certId with a NUL byte', path: scm('abc%00def'), fields: ['certId'] },
  { name: 'a certId with malformed percent-encoding', path: scm('abc%ZZdef'), fields: ['certId'] },
  { name: 'a certId that is not UTF-8', path: scm('abc%C3def'), fields: ['certId'] },
  { name: 'a 65-character certificateId', path: apig('b'.repeat(65)), fields: ['certificateId'] },
  { name: 'a certificateId with a plus', path: apig('a+b'), fields: ['certificateId'] },
  { name: 'a certificateId with a file name', path: apig('cert.pem'), fields: ['certificateId'] },
  { name: 'userId "all"', path: user('all'), fields: ['userId'] },
  { name: 'a 65-character userId', path: user('u'.repeat(65)), fields: ['userId'] },
  { name: 'a userId with an @', path: user('someone@example.com'), fields: ['userId'] },
  { name: 'a userId with an encoded comma', path: user('a%2Cb'), fields: ['userId'] },
  // csrId: 16–40 characters of [A-Za-z0-9_-]
  { name: 'a 15-character csrId', path: csr('c'.repeat(15)), fields: ['csrId'] },
  { name: 'a 41-character csrId', path: csr('c'.repeat(41)), fields: ['csrId'] },
  { name: 'a 16-character csrId with a dot', path: csr('csr.000000000001'), fields: ['csrId'] },
  // keyId and grantId: the KMS revoke-grant API page's patterns
  { name: 'an upper-case keyId', path: kms(KEY.toUpperCase(), GRANT), fields: ['keyId'] },
  { name: 'a keyId without hyphens', path: kms(KEY.replaceAll('-', ''), GRANT), fields: ['keyId'] },
  {
    name: 'a keyId with misplaced hyphens',
    path: kms('0d0466b-0e727-4d9c-b35d-000000000abc', GRANT),
    fields: ['keyId'],
  },
  { name: 'a keyId one character too long', path: kms(`${KEY}0`, GRANT), fields: ['keyId'] },
  { name: 'a 63-character grantId', path: kms(KEY, GRANT.slice(1)), fields: ['grantId'] },
  { name: 'a 65-character grantId', path: kms(KEY, `${GRANT}a`), fields: ['grantId'] },
  {
    name: 'a grantId with a non-hex letter',
    path: kms(KEY, `g${GRANT.slice(1)}`),
    fields: ['grantId'],
  },
  {
    name: 'a bad keyId and a bad grantId',
    path: kms('key', 'grant'),
    fields: ['grantId', 'keyId'],
  },
  // allUsers=true, exactly
  { name: 'no allUsers', path: allUsers(''), fields: ['allUsers'] },
  { name: 'allUsers=false', path: allUsers('?allUsers=false'), fields: ['allUsers'] },
  { name: 'allUsers=TRUE', path: allUsers('?allUsers=TRUE'), fields: ['allUsers'] },
  { name: 'allUsers=1', path: allUsers('?allUsers=1'), fields: ['allUsers'] },
  { name: 'an empty allUsers', path: allUsers('?allUsers='), fields: ['allUsers'] },
  {
    name: 'a repeated allUsers',
    path: allUsers('?allUsers=true&allUsers=true'),
    fields: ['allUsers'],
  },
  // project: a configured alias
  { name: 'an unknown project', path: `${scm(CERT)}?project=mars`, fields: ['project'] },
  { name: 'an upper-case project', path: `${scm(CERT)}?project=EU`, fields: ['project'] },
  { name: 'an empty project', path: `${scm(CERT)}?project=`, fields: ['project'] },
  {
    name: 'a 33-character project',
    path: `${scm(CERT)}?project=${'p'.repeat(33)}`,
    fields: ['project'],
  },
  {
    name: 'a repeated project',
    path: `${scm(CERT)}?project=default&project=eu`,
    fields: ['project'],
  },
  {
    name: 'a project with malformed percent-encoding',
    path: `${scm(CERT)}?project=e%ZZ`,
    fields: ['project'],
  },
  {
    name: 'a project named like an Object member',
    path: `${scm(CERT)}?project=constructor`,
    fields: ['project'],
  },
  // no other query parameter
  { name: 'a misspelt project parameter', path: `${scm(CERT)}?projet=eu`, fields: ['projet'] },
  { name: 'user_id on the one-user route', path: `${user(USER)}?user_id=all`, fields: ['user_id'] },
  {
    name: 'allUsers on the one-user route',
    path: `${user(USER)}?allUsers=true`,
    fields: ['allUsers'],
  },
  {
    name: 'sequence on the KMS route',
    path: `${kms(KEY, GRANT)}?sequence=x`,
    fields: ['sequence'],
  },
  {
    name: 'a bracketed query parameter',
    path: `${scm(CERT)}?project[id]=eu`,
    fields: ['project[id]'],
  },
  { name: 'a __proto__ query parameter', path: `${scm(CERT)}?__proto__=x`, fields: ['__proto__'] },
  // the body: revocation routes take none; one that is sent must be JSON and small
  { name: 'a malformed JSON body', path: scm(CERT), body: '{"reason": ', fields: ['body'] },
  {
    name: 'a body over the limit',
    path: scm(CERT),
    body: JSON.stringify({ pad: 'x'.repeat(20 * 1024) }),
    fields: ['body'],
    status: 413,
  },
];

for (const bad of BAD) {
  const status = bad.status ?? 400;
  const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INVALID_REQUEST';
  test(`${bad.name} answers ${String(status)} ${code} naming ${bad.fields.join(' and ')} and calls neither IAM nor the cloud`, async () => {
    const mark = markCalls(gw.sim);

    const answer = await call(gw, bad.path, {
      ...(bad.body === undefined
        ? {}
        : { body: bad.body, headers: { 'content-type': 'application/json' } }),
    });

    const problem = expectInvalid(answer, bad.fields, { status, code });
    for (const error of problem.errors ?? []) assert.equal(typeof error.message, 'string');
    assert.equal(problem.upstream, undefined);
    assert.deepEqual(callsSince(gw.sim, mark), []);
  });
}

/** The route of `operation` with the catalog's example ids (the query included). */
function examplePath(operation: OperationSpec): string {
  let path = operation.path;
  for (const [name, rule] of Object.entries(operation.pathParams)) {
    path = path.replace(`{${name}}`, encodeURIComponent(rule.example));
  }
  const query = Object.entries(operation.queryParams).map(
    ([name, rule]) => `${name}=${encodeURIComponent(rule.example)}`,
  );
  return query.length === 0 ? path : `${path}?${query.join('&')}`;
}

for (const operation of OPERATIONS) {
  test(`${operation.name}: an unknown query parameter, an unknown project and a malformed body each answer 400 naming the field and call nothing`, async () => {
    const path = examplePath(operation);
    const mark = markCalls(gw.sim);

    expectInvalid(await call(gw, withQuery(path, 'dryRun=true')), ['dryRun']);
    expectInvalid(await call(gw, withQuery(path, 'project=nowhere')), ['project']);
    const notJson = { body: 'not json', headers: { 'content-type': 'text/plain' } };
    expectInvalid(await call(gw, path, notJson), ['body']);

    assert.deepEqual(callsSince(gw.sim, mark), []);
  });
}

interface GoodRequest {
  readonly name: string;
  readonly operation: OperationName;
  readonly ids: Readonly<Record<string, string>>;
}

const GOOD: readonly GoodRequest[] = [
  { name: 'a 1-character certId', operation: 'scm.revokePrivacy', ids: { certId: 'Z' } },
  {
    name: 'a 64-character certId',
    operation: 'scm.revokePrivacy',
    ids: { certId: `c_-${'9'.repeat(61)}` },
  },
  {
    name: 'a 64-character certificateId',
    operation: 'apig.deleteCertificate',
    ids: { certificateId: 'A'.repeat(64) },
  },
  {
    name: 'a 1-character userId',
    operation: 'modelarts.deleteAuthorization',
    ids: { userId: 'u' },
  },
  {
    name: 'a 64-character userId',
    operation: 'modelarts.deleteAuthorization',
    ids: { userId: `u_-${'0'.repeat(61)}` },
  },
  {
    name: 'a userId that only starts with "all"',
    operation: 'modelarts.deleteAuthorization',
    ids: { userId: 'allison' },
  },
  { name: 'a 16-character csrId', operation: 'scm.deleteCsr', ids: { csrId: 'csr_0000000000-1' } },
  {
    name: 'a 40-character csrId',
    operation: 'scm.deleteCsr',
    ids: { csrId: `csr-${'4'.repeat(36)}` },
  },
  {
    name: 'an upper-case hex grantId',
    operation: 'kms.revokeGrant',
    ids: { keyId: 'z9y8x7w6-0000-4abc-8def-0123456789az', grantId: 'ABCDEF0123456789'.repeat(4) },
  },
];

for (const good of GOOD) {
  test(`${good.name} is valid: the resource is revoked`, async () => {
    const seeded = OPERATION_FIXTURES[good.operation].seed(gw.sim, DEFAULT_PROJECT, good.ids);
    const mark = markCalls(gw.sim);

    const body = expectRevoked(await call(gw, seeded.path));

    assert.deepEqual(body.target, good.ids);
    assert.equal(seeded.exists(), false);
    assert.equal(callsSince(gw.sim, mark).filter((c) => c.service !== 'iam').length, 1);
  });
}

test('an explicit ?project=default is the default project', async () => {
  const seeded = seedDefault(gw.sim, 'apig.deleteCertificate');

  const body = expectRevoked(await call(gw, withQuery(seeded.path, 'project=default')));

  assert.equal(body.project, 'default');
  assert.equal(seeded.exists(), false);
});

test('an invalid request is audited as invalid, naming the operation and the ids as received', async () => {
  const requestId = randomUUID();

  expectProblem(await call(gw, csr('short'), { requestId }), 400, 'INVALID_REQUEST');

  const auditor = await gw.token('auditor', []);
  const answer = await call(gw, `/v1/audit?requestId=${requestId}`, {
    method: 'GET',
    token: auditor,
  });
  assert.equal(answer.status, 200, answer.text);
  const { items } = answer.json as { items: Record<string, unknown>[] };
  assert.equal(items.length, 1, 'one outcome record, no attempt');
  const record = items[0]!;
  assert.equal(record.phase, 'outcome');
  assert.equal(record.operation, 'scm.deleteCsr');
  assert.deepEqual(record.target, { csrId: 'short' });
  const outcome = record.outcome as Record<string, unknown>;
  assert.equal(outcome.result, 'invalid');
  assert.equal(outcome.status, 400);
  assert.equal(outcome.code, 'INVALID_REQUEST');
  assert.equal(outcome.attempts, 0);
});

test('a bad parameter from an anonymous caller answers 401: identity comes before validation', async () => {
  const mark = markCalls(gw.sim);

  expectProblem(await call(gw, csr('short'), { token: null }), 401, 'UNAUTHENTICATED');

  assert.deepEqual(callsSince(gw.sim, mark), []);
});

test('the single user route refuses the mass-revocation id even when percent-encoded', async () => {
  const mark = markCalls(gw.sim);

  expectInvalid(await call(gw, user('%61ll')), ['userId']);

  assert.deepEqual(callsSince(gw.sim, mark), []);
});

test('an unknown query parameter is named safely: control characters replaced, 64 characters and 10 names at most', async () => {
  const mark = markCalls(gw.sim);
  const many = Array.from({ length: 30 }, (_, i) => `extra${String(i)}=1`).join('&');

  const injected = expectInvalid(await call(gw, `${scm(CERT)}?%0d%0aforged=1`), ['??forged']);
  const long = expectInvalid(await call(gw, `${scm(CERT)}?${'k'.repeat(3000)}=1`), [
    'k'.repeat(64),
  ]);
  const flood = expectProblem(await call(gw, `${scm(CERT)}?${many}`), 400, 'INVALID_REQUEST');

  assert.ok(!/[\r\n]/.test(injected.detail ?? ''), 'no line break in the detail');
  assert.ok((long.detail ?? '').length < 200);
  assert.equal(fieldsOf(flood).length, 10);
  assert.deepEqual(callsSince(gw.sim, mark), []);
});
