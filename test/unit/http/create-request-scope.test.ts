import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import express from 'express';
import { createRequestScope, REQUEST_ID_HEADER } from '../../../src/http/create-request-scope.ts';
import { scopeOf } from '../../../src/http/request-scope.ts';
import { createLogger } from '../../../src/observability/logger.ts';

const quiet = new Writable({
  write: (_chunk, _encoding, done) => {
    done();
  },
});

test('a request arrives at the injected clock time, which its deadline counts from', async () => {
  const arrival = Date.UTC(2030, 0, 2, 3, 4, 5);
  const app = express();
  app.use(createRequestScope(createLogger({ level: 'silent', destination: quiet }), () => arrival));
  app.get('/scope', (_req, res) => {
    const scope = scopeOf(res);
    res.json({ receivedAt: scope.receivedAt, requestId: scope.requestId });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as { port: number };
    const answer = await fetch(`http://127.0.0.1:${String(port)}/scope`, {
      headers: { 'x-request-id': 'clock-1' },
    });
    assert.deepEqual(await answer.json(), { receivedAt: arrival, requestId: 'clock-1' });
    assert.equal(answer.headers.get(REQUEST_ID_HEADER), 'clock-1');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
