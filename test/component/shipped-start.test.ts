// The gateway as it ships (docs/deploy.md "Memory"): bundled by scripts/build.ts into dist/ and
// started by scripts/start.sh, which execs Node with the heap flags of scripts/heap-flags.sh.
// The other tests run src/ directly; these prove the bundle itself works: its files find the
// package root and the SQLite worker beside them, validation still names the field without zod's
// locales, and the audit report's lazily loaded chunk is there.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { buildGateway } from '../../scripts/build.ts';
import { startGatewayProcess, type GatewayProcess } from '../../scripts/lib/gateway-process.ts';
import { DEMO_RESOURCES } from '../../src/simulator/index.ts';
import { gatewayWorld, revokeOnce, type GatewayWorld } from '../helpers/gateway-world.ts';

before(async () => {
  await buildGateway();
});

for (const sqliteWorker of [false, true]) {
  describe(`the shipped gateway (audit.sqliteWorker: ${String(sqliteWorker)})`, () => {
    let world: GatewayWorld;
    let gateway: GatewayProcess;
    let token: string;
    before(async () => {
      world = await gatewayWorld({ audit: { sqliteWorker } }, {});
      gateway = await startGatewayProcess({ env: world.env, shipped: true });
      token = await world.issuer.sign({ sub: 'shipped', groups: ['secops'] });
    });
    after(async () => {
      await gateway.kill();
      await world.close();
    });

    it('is Node itself, started with the heap flags of scripts/heap-flags.sh', () => {
      const expected = spawnSync('sh', ['scripts/heap-flags.sh'], {
        encoding: 'utf8',
      }).stdout.trim();
      const cmdline = readFileSync(`/proc/${gateway.pid}/cmdline`, 'utf8').split('\0');
      assert.match(cmdline[0] ?? '', /node$/);
      assert.deepEqual(cmdline.slice(1, -2), expected.split(' '));
      assert.match(cmdline.at(-2) ?? '', /dist\/main\.js$/);
    });

    it('becomes ready and revokes, with a durable outcome', async () => {
      const ready = await fetch(`${gateway.url}/readyz`);
      assert.equal(ready.status, 200);
      const answer = await revokeOnce(gateway.url, token, 'shipped-1', 0);
      assert.equal(answer.status, 200);
      assert.ok(answer.auditId, 'the answer names its audit record');
    });

    it('refuses a bad parameter, naming the field', async () => {
      const grant = DEMO_RESOURCES.kmsGrants[0];
      assert.ok(grant);
      const response = await fetch(`${gateway.url}/v1/kms/keys/not-a-key/grants/${grant.grantId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await response.json()) as { code: string; errors: { field: string }[] };
      assert.equal(response.status, 400);
      assert.equal(body.code, 'INVALID_REQUEST');
      assert.deepEqual(
        body.errors.map((error) => error.field),
        ['keyId'],
      );
    });

    it('serves the audit report from its own chunk', async () => {
      const response = await fetch(`${gateway.url}/v1/audit/report`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      assert.match(await response.text(), /<html/i);
    });
  });
}
