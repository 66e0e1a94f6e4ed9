// Baseline (b) of `npm run bench`: the thinnest proxy built from the same library the gateway
// uses to reach the cloud — http-proxy-middleware on a plain Node HTTP server, with the same
// keep-alive agent settings as src/upstream/send-upstream.ts. It forwards every request to the
// target unchanged: no identity, no audit, no translation.
//
//   node bench/servers/passthrough.ts <target-url>

import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyMiddleware } from 'http-proxy-middleware';

const target = process.argv[2];
if (target === undefined || !URL.canParse(target)) {
  console.error('usage: node bench/servers/passthrough.ts <target-url>');
  process.exit(2);
}

const proxy = createProxyMiddleware({
  target,
  changeOrigin: true,
  agent: new Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 }),
});

// The IAM token is ~9 KB, inside Node's 16 KB default; room to spare for larger test tokens.
const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
  proxy(req, res, () => {
    res.statusCode = 404;
    res.end();
  }).catch(() => {
    if (!res.headersSent) res.statusCode = 502;
    res.end();
  });
});
server.keepAliveTimeout = 5_000; // as src/http/start-server.ts
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`passthrough listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
  });
}
