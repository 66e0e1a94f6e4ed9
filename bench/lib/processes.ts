// The servers under test, each as a process of its own on loopback, so that the load generator,
// the cloud simulator and the server under test never share an event loop. Every process
// started here is remembered and killed when the benchmark ends or is interrupted.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FloorLayer } from '../servers/durable-floor.ts';
import {
  killLiveGateways,
  startGatewayProcess as startGateway,
  tail,
} from '../../scripts/lib/gateway-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SIMULATOR_CLI = join(ROOT, 'src/simulator/cli.ts');
const PASSTHROUGH = join(ROOT, 'bench/servers/passthrough.ts');
const DURABLE_FLOOR = join(ROOT, 'bench/servers/durable-floor.ts');
const START_TIMEOUT_MS = 20_000;

const live = new Set<ChildProcess>();

/** Kills every process this module (or scripts/lib/gateway-process.ts) started that still runs. */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  killLiveGateways();
}

let handlersInstalled = false;
/** Kills the children when the benchmark is interrupted, then exits. */
export function installCleanup(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  process.once('exit', killAll);
}

export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** ms from spawn to listening (the log line, or the port answering). */
  readonly listenMs: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

function track(child: ChildProcess): ServerProcess['exited'] {
  live.add(child);
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  void exited.finally(() => live.delete(child));
  return exited;
}

function stopper(child: ChildProcess, exited: ServerProcess['exited']) {
  return async (graceMs = 5000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
}

/** Resolves with the first capture of `pattern` in the child's stdout lines. */
function waitForLine(
  child: ChildProcess,
  exited: ServerProcess['exited'],
  pattern: RegExp,
  what: string,
): Promise<string> {
  const stdout = child.stdout;
  if (stdout === null) throw new Error(`${what}: no stdout`);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${what} did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const lines = createInterface({ input: stdout });
    lines.on('line', (line) => {
      const match = pattern.exec(line);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      lines.close();
      // Keep the pipe flowing so the child never blocks on a full pipe.
      stdout.resume();
      resolve(match[1]);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited before listening (code ${code}, signal ${signal})`));
    });
  });
}

/** A port that was free a moment ago (for servers that cannot be told to pick one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The cloud simulator (`node src/simulator/cli.ts`) in benchmark mode: ids revoke forever. */
export function startSimulatorProcess(): Promise<ServerProcess> {
  return startListeningProcess(
    'simulator',
    [SIMULATOR_CLI, '--port', '0', '--host', '127.0.0.1', '--auto-reseed'],
    /^Huawei Cloud simulator listening on (http:\/\/\S+)$/,
  );
}

/** A bare http-proxy-middleware passthrough to `target` (bench/servers/passthrough.ts). */
export function startPassthroughProcess(target: string): Promise<ServerProcess> {
  return startListeningProcess(
    'passthrough',
    [PASSTHROUGH, target],
    /^passthrough listening on (http:\/\/\S+)$/,
  );
}

/**
 * The durable floor (bench/servers/durable-floor.ts): two durable SQLite commits in `dbFile` and
 * one call on the cloud per request (`upstream`: the cloud request as the baselines send it), on
 * a bare Node server, with the libraries of `layers` added (bench/servers/floor-layers.ts).
 */
export function startDurableFloorProcess(
  upstream: { readonly url: string; readonly body: string; readonly iamToken: string },
  dbFile: string,
  layers: readonly FloorLayer[] = [],
): Promise<ServerProcess> {
  const url = new URL(upstream.url);
  return startListeningProcess(
    'durable floor',
    [DURABLE_FLOOR, url.origin, url.pathname, upstream.body, dbFile],
    /^durable floor listening on (http:\/\/\S+)$/,
    { RESCIND_FLOOR_TOKEN: upstream.iamToken, RESCIND_FLOOR_LAYERS: layers.join(',') },
  );
}

/** A Node server of ours that prints its URL on a line of stdout once it listens. */
async function startListeningProcess(
  name: string,
  args: readonly string[],
  listening: RegExp,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const exited = track(child);
  const url = await waitForLine(child, exited, listening, `the ${name}`);
  return {
    name,
    url,
    pid: child.pid ?? -1,
    listenMs: performance.now() - started,
    exited,
    stop: stopper(child, exited),
  };
}

export interface GatewayProcess extends ServerProcess {
  /** ms from spawn until GET /readyz first answered 200. */
  readonly readyMs: number;
  /** Where its stdout (the JSON log) goes. */
  readonly logFile: string;
}

export interface GatewayStartOptions {
  readonly env: Record<string, string>;
  /** The process's stdout and stderr (its log) go here; read for the listening line. */
  readonly logFile: string;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=…']. */
  readonly nodeFlags?: readonly string[];
  /** The entry point; default src/main.ts. */
  readonly main?: string;
  /** As it ships: scripts/start.sh on the bundle in dist/ (scripts/lib/gateway-process.ts). */
  readonly shipped?: boolean;
}

/**
 * The gateway in a process of its own (scripts/lib/gateway-process.ts), resolved once GET /readyz
 * answers 200. Its log goes to a file, as a container runtime would keep it, so that reading it
 * costs the benchmark nothing. The listening line is an info line: at a quieter level, set
 * RESCIND_PORT to a free port (see `gatewayPort`).
 */
export async function startGatewayProcess(options: GatewayStartOptions): Promise<GatewayProcess> {
  const started = performance.now();
  const gateway = await startGateway(options);
  for (;;) {
    const response = await fetch(`${gateway.url}/readyz`).catch(() => undefined);
    if (response !== undefined) await response.arrayBuffer();
    if (response?.status === 200) break;
    if (!gateway.running() || performance.now() - started > START_TIMEOUT_MS) {
      await gateway.kill();
      throw new Error(`the gateway did not become ready: ${tail(options.logFile)}`);
    }
    await sleep(5);
  }
  const readyMs = performance.now() - started;
  return {
    name: 'rescind',
    url: gateway.url,
    pid: gateway.pid,
    listenMs: gateway.listenMs === 0 ? readyMs : gateway.listenMs,
    readyMs,
    logFile: options.logFile,
    exited: gateway.exited,
    stop: (graceMs) => gateway.stop(graceMs),
  };
}

/** RESCIND_PORT for a log level: 0 (read from the log) at info and below, else a free port. */
export async function gatewayPort(logLevel: string): Promise<string> {
  return ['warn', 'error', 'fatal', 'silent'].includes(logLevel) ? String(await freePort()) : '0';
}

/** Whether nginx is installed (the Debian package puts it in /usr/sbin). */
export function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) {
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * nginx `proxy_pass` to `target`, run by hand from a config in `dir` (never the system
 * service): one worker, as the gateway is one Node process; upstream keep-alive, as the
 * gateway pools its upstream connections; large header buffers, since the IAM token is ~9 KB.
 */
export async function startNginxProcess(
  binary: string,
  target: string,
  dir: string,
): Promise<ServerProcess> {
  const port = await freePort();
  const upstream = new URL(target);
  const config = `
worker_processes 1;
daemon off;
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  large_client_header_buffers 4 32k;
  keepalive_requests 1000000;
  upstream cloud {
    server ${upstream.hostname}:${upstream.port};
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://cloud;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffer_size 32k;
      proxy_buffers 8 32k;
    }
  }
}
`;
  const configFile = join(dir, 'nginx.conf');
  writeFileSync(configFile, config);
  const started = performance.now();
  const child = spawn(binary, ['-e', join(dir, 'nginx-error.log'), '-p', dir, '-c', configFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = track(child);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const answered = await fetch(`${url}/__bench_probe`).then(
      async (response) => {
        await response.arrayBuffer();
        return true;
      },
      () => false,
    );
    if (answered) break;
    if (child.exitCode !== null || performance.now() - started > START_TIMEOUT_MS) {
      throw new Error(`nginx did not start: ${tail(join(dir, 'nginx-error.log'))}`);
    }
    await sleep(10);
  }
  return {
    name: 'nginx',
    url,
    pid: child.pid ?? -1,
    listenMs: performance.now() - started,
    exited,
    stop: stopper(child, exited),
  };
}
