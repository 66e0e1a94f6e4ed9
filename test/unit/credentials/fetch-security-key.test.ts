// The metadata client (docs/credentials.md "Metadata keys") against a scripted metadata service:
// the session-token handshake and its renewal, and what each failure becomes.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import {
  createMetadataClient,
  parseSecurityKey,
} from '../../../src/credentials/fetch-security-key.ts';
import { ProblemError } from '../../../src/problems/problem-error.ts';
import { closedPort } from '../../helpers/closed-port.ts';

const KEY_BODY = JSON.stringify({
  credential: {
    access: 'AKTEMP',
    secret: 'sk-temp',
    securitytoken: 'gQtoken',
    expires_at: '2030-01-02T03:04:05.000000Z',
  },
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(t: TestContext, script: Handler[]): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(
      `${req.method ?? ''} ${req.url ?? ''} ${String(req.headers['x-metadata-token'] ?? '-')}`,
    );
    const next = script.shift();
    if (next === undefined) res.writeHead(500).end();
    else next(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );
  return { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, seen };
}

const answer =
  (status: number, body = '') =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  };

test('a service that starts to require a session token gets a handshake, then the key', async (t) => {
  const { url, seen } = await serve(t, [
    answer(404),
    answer(200, KEY_BODY),
    answer(401),
    answer(200, 'session-2'),
    answer(200, KEY_BODY),
  ]);
  const client = createMetadataClient({ url, timeoutMs: 1000 });
  assert.equal((await client.fetchKey()).accessKey, 'AKTEMP');
  assert.equal((await client.fetchKey()).securityToken, 'gQtoken');
  assert.deepEqual(seen, [
    'PUT /meta-data/latest/api/token -',
    'GET /openstack/latest/securitykey -',
    'GET /openstack/latest/securitykey -',
    'PUT /meta-data/latest/api/token -',
    'GET /openstack/latest/securitykey session-2',
  ]);
});

test('no agency on the node is 502 UPSTREAM_AUTH_FAILED; a 5xx or a bad key is 503', async (t) => {
  const { url } = await serve(t, [
    answer(200, 'session'),
    answer(404, 'Please configure Cloud Service Agency first'),
    answer(500),
    answer(200, '{"credential":{"access":"AK"}}'),
  ]);
  const client = createMetadataClient({ url, timeoutMs: 1000 });
  const code = (expected: string) => (error: unknown) =>
    error instanceof ProblemError &&
    error.code === expected &&
    error.upstream?.service === 'metadata';
  await assert.rejects(client.fetchKey(), code('UPSTREAM_AUTH_FAILED'));
  await assert.rejects(client.fetchKey(), code('UPSTREAM_UNAVAILABLE'));
  await assert.rejects(client.fetchKey(), code('UPSTREAM_UNAVAILABLE'));
});

test('a key without every field, or with an unreadable expiry, is refused', () => {
  assert.equal(parseSecurityKey(KEY_BODY).expiresAt, Date.UTC(2030, 0, 2, 3, 4, 5));
  for (const body of ['', 'null', '{}', KEY_BODY.replace('2030-01-02T03:04:05.000000Z', 'soon')]) {
    assert.throws(() => parseSecurityKey(body), ProblemError);
  }
});

test('a service that does not answer in time, or cannot be reached, is 503 saying which', async (t) => {
  const { url } = await serve(t, [() => undefined]);
  const detailOf = async (client: ReturnType<typeof createMetadataClient>) => {
    const error: unknown = await client.fetchKey().then(
      () => assert.fail('no key expected'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ProblemError && error.code === 'UPSTREAM_UNAVAILABLE');
    assert.equal(error.upstream?.service, 'metadata');
    return error.detail;
  };
  assert.equal(
    await detailOf(createMetadataClient({ url, timeoutMs: 150 })),
    'The metadata service did not answer within 150 ms.',
  );
  const closed = `http://127.0.0.1:${String(await closedPort())}`;
  assert.equal(
    await detailOf(createMetadataClient({ url: closed, timeoutMs: 1000 })),
    'The metadata service could not be reached.',
  );
});
