// A real gateway process (`node src/main.ts`) configured the way an operator configures it: a
// YAML file plus RESCIND_* variables, the cloud simulator on loopback, JWTs from a dev issuer.
// For tests that must see the process itself: whether it survives a fault, how it exits.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { createDevIssuer, type DevIssuer } from '../../src/demo/dev-issuer.ts';
import { DEMO_RESOURCES, startSimulator, type Simulator } from '../../src/simulator/index.ts';
import {
  cleanEnv,
  startGatewayProcess,
  type GatewayProcess,
} from '../../scripts/lib/gateway-process.ts';
import { AUDIENCE, gatewayEnv, ISSUER } from './gateway.ts';

export const VERIFY_CLI = new URL('../../src/audit/cli/verify-cli.ts', import.meta.url).pathname;

export type { GatewayProcess };

export interface GatewayWorld {
  readonly sim: Simulator;
  readonly issuer: DevIssuer;
  readonly dir: string;
  /** The environment the gateway runs with (for the CLIs too). */
  readonly env: Record<string, string>;
  start(): Promise<GatewayProcess>;
  close(): Promise<void>;
}

/** A simulator, an issuer, a config file and the environment of `npm start`. */
export async function gatewayWorld(
  config: Record<string, unknown>,
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
    stringify({ authorization: { rules: [{ groups: ['secops'], allow: ['*'] }] }, ...config }),
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
    async start() {
      const gateway = await startGatewayProcess({ env });
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

/** One revocation of a demo KMS grant; a refused connection is status 0. */
export async function revokeOnce(
  url: string,
  token: string,
  requestId: string,
  n: number,
): Promise<Answer> {
  const sentAt = performance.now();
  const grants = DEMO_RESOURCES.kmsGrants;
  const target = grants[n % grants.length];
  if (target === undefined) throw new Error('no demo grant');
  try {
    const response = await fetch(`${url}/v1/kms/keys/${target.keyId}/grants/${target.grantId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId },
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
