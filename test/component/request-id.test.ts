// X-Request-Id (docs/api.md "Operating endpoints") through the whole gateway: accepted when safe, replaced when not,
// generated when absent; echoed on every answer, sent to IAM and the cloud, audited and logged.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { acceptRequestId } from '../../src/http/create-request-scope.ts';
import { startGateway, type TestGateway, startGatewayFor } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import {
  call,
  callerTrace,
  callsSince,
  eventually,
  expectProblem,
  expectRevoked,
  markCalls,
  seedDefault,
} from './support-routes.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const gw = suiteScoped(() => startGateway());

type LogLine = Record<string, unknown>;

function logLinesOf(gateway: TestGateway, requestId: string): LogLine[] {
  return gateway
    .logs()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.requestId === requestId);
}

/** The access line of a request; it is written when the answer has been sent. */
async function accessLineOf(gateway: TestGateway, requestId: string): Promise<LogLine> {
  const find = () => logLinesOf(gateway, requestId).find((line) => line.msg === 'request');
  await eventually(() => find() !== undefined, `the access line of ${requestId}`);
  return find()!;
}

interface AuditItem {
  readonly requestId: string;
  readonly phase: string;
  readonly operation: string;
}

async function auditRecordsOf(gateway: TestGateway, requestId: string): Promise<AuditItem[]> {
  const answer = await call(gateway, `/v1/audit?requestId=${encodeURIComponent(requestId)}`, {
    method: 'GET',
  });
  assert.equal(answer.status, 200, answer.text);
  return (answer.json as { items: AuditItem[] }).items;
}

/** Sends raw bytes (which fetch would refuse to send) and returns the raw answer. */
function sendRaw(gateway: TestGateway, request: string): Promise<string> {
  const { port } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.end(request);
    });
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('end', () => {
      resolve(answer);
    });
    socket.on('error', reject);
  });
}

test('a safe X-Request-Id is echoed, sent to IAM and the cloud, audited and logged', async (t) => {
  // A gateway of its own, so that this request is the one that needs an IAM token.
  const cold = await startGatewayFor(t);
  const seeded = seedDefault(cold.sim, 'kms.revokeGrant');
  const requestId = 'checkout-7f3a.retry:2';
  const { traceparent, traceId } = callerTrace();

  const answer = await call(cold, seeded.path, { requestId, traceparent });

  const body = expectRevoked(answer);
  assert.equal(answer.requestId, requestId);
  assert.equal(body.requestId, requestId);

  const calls = callsSince(cold.sim, 0);
  assert.deepEqual(
    calls.map((recorded) => [recorded.service, recorded.headers['x-request-id']]),
    [
      ['iam', requestId],
      ['kms', requestId],
    ],
  );

  const records = await auditRecordsOf(cold, requestId);
  assert.deepEqual(records.map((record) => [record.phase, record.requestId]).sort(), [
    ['attempt', requestId],
    ['outcome', requestId],
  ]);

  const access = await accessLineOf(cold, requestId);
  assert.equal(access.status, 200);
  assert.equal(access.operation, 'kms.revokeGrant');
  assert.equal(access.traceId, traceId);
  assert.ok(
    logLinesOf(cold, requestId).some((line) => line.msg === 'IAM token issued'),
    'the token exchange it caused is logged with it',
  );
});

test('the request id is echoed on 400, 401, 403, 404 and 405 answers and on health checks', async () => {
  const seeded = seedDefault(gw.sim, 'scm.revokePrivacy');
  const kmsOnly = await gw.token('kms-only', []);
  const cases = [
    { name: '400', path: '/v1/scm/csrs/short', options: {}, status: 400 },
    { name: '401', path: seeded.path, options: { token: null }, status: 401 },
    { name: '403', path: seeded.path, options: { token: kmsOnly }, status: 403 },
    { name: '404', path: '/v1/no-such-route', options: {}, status: 404 },
    { name: '405', path: seeded.path, options: { method: 'PUT' }, status: 405 },
    { name: 'health', path: '/healthz', options: { method: 'GET', token: null }, status: 200 },
  ];
  for (const { name, path, options, status } of cases) {
    const requestId = `echo-${name}-1`;
    const answer = await call(gw, path, { ...options, requestId });
    assert.equal(answer.status, status, `${name}: ${answer.text}`);
    assert.equal(answer.requestId, requestId, name);
    if (status !== 200) assert.equal((answer.json as { requestId: string }).requestId, requestId);
    const access = await accessLineOf(gw, requestId);
    assert.equal(access.status, status, name);
  }
  assert.equal(seeded.exists(), true);
});

const UNSAFE: readonly { readonly name: string; readonly value: string }[] = [
  { name: 'too long (129 characters)', value: `r${'x'.repeat(128)}` },
  { name: 'with a space', value: 'forged id' },
  { name: 'with double quotes', value: '"quoted-id"' },
  { name: 'with single quotes', value: "'quoted-id'" },
  { name: 'with a tab', value: 'tab\tid' },
  { name: 'with markup', value: '<script>alert(1)</script>' },
  { name: 'with a JSON fragment', value: 'id","level":"fatal' },
  { name: 'with a non-ASCII letter', value: 'caf\u00e9-id' },
  { name: 'starting with a hyphen', value: '-leading-hyphen' },
  { name: 'with a semicolon', value: 'a;b' },
];

for (const { name, value } of UNSAFE) {
  test(`an X-Request-Id ${name} is replaced by a generated one, which is echoed, sent upstream, audited and logged`, async () => {
    const seeded = seedDefault(gw.sim, 'apig.deleteCertificate');
    const mark = markCalls(gw.sim);

    const answer = await call(gw, seeded.path, { requestId: value });

    const body = expectRevoked(answer);
    const generated = answer.requestId;
    assert.match(generated, UUID);
    assert.equal(body.requestId, generated);
    const sent = callsSince(gw.sim, mark).map((recorded) => recorded.headers['x-request-id']);
    assert.ok(sent.length > 0);
    assert.ok(
      sent.every((id) => id === generated),
      'upstream gets the generated id',
    );
    assert.equal((await auditRecordsOf(gw, generated)).length, 2);
    await accessLineOf(gw, generated);
    assert.equal((await auditRecordsOf(gw, value)).length, 0, 'the unsafe id is not audited');
    assert.ok(!gw.logs().includes(value), 'the unsafe id is not logged');
  });
}

test('two X-Request-Id headers are one unsafe value: a generated id replaces them', async () => {
  const answer = await sendRaw(
    gw,
    'GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Request-Id: first-id\r\nX-Request-Id: second-id\r\nConnection: close\r\n\r\n',
  );

  assert.match(answer, /^HTTP\/1\.1 200 /);
  const echoed = /\r\nX-Request-Id: ([^\r]*)\r\n/i.exec(answer)?.[1] ?? '';
  assert.match(echoed, UUID);
});

test('an X-Request-Id with CR, LF or another control character never reaches the gateway', async () => {
  const mark = markCalls(gw.sim);
  const seeded = seedDefault(gw.sim, 'scm.revokePrivacy');
  const token = await gw.token();
  for (const value of [
    'id\rX-Injected: yes',
    'id\nX-Injected: yes',
    'id\u0000nul',
    'id\u007fdel',
  ]) {
    const answer = await sendRaw(
      gw,
      `DELETE ${seeded.path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${token}\r\nX-Request-Id: ${value}\r\nConnection: close\r\n\r\n`,
    );
    // Node's HTTP parser refuses the request itself: no route, no log line, no upstream call.
    assert.match(answer, /^HTTP\/1\.1 400 /, JSON.stringify(value));
    // And were a lenient parser ever put in front, the gateway would not keep the value.
    assert.notEqual(acceptRequestId(value), value);
    assert.match(acceptRequestId(value), UUID);
  }
  assert.deepEqual(callsSince(gw.sim, mark), []);
  assert.equal(seeded.exists(), true);
  assert.ok(!gw.logs().includes('X-Injected'));
});

test('without X-Request-Id a UUID is generated per request, echoed, sent upstream, audited and logged', async () => {
  const first = seedDefault(gw.sim, 'modelarts.deleteAuthorization');
  const second = seedDefault(gw.sim, 'modelarts.deleteAuthorization');
  const mark = markCalls(gw.sim);

  const answers = [await call(gw, first.path), await call(gw, second.path)];

  const ids = answers.map((answer) => expectRevoked(answer).requestId);
  for (const id of ids) assert.match(id, UUID);
  assert.notEqual(ids[0], ids[1]);
  const sent = callsSince(gw.sim, mark)
    .filter((recorded) => recorded.service === 'modelarts')
    .map((recorded) => recorded.headers['x-request-id']);
  assert.deepEqual(sent, ids);
  for (const id of ids) {
    assert.equal((await auditRecordsOf(gw, id)).length, 2);
    assert.equal((await accessLineOf(gw, id)).status, 200);
  }
});

test('a 128-character request id is still accepted', async () => {
  const requestId = `a${'b'.repeat(127)}`;
  const seeded = seedDefault(gw.sim, 'scm.revokePrivacy');
  const mark = markCalls(gw.sim);

  const answer = await call(gw, seeded.path, { requestId });

  assert.equal(expectRevoked(answer).requestId, requestId);
  const sent = callsSince(gw.sim, mark).filter((recorded) => recorded.service === 'scm');
  assert.equal(sent[0]?.headers['x-request-id'], requestId);
});

test('a refused request keeps the caller’s id in its problem, its audit record and its log line', async () => {
  const requestId = 'refused-request-77';

  const problem = expectProblem(
    await call(gw, '/v1/scm/csrs/short', { requestId }),
    400,
    'INVALID_REQUEST',
  );

  assert.equal(problem.requestId, requestId);
  const records = await auditRecordsOf(gw, requestId);
  assert.deepEqual(
    records.map((record) => [record.phase, record.operation]),
    [['outcome', 'scm.deleteCsr']],
  );
  assert.equal((await accessLineOf(gw, requestId)).status, 400);
});
