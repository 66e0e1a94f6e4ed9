import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { SimulatorOptionsError, startSimulator } from '../../src/simulator/index.ts';
import type { SimulatorOptions } from '../../src/simulator/index.ts';
import { call, passwordAuth, projectScope, token } from './sim-client.ts';
import { withSimulator } from './support.ts';

test('listens on 127.0.0.1 and a free port by default, and serves IAM and services on one URL', async () => {
  await withSimulator({}, async (sim) => {
    assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(sim.url).port, '0');
    const tok = await token(sim);
    assert.equal((await call.apig(sim, tok, 'no-such-cert')).status, 404);
  });
});

test('rejects unknown keys and bad values, listing every problem', async () => {
  const options = {
    port: -1,
    projects: [{ id: 'NOT-HEX', name: 'cn-north-4' }],
    tokenSizeBytes: 10,
    tokenLifetimeSeconds: 0,
    seed: 'full',
    colour: 'blue',
  } as unknown as SimulatorOptions;
  await assert.rejects(startSimulator(options), (error: unknown) => {
    assert.ok(error instanceof SimulatorOptionsError);
    assert.equal(error.code, 'SIM_INVALID_OPTIONS');
    assert.equal(error.problems.length, 6, error.problems.join('\n'));
    return true;
  });
});

test('honours tokenSizeBytes, and accepts tokens larger than Node’s default 16 KB header limit', async () => {
  await withSimulator({ tokenSizeBytes: 40_000 }, async (sim) => {
    // fetch cannot read a 40 KB response header, so the token is fetched with node:http.
    const tok = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${sim.url}/v3/auth/tokens`,
        {
          method: 'POST',
          maxHeaderSize: 128 * 1024,
          headers: { 'Content-Type': 'application/json' },
        },
        (res) => {
          res.resume();
          const subject = res.headers['x-subject-token'];
          if (typeof subject === 'string') resolve(subject);
          else reject(new Error(`no token, status ${res.statusCode}`));
        },
      );
      req.on('error', reject);
      req.end(passwordAuth(projectScope()));
    });
    assert.equal(tok.length, 40_000);
    assert.equal((await call.apig(sim, tok, 'no-such-cert')).status, 404);
  });
});

test('answers 413 for a request body over 1 MiB', async () => {
  await withSimulator({}, async (sim) => {
    const tok = await token(sim);
    const res = await call.kms(sim, tok, 'x'.repeat(1024 * 1024 + 1));
    assert.equal(res.status, 413);
  });
});

test('close() can be called twice and frees the port', async () => {
  const sim = await startSimulator();
  const port = Number(new URL(sim.url).port);
  await sim.close();
  await sim.close();
  const again = await startSimulator({ port });
  await again.close();
});

test('fails to start when the port is taken', async () => {
  const first = await startSimulator();
  try {
    await assert.rejects(startSimulator({ port: Number(new URL(first.url).port) }), /EADDRINUSE/);
  } finally {
    await first.close();
  }
});
