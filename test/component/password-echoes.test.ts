// The IAM password (and every secret the gateway holds) never reaches a caller, a log line or an
// audit record, even when the cloud or IAM quotes it back cut short, base64-encoded or
// percent-encoded: the attack a review made by echoing the request body back in error messages.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formsOf } from '../../src/text/redact-secrets.ts';
import { DEMO_ACCOUNT } from '../../src/simulator/index.ts';
import { startGateway, startGatewayFor } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import { readTrail } from './support-audit-trail.ts';
import { call, seedDefault, uniqueId } from './support-routes.ts';

const PASSWORD = 'Echo-Canary/pa55+word%7fx';
const REDIS_PASSWORD = 'redis-Canary-93b1x';

const gw = suiteScoped(() =>
  startGateway({
    simulator: { accounts: [{ ...DEMO_ACCOUNT, password: PASSWORD }] },
    env: { RESCIND_IAM_PASSWORD: PASSWORD },
  }),
);

/** Every 8-character piece of every form the secret could take. */
function piecesOf(secret: string): string[] {
  const pieces = new Set<string>();
  for (const form of formsOf(secret)) {
    for (let at = 0; at + 8 <= form.length; at += 1) pieces.add(form.slice(at, at + 8));
  }
  return [...pieces];
}

function assertNoPiece(where: string, text: string, secret = PASSWORD): void {
  const found = piecesOf(secret).find((piece) => text.includes(piece));
  assert.equal(found, undefined, `${where} quotes "${String(found)}" of the secret`);
}

const ECHOES: [string, (secret: string) => string][] = [
  ['cut short', (secret) => `invalid request body {"password":"${secret.slice(0, 12)}`],
  [
    'base64-encoded',
    (secret) => `bad credentials ${Buffer.from(`svc:${secret}`).toString('base64')}`,
  ],
  ['percent-encoded', (secret) => `form rejected: password=${encodeURIComponent(secret)}&x=1`],
];

describe('the cloud echoes the password back', () => {
  for (const [how, echo] of ECHOES) {
    test(`${how}: the answer, the audit record and the log hold no 8 characters of it`, async () => {
      const seeded = seedDefault(gw.sim, 'kms.revokeGrant');
      gw.sim.injectFault({
        service: 'kms',
        kind: 'status',
        status: 400,
        body: { error: { error_code: 'KMS.0201', error_msg: echo(PASSWORD) } },
      });
      const requestId = uniqueId('echo');
      const answer = await call(gw, seeded.path, { requestId });
      assert.equal(answer.status, 400, answer.text);
      const problem = answer.json as { upstream: { message: string } };
      assert.match(problem.upstream.message, /\[REDACTED\]/);
      assertNoPiece('the answer', answer.text);
      const records = readTrail(gw.auditPath, requestId);
      assert.ok(records.length > 0);
      assert.match(JSON.stringify(records), /\[REDACTED\]/);
      assertNoPiece('the audit record', JSON.stringify(records));
      assertNoPiece('the log', gw.logs());
    });
  }
});

describe('IAM echoes the password back', () => {
  for (const [how, echo] of ECHOES) {
    test(`${how}: the 502, the audit record and the log hold no 8 characters of it`, async (t) => {
      const own = await startGatewayFor(t, {
        simulator: { accounts: [{ ...DEMO_ACCOUNT, password: PASSWORD }] },
        env: { RESCIND_IAM_PASSWORD: PASSWORD },
      });
      own.sim.injectFault({
        service: 'iam',
        kind: 'status',
        status: 400,
        body: { error: { code: 400, message: echo(PASSWORD), title: 'Bad Request' } },
      });
      const seeded = seedDefault(own.sim, 'kms.revokeGrant');
      const requestId = uniqueId('iam-echo');
      const answer = await call(own, seeded.path, { requestId });
      assert.equal(answer.status, 502, answer.text);
      assertNoPiece('the answer', answer.text);
      assertNoPiece('the audit record', JSON.stringify(readTrail(own.auditPath, requestId)));
      assertNoPiece('the log', own.logs());
    });
  }
});

describe('other secrets the gateway holds', () => {
  test('a Redis URL password quoted by a failing store never reaches the log, /readyz or an answer', async (t) => {
    const own = await startGatewayFor(t, {
      env: {
        RESCIND_RATE_LIMIT_REDIS_URL: `redis://:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:1/0`,
      },
    });
    // A driver error quoting the connection string, base64-encoded, as some clients log it.
    own.composition.deps.logger.error(
      { err: new Error(`AUTH failed for ${Buffer.from(`:${REDIS_PASSWORD}`).toString('base64')}`) },
      'redis said %s',
      REDIS_PASSWORD.slice(2, 14),
    );
    const readyz = await (await fetch(`${own.url}/readyz`)).text();
    const seeded = seedDefault(own.sim, 'kms.revokeGrant');
    const answer = await call(own, seeded.path);
    for (const [where, text] of [
      ['the log', own.logs()],
      ['/readyz', readyz],
      ['the answer', answer.text],
    ] as const) {
      assertNoPiece(where, text, REDIS_PASSWORD);
    }
    assert.match(own.logs(), /redis said \[REDACTED\]/);
  });
});
