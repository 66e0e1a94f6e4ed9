import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { it } from 'node:test';
import { explainListenError } from '../../../src/http/explain-listen-error.ts';

it('tells `npm start` and the demo to set RESCIND_PORT when the port is taken', async (t) => {
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  t.after(() => taken.close());
  const { port } = taken.address() as { port: number };
  const second = createServer().listen(port, '127.0.0.1');
  const [error] = (await once(second, 'error')) as [Error];
  assert.equal(
    explainListenError(error),
    `127.0.0.1:${port} is already taken: set RESCIND_PORT to another port (RESCIND_PORT=8090), or to 0 for any free one`,
  );
  assert.equal(explainListenError(new Error('something else')), undefined);
});
