import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import type { UpstreamRequest } from '../../../src/upstream/build-upstream-request.ts';
import { createSendUpstream } from '../../../src/upstream/send-upstream.ts';
import { isNetworkFailure, type UpstreamAnswer } from '../../../src/upstream/upstream-answer.ts';
import { closedPort } from '../../helpers/closed-port.ts';

interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, received: Received) => void;

/** A loopback server whose behaviour each test sets; records what it received. */
async function startServer() {
  let handler: Handler = (_req, res) => {
    res.end('{}');
  };
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(entry);
      handler(req, res, entry);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  after(async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  });
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    handle: (next: Handler) => {
      handler = next;
    },
  };
}

const TOKEN = 'MII' + 'T'.repeat(9_200);

const DELETE_REQUEST: UpstreamRequest = {
  method: 'DELETE',
  path: '/v2/p1/apigw/certificates/c1',
  headers: {
    'x-auth-token': TOKEN,
    accept: 'application/json',
    'x-request-id': 'req-1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    'user-agent': 'rescind/test',
    'content-length': '0',
  },
  body: undefined,
};

function response(answer: UpstreamAnswer) {
  if (isNetworkFailure(answer)) assert.fail(`expected a response, got ${answer.error}`);
  return answer;
}

describe('sendUpstream', () => {
  it('sends exactly the built request: method, path, our headers plus Host, and our body', async () => {
    const server = await startServer();
    const send = createSendUpstream({ maxBodyBytes: 1024 });
    const body = Buffer.from('{"key_id":"k","grant_id":"g"}');
    const answer = response(
      await send({
        target: server.url,
        timeoutMs: 2_000,
        request: {
          method: 'POST',
          path: '/v1.0/p1/kms/revoke-grant',
          headers: {
            ...DELETE_REQUEST.headers,
            'content-type': 'application/json',
            'content-length': String(body.length),
          },
          body,
        },
      }),
    );
    assert.equal(answer.status, 200);
    const [call] = server.received;
    assert.ok(call);
    assert.equal(call.method, 'POST');
    assert.equal(call.url, '/v1.0/p1/kms/revoke-grant');
    assert.equal(call.body, body.toString());
    const names = call.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    assert.deepEqual(names.sort(), [
      'accept',
      'connection',
      'content-length',
      'content-type',
      'host',
      'traceparent',
      'user-agent',
      'x-auth-token',
      'x-request-id',
    ]);
    const header = (name: string) =>
      call.rawHeaders[call.rawHeaders.findIndex((n) => n.toLowerCase() === name) + 1];
    assert.equal(header('x-auth-token'), TOKEN, 'the ~9 KB token arrives intact');
    assert.equal(header('host'), server.url.slice('http://'.length));
  });

  it('keeps a base path of the endpoint in front of the operation path', async () => {
    const server = await startServer();
    const send = createSendUpstream({ maxBodyBytes: 1024 });
    await send({ target: `${server.url}/gateway`, timeoutMs: 2_000, request: DELETE_REQUEST });
    assert.equal(server.received[0]?.url, '/gateway/v2/p1/apigw/certificates/c1');
  });

  it('reuses the connection for the next call after a complete answer', async () => {
    const server = await startServer();
    const ports: (number | undefined)[] = [];
    server.handle((req, res) => {
      ports.push(req.socket.remotePort);
      res.end('{}');
    });
    const send = createSendUpstream({ maxBodyBytes: 1024 });
    for (let i = 0; i < 3; i += 1) {
      response(await send({ target: server.url, timeoutMs: 2_000, request: DELETE_REQUEST }));
    }
    assert.equal(new Set(ports).size, 1);
  });

  it('returns status, headers and body of an answer', async () => {
    const server = await startServer();
    server.handle((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json', 'x-request-id': 'cloud-1' });
      res.end('{"error_code":"APIG.3021"}');
    });
    const send = createSendUpstream({ maxBodyBytes: 1024 });
    const answer = response(
      await send({ target: server.url, timeoutMs: 2_000, request: DELETE_REQUEST }),
    );
    assert.equal(answer.status, 404);
    assert.equal(answer.headers['x-request-id'], 'cloud-1');
    assert.equal(answer.body.toString(), '{"error_code":"APIG.3021"}');
    assert.equal(answer.truncated, false);
  });

  it('reads at most maxBodyBytes of a 10 MB page, stops the transfer, and serves the next call', async () => {
    const server = await startServer();
    let finishedStreaming: boolean | undefined;
    server.handle((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let remaining = 10 * 1024 * 1024;
      res.once('close', () => {
        finishedStreaming = remaining === 0;
      });
      const pump = () => {
        while (remaining > 0) {
          remaining -= chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const send = createSendUpstream({ maxBodyBytes: 4096 });
    const answer = response(
      await send({ target: server.url, timeoutMs: 5_000, request: DELETE_REQUEST }),
    );
    assert.equal(answer.status, 502);
    assert.equal(answer.truncated, true);
    assert.equal(answer.body.length, 4096);

    server.handle((_req, res) => {
      res.end('{"next":true}');
    });
    const next = response(
      await send({ target: server.url, timeoutMs: 5_000, request: DELETE_REQUEST }),
    );
    assert.equal(next.body.toString(), '{"next":true}');
    assert.equal(finishedStreaming, false, 'the server was cut off before sending 10 MB');
  });

  /** Network failures: what the server does (nothing listens without one), what send reports. */
  const failures: {
    readonly name: string;
    readonly handle?: Handler;
    readonly timeoutMs: number;
    readonly error: string;
    readonly sent: boolean;
  }[] = [
    {
      name: 'a timeout, with the request sent, when the service never answers',
      handle: () => {
        // never answers
      },
      timeoutMs: 150,
      error: 'timeout',
      sent: true,
    },
    {
      name: 'a reset, with the request sent, when the connection is reset',
      handle: (req) => {
        req.socket.resetAndDestroy();
      },
      timeoutMs: 2_000,
      error: 'reset',
      sent: true,
    },
    {
      name: 'a reset when the answer is cut off mid-body',
      handle: (req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"result":');
        setImmediate(() => req.socket.destroy());
      },
      timeoutMs: 2_000,
      error: 'reset',
      sent: true,
    },
    {
      name: 'refused, with nothing sent, when no one listens',
      timeoutMs: 2_000,
      error: 'refused',
      sent: false,
    },
  ];
  for (const failure of failures) {
    it(`reports ${failure.name}`, async () => {
      let target: string;
      if (failure.handle === undefined) {
        target = `http://127.0.0.1:${await closedPort()}`;
      } else {
        const server = await startServer();
        server.handle(failure.handle);
        target = server.url;
      }
      const send = createSendUpstream({ maxBodyBytes: 1024 });
      const answer = await send({ target, timeoutMs: failure.timeoutMs, request: DELETE_REQUEST });
      assert.deepEqual(isNetworkFailure(answer) && { error: answer.error, sent: answer.sent }, {
        error: failure.error,
        sent: failure.sent,
      });
    });
  }
});
