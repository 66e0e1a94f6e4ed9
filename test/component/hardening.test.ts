// Small weaknesses a security review found in a running gateway, each reproduced here the way
// the attacker did it: other methods on the operating endpoints, request bodies in a
// Content-Encoding the gateway does not read, project ids in the unauthenticated /metrics.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { DEMO_RESOURCES } from '../../src/simulator/index.ts';
import { DEFAULT_PROJECT, startGateway, startGatewayFor } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import { readTrail, KMS_PATH } from './support-audit-trail.ts';
import { EU_CONFIG, EU_PROJECT } from './support-routes.ts';

const gw = suiteScoped(() => startGateway());

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** node:http, because fetch refuses to send TRACE at all. */
function rawRequest(
  path: string,
  method: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('operating endpoints answer GET and HEAD only', () => {
  for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
    test(`TRACE, POST, PUT, DELETE and OPTIONS on ${path} are 405 METHOD_NOT_ALLOWED with Allow`, async () => {
      for (const method of ['TRACE', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
        const answer = await rawRequest(path, method, { 'x-echo': 'reflected?' });
        assert.equal(answer.status, 405, `${method} ${path}`);
        assert.equal(answer.headers.allow, 'GET, HEAD', `${method} ${path}`);
        assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
        const problem = JSON.parse(answer.body) as { code: string };
        assert.equal(problem.code, 'METHOD_NOT_ALLOWED');
        assert.ok(!answer.body.includes('reflected?'), 'TRACE reflects nothing');
      }
      assert.equal((await rawRequest(path, 'GET')).status === 405, false);
      assert.equal((await rawRequest(path, 'HEAD')).status === 405, false);
    });
  }
});

describe('a request body in a Content-Encoding the gateway does not read', () => {
  for (const encoding of ['gzip, gzip', 'compress', 'x-unknown']) {
    test(`Content-Encoding: ${encoding} is 400 INVALID_REQUEST naming Content-Encoding, audited, no cloud call`, async () => {
      const token = await gw.token('alice');
      const requestId = `encoding-${encoding.replace(/\W+/g, '-')}`;
      const body = gzipSync(gzipSync(Buffer.from('{}')));
      const answer = await rawRequest(
        KMS_PATH,
        'DELETE',
        {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-encoding': encoding,
          'x-request-id': requestId,
          // DELETE is not chunked by default: without a length the body would be a new request.
          'content-length': String(body.length),
        },
        body,
      );
      assert.equal(answer.status, 400, answer.body);
      assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
      const problem = JSON.parse(answer.body) as {
        code: string;
        errors: { field: string }[];
        auditId?: string;
      };
      assert.equal(problem.code, 'INVALID_REQUEST');
      assert.deepEqual(
        problem.errors.map((error) => error.field),
        ['Content-Encoding'],
      );
      const records = readTrail(gw.auditPath, requestId);
      assert.deepEqual(
        records.map((record) => [record.phase, record.outcome?.result]),
        [['outcome', 'invalid']],
      );
      assert.equal(problem.auditId, records[0]?.id);
      assert.deepEqual(
        gw.sim.calls().filter((call) => call.headers['x-request-id'] === requestId),
        [],
      );
    });
  }
});

describe('metrics name projects by alias', () => {
  test('a revocation in the eu project is counted under project:eu, and /metrics holds no project id', async (t) => {
    const eu = await startGatewayFor(t, { config: EU_CONFIG });
    const token = await eu.token('alice');
    const grant = DEMO_RESOURCES.kmsGrants[0];
    for (const query of ['', '?project=eu']) {
      const answer = await fetch(
        `${eu.url}/v1/kms/keys/${grant.keyId}/grants/${grant.grantId}${query}`,
        { method: 'DELETE', headers: { authorization: `Bearer ${token}` } },
      );
      assert.notEqual(answer.status, 500);
    }
    const metrics = await (await fetch(`${eu.url}/metrics`)).text();
    assert.match(metrics, /rescind_token_exchanges_total\{scope="project:eu",result="success"\} 1/);
    assert.match(
      metrics,
      /rescind_token_exchanges_total\{scope="project:default",result="success"\} 1/,
    );
    for (const id of [EU_PROJECT, DEFAULT_PROJECT]) {
      assert.ok(!metrics.includes(id), `no project id ${id} in /metrics`);
    }
  });
});
