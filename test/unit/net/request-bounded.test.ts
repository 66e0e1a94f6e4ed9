// The gateway's own HTTP client for IAM, the metadata service and the JWKS
// (src/net/request-bounded.ts), against loopback servers: bounded in bytes and in time, headers
// read in any casing, redirects never followed, no connection kept, and failures that carry a
// code and nothing else.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import {
  MAX_ANSWER_HEADER_BYTES,
  requestBounded,
  RequestError,
  type BoundedRequest,
} from '../../../src/net/request-bounded.ts';
import { closedPort } from '../../helpers/closed-port.ts';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** An HTTP server on loopback answering with `handle`; what it received, in order. */
async function serve(
  t: TestContext,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; connections: () => Promise<number> }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res);
    });
  });
  return { ...(await listen(t, server)), seen, connections: () => countOf(server) };
}

/** A TCP server that runs `handle` on each connection (for answers no HTTP server writes). */
async function serveRaw(t: TestContext, handle: (socket: Socket) => void): Promise<string> {
  return (await listen(t, createTcpServer(handle))).url;
}

async function listen(
  t: TestContext,
  server: ReturnType<typeof createServer> | ReturnType<typeof createTcpServer>,
): Promise<{ url: string }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    return new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  });
  return { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}` };
}

const countOf = (server: ReturnType<typeof createServer>) =>
  new Promise<number>((resolve, reject) => {
    server.getConnections((error, count) => {
      if (error) reject(error);
      else resolve(count);
    });
  });

const GET = (url: string, extra: Partial<BoundedRequest> = {}): BoundedRequest => ({
  url,
  method: 'GET',
  timeoutMs: 2000,
  maxBodyBytes: 1024,
  ...extra,
});

/** Asserts a RequestError with `code` whose message holds the code and nothing else. */
async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RequestError, `a RequestError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.message, `request failed: ${code}`);
    return true;
  });
}

test('sends the method, headers and body with its length, and reads status, headers and body', async (t) => {
  const { url, seen } = await serve(t, (_req, res) => {
    res.setHeader('X-Subject-Token', 'MIItoken');
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.writeHead(201).end('{"token":{}}');
  });
  const answer = await requestBounded({
    ...GET(`${url}/v3/auth/tokens?nocatalog=true`),
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"auth":"é"}',
  });
  assert.equal(answer.status, 201);
  assert.deepEqual(answer.body, { text: '{"token":{}}', complete: true });
  assert.equal(answer.headers.get('x-subject-token'), 'MIItoken');
  assert.equal(answer.headers.get('X-SUBJECT-TOKEN'), 'MIItoken');
  assert.equal(answer.headers.get('set-cookie'), 'a=1, b=2');
  assert.equal(answer.headers.get('retry-after'), null);
  const [request] = seen;
  assert.equal(request?.method, 'POST');
  assert.equal(request.url, '/v3/auth/tokens?nocatalog=true');
  assert.equal(request.body, '{"auth":"é"}');
  assert.equal(request.headers['content-length'], String(Buffer.byteLength('{"auth":"é"}')));
  assert.equal(request.headers['content-type'], 'application/json');
});

test('a PUT without a body says Content-Length: 0; a GET sends no length', async (t) => {
  const { url, seen } = await serve(t, (_req, res) => res.end('ok'));
  await requestBounded({ ...GET(url), method: 'PUT' });
  await requestBounded(GET(url));
  assert.equal(seen[0]?.headers['content-length'], '0');
  assert.equal(seen[0].headers['transfer-encoding'], undefined);
  assert.equal(seen[1]?.headers['content-length'], undefined);
});

test('reads at most maxBodyBytes of a longer body and says it is incomplete', async (t) => {
  const { url } = await serve(t, (_req, res) => {
    res.write('x'.repeat(1000));
    res.end('y'.repeat(1_000_000));
  });
  const answer = await requestBounded(GET(url, { maxBodyBytes: 1500 }));
  assert.equal(answer.body.complete, false);
  assert.equal(answer.body.text, 'x'.repeat(1000) + 'y'.repeat(500));
});

test('a body of exactly maxBodyBytes is complete, and UTF-8 split across chunks is whole', async (t) => {
  const bytes = Buffer.from('àé', 'utf8');
  const { url } = await serve(t, (_req, res) => {
    res.write(bytes.subarray(0, 1));
    setTimeout(() => res.end(bytes.subarray(1)), 20);
  });
  const answer = await requestBounded(GET(url, { maxBodyBytes: bytes.length }));
  assert.deepEqual(answer.body, { text: 'àé', complete: true });
});

test('the deadline covers the body: a stalled body is abandoned after timeoutMs', async (t) => {
  const { url } = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
  });
  const started = performance.now();
  await rejectsWithCode(requestBounded(GET(url, { timeoutMs: 200 })), 'DEADLINE');
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 1500, `abandoned after ${elapsed.toFixed(0)} ms`);
});

test('a redirect is answered as it is, never followed (it would resend the body)', async (t) => {
  const { url, seen } = await serve(t, (req, res) => {
    res.writeHead(307, { location: `${req.headers.host ?? ''}/elsewhere` }).end();
  });
  const answer = await requestBounded({ ...GET(url), method: 'POST', body: 'secret' });
  assert.equal(answer.status, 307);
  assert.deepEqual(
    seen.map((s) => s.url),
    ['/'],
  );
});

test(`reads answer headers up to ${String(MAX_ANSWER_HEADER_BYTES)} bytes; larger ones are HPE_HEADER_OVERFLOW`, async (t) => {
  const { url } = await serve(t, (req, res) => {
    res.setHeader('x-subject-token', 'M'.repeat(Number(req.headers['x-size'])));
    res.writeHead(201).end();
  });
  const answer = await requestBounded(GET(url, { headers: { 'x-size': '40000' } }));
  assert.equal(answer.headers.get('x-subject-token')?.length, 40_000);
  await rejectsWithCode(
    requestBounded(GET(url, { headers: { 'x-size': String(MAX_ANSWER_HEADER_BYTES) } })),
    'HPE_HEADER_OVERFLOW',
  );
});

test('keeps no connection open after the answer', async (t) => {
  const { url, seen, connections } = await serve(t, (_req, res) => res.end('ok'));
  await requestBounded(GET(url));
  assert.equal(seen[0]?.headers.connection, 'close');
  const deadline = performance.now() + 2000;
  while ((await connections()) > 0) {
    assert.ok(performance.now() < deadline, 'the connection was closed');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
});

test('failures carry a code alone: refused, closed before an answer, cut mid-body', async (t) => {
  await rejectsWithCode(
    requestBounded(GET(`http://127.0.0.1:${String(await closedPort())}`)),
    'ECONNREFUSED',
  );
  const hangUp = await serveRaw(t, (socket) => {
    socket.once('data', () => socket.end());
  });
  await rejectsWithCode(requestBounded(GET(hangUp)), 'SOCKET_CLOSED');
  const cut = await serveRaw(t, (socket) => {
    socket.once('data', () => {
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
    });
  });
  await rejectsWithCode(requestBounded(GET(cut)), 'ECONNRESET');
  await rejectsWithCode(requestBounded(GET('ftp://127.0.0.1/')), 'ERR_INVALID_PROTOCOL');
  await rejectsWithCode(requestBounded(GET('not a url')), 'ERR_INVALID_URL');
});
