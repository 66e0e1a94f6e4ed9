// The sidecar's memory (docs/design/upstream-and-rate-limit.md "IAM and the metadata service"):
// the gateway makes every call of its own with node:http and node:https, so Node's second HTTP
// stack, undici (the global `fetch`: a large bundle, its WASM parser and web streams, megabytes
// of RSS), is never loaded, not even by an ES-module import of node:http. Checked in the real
// process (`node src/main.ts`) from the list of modules Node loaded, written as it exits after
// exchanging an IAM token (password mode) or fetching a metadata key (metadata mode).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { startGatewayProcess } from '../../scripts/lib/gateway-process.ts';
import { DEMO_ACCOUNT } from '../../src/simulator/index.ts';
import { gatewayWorld, revokeOnce, terminate } from '../helpers/gateway-world.ts';

const UNDICI = 'NativeModule internal/deps/undici/undici';
const RECORDER = fileURLToPath(new URL('../helpers/record-loaded-modules.ts', import.meta.url));

/**
 * Revokes once through a gateway process started with `variables` (given the simulator's URL);
 * the modules it had loaded when it exited, and how many calls each simulated service saw.
 */
async function loadedAfterRevoking(
  variables: (simUrl: string) => Record<string, string>,
): Promise<{ modules: string[]; calls: (service: 'iam' | 'metadata') => number }> {
  const world = await gatewayWorld({}, {});
  try {
    const file = join(world.dir, 'loaded-modules.txt');
    const gateway = await startGatewayProcess({
      env: { ...world.env, ...variables(world.sim.url), LOADED_MODULES_FILE: file },
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
    const { modules, calls } = await loadedAfterRevoking(() => ({}));
    assert.ok(calls('iam') >= 1, 'an IAM token was exchanged');
    assert.ok(modules.includes('NativeModule http'), 'the list was recorded after the calls');
    assert.ok(!modules.includes(UNDICI), 'undici was not loaded');
  });

  it('fetches its metadata key without loading undici', async () => {
    const { modules, calls } = await loadedAfterRevoking((simUrl) => ({
      RESCIND_CREDENTIALS: 'metadata',
      RESCIND_DOMAIN_ID: DEMO_ACCOUNT.domainId,
      RESCIND_METADATA_URL: simUrl,
    }));
    assert.ok(calls('metadata') >= 1, 'a temporary key was fetched');
    assert.ok(modules.includes('NativeModule http'), 'the list was recorded after the calls');
    assert.ok(!modules.includes(UNDICI), 'undici was not loaded');
  });
});
