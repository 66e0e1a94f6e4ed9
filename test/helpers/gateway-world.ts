// A real gateway process (`node src/main.ts`) configured the way an operator configures it: a
// YAML file plus RESCIND_* variables, the cloud simulator on loopback, JWTs from a dev issuer.
// For tests that must see the process itself: whether it survives a fault, how it exits.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { createDevIssuer, type DevIssuer } from '../../src/demo/dev-issuer.ts';
import { DEMO_RESOURCES, startSimulator, type Simulator } from '../../src/simulator/index.ts';
import {
  cleanEnv,
  killLiveGateways,
  startGatewayProcess,
  type GatewayProcess,
} from '../../scripts/lib/gateway-process.ts';
import { AUDIENCE, gatewayEnv, ISSUER } from './gateway.ts';
import { usePostgres, usePostgresAndRedis } from './servers.ts';

export const VERIFY_CLI = new URL('../../src/audit/cli/verify-cli.ts', import.meta.url).pathname;

export type { GatewayProcess };

export interface GatewayWorld {
  readonly sim: Simulator;
  readonly issuer: DevIssuer;
  readonly dir: string;
  /** The environment the gateway runs with (for the CLIs too). */
  readonly env: Record<string, string>;
  /** A gateway process on the world's environment (`instanceId`: its RESCIND_INSTANCE_ID). */
  start(instanceId?: string): Promise<GatewayProcess>;
  /** Kills its gateways, stops the simulator and removes the directory. */
  close(): Promise<void>;
}

/**
 * A simulator, an issuer, a config file and the environment of `npm start`. `config` is merged
 * over a policy that lets `secops` do everything; a function of the world's directory may name
 * files in it.
 */
export async function gatewayWorld(
  config: Record<string, unknown> | ((dir: string) => Record<string, unknown>),
  variables: Record<string, string>,
): Promise<GatewayWorld> {
  const sim = await startSimulator({ autoReseed: true });
  const issuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
  const dir = mkdtempSync(join(tmpdir(), 'rescind-gwp-'));
  const jwks = join(dir, 'jwks.json');
  writeFileSync(jwks, JSON.stringify(issuer.jwks));
  const configFile = join(dir, 'rescind.yaml');
  writeFileSync(
    configFile,
    stringify({
      authorization: { rules: [{ groups: ['secops'], allow: ['*'] }] },
      ...(typeof config === 'function' ? config(dir) : config),
    }),
  );
  const env: Record<string, string> = {
    ...cleanEnv(),
    ...gatewayEnv(configFile, sim, jwks),
    RESCIND_AUDIT_SQLITE_PATH: join(dir, 'audit.db'),
    RESCIND_INSTANCE_ID: 'gw-1',
    ...variables,
  };
  const children: GatewayProcess[] = [];
  return {
    sim,
    issuer,
    dir,
    env,
    async start(instanceId) {
      const gateway = await startGatewayProcess({
        env,
        ...(instanceId === undefined ? {} : { instanceId }),
      });
      children.push(gateway);
      return gateway;
    },
    async close() {
      for (const gateway of children) {
        await gateway.kill();
      }
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Gateway processes of one world sharing one PostgreSQL database (and, if asked, Redis). */
export interface Fleet {
  readonly world: GatewayWorld;
  /** In the order of their ids. */
  readonly gateways: readonly GatewayProcess[];
  readonly databaseUrl: string;
  close(): Promise<void>;
}

/**
 * One gateway per instance id, started side by side, on a new database of the run's PostgreSQL
 * (and its Redis as the rate-limit store with `redis`). Closing kills every gateway process,
 * started or still starting, and releases the servers; so does a failure to build it.
 */
export async function startFleet(
  ids: readonly string[],
  config: Parameters<typeof gatewayWorld>[0],
  options: { readonly redis?: boolean; readonly variables?: Record<string, string> } = {},
): Promise<Fleet> {
  // Both servers or neither: a missing one ends the file at once with the install hint.
  const servers = options.redis === true ? await usePostgresAndRedis() : await usePostgres();
  const [postgres, redis] = 'postgres' in servers ? [servers.postgres, servers.redis] : [servers];
  let world: GatewayWorld | undefined;
  const close = async () => {
    killLiveGateways();
    await world?.close();
    await postgres.close();
    await redis?.close();
  };
  try {
    const databaseUrl = await postgres.createDatabase();
    const started = await gatewayWorld(config, {
      RESCIND_AUDIT_STORE: 'postgres',
      RESCIND_AUDIT_POSTGRES_URL: databaseUrl,
      ...(redis === undefined ? {} : { RESCIND_RATE_LIMIT_REDIS_URL: redis.url }),
      ...options.variables,
    });
    world = started;
    const gateways = await Promise.all(ids.map((id) => started.start(id)));
    return { world: started, gateways, databaseUrl, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface Answer {
  readonly requestId: string;
  readonly status: number;
  readonly code: string | null;
  readonly auditId: string | null;
  /** performance.now() when the request was sent. */
  readonly sentAt: number;
  /** performance.now() when the answer arrived. */
  readonly at: number;
}

/** The DELETE of the `n`th demo KMS grant (round robin) through the gateway at `url`. */
export function revokeDemoGrant(
  url: string,
  token: string,
  requestId: string,
  n: number,
  init: RequestInit = {},
): Promise<Response> {
  const grants = DEMO_RESOURCES.kmsGrants;
  const target = grants[n % grants.length];
  if (target === undefined) throw new Error('no demo grant');
  return fetch(`${url}/v1/kms/keys/${target.keyId}/grants/${target.grantId}`, {
    ...init,
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId },
  });
}

/** One revocation of a demo KMS grant; a refused connection is status 0. */
export async function revokeOnce(
  url: string,
  token: string,
  requestId: string,
  n: number,
): Promise<Answer> {
  const sentAt = performance.now();
  try {
    const response = await revokeDemoGrant(url, token, requestId, n, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { auditId?: string; code?: string };
    return {
      requestId,
      status: response.status,
      code: body.code ?? null,
      auditId: body.auditId ?? null,
      sentAt,
      at: performance.now(),
    };
  } catch {
    return { requestId, status: 0, code: null, auditId: null, sentAt, at: performance.now() };
  }
}

/**
 * `clients` loops revoking until `stop()` is called; resolves with every answer in order of
 * arrival.
 */
export function load(
  url: string,
  token: string,
  clients: number,
  prefix: string,
): { answers: Answer[]; stop: () => Promise<Answer[]> } {
  const answers: Answer[] = [];
  let stopped = false;
  let n = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (!stopped) {
      const index = n++;
      answers.push(await revokeOnce(url, token, `${prefix}-${index}`, index));
    }
  });
  return {
    answers,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return answers;
    },
  };
}

/** Waits until `count` answers arrived after `since` (performance.now()) with status 200. */
export async function until200s(answers: readonly Answer[], since: number, count: number) {
  const deadline = performance.now() + 30_000;
  while (answers.filter((a) => a.at > since && a.status === 200).length < count) {
    assert.ok(performance.now() < deadline, `${count} answers 200 within 30 s`);
    await sleep(50);
  }
}

export interface Outage {
  readonly answers: Answer[];
  /** performance.now() when the server went down, and when it was back. */
  readonly down: number;
  readonly up: number;
}

/**
 * `clients` callers revoke through the gateway at `url` while a server it depends on goes away
 * for `downMs` and comes back; resolves once 100 revocations succeeded after it was back.
 */
export async function loadThroughOutage(
  url: string,
  token: string,
  options: {
    readonly clients: number;
    readonly prefix: string;
    readonly downMs: number;
    stop(): Promise<void>;
    start(): Promise<void>;
  },
): Promise<Outage> {
  const traffic = load(url, token, options.clients, options.prefix);
  try {
    await until200s(traffic.answers, 0, 50);
    await options.stop();
    const down = performance.now();
    await sleep(options.downMs);
    await options.start();
    const up = performance.now();
    await until200s(traffic.answers, up, 100);
    return { answers: traffic.answers, down, up };
  } finally {
    await traffic.stop();
  }
}

/** "N answers: 200×a, 503×b" for a test diagnostic. */
export function statusSummary(answers: readonly Answer[]): string {
  const statuses = Map.groupBy(answers, (answer) => answer.status);
  return `${answers.length} answers: ${[...statuses].map(([s, a]) => `${s}×${a.length}`).join(', ')}`;
}

/** A server the gateway depends on, which the tests take away and bring back. */
interface Restartable {
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A world with one gateway on a server that is about to restart under load. */
export interface RestartWorld<S extends Restartable> extends GatewayWorld {
  readonly server: S;
  readonly gateway: GatewayProcess;
}

/**
 * A world whose one gateway uses `server` through the variables `variables` gives (it may set
 * the server up first), with a caller limit no load reaches. Closing it closes the server too;
 * so does a failure to build it.
 */
export async function restartWorld<S extends Restartable>(
  server: S,
  variables: (server: S) => Promise<Record<string, string>>,
): Promise<RestartWorld<S>> {
  let world: GatewayWorld | undefined;
  const close = async () => {
    await world?.close();
    await server.close();
  };
  try {
    world = await gatewayWorld(
      { rateLimit: { windowSeconds: 60, perCaller: 1_000_000 }, log: { level: 'info' } },
      await variables(server),
    );
    return { ...world, server, gateway: await world.start(), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Six callers revoke (as the subject `prefix`) while the server goes down with `stop` for 1.5 s
 * and starts again; see loadThroughOutage.
 */
export async function loadThroughRestart(
  world: RestartWorld<Restartable>,
  prefix: string,
  stop: () => Promise<void>,
): Promise<Outage> {
  const token = await world.issuer.sign({ sub: prefix, groups: ['secops'] });
  return loadThroughOutage(world.gateway.url, token, {
    clients: 6,
    prefix,
    downMs: 1_500,
    stop,
    start: () => world.server.start(),
  });
}

/** What the outage looks like to callers: a refusal of its own, and what went away. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  /** What was down, for the messages ("the server", "Redis"). */
  readonly server: string;
}

/**
 * The gateway lived through the outage: nothing but 200 and the refusal, every answer while the
 * server was down the refusal, and revocations again after it was back.
 */
export function assertRodeOut(outage: Outage, gateway: GatewayProcess, refusal: Refusal): void {
  const { answers, down, up } = outage;
  const statuses = Map.groupBy(answers, (answer) => answer.status);
  assert.equal(gateway.running(), true, `the process is alive:\n${gateway.output()}`);
  assert.deepEqual(
    [...statuses.keys()].filter((status) => status !== 200 && status !== refusal.status),
    [],
    `nothing but 200 and ${refusal.status} (no refused connection, no other error)`,
  );
  for (const refused of statuses.get(refusal.status) ?? []) {
    assert.equal(refused.code, refusal.code);
  }
  // Sent after the server was gone and answered before it was back.
  const whileDown = answers.filter((a) => a.sentAt > down && a.at < up);
  assert.ok(whileDown.length > 0, `callers were answered while ${refusal.server} was down`);
  assert.ok(
    whileDown.every((answer) => answer.status === refusal.status),
    `every answer while ${refusal.server} was down is ${refusal.status} ${refusal.code}`,
  );
  assert.ok(
    answers.some((a) => a.at > up && a.status === 200),
    'revocations succeed again after the restart',
  );
}

/** SIGTERM, as an orchestrator stops it; resolves with its exit code. */
export async function terminate(gateway: GatewayProcess): Promise<number | null> {
  gateway.child.kill('SIGTERM');
  return (await gateway.exited).code;
}

/** What `audit:verify --json` reports (the fields the tests read). */
export interface VerifyReport {
  readonly ok: boolean;
  readonly records: number;
  readonly checkpoints: number;
  readonly signaturesChecked: boolean;
  readonly chains: readonly { chain: string; headSeq: number; checkpoints: number }[];
}

/** Runs `audit:verify --json` with `env`, as an operator runs it; its report and raw output. */
export async function verifyAudit(
  env: Record<string, string>,
): Promise<{ report: VerifyReport; stdout: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, [VERIFY_CLI, '--json'], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  return { report: JSON.parse(stdout) as VerifyReport, stdout };
}
