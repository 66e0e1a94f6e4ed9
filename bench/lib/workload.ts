// The one revocation workload every benchmark drives: revoke a KMS grant.
//
// - What the cloud receives — `POST /v1.0/{project}/kms/revoke-grant`, `X-Auth-Token: <IAM
//   token>`, JSON `{key_id, grant_id, sequence}` — is what the simulator and the baseline
//   proxies are sent.
// - What a caller sends the gateway — `DELETE /v1/kms/keys/{keyId}/grants/{grantId}` with
//   `Authorization: Bearer <JWT>` — is what Rescind is sent; it turns that into the former.
//
// The simulator runs with auto-reseed, so the same grant can be revoked forever.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createDevIssuer, type DevIssuer } from '../../src/demo/dev-issuer.ts';
import {
  DEMO_ACCOUNT,
  DEMO_PROJECTS,
  DEMO_RESOURCES,
  simulatorEnv,
} from '../../src/simulator/index.ts';
import type { LoadSpec } from './load.ts';
import { gatewayPort } from './processes.ts';

export const ISSUER = 'https://sso.bench.rescind.invalid';
export const AUDIENCE = 'rescind-bench';
export const PROJECT = DEMO_PROJECTS[0] ?? { id: '', name: 'cn-north-4' };
export const GRANT = DEMO_RESOURCES.kmsGrants[0];

/** A fixed UUID, the `sequence` the gateway derives from a caller's UUID request id. */
const SEQUENCE = '1f0e8f3a-6c52-4c1e-9d3e-2b8a7c4d5e6f';

export function cloudPath(): string {
  return `/v1.0/${PROJECT.id}/kms/revoke-grant`;
}

export function gatewayPath(): string {
  return `/v1/kms/keys/${GRANT.keyId}/grants/${GRANT.grantId}`;
}

/** Asks the simulator's IAM for a real project-scoped token, as the gateway does. */
export async function fetchIamToken(simUrl: string): Promise<string> {
  const response = await fetch(`${simUrl}/v3/auth/tokens?nocatalog=true`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: {
              name: DEMO_ACCOUNT.user,
              password: DEMO_ACCOUNT.password,
              domain: { name: DEMO_ACCOUNT.domain },
            },
          },
        },
        scope: { project: { id: PROJECT.id } },
      },
    }),
  });
  await response.arrayBuffer();
  const token = response.headers.get('x-subject-token');
  if (response.status !== 201 || token === null) {
    throw new Error(`the simulator's IAM answered ${response.status} without a token`);
  }
  return token;
}

/** The cloud-side request, sent straight to the simulator or through a baseline proxy. */
export function cloudLoad(
  url: string,
  iamToken: string,
  shape: Pick<LoadSpec, 'connections' | 'durationSeconds' | 'overallRate' | 'paced'>,
): LoadSpec {
  return {
    url: `${url}${cloudPath()}`,
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Auth-Token': iamToken,
      'X-Request-Id': SEQUENCE,
    },
    body: JSON.stringify({ key_id: GRANT.keyId, grant_id: GRANT.grantId, sequence: SEQUENCE }),
    ...shape,
  };
}

/** The caller-side request to the gateway. */
export function gatewayLoad(
  url: string,
  jwt: string,
  shape: Pick<LoadSpec, 'connections' | 'durationSeconds' | 'overallRate' | 'paced'>,
): LoadSpec {
  return {
    url: `${url}${gatewayPath()}`,
    method: 'DELETE',
    headers: { Authorization: `Bearer ${jwt}` },
    ...shape,
  };
}

export interface GatewaySetup {
  readonly env: Record<string, string>;
  readonly issuer: DevIssuer;
  readonly auditPath: string;
  /** A JWT of a caller in group `secops`, which may do everything. */
  jwt(subject?: string, lifetimeSeconds?: number): Promise<string>;
}

export interface GatewaySetupOptions {
  readonly dir: string;
  readonly simUrl: string;
  readonly logLevel: string;
  /** Merged into the config file (shallowly, per top-level key). */
  readonly config?: Record<string, unknown>;
  readonly auditPath?: string;
}

/**
 * The gateway's configuration for the benchmarks: the full pipeline as shipped (JWT against a
 * JWKS file, per-caller rate limit, SQLite audit with group commit, token cache), a rate limit
 * set high enough never to refuse the load, and a policy that lets `secops` revoke.
 */
export async function prepareGateway(options: GatewaySetupOptions): Promise<GatewaySetup> {
  mkdirSync(options.dir, { recursive: true });
  const issuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
  const jwksFile = join(options.dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(issuer.jwks));
  const configFile = join(options.dir, 'config.yaml');
  writeFileSync(
    configFile,
    stringify({
      authorization: { rules: [{ groups: ['secops'], allow: ['*'] }] },
      // The schema's ceiling is 1,000,000 per window: 100,000 req/s, far above any rate here.
      rateLimit: { windowSeconds: 10, perCaller: 1_000_000 },
      audit: { instanceId: 'bench' },
      ...options.config,
    }),
  );
  const auditPath = options.auditPath ?? join(options.dir, 'audit.db');
  const env: Record<string, string> = {
    RESCIND_CONFIG: configFile,
    RESCIND_HOST: '127.0.0.1',
    RESCIND_PORT: await gatewayPort(options.logLevel),
    ...simulatorEnv({ url: options.simUrl }),
    RESCIND_JWT_ISSUER: ISSUER,
    RESCIND_JWT_AUDIENCE: AUDIENCE,
    RESCIND_JWKS_FILE: jwksFile,
    RESCIND_AUDIT_SQLITE_PATH: auditPath,
    RESCIND_LOG_LEVEL: options.logLevel,
  };
  return {
    env,
    issuer,
    auditPath,
    jwt: (subject = 'bench-caller', lifetimeSeconds = 3600) =>
      issuer.sign(
        { sub: subject, groups: ['secops'], email: `${subject}@example.invalid` },
        { expiresIn: lifetimeSeconds },
      ),
  };
}

/** The simulator's per-service call counts (`GET /__sim/stats`). */
export async function simulatorCalls(simUrl: string): Promise<Record<string, number>> {
  const response = await fetch(`${simUrl}/__sim/stats`);
  const stats = (await response.json()) as { calls: Record<string, number> };
  return stats.calls;
}
