// `npm run demo -- --credentials <mode>` (docs/credentials.md): the simulator and the gateway
// set up for one credentials mode. password uses the demo IAM user; oidc a workload issuer of
// its own, trusted by the simulator's IAM, whose ID token is written to a file as a cluster
// would project it; access-key the simulator's demo key; metadata the simulator's metadata
// service.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CREDENTIAL_MODES, type CredentialMode } from '../config/credentials-schema.ts';
import { createDevIssuer } from './dev-issuer.ts';
import { DEMO_ACCESS_KEY, DEMO_ACCOUNT, type SimulatorOptions } from '../simulator/index.ts';

export const DEMO_IDP_ID = 'demo-cce-cluster';
const WORKLOAD_ISSUER = 'https://oidc.demo-cluster.rescind.invalid';
const WORKLOAD_AUDIENCE = 'sts.demo.rescind.invalid';

export interface DemoCredentials {
  readonly mode: CredentialMode;
  /** Merged into the simulator's options. */
  readonly simulator: SimulatorOptions;
  /** RESCIND_* variables of the mode, given the simulator's URL. */
  env(simulatorUrl: string): Record<string, string>;
  /** One line saying how the gateway proves itself in this run. */
  readonly summary: string;
}

/** `--credentials <mode>` or `--credentials=<mode>`; password when absent. */
export function credentialModeFromArgs(args: readonly string[]): CredentialMode {
  let value: string | undefined;
  for (const [index, arg] of args.entries()) {
    if (arg === '--credentials') value = args[index + 1];
    else if (arg.startsWith('--credentials=')) value = arg.slice('--credentials='.length);
  }
  if (value === undefined) return 'password';
  const mode = CREDENTIAL_MODES.find((candidate) => candidate === value);
  if (mode === undefined) {
    throw new Error(`--credentials must be one of ${CREDENTIAL_MODES.join(', ')}`);
  }
  return mode;
}

export async function prepareDemoCredentials(
  mode: CredentialMode,
  dir: string,
): Promise<DemoCredentials> {
  const account = { RESCIND_CREDENTIALS: mode, RESCIND_DOMAIN_ID: DEMO_ACCOUNT.domainId };
  switch (mode) {
    case 'password':
      return {
        mode,
        simulator: {},
        env: () => ({}),
        summary: `Cloud credentials: password (IAM user ${DEMO_ACCOUNT.user}).`,
      };
    case 'access-key':
      return {
        mode,
        simulator: {},
        env: () => ({
          ...account,
          RESCIND_ACCESS_KEY: DEMO_ACCESS_KEY.access,
          RESCIND_SECRET_KEY: DEMO_ACCESS_KEY.secret,
        }),
        summary: `Cloud credentials: access-key (AK ${DEMO_ACCESS_KEY.access}; every call signed, no IAM call).`,
      };
    case 'metadata':
      return {
        mode,
        simulator: {},
        env: (url) => ({ ...account, RESCIND_METADATA_URL: url }),
        summary:
          "Cloud credentials: metadata (temporary keys from the simulator's metadata service; every call signed).",
      };
    case 'oidc': {
      const workload = await createDevIssuer({
        issuer: WORKLOAD_ISSUER,
        audience: WORKLOAD_AUDIENCE,
        algorithm: 'RS256',
      });
      const tokenFile = join(dir, 'oidc-token');
      const idToken = await workload.sign(
        { sub: 'system:serviceaccount:security:rescind' },
        { expiresIn: '24h' },
      );
      writeFileSync(tokenFile, idToken, { mode: 0o600 });
      return {
        mode,
        simulator: {
          credentials: {
            identityProviders: [
              {
                id: DEMO_IDP_ID,
                domain: DEMO_ACCOUNT.domain,
                issuer: WORKLOAD_ISSUER,
                audience: WORKLOAD_AUDIENCE,
                keys: workload.jwks.keys,
              },
            ],
          },
        },
        env: () => ({
          ...account,
          RESCIND_IAM_IDP_ID: DEMO_IDP_ID,
          RESCIND_OIDC_TOKEN_FILE: tokenFile,
        }),
        summary: `Cloud credentials: oidc (the ID token in ${tokenFile}, exchanged with identity provider ${DEMO_IDP_ID}).`,
      };
    }
  }
}
