// The sidecar's memory (docs/design/upstream-and-rate-limit.md "The gateway's own calls"):
// the gateway makes every call of its own with node:http and node:https, so Node's second HTTP
// stack, undici (the global `fetch`: a large bundle, its WASM parser and web streams, megabytes
// of RSS), is never loaded, not even by an ES-module import of node:http. Checked in the real
// process (`node src/main.ts`) from the list of modules Node loaded, written as it exits after
// exchanging an IAM token (password mode), fetching a metadata key (metadata mode) or the SSO's
// keys from its JWKS URL.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { startGatewayProcess } from '../../scripts/lib/gateway-process.ts';
import { DEMO_ACCOUNT } from '../../src/simulator/index.ts';
import {
  gatewayWorld,
  revokeOnce,
  terminate,
  type GatewayWorld,
} from '../helpers/gateway-world.ts';

const UNDICI = 'NativeModule internal/deps/undici/undici';
const RECORDER = fileURLToPath(new URL('../helpers/record-loaded-modules.ts', import.meta.url));

/** What a gateway process is started with besides the world's environment; undefined unsets. */
type Variables = (world: GatewayWorld) => Promise<Record<string, string | undefined>>;

/**
 * Revokes once through a gateway process started with `variables`; the modules it had loaded
 * when it exited, and how many calls each simulated service saw.
 */
async function loadedAfterRevoking(
  variables: Variables,
): Promise<{ modules: string[]; calls: (service: 'iam' | 'metadata') => number }> {
  const world = await gatewayWorld({}, {});
  try {
    const file = join(world.dir, 'loaded-modules.txt');
    const env = Object.entries({ ...world.env, ...(await variables(world)) }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    );
    const gateway = await startGatewayProcess({
      env: { ...Object.fromEntries(env), LOADED_MODULES_FILE: file },
      nodeFlags: ['--import', RECORDER],
    });
    const token = await world.issuer.sign({ sub: 'light', groups: ['secops'] });
    const answer = await revokeOnce(gateway.url, token, 'light-1', 0);
    assert.equal(answer.status, 200, gateway.output());
    assert.equal(await terminate(gateway), 0, 'the gateway exits cleanly on SIGTERM');
    const modules = readFileSync(file, 'utf8').split('\n');
    const calls = (service: 'iam' | 'metadata') => world.sim.calls({ service }).length;
    return { modules, calls };
  } finally {
    await world.close();
  }
}

describe('the sidecar loads one HTTP stack, not undici beside node:http', () => {
  it('exchanges its IAM token without loading undici', async () => {
    const { modules, calls } = await loadedAfterRevoking(() => Promise.resolve({}));
    assert.ok(calls('iam') >= 1, 'an IAM token was exchanged');
    assert.ok(modules.includes('NativeModule http'), 'the list was recorded after the calls');
    assert.ok(!modules.includes(UNDICI), 'undici was not loaded');
  });

  it('fetches its metadata key without loading undici', async () => {
    const { modules, calls } = await loadedAfterRevoking((world) =>
      Promise.resolve({
        RESCIND_CREDENTIALS: 'metadata',
        RESCIND_DOMAIN_ID: DEMO_ACCOUNT.domainId,
        RESCIND_METADATA_URL: world.sim.url,
      }),
    );
    assert.ok(calls('metadata') >= 1, 'a temporary key was fetched');
    assert.ok(modules.includes('NativeModule http'), 'the list was recorded after the calls');
    assert.ok(!modules.includes(UNDICI), 'undici was not loaded');
  });

  it("verifies callers against the SSO's JWKS URL without loading undici", async (t) => {
    let fetches = 0;
    const { modules } = await loadedAfterRevoking(async (world) => {
      const sso = createServer((_req, res) => {
        fetches += 1;
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
        res.end(JSON.stringify(world.issuer.jwks));
      });
      await new Promise<void>((resolve) => sso.listen(0, '127.0.0.1', resolve));
      t.after(
        () =>
          new Promise<void>((resolve) =>
            sso.close(() => {
              resolve();
            }),
          ),
      );
      const { port } = sso.address() as AddressInfo;
      return { RESCIND_JWKS_FILE: undefined, RESCIND_JWKS_URL: `http://127.0.0.1:${port}/jwks` };
    });
    assert.ok(fetches >= 1, "the SSO's keys were fetched from its URL");
    assert.ok(modules.includes('NativeModule http'), 'the list was recorded after the calls');
    assert.ok(!modules.includes(UNDICI), 'undici was not loaded');
  });
});
