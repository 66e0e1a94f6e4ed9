// Baseline (e) of `npm run bench`: the durable floor, the least any audited revocation gateway
// does on this machine. A bare Node HTTP server that, for each request, commits one record to
// SQLite (WAL, synchronous=FULL, on a worker thread, commits grouped while one is on its way, as
// the gateway's store does), calls the cloud once (node:http, the same keep-alive agent settings
// as the gateway, the IAM token and the cloud's JSON body), commits a second record and answers. No
// framework, no identity, no validation, no log: what is left when everything but the two durable
// commits and the upstream call is taken away. Its figures beside Rescind's say how much of what
// Rescind adds the machine itself imposes.
//
//   RESCIND_FLOOR_TOKEN=<iam token> node bench/servers/durable-floor.ts <target-url> <path> <json-body> <db-file>

import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';

const { target, path, body, dbFile, token } = readArguments();
const commit = groupCommitter(
  new Worker(new URL('./durable-floor-worker.ts', import.meta.url), {
    workerData: { path: dbFile },
  }),
);
const upstream = new URL(target);
const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });

const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
  req.resume();
  void (async () => {
    await commit(JSON.stringify({ phase: 'attempt', method: req.method, path: req.url }));
    const status = await callUpstream();
    await commit(JSON.stringify({ phase: 'outcome', status }));
    res.writeHead(status === 200 ? 200 : 502, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({ result: status === 200 ? 'revoked' : 'failed', upstreamStatus: status }),
    );
  })().catch(() => {
    res.statusCode = 500;
    res.end();
  });
});

function callUpstream(): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path,
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'X-Auth-Token': token,
        },
      },
      (answer) => {
        answer.resume();
        answer.once('end', () => {
          resolve(answer.statusCode ?? 0);
        });
      },
    );
    call.once('error', reject);
    call.end(body);
  });
}

function readArguments() {
  const [target, path, body, dbFile] = process.argv.slice(2);
  const token = process.env.RESCIND_FLOOR_TOKEN;
  if (target === undefined || !URL.canParse(target) || path === undefined) return usage();
  if (body === undefined || dbFile === undefined || token === undefined || token === '') {
    return usage();
  }
  return { target, path, body, dbFile, token };
}

function usage(): never {
  console.error(
    'usage: RESCIND_FLOOR_TOKEN=<iam token> node bench/servers/durable-floor.ts <target-url> <path> <json-body> <db-file>',
  );
  process.exit(2);
}

/** Records wait while a commit is on its way, then go in one transaction (group commit). */
function groupCommitter(worker: Worker): (body: string) => Promise<void> {
  let queued: { body: string; done: () => void }[] = [];
  let committing: (() => void)[] | null = null;
  worker.on('message', () => {
    const done = committing ?? [];
    committing = null;
    for (const callback of done) callback();
    flush();
  });
  worker.once('error', (error) => {
    console.error(error);
    process.exit(1);
  });
  function flush(): void {
    if (committing !== null || queued.length === 0) return;
    const batch = queued;
    queued = [];
    committing = batch.map((record) => record.done);
    worker.postMessage(batch.map((record) => record.body));
  }
  return (body) =>
    new Promise<void>((done) => {
      queued.push({ body, done });
      flush();
    });
}

server.keepAliveTimeout = 5_000; // as src/http/start-server.ts
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`durable floor listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
