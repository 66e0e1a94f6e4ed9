// The SSO's keys fetched from its JWKS URL over node:http (src/identity/remote-key-set.ts), with
// jose's remote key set semantics: a cache with a maximum age, one fetch for concurrent first
// uses, a bounded wait, and answers that are not a key set refused.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors, jwtVerify } from 'jose';
import { createDevIssuer } from '../../../src/demo/dev-issuer.ts';
import { createRemoteKeySet } from '../../../src/identity/remote-key-set.ts';

const ISSUER = 'https://sso.test.rescind.invalid';
const AUDIENCE = 'rescind-test';
const sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
const token = await sso.sign({ sub: 'alice' });

/** A JWKS endpoint answering with `handle`; counts the requests and keeps their headers. */
async function serve(
  t: TestContext,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: URL; seen: IncomingMessage['headers'][] }> {
  const seen: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${String(port)}/jwks.json`), seen };
}

const publish = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(sso.jwks));
};

const OPTIONS = { cooldownMs: 30_000, cacheMaxAgeMs: 600_000, timeoutMs: 2000 };

test('concurrent first uses share one fetch, asking for a key set', async (t) => {
  const { url, seen } = await serve(t, publish);
  const keys = createRemoteKeySet(url, OPTIONS);
  const results = await Promise.all(
    Array.from({ length: 5 }, () => jwtVerify(token, keys, { issuer: ISSUER })),
  );
  assert.ok(results.every((result) => result.payload.sub === 'alice'));
  assert.equal(seen.length, 1);
  assert.match(seen[0]?.accept ?? '', /application\/jwk-set\+json/);
  assert.match(seen[0]?.['user-agent'] ?? '', /^rescind\//);
});

test('keys older than the cache maximum age are fetched again before use', async (t) => {
  const { url, seen } = await serve(t, publish);
  const keys = createRemoteKeySet(url, { ...OPTIONS, cacheMaxAgeMs: 100 });
  await jwtVerify(token, keys);
  await jwtVerify(token, keys);
  assert.equal(seen.length, 1, 'reused while fresh');
  await sleep(150);
  await jwtVerify(token, keys);
  assert.equal(seen.length, 2, 'fetched again once older than the maximum age');
});

test('a JWKS that does not answer in time is a JWKSTimeout, and the next use tries again', async (t) => {
  let hang = true;
  const { url, seen } = await serve(t, (req, res) => {
    if (!hang) publish(req, res);
  });
  const keys = createRemoteKeySet(url, { ...OPTIONS, timeoutMs: 150 });
  await assert.rejects(jwtVerify(token, keys), errors.JWKSTimeout);
  hang = false;
  assert.equal((await jwtVerify(token, keys)).payload.sub, 'alice');
  assert.equal(seen.length, 2);
});

test('an answer that is not a key set is refused: not 200, not JSON, too large, not a JWKS', async (t) => {
  const answers: [number, string][] = [
    [404, 'not found'],
    [200, '<html>'],
    [200, JSON.stringify({ keys: [], padding: 'x'.repeat(600 * 1024) })],
    [200, JSON.stringify({ notKeys: [] })],
  ];
  const { url } = await serve(t, (_req, res) => {
    const [status, body] = answers.shift() ?? [500, ''];
    res.writeHead(status).end(body);
  });
  const keys = createRemoteKeySet(url, OPTIONS);
  for (let i = 0; i < 4; i += 1) {
    await assert.rejects(jwtVerify(token, keys), errors.JOSEError);
  }
});
