// The fault kinds for the error shapes of Huawei's SDK cores (docs/upstream.md "Error bodies"):
// what each answers on the wire, for every service, and that the gateway's one reader takes
// from it the code, message and encoded denial it holds.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { FAULT_KIND_HELP } from '../../src/simulator/faults.ts';
import type { Simulator } from '../../src/simulator/index.ts';
import type { SimService } from '../../src/simulator/simulator-types.ts';
import { readErrorEnvelope } from '../../src/upstream/read-error-envelope.ts';
import { call, GRANT_ID, KEY_ID, passwordAuth, postTokens, projectScope } from './sim-client.ts';
import { useSimulator } from './support.ts';

type CloudService = Exclude<SimService, 'metadata'>;

const SERVICES: readonly CloudService[] = ['iam', 'scm', 'apig', 'kms', 'modelarts'];

function callService(sim: Simulator, tok: string, service: CloudService): Promise<Response> {
  switch (service) {
    case 'iam':
      return postTokens(sim, passwordAuth(projectScope()));
    case 'scm':
      return call.scmPrivacy(sim, tok, 'cert-1');
    case 'apig':
      return call.apig(sim, tok, 'cert-1');
    case 'kms':
      return call.kms(sim, tok, { key_id: KEY_ID, grant_id: GRANT_ID });
    case 'modelarts':
      return call.modelarts(sim, tok, 'user-1');
  }
}

async function envelopeOf(response: Response): Promise<ReturnType<typeof readErrorEnvelope>> {
  return readErrorEnvelope((await response.json()) as Record<string, unknown>);
}

describe('error-shape faults', () => {
  const suite = useSimulator();

  for (const service of SERVICES) {
    test(`${service}: encoded-403 carries encoded_authorization_message in the service's envelope`, async () => {
      suite.sim.injectFault({ service, kind: 'encoded-403' });
      const response = await callService(suite.sim, suite.tok, service);
      assert.equal(response.status, 403);
      const envelope = await envelopeOf(response);
      assert.match(envelope.code ?? '', service === 'iam' ? /^403$/ : /^[A-Za-z]+\.\d{4}$/);
      assert.match(envelope.message ?? '', /not authorized/);
      assert.match(envelope.encodedAuthorizationMessage ?? '', /^[A-Za-z0-9+/]+=*$/);
    });

    test(`${service}: code-message, nested-pair and keystone-string-code hold their pair`, async () => {
      suite.sim.injectFault({ service, kind: 'code-message', status: 409 });
      suite.sim.injectFault({ service, kind: 'nested-pair' });
      suite.sim.injectFault({ service, kind: 'keystone-string-code' });
      const flat = await callService(suite.sim, suite.tok, service);
      assert.equal(flat.status, 409);
      const flatBody = (await flat.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(flatBody), ['code', 'message']);
      assert.match(readErrorEnvelope(flatBody).code ?? '', /\.0409$/);

      const nested = await callService(suite.sim, suite.tok, service);
      assert.equal(nested.status, 404);
      const nestedBody = (await nested.json()) as { itemNotFound?: { code?: unknown } };
      assert.equal(nestedBody.itemNotFound?.code, 404);
      assert.equal(readErrorEnvelope(nestedBody).code, '404');

      const keystone = await callService(suite.sim, suite.tok, service);
      assert.equal(keystone.status, 403);
      const keystoneBody = (await keystone.json()) as {
        error?: { code?: unknown; title?: unknown };
      };
      assert.equal(typeof keystoneBody.error?.code, 'string');
      assert.equal(keystoneBody.error?.title, 'Forbidden');
      assert.equal(readErrorEnvelope(keystoneBody).code, keystoneBody.error.code);
    });
  }

  test('lb-html, lb-empty and lb-truncated answer like a load balancer: no X-Request-Id', async () => {
    suite.sim.injectFault({ service: 'kms', kind: 'lb-html' });
    suite.sim.injectFault({ service: 'kms', kind: 'lb-empty', status: 503 });
    suite.sim.injectFault({ service: 'kms', kind: 'lb-truncated' });
    const html = await callService(suite.sim, suite.tok, 'kms');
    assert.equal(html.status, 502);
    assert.match(await html.text(), /<title>502 Bad Gateway<\/title>/);
    const empty = await callService(suite.sim, suite.tok, 'kms');
    assert.equal(empty.status, 503);
    assert.equal(await empty.text(), '');
    const truncated = await callService(suite.sim, suite.tok, 'kms');
    assert.equal(truncated.status, 500);
    const cut = await truncated.text();
    assert.ok(cut.startsWith('{"error":{'));
    assert.throws(() => JSON.parse(cut) as unknown, SyntaxError);
    for (const response of [html, empty, truncated]) {
      assert.equal(response.headers.get('x-request-id'), null);
    }
    // The service's own answers keep theirs.
    suite.sim.injectFault({ service: 'kms', kind: 'html' });
    const own = await callService(suite.sim, suite.tok, 'kms');
    await own.text();
    assert.match(own.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
  });
});

test('npm run simulator -- --help documents every fault kind', () => {
  const run = spawnSync(process.execPath, ['src/simulator/cli.ts', '--help'], { encoding: 'utf8' });
  assert.equal(run.status, 0);
  for (const [kind, help] of Object.entries(FAULT_KIND_HELP)) {
    assert.ok(run.stdout.includes(`  ${kind} `), `${kind} is listed`);
    assert.ok(run.stdout.includes(help), `${kind} is explained`);
  }
});
