// `npm run demo`: the cloud simulator and the gateway on loopback, with a freshly generated SSO
// signing key (JWKS file) and audit checkpoint key, printing ready-to-paste commands and every
// seeded id (demo-guide.ts).

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createApp } from '../app.ts';
import { generateCheckpointKey } from '../audit/chain/checkpoint-key.ts';
import { composeDeps } from '../compose.ts';
import { loadConfig } from '../config/load-config.ts';
import { explainListenError } from '../http/explain-listen-error.ts';
import { startServer } from '../http/start-server.ts';
import { createDevIssuer, type DevIssuer } from './dev-issuer.ts';
import { DEMO_ACCOUNT, DEMO_PROJECTS, startSimulator } from '../simulator/index.ts';
import {
  credentialModeFromArgs,
  prepareDemoCredentials,
  type DemoCredentials,
} from './demo-credentials.ts';
import { renderDemoGuide } from './demo-guide.ts';

// RESCIND_DEMO_DIR lets a test run the demo without touching ./data.
const DEMO_DIR = resolve(process.env.RESCIND_DEMO_DIR ?? 'data/demo');
const ISSUER = 'https://sso.demo.rescind.invalid';
const AUDIENCE = 'rescind';
const DEFAULT_DEMO_PORT = '8080';

interface CheckpointKeyFiles {
  readonly keyFile: string;
  readonly publicKeyFile: string;
}

/**
 * The audit store persists across demo runs, so its checkpoint key must too: a new key would
 * make the earlier checkpoints unverifiable.
 */
function checkpointKeyFiles(): CheckpointKeyFiles {
  const keyFile = join(DEMO_DIR, 'checkpoint-key.pem');
  const publicKeyFile = join(DEMO_DIR, 'checkpoint-key.pub.pem');
  if (!existsSync(keyFile) || !existsSync(publicKeyFile)) {
    const checkpointKey = generateCheckpointKey();
    writeFileSync(keyFile, checkpointKey.privateKeyPem, { mode: 0o600 });
    writeFileSync(publicKeyFile, checkpointKey.publicKeyPem);
  }
  return { keyFile, publicKeyFile };
}

/** The gateway's variables: everything config/demo.yaml leaves to the run. */
function demoEnv(
  simulatorUrl: string,
  files: { jwksFile: string; keyFile: string },
  credentials: DemoCredentials,
): Record<string, string> {
  const { jwksFile, keyFile } = files;
  const project = DEMO_PROJECTS[0];
  if (project === undefined) throw new Error('the simulator has no demo project');
  return {
    RESCIND_CONFIG: resolve('config/demo.yaml'),
    RESCIND_PORT: process.env.RESCIND_PORT ?? DEFAULT_DEMO_PORT,
    RESCIND_IAM_ENDPOINT: simulatorUrl,
    RESCIND_IAM_DOMAIN: DEMO_ACCOUNT.domain,
    RESCIND_IAM_USER: DEMO_ACCOUNT.user,
    RESCIND_IAM_PASSWORD: DEMO_ACCOUNT.password,
    RESCIND_PROJECT_ID: project.id,
    RESCIND_REGION: project.name,
    RESCIND_SCM_ENDPOINT: simulatorUrl,
    RESCIND_APIG_ENDPOINT: simulatorUrl,
    RESCIND_KMS_ENDPOINT: simulatorUrl,
    RESCIND_MODELARTS_ENDPOINT: simulatorUrl,
    RESCIND_JWT_ISSUER: ISSUER,
    RESCIND_JWT_AUDIENCE: AUDIENCE,
    RESCIND_JWKS_FILE: jwksFile,
    RESCIND_AUDIT_SQLITE_PATH: join(DEMO_DIR, 'audit.db'),
    RESCIND_AUDIT_CHECKPOINT_KEY_FILE: keyFile,
    ...credentials.env(simulatorUrl),
    ...(process.env.RESCIND_LOG_LEVEL ? { RESCIND_LOG_LEVEL: process.env.RESCIND_LOG_LEVEL } : {}),
  };
}

/** The demo's two callers: secops may do anything, the certificate rotator only scm/apig. */
async function demoTokens(sso: DevIssuer): Promise<{ token: string; rotatorToken: string }> {
  const token = await sso.sign(
    { sub: 'demo-secops', email: 'secops@demo.invalid', groups: ['secops'] },
    { expiresIn: '8h' },
  );
  const rotatorToken = await sso.sign({ sub: 'svc-cert-rotator', groups: [] }, { expiresIn: '8h' });
  return { token, rotatorToken };
}

async function demo(): Promise<void> {
  mkdirSync(DEMO_DIR, { recursive: true, mode: 0o700 });
  const credentials = await prepareDemoCredentials(
    credentialModeFromArgs(process.argv.slice(2)),
    DEMO_DIR,
  );
  const simulator = await startSimulator({ seed: 'demo', ...credentials.simulator });
  console.log(credentials.summary);
  const sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
  const jwksFile = join(DEMO_DIR, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(sso.jwks, null, 2));
  const { keyFile, publicKeyFile } = checkpointKeyFiles();

  const config = loadConfig(demoEnv(simulator.url, { jwksFile, keyFile }, credentials));
  const composition = await composeDeps(config);
  const server = await startServer(createApp(composition.deps), {
    host: config.server.host,
    port: config.server.port,
    graceSeconds: config.server.shutdownGraceSeconds,
    logger: composition.deps.logger,
    onDrained: async () => {
      await composition.close();
      await simulator.close();
    },
  });
  const { port } = server.address() as AddressInfo;
  console.log(
    renderDemoGuide({
      base: `http://127.0.0.1:${port}`,
      simulatorUrl: simulator.url,
      jwksFile,
      ...(await demoTokens(sso)),
      verifyEnv: `RESCIND_CONFIG=config/demo.yaml RESCIND_AUDIT_SQLITE_PATH=${join(DEMO_DIR, 'audit.db')}`,
      checkpointsFile: join(DEMO_DIR, 'audit.db.checkpoints'),
      publicKeyFile,
      reportFile: join(DEMO_DIR, 'audit-report.html'),
    }),
  );
}

demo().catch((error: unknown) => {
  const hint = explainListenError(error);
  console.error('demo failed:', hint ?? (error instanceof Error ? error.message : error));
  process.exit(1);
});
