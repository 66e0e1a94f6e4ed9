// Starts a real gateway for component tests: configuration loaded the way `npm start` loads it
// (a YAML file plus RESCIND_* variables), a real SQLite audit file in a temp dir, real JWTs from
// a dev issuer, and the cloud simulator on loopback. Everything the logger writes is captured.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { createApp } from '../../src/app.ts';
import { composeDeps, type Composition } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { startServer, type RunningServer } from '../../src/http/start-server.ts';
import { createDevIssuer } from '../../src/demo/dev-issuer.ts';
import { configSecrets } from '../../src/observability/config-secrets.ts';
import { createLogger } from '../../src/observability/logger.ts';
import {
  DEMO_PROJECTS,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
  simulatorEnv,
} from '../../src/simulator/index.ts';

export const ISSUER = 'https://sso.test.rescind.invalid';
export const AUDIENCE = 'rescind-test';

/**
 * RESCIND_* variables of a test gateway on loopback (port 0): its config file, the simulator
 * behind it and the test issuer's key set.
 */
export function gatewayEnv(
  configFile: string,
  sim: { readonly url: string },
  jwksFile: string,
): Record<string, string> {
  return {
    RESCIND_CONFIG: configFile,
    RESCIND_HOST: '127.0.0.1',
    RESCIND_PORT: '0',
    ...simulatorEnv(sim),
    RESCIND_JWT_ISSUER: ISSUER,
    RESCIND_JWT_AUDIENCE: AUDIENCE,
    RESCIND_JWKS_FILE: jwksFile,
  };
}

/** The policy most component tests run under. */
export const TEST_RULES = [
  { groups: ['secops'], allow: ['*'] },
  { subjects: ['auditor'], allow: ['audit.read'] },
  { subjects: ['kms-only'], allow: ['kms.revokeGrant'] },
  { subjects: ['modelarts-one'], allow: ['modelarts.deleteAuthorization'] },
];

export interface GatewayOptions {
  /** A simulator to use; by default one is started (and closed) with `simulator` options. */
  readonly sim?: Simulator;
  readonly simulator?: SimulatorOptions;
  /** Merged over the test configuration file (rules, limits, upstream timings…). */
  readonly config?: Record<string, unknown>;
  /** Extra RESCIND_* variables. */
  readonly env?: Record<string, string>;
  readonly logLevel?: string;
}

export interface TestGateway {
  readonly url: string;
  readonly sim: Simulator;
  readonly config: Config;
  readonly composition: Composition;
  readonly server: RunningServer;
  readonly dir: string;
  readonly auditPath: string;
  /** Every line the gateway's logger wrote so far. */
  logs(): string;
  /** A valid SSO JWT for `subject` (groups default to ['secops']). */
  token(subject?: string, groups?: string[]): Promise<string>;
  sign(claims: Record<string, unknown>, options?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_PROJECT = DEMO_PROJECTS[0]?.id ?? '';

export async function startGateway(options: GatewayOptions = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-gw-'));
  const sim = options.sim ?? (await startSimulator(options.simulator));
  const issuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(issuer.jwks));

  const fileConfig = deepMerge(
    {
      authorization: { rules: TEST_RULES },
      rateLimit: { windowSeconds: 60, perCaller: 100_000, unauthenticatedPerAddress: 100_000 },
      upstream: {
        attemptTimeoutMs: 2000,
        deadlineMs: 8000,
        retries: 2,
        backoffBaseMs: 10,
        backoffMaxMs: 50,
      },
      audit: { instanceId: 'test' },
    },
    options.config ?? {},
  );
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify(fileConfig));
  const auditPath = join(dir, 'audit.db');

  const config = loadConfig({
    ...gatewayEnv(configFile, sim, jwksFile),
    RESCIND_AUDIT_SQLITE_PATH: auditPath,
    ...options.env,
  });

  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  // As compose.ts builds it: the configured secrets are scrubbed from every line.
  const logger = createLogger({
    level: options.logLevel ?? 'debug',
    destination: sink,
    secrets: configSecrets(config),
  });
  const composition = await composeDeps(config, { logger });
  const server = await startServer(createApp(composition.deps), {
    host: '127.0.0.1',
    port: 0,
    graceSeconds: 5,
    logger,
    handleSignals: false,
    onDrained: () => composition.close(),
    exit: () => undefined,
  });
  const { port } = server.address() as AddressInfo;

  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    sim,
    config,
    composition,
    server,
    dir,
    auditPath,
    logs: () => chunks.join(''),
    token: (subject = 'alice', groups = ['secops']) =>
      issuer.sign({ sub: subject, groups, email: `${subject}@example.invalid` }),
    sign: (claims, signOptions) => issuer.sign(claims as { sub: string }, signOptions),
    async close() {
      if (closed) return;
      closed = true;
      await server.drain();
      if (options.sim === undefined) await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A gateway of its own for one test (`t`), closed when the test ends. */
export async function startGatewayFor(
  t: { after(fn: () => Promise<void>): void },
  options: GatewayOptions = {},
): Promise<TestGateway> {
  const gw = await startGateway(options);
  t.after(() => gw.close());
  return gw;
}

function deepMerge(
  base: Record<string, unknown>,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
