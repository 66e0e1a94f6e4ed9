// Gateways in each credentials mode (docs/credentials.md) against the simulator: the simulator
// knows the access key, serves the metadata service, and trusts a workload issuer whose ID
// token the test writes to a file, as the platform would.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CredentialMode } from '../../src/config/credentials-schema.ts';
import { createDevIssuer, type DevIssuer } from '../../src/demo/dev-issuer.ts';
import {
  DEMO_ACCESS_KEY,
  DEMO_ACCOUNT,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.ts';
import { startGateway, type GatewayOptions, type TestGateway } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';

export const IDP_ID = 'cce-cluster-idp';
export const WORKLOAD_ISSUER = 'https://oidc.cce.test.rescind.invalid/id/cluster-1';
export const WORKLOAD_AUDIENCE = 'sts.huaweicloud.com';

export interface ModeGateway {
  readonly gw: TestGateway;
  readonly sim: Simulator;
  /** oidc only: the cluster's issuer, to mint the next projected token. */
  readonly workload: DevIssuer | undefined;
  /** oidc only: the file the platform rotates. */
  readonly tokenFile: string;
  /** oidc only: writes a fresh ID token to the file, as the kubelet does; returns it. */
  rotateIdToken(options?: { expiresIn?: string | number }): Promise<string>;
  close(): Promise<void>;
}

export interface ModeOptions {
  readonly simulator?: SimulatorOptions;
  readonly env?: Record<string, string>;
  readonly config?: GatewayOptions['config'];
  readonly logLevel?: string;
}

export async function startModeGateway(
  mode: CredentialMode,
  options: ModeOptions = {},
): Promise<ModeGateway> {
  const workload =
    mode === 'oidc'
      ? await createDevIssuer({
          issuer: WORKLOAD_ISSUER,
          audience: WORKLOAD_AUDIENCE,
          algorithm: 'RS256',
        })
      : undefined;
  const simOptions = options.simulator ?? {};
  const sim = await startSimulator({
    ...simOptions,
    credentials: {
      ...simOptions.credentials,
      ...(workload === undefined
        ? {}
        : {
            identityProviders: [
              {
                id: IDP_ID,
                domain: DEMO_ACCOUNT.domain,
                issuer: WORKLOAD_ISSUER,
                audience: WORKLOAD_AUDIENCE,
                keys: workload.jwks.keys,
              },
            ],
          }),
    },
  });
  let tokenFile = '';
  const env: Record<string, string> = { RESCIND_CREDENTIALS: mode };
  if (mode !== 'password') env.RESCIND_DOMAIN_ID = DEMO_ACCOUNT.domainId;
  if (mode === 'access-key') {
    env.RESCIND_ACCESS_KEY = DEMO_ACCESS_KEY.access;
    env.RESCIND_SECRET_KEY = DEMO_ACCESS_KEY.secret;
  }
  if (mode === 'metadata') env.RESCIND_METADATA_URL = sim.url;
  const rotateIdToken = async (sign: { expiresIn?: string | number } = {}): Promise<string> => {
    if (workload === undefined) throw new Error('rotateIdToken is for oidc mode');
    const token = await workload.sign(
      { sub: 'system:serviceaccount:security:rescind' },
      { expiresIn: sign.expiresIn ?? '1h' },
    );
    writeFileSync(tokenFile, token);
    return token;
  };
  let gw: TestGateway | undefined;
  try {
    if (mode === 'oidc') {
      // The gateway's temp dir exists only once it starts; the file must exist before.
      tokenFile = join(mkTemp(), 'token');
      await rotateIdToken();
      env.RESCIND_IAM_IDP_ID = IDP_ID;
      env.RESCIND_OIDC_TOKEN_FILE = tokenFile;
    }
    gw = await startGateway({
      sim,
      env: { ...env, ...options.env },
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
    });
  } catch (error) {
    await sim.close();
    if (tokenFile !== '') rmSync(dirname(tokenFile), { recursive: true, force: true });
    throw error;
  }
  const started = gw;
  return {
    gw: started,
    sim,
    workload,
    tokenFile,
    rotateIdToken,
    async close() {
      await started.close();
      await sim.close();
      if (tokenFile !== '') rmSync(dirname(tokenFile), { recursive: true, force: true });
    },
  };
}

/** A gateway in `mode` for the enclosing suite: started in before(), closed in after(). */
export function modeGatewayOfSuite(mode: CredentialMode, options: ModeOptions = {}): ModeGateway {
  return suiteScoped(() => startModeGateway(mode, options));
}

/** Runs `use` on a gateway in `mode` of its own, closed afterwards whatever happens. */
export async function withModeGateway(
  mode: CredentialMode,
  options: ModeOptions,
  use: (m: ModeGateway) => Promise<void>,
): Promise<void> {
  const m = await startModeGateway(mode, options);
  try {
    await use(m);
  } finally {
    await m.close();
  }
}

function mkTemp(): string {
  return mkdtempSync(join(tmpdir(), 'rescind-oidc-'));
}
