import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { FaultSpecError, startSimulator } from '../../src/simulator/index.ts';
import type { FaultSpec, Simulator } from '../../src/simulator/index.ts';
import {
  call,
  expectFlat,
  expectNested,
  GRANT_ID,
  jsonOf,
  KEY_ID,
  KMS_BODY,
  passwordAuth,
  postTokens,
  PROJECT_ID,
  projectScope,
  token,
} from './sim-client.ts';
import { useSimulator, withSimulator } from './support.ts';

/** The error code of a fetch failure, from undici's cause chain. */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  while (typeof current === 'object' && current !== null) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** One call each to the three services that answer in the flat envelope, one after another. */
async function flatServiceCalls(sim: Simulator, tok: string): Promise<Response[]> {
  return [
    await call.scmPrivacy(sim, tok, 'x'),
    await call.apig(sim, tok, 'x'),
    await call.modelarts(sim, tok, 'x'),
  ];
}

describe('fault injection', () => {
  const suite = useSimulator();

  test('status: answers the given status, JSON body and headers, with X-Request-Id, once', async () => {
    suite.sim.injectFault({
      service: 'apig',
      kind: 'status',
      status: 503,
      body: { error_code: 'APIG.9999', error_msg: 'busy' },
      headers: { 'X-Extra': 'yes' },
    });
    const res = await call.apig(suite.sim, suite.tok, 'no-such-cert');
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('x-extra'), 'yes');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
    assert.deepEqual(await jsonOf(res), { error_code: 'APIG.9999', error_msg: 'busy' });
    assert.equal(
      (await call.apig(suite.sim, suite.tok, 'no-such-cert')).status,
      404,
      'count defaults to 1',
    );
  });

  test('status: a plain string body is sent as text', async () => {
    suite.sim.injectFault({ service: 'scm', kind: 'status', status: 500, body: 'oops' });
    const res = await call.scmPrivacy(suite.sim, suite.tok, 'x');
    assert.equal(res.status, 500);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await res.text(), 'oops');
  });

  test('faults apply before token checks and routing', async () => {
    suite.sim.injectFault({ service: 'apig', kind: 'status', status: 502 });
    assert.equal((await call.apig(suite.sim, undefined, 'x')).status, 502);
  });

  test('html: a load balancer page, 502 by default', async () => {
    suite.sim.injectFault({ service: 'kms', kind: 'html' });
    suite.sim.injectFault({ service: 'kms', kind: 'html', status: 504 });
    const first = await call.kms(suite.sim, suite.tok, KMS_BODY);
    assert.equal(first.status, 502);
    assert.match(first.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await first.text(), /<html>[\s\S]*502 Bad Gateway/);
    const second = await call.kms(suite.sim, suite.tok, KMS_BODY);
    assert.equal(second.status, 504);
    await second.text();
    assert.equal(suite.sim.has('kmsGrant', PROJECT_ID, KEY_ID, GRANT_ID), true);
  });

  test('empty: no body at all, 502 by default', async () => {
    suite.sim.injectFault({ service: 'modelarts', kind: 'empty' });
    const res = await call.modelarts(suite.sim, suite.tok, 'all');
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('content-length'), '0');
    assert.equal(await res.text(), '');
  });

  test('truncated-json: JSON that stops mid-way, 500 by default, in the service envelope', async () => {
    suite.sim.injectFault({ service: 'apig', kind: 'truncated-json' });
    suite.sim.injectFault({ service: 'kms', kind: 'truncated-json', status: 503 });
    const apig = await call.apig(suite.sim, suite.tok, 'x');
    assert.equal(apig.status, 500);
    const apigText = await apig.text();
    assert.ok(apigText.startsWith('{"error_code":"APIG.9999"'));
    assert.throws(() => JSON.parse(apigText) as unknown, SyntaxError);
    const kms = await call.kms(suite.sim, suite.tok, KMS_BODY);
    assert.equal(kms.status, 503);
    const kmsText = await kms.text();
    assert.ok(kmsText.startsWith('{"error":{"error_code":"KMS.'));
    assert.throws(() => JSON.parse(kmsText) as unknown, SyntaxError);
  });

  test('oversized: streams exactly sizeBytes of HTML without a Content-Length', async () => {
    const sizeBytes = 10 * 1024 * 1024 + 7;
    suite.sim.injectFault({ service: 'scm', kind: 'oversized', sizeBytes });
    const res = await call.scmPrivacy(suite.sim, suite.tok, 'x');
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('content-length'), null);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    let received = 0;
    for await (const chunk of res.body!) received += (chunk as Uint8Array).byteLength;
    assert.equal(received, sizeBytes);
  });

  test('oversized: a client that stops reading early does not disturb later calls', async () => {
    suite.sim.injectFault({
      service: 'scm',
      kind: 'oversized',
      sizeBytes: 50 * 1024 * 1024,
      status: 500,
    });
    const controller = new AbortController();
    const res = await fetch(`${suite.sim.url}/v2/${PROJECT_ID}/scm/privacy-protection/x`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': suite.tok },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    assert.equal((await call.apig(suite.sim, suite.tok, 'no-such-cert')).status, 404);
  });

  test('throttle: 429 without Retry-After, flat APIG.0308 for SCM, APIG and ModelArts', async () => {
    for (const service of ['scm', 'apig', 'modelarts'] as const)
      suite.sim.injectFault({ service, kind: 'throttle' });
    for (const res of await flatServiceCalls(suite.sim, suite.tok)) {
      assert.equal(res.headers.get('retry-after'), null);
      await expectFlat(res, 429, 'APIG.0308');
    }
  });

  test('throttle: nested on KMS and IAM.0012 on the token endpoint', async () => {
    suite.sim.injectFault({ service: 'kms', kind: 'throttle' });
    suite.sim.injectFault({ service: 'iam', kind: 'throttle' });
    const kms = await call.kms(suite.sim, suite.tok, KMS_BODY);
    assert.equal(kms.headers.get('retry-after'), null);
    await expectNested(kms, 429, /^KMS\./);
    const iam = await postTokens(suite.sim, passwordAuth(projectScope()));
    assert.equal(iam.headers.get('retry-after'), null);
    assert.equal(iam.headers.get('x-subject-token'), null);
    await expectFlat(iam, 429, 'IAM.0012');
  });

  test('token-expired: 401 APIGW.0307 flat on SCM/APIG/ModelArts, 403 KMS.0303 nested on KMS, for a valid token', async () => {
    for (const service of ['scm', 'apig', 'modelarts', 'kms'] as const)
      suite.sim.injectFault({ service, kind: 'token-expired' });
    for (const res of await flatServiceCalls(suite.sim, suite.tok)) {
      const body = await expectFlat(res, 401, 'APIGW.0307');
      assert.equal(body.error_msg, 'The token must be updated.');
    }
    const kms = await call.kms(suite.sim, suite.tok, KMS_BODY);
    await expectNested(kms, 403, 'KMS.0303');
    assert.equal(suite.sim.has('kmsGrant', PROJECT_ID, KEY_ID, GRANT_ID), true);
  });

  test('takesEffect: the revocation happens and the fault answers instead', async () => {
    suite.sim.addKmsGrant(PROJECT_ID, KEY_ID, 'cd'.repeat(32));
    suite.sim.injectFault({ service: 'kms', kind: 'status', status: 503, takesEffect: true });
    const lost = await call.kms(suite.sim, suite.tok, {
      key_id: KEY_ID,
      grant_id: 'cd'.repeat(32),
    });
    assert.equal(lost.status, 503);
    assert.equal(suite.sim.has('kmsGrant', PROJECT_ID, KEY_ID, 'cd'.repeat(32)), false);
    const retry = await call.kms(suite.sim, suite.tok, {
      key_id: KEY_ID,
      grant_id: 'cd'.repeat(32),
    });
    assert.equal(retry.status, 404);
  });

  test('without takesEffect the fault stops the revocation', async () => {
    suite.sim.addApigCertificate(PROJECT_ID, 'cert-kept');
    suite.sim.injectFault({ service: 'apig', kind: 'status', status: 503 });
    assert.equal((await call.apig(suite.sim, suite.tok, 'cert-kept')).status, 503);
    assert.equal(suite.sim.has('apigCertificate', PROJECT_ID, 'cert-kept'), true);
  });

  test('takesEffect with reset: the revocation happens although the connection is reset', async () => {
    suite.sim.addScmCertificate(PROJECT_ID, 'scs-reset-1');
    suite.sim.injectFault({ service: 'scm', kind: 'reset', takesEffect: true });
    await assert.rejects(call.scmPrivacy(suite.sim, suite.tok, 'scs-reset-1'));
    assert.equal(suite.sim.has('scmPrivacy', PROJECT_ID, 'scs-reset-1'), false);
  });

  test('reset: fetch fails with a connection reset and no answer', async () => {
    suite.sim.injectFault({ service: 'apig', kind: 'reset' });
    const error = await call.apig(suite.sim, suite.tok, 'a27be832f2e9441c8127fe48e3b5ac67').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error, 'fetch rejected');
    assert.equal(causeCode(error), 'ECONNRESET');
    assert.equal(
      suite.sim.has('apigCertificate', PROJECT_ID, 'a27be832f2e9441c8127fe48e3b5ac67'),
      true,
    );
    const recorded = suite.sim.calls({ service: 'apig' }).at(-1);
    assert.equal(recorded?.status, 0);
    assert.equal(recorded.fault, 'reset');
  });

  test('reset: a raw socket sees ECONNRESET', async () => {
    suite.sim.injectFault({ service: 'apig', kind: 'reset' });
    const host = new URL(suite.sim.url);
    const code = await new Promise<string>((resolve) => {
      const socket = connect(Number(host.port), host.hostname, () => {
        socket.write(
          `DELETE /v2/${PROJECT_ID}/apigw/certificates/x HTTP/1.1\r\nHost: sim\r\nContent-Length: 0\r\n\r\n`,
        );
      });
      socket.on('data', () => {
        resolve('answered');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        resolve(error.code ?? 'error');
      });
      socket.on('close', () => {
        resolve('closed cleanly');
      });
    });
    assert.equal(code, 'ECONNRESET');
  });

  test('delay: waits, then answers normally', async () => {
    suite.sim.addApigCertificate(PROJECT_ID, 'cert-slow');
    suite.sim.injectFault({ service: 'apig', kind: 'delay', delayMs: 150 });
    const started = Date.now();
    const res = await call.apig(suite.sim, suite.tok, 'cert-slow');
    assert.ok(Date.now() - started >= 140, 'answer came after the delay');
    assert.equal(res.status, 204);
    assert.equal(suite.sim.calls({ service: 'apig' }).at(-1)?.fault, 'delay');
  });

  test('delay: the operation still happens when the client gave up', async () => {
    suite.sim.addApigCertificate(PROJECT_ID, 'cert-abandoned');
    suite.sim.injectFault({ service: 'apig', kind: 'delay', delayMs: 200 });
    await assert.rejects(
      fetch(`${suite.sim.url}/v2/${PROJECT_ID}/apigw/certificates/cert-abandoned`, {
        method: 'DELETE',
        headers: { 'X-Auth-Token': suite.tok },
        signal: AbortSignal.timeout(30),
      }),
    );
    assert.equal(suite.sim.has('apigCertificate', PROJECT_ID, 'cert-abandoned'), true, 'not yet');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(suite.sim.has('apigCertificate', PROJECT_ID, 'cert-abandoned'), false);
  });

  test('count, method and pathIncludes narrow which calls a fault hits', async () => {
    suite.sim.injectFault({
      service: 'apig',
      kind: 'status',
      status: 500,
      count: 2,
      pathIncludes: 'target-cert',
      method: 'delete',
    });
    assert.equal((await call.apig(suite.sim, suite.tok, 'other-cert')).status, 404);
    assert.equal((await call.apig(suite.sim, suite.tok, 'target-cert')).status, 500);
    assert.equal(
      (await call.scmPrivacy(suite.sim, suite.tok, 'target-cert')).status,
      404,
      'another service is untouched',
    );
    assert.equal((await call.apig(suite.sim, suite.tok, 'target-cert')).status, 500);
    assert.equal(
      (await call.apig(suite.sim, suite.tok, 'target-cert')).status,
      404,
      'count exhausted',
    );
  });

  test('queued faults apply in order, first match first', async () => {
    suite.sim.injectFault({ service: 'modelarts', kind: 'status', status: 500 });
    suite.sim.injectFault({ service: 'modelarts', kind: 'status', status: 503 });
    assert.equal((await call.modelarts(suite.sim, suite.tok, 'x')).status, 500);
    assert.equal((await call.modelarts(suite.sim, suite.tok, 'x')).status, 503);
    assert.equal((await call.modelarts(suite.sim, suite.tok, 'x')).status, 404);
  });

  test('count Infinity keeps applying until clearFaults()', async () => {
    suite.sim.injectFault({ service: 'apig', kind: 'status', status: 503, count: Infinity });
    for (let i = 0; i < 5; i += 1)
      assert.equal((await call.apig(suite.sim, suite.tok, 'x')).status, 503);
    suite.sim.clearFaults();
    assert.equal((await call.apig(suite.sim, suite.tok, 'x')).status, 404);
  });

  test('faults on iam hit the token endpoint only', async () => {
    suite.sim.injectFault({ service: 'iam', kind: 'status', status: 500 });
    assert.equal((await call.apig(suite.sim, suite.tok, 'x')).status, 404);
    assert.equal((await postTokens(suite.sim, passwordAuth(projectScope()))).status, 500);
    assert.equal((await postTokens(suite.sim, passwordAuth(projectScope()))).status, 201);
  });

  test('an invalid fault is rejected with every problem listed', () => {
    const bad = [
      { service: 'nope', kind: 'status', status: 500 },
      { service: 'apig', kind: 'status' },
      { service: 'apig', kind: 'delay', delayMs: -1 },
      { service: 'apig', kind: 'oversized' },
      { service: 'apig', kind: 'hang', count: 0 },
      { service: 'apig', kind: 'reset', status: 500 },
      { service: 'apig', kind: 'explode' },
    ];
    for (const fault of bad) {
      assert.throws(
        () => {
          suite.sim.injectFault(fault as unknown as FaultSpec);
        },
        (error: unknown) => error instanceof FaultSpecError && error.problems.length > 0,
        JSON.stringify(fault),
      );
    }
  });
});

describe('hang', () => {
  test('holds the call open, recorded with status 0, until close() ends it', async () => {
    const sim = await startSimulator();
    const tok = await token(sim);
    sim.injectFault({ service: 'kms', kind: 'hang' });
    const pending = call.kms(sim, tok, KMS_BODY).then(
      () => 'answered',
      () => 'failed',
    );
    for (let i = 0; i < 50 && sim.calls({ service: 'kms' }).length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const [hung] = sim.calls({ service: 'kms' });
    assert.equal(hung?.fault, 'hang');
    assert.equal(hung.status, 0);
    const raced = await Promise.race([
      pending,
      new Promise((resolve) => {
        setTimeout(() => {
          resolve('still hanging');
        }, 100);
      }),
    ]);
    assert.equal(raced, 'still hanging');
    const started = Date.now();
    await sim.close();
    assert.ok(Date.now() - started < 1000, 'close() does not wait for the hung call');
    assert.equal(await pending, 'failed');
  });

  test('with takesEffect the revocation happens although no answer comes', async () => {
    await withSimulator({}, async (sim) => {
      const tok = await token(sim);
      sim.injectFault({ service: 'kms', kind: 'hang', takesEffect: true });
      void call.kms(sim, tok, KMS_BODY).catch(() => undefined);
      for (let i = 0; i < 50 && sim.has('kmsGrant', PROJECT_ID, KEY_ID, GRANT_ID); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(sim.has('kmsGrant', PROJECT_ID, KEY_ID, GRANT_ID), false);
    });
  });
});
