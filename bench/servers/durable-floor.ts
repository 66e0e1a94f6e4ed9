// Baseline (e) of `npm run bench`: the durable floor, the least any audited revocation gateway
// does on this machine. A bare Node HTTP server that, for each request, commits one record to
// SQLite (WAL, synchronous=FULL, on a worker thread, commits grouped while one is on its way, as
// the gateway's store does), calls the cloud once (node:http, the same keep-alive agent settings
// as the gateway, the IAM token and the cloud's JSON body), commits a second record and answers. No
// framework, no identity, no validation, no log: what is left when everything but the two durable
// commits and the upstream call is taken away. Its figures beside Rescind's say how much of what
// Rescind adds the machine itself imposes. RESCIND_FLOOR_LAYERS adds the libraries Rescind is
// built from, one by one (bench/servers/floor-layers.ts, for `npm run bench:ladder`).
//
//   RESCIND_FLOOR_TOKEN=<iam token> [RESCIND_FLOOR_LAYERS=express,proxy,log,audit] \
//     node bench/servers/durable-floor.ts <target-url> <path> <json-body> <db-file>

import { Agent, createServer, request, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';

/** What `RESCIND_FLOOR_LAYERS` may name (bench/servers/floor-layers.ts). */
export const FLOOR_LAYERS = ['express', 'proxy', 'log', 'audit'] as const;
export type FloorLayer = (typeof FLOOR_LAYERS)[number];

/** `express,proxy` → its layers; undefined when a name is not a layer, or `log` lacks `express`. */
export function parseFloorLayers(text: string): ReadonlySet<FloorLayer> | undefined {
  const names = text.split(',').filter((name) => name !== '');
  if (
    !names.every((name): name is FloorLayer => (FLOOR_LAYERS as readonly string[]).includes(name))
  ) {
    return undefined;
  }
  const layers = new Set(names);
  return layers.has('log') && !layers.has('express') ? undefined : layers;
}

const { target, path, body, dbFile, token, layers } = readArguments();
const upstream = new URL(target);
// The layers' libraries load only when asked for: the bare floor stays bare.
const layered = layers.size === 0 ? undefined : await import('./floor-layers.ts');
const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });

const callCloud =
  layered !== undefined && layers.has('proxy')
    ? layered.proxiedCall({ target: upstream, path, body, token })
    : callUpstream;

const revoke =
  layered !== undefined && layers.has('audit')
    ? await layered.auditedRevocation(dbFile, callCloud)
    : floorRevocation(dbFile, callCloud);

/** The revocation itself: a durable attempt, the cloud call, a durable outcome. */
function floorRevocation(
  file: string,
  call: () => Promise<number>,
): (method: string, url: string) => Promise<number> {
  const commit = groupCommitter(
    new Worker(new URL('./durable-floor-worker.ts', import.meta.url), {
      workerData: { path: file },
    }),
  );
  return async (method, url) => {
    await commit(JSON.stringify({ phase: 'attempt', method, path: url }));
    const status = await call();
    await commit(JSON.stringify({ phase: 'outcome', status }));
    return status;
  };
}

const bare: RequestListener = (req, res) => {
  req.resume();
  revoke(req.method ?? '', req.url ?? '').then(
    (status) => {
      res.writeHead(status === 200 ? 200 : 502, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ result: status === 200 ? 'revoked' : 'failed', upstreamStatus: status }),
      );
    },
    () => {
      res.statusCode = 500;
      res.end();
    },
  );
};
const handler =
  layered !== undefined && layers.has('express')
    ? layered.expressHandler(revoke, {
        ...(layers.has('log') ? { logFile: `${dbFile}.log` } : {}),
        secret: token,
      })
    : bare;
const server = createServer({ maxHeaderSize: 64 * 1024 }, handler);

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
  const layers = parseFloorLayers(process.env.RESCIND_FLOOR_LAYERS ?? '');
  if (layers === undefined) return usage();
  return { target, path, body, dbFile, token, layers };
}

function usage(): never {
  console.error(
    'usage: RESCIND_FLOOR_TOKEN=<iam token> [RESCIND_FLOOR_LAYERS=express,proxy,log,audit] ' +
      'node bench/servers/durable-floor.ts <target-url> <path> <json-body> <db-file>',
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
