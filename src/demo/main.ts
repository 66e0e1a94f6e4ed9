// `npm run demo`: the cloud simulator and the gateway on loopback, with a freshly generated SSO
// signing key (JWKS file) and audit checkpoint key, printing ready-to-paste commands.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createApp } from '../app.ts';
import { generateCheckpointKey } from '../audit/checkpoint-key.ts';
import { composeDeps } from '../compose.ts';
import { loadConfig } from '../config/load-config.ts';
import { startServer } from '../http/start-server.ts';
import { createDevIssuer } from '../identity/dev-issuer.ts';
import { credentialModeFromArgs, prepareDemoCredentials } from './demo-credentials.ts';
import { DEMO_ACCOUNT, DEMO_PROJECTS, DEMO_RESOURCES, startSimulator } from '../simulator/index.ts';

// RESCIND_DEMO_DIR lets a test run the demo without touching ./data.
const DEMO_DIR = resolve(process.env.RESCIND_DEMO_DIR ?? 'data/demo');
const ISSUER = 'https://sso.demo.rescind.invalid';
const AUDIENCE = 'rescind';

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
  // The audit store persists across demo runs, so its checkpoint key must too: a new key would
  // make the earlier checkpoints unverifiable.
  const keyFile = join(DEMO_DIR, 'checkpoint-key.pem');
  const publicKeyFile = join(DEMO_DIR, 'checkpoint-key.pub.pem');
  if (!existsSync(keyFile) || !existsSync(publicKeyFile)) {
    const checkpointKey = generateCheckpointKey();
    writeFileSync(keyFile, checkpointKey.privateKeyPem, { mode: 0o600 });
    writeFileSync(publicKeyFile, checkpointKey.publicKeyPem);
  }

  const project = DEMO_PROJECTS[0];
  if (project === undefined) throw new Error('the simulator has no demo project');
  const env: Record<string, string> = {
    RESCIND_CONFIG: resolve('config/demo.yaml'),
    RESCIND_PORT: process.env.RESCIND_PORT ?? '8080',
    RESCIND_IAM_ENDPOINT: simulator.url,
    RESCIND_IAM_DOMAIN: DEMO_ACCOUNT.domain,
    RESCIND_IAM_USER: DEMO_ACCOUNT.user,
    RESCIND_IAM_PASSWORD: DEMO_ACCOUNT.password,
    RESCIND_PROJECT_ID: project.id,
    RESCIND_REGION: project.name,
    RESCIND_SCM_ENDPOINT: simulator.url,
    RESCIND_APIG_ENDPOINT: simulator.url,
    RESCIND_KMS_ENDPOINT: simulator.url,
    RESCIND_MODELARTS_ENDPOINT: simulator.url,
    RESCIND_JWT_ISSUER: ISSUER,
    RESCIND_JWT_AUDIENCE: AUDIENCE,
    RESCIND_JWKS_FILE: jwksFile,
    RESCIND_AUDIT_SQLITE_PATH: join(DEMO_DIR, 'audit.db'),
    RESCIND_AUDIT_CHECKPOINT_KEY_FILE: keyFile,
    ...credentials.env(simulator.url),
    ...(process.env.RESCIND_LOG_LEVEL ? { RESCIND_LOG_LEVEL: process.env.RESCIND_LOG_LEVEL } : {}),
  };
  const config = loadConfig(env);
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
  const base = `http://127.0.0.1:${port}`;

  const secops = await sso.sign(
    { sub: 'demo-secops', email: 'secops@demo.invalid', groups: ['secops'] },
    { expiresIn: '8h' },
  );
  const rotator = await sso.sign({ sub: 'svc-cert-rotator', groups: [] }, { expiresIn: '8h' });
  const kms = DEMO_RESOURCES.kmsGrants[0];
  const verifyEnv = `RESCIND_CONFIG=config/demo.yaml RESCIND_AUDIT_SQLITE_PATH=${join(DEMO_DIR, 'audit.db')}`;

  console.log(`
Rescind demo: the gateway on ${base}, the cloud simulator on ${simulator.url}.
Callers authenticate with JWTs signed by a key generated for this run (JWKS: ${jwksFile}).

  export TOKEN='${secops}'

Revoke a seeded KMS grant (200, then 404 NOT_FOUND the second time):

  curl -s -X DELETE -H "Authorization: Bearer $TOKEN" ${base}/v1/kms/keys/${kms.keyId}/grants/${kms.grantId}

A caller without the permission (403 FORBIDDEN), and no token at all (401):

  curl -s -X DELETE -H "Authorization: Bearer ${rotator}" ${base}/v1/modelarts/authorizations?allUsers=true
  curl -s -X DELETE ${base}/v1/scm/csrs/${DEMO_RESOURCES.csrs[0].csrId}

Read the audit trail, and verify its hash chain:

  curl -s -H "Authorization: Bearer $TOKEN" ${base}/v1/audit
  ${verifyEnv} npm run audit:verify

Signed checkpoints are written every 60 s (when there is something new), every 1,000 records
and at shutdown; once one exists, hold the chain against it too:

  ${verifyEnv} npm run audit:verify -- --checkpoints ${join(DEMO_DIR, 'audit.db.checkpoints')} --public-key ${publicKeyFile}

A report of what you just did, to open in a browser (one HTML file; it loads nothing):

  ${verifyEnv} npm run audit:report -- --out ${join(DEMO_DIR, 'audit-report.html')}

More: ${base}/openapi.json, ${base}/metrics, ${base}/readyz. Ctrl-C drains and stops.
`);
}

demo().catch((error: unknown) => {
  console.error('demo failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
