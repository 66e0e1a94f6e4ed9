// `npm run config:check` as docs/operations.md describes it to operators: the configuration
// loaded as `npm start` loads it, every problem listed (exit 1), or the result with every secret
// hidden (exit 0).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';

function configCheck(env: Record<string, string>) {
  const run = spawnSync(process.execPath, ['src/config/check-cli.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const REQUIRED = {
  RESCIND_IAM_DOMAIN: 'acme',
  RESCIND_IAM_USER: 'svc-rescind',
  RESCIND_PROJECT_ID: '0123456789abcdef0123456789abcdef',
  RESCIND_JWT_ISSUER: 'https://sso.example.invalid',
  RESCIND_JWT_AUDIENCE: 'rescind',
  RESCIND_JWKS_URL: 'https://sso.example.invalid/jwks.json',
};

describe('npm run config:check', () => {
  it('exits 0 and prints the resolved configuration with every secret hidden', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rescind-config-check-'));
    t.after(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const key = generateCheckpointKey().privateKeyPem;
    const keyFile = join(dir, 'checkpoint-key.pem');
    writeFileSync(keyFile, key);
    const { code, stdout } = configCheck({
      ...REQUIRED,
      RESCIND_IAM_PASSWORD: 'iam-secret-1234',
      RESCIND_RATE_LIMIT_REDIS_URL: 'redis://:redis-secret-5678@cache:6379/0',
      RESCIND_AUDIT_CHECKPOINT_KEY_FILE: keyFile,
      RESCIND_LOG_LEVEL: 'debug',
    });
    assert.equal(code, 0);
    assert.match(stdout, /^configuration OK/);
    const config = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      cloud: { iam: { password: string; user: string } };
      rateLimit: { redisUrl: string };
      audit: { checkpoints: { signingKey: string } };
      log: { level: string };
    };
    assert.equal(config.cloud.iam.password, '[set]');
    assert.equal(config.rateLimit.redisUrl, '[set]');
    assert.equal(config.audit.checkpoints.signingKey, '[set]');
    assert.equal(config.cloud.iam.user, 'svc-rescind');
    assert.equal(config.log.level, 'debug');
    for (const secret of ['iam-secret-1234', 'redis-secret-5678', 'PRIVATE KEY']) {
      assert.ok(!stdout.includes(secret), `${secret} is not printed`);
    }
  });

  it('exits 1 and lists every problem with its key and variable', () => {
    const { code, stdout, stderr } = configCheck({
      ...REQUIRED,
      RESCIND_IAM_PASSWORD: '',
      RESCIND_LOG_LEVEL: 'chatty',
      RESCIND_PORT: 'eighty',
    });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    for (const expected of [
      'cloud.iam.password (RESCIND_IAM_PASSWORD)',
      'log.level (RESCIND_LOG_LEVEL)',
      'server.port (RESCIND_PORT)',
    ]) {
      assert.ok(stderr.includes(expected), `${expected} in:\n${stderr}`);
    }
  });

  it('prints the endpoint each service of each project resolves to (eu-west-101: .myhuaweicloud.eu)', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rescind-config-check-'));
    t.after(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'cloud:',
        '  projects:',
        '    eu:',
        '      id: fedcba9876543210fedcba9876543210',
        '      region: eu-west-101',
        '      endpoints: { scm: none, modelarts: none }',
      ].join('\n'),
    );
    const { code, stdout } = configCheck({
      ...REQUIRED,
      RESCIND_CONFIG: file,
      RESCIND_IAM_PASSWORD: 'iam-secret-1234',
    });
    assert.equal(code, 0);
    const eu = stdout.slice(stdout.indexOf('  eu ('), stdout.indexOf('{'));
    assert.match(eu, /kms +https:\/\/kms\.eu-west-101\.myhuaweicloud\.eu /);
    assert.match(eu, /apig +https:\/\/apig\.eu-west-101\.myhuaweicloud\.eu /);
    assert.match(eu, /iam +https:\/\/iam\.eu-west-101\.myhuaweicloud\.eu /);
    assert.match(eu, /modelarts +none, turned off by cloud\.projects\.eu\.endpoints\.modelarts/);
    assert.match(stdout, /kms +https:\/\/kms\.cn-north-4\.myhuaweicloud\.com /);
  });

  it('refuses a region without endpoints, naming what to set, and guesses no host', () => {
    const { code, stdout, stderr } = configCheck({
      ...REQUIRED,
      RESCIND_IAM_PASSWORD: 'iam-secret-1234',
      RESCIND_REGION: 'xx-moon-1',
      RESCIND_APIG_ENDPOINT: 'http://127.0.0.1:9',
    });
    assert.equal(code, 1);
    for (const expected of [
      'cloud.projects.default.endpoints.kms (RESCIND_KMS_ENDPOINT): no kms endpoint is listed for region "xx-moon-1"',
      'cloud.projects.default.endpoints.modelarts (RESCIND_MODELARTS_ENDPOINT)',
      'RESCIND_SCM_REGION (cn-north-4, ap-southeast-1, my-kualalumpur-1)',
    ]) {
      assert.ok(stderr.includes(expected), `${expected} in:\n${stderr}`);
    }
    assert.ok(!stderr.includes('apig'), 'the overridden service is not a problem');
    assert.match(stdout, /apig +http:\/\/127\.0\.0\.1:9 +\[cloud\.endpoints\.apig/);
    assert.doesNotMatch(stdout + stderr, /xx-moon-1\.myhuaweicloud/);
  });

  it('exits 1 for a checkpoint key that does not parse, as start-up does, without printing it', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rescind-config-check-'));
    t.after(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const keyFile = join(dir, 'checkpoint-key.pem');
    // A key that looks right but is cut short, and an RSA key (not Ed25519).
    const cut =
      generateCheckpointKey().privateKeyPem.slice(0, 60) + '\n-----END PRIVATE KEY-----\n';
    for (const pem of [cut, 'hunter2-not-a-key', rsaPrivateKeyPem()]) {
      writeFileSync(keyFile, pem);
      const { code, stdout, stderr } = configCheck({
        ...REQUIRED,
        RESCIND_IAM_PASSWORD: 'iam-secret-1234',
        RESCIND_AUDIT_CHECKPOINT_KEY_FILE: keyFile,
      });
      assert.equal(code, 1, stdout);
      assert.match(stderr, /audit\.checkpoints\.signingKey \(RESCIND_AUDIT_CHECKPOINT_KEY\)/);
      assert.match(stderr, /Ed25519 private key in PKCS#8 PEM/);
      assert.ok(!stderr.includes('hunter2') && !stderr.includes('MC4CAQ'), stderr);
    }
  });
});

function rsaPrivateKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 1024 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}
