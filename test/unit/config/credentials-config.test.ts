// RESCIND_CREDENTIALS (docs/credentials.md): each mode validates exactly the settings it needs,
// names the variable of a missing one, and `npm run config:check` explains it and hides the SK.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.ts';
import { DEFAULT_METADATA_URL } from '../../../src/config/credentials-schema.ts';
import { loadConfig } from '../../../src/config/load-config.ts';

const BASE = {
  RESCIND_PROJECT_ID: '0123456789abcdef0123456789abcdef',
  RESCIND_JWT_ISSUER: 'https://sso.example.invalid',
  RESCIND_JWT_AUDIENCE: 'rescind',
  RESCIND_JWKS_URL: 'https://sso.example.invalid/jwks.json',
};
const DOMAIN_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems.map((p) => `${p.key} (${p.variable ?? '-'}): ${p.message}`);
  }
  return [];
}

describe('credentials modes', () => {
  it('password (the default) needs the IAM user, and nothing of the other modes', () => {
    assert.deepEqual(problems({}), [
      'cloud.iam.domain (RESCIND_IAM_DOMAIN): is required in password mode',
      'cloud.iam.user (RESCIND_IAM_USER): is required in password mode',
      'cloud.iam.password (RESCIND_IAM_PASSWORD): is required in password mode',
    ]);
    const config = loadConfig({
      ...BASE,
      RESCIND_IAM_DOMAIN: 'acme',
      RESCIND_IAM_USER: 'svc',
      RESCIND_IAM_PASSWORD: 'pw',
    });
    assert.equal(config.cloud.credentials.mode, 'password');
    assert.equal(config.cloud.credentials.metadataUrl, DEFAULT_METADATA_URL);
  });

  it('oidc needs the identity provider, the token file and the account, but no password', () => {
    assert.deepEqual(problems({ RESCIND_CREDENTIALS: 'oidc' }), [
      'cloud.credentials.idpId (RESCIND_IAM_IDP_ID): is required in oidc mode',
      'cloud.credentials.oidcTokenFile (RESCIND_OIDC_TOKEN_FILE): is required in oidc mode',
      'cloud.credentials.domainId (RESCIND_DOMAIN_ID): is required in oidc mode (or RESCIND_IAM_DOMAIN (the account name))',
    ]);
    const oidc = {
      RESCIND_CREDENTIALS: 'oidc',
      RESCIND_IAM_IDP_ID: 'cce-idp',
      RESCIND_OIDC_TOKEN_FILE: '/var/run/secrets/tokens/oidc-token',
    };
    assert.deepEqual(problems({ ...oidc, RESCIND_IAM_DOMAIN: 'acme' }), []);
    assert.deepEqual(problems({ ...oidc, RESCIND_DOMAIN_ID: DOMAIN_ID }), []);
    assert.deepEqual(
      problems({
        ...oidc,
        RESCIND_DOMAIN_ID: DOMAIN_ID,
        RESCIND_IAM_AGENCY: 'x',
        RESCIND_IAM_AGENCY_DOMAIN: 'y',
      }),
      [
        'cloud.iam.agency (RESCIND_IAM_AGENCY): is used in password mode only; in oidc mode grant the permissions to the identity itself',
      ],
    );
  });

  it('access-key needs the AK, the SK and the account id', () => {
    assert.deepEqual(problems({ RESCIND_CREDENTIALS: 'access-key', RESCIND_ACCESS_KEY: 'AK' }), [
      'cloud.credentials.secretKey (RESCIND_SECRET_KEY): is required in access-key mode',
      'cloud.credentials.domainId (RESCIND_DOMAIN_ID): is required in access-key mode',
    ]);
  });

  it('metadata needs only the account id; the URL has its default and must be http(s)', () => {
    assert.deepEqual(problems({ RESCIND_CREDENTIALS: 'metadata' }), [
      'cloud.credentials.domainId (RESCIND_DOMAIN_ID): is required in metadata mode',
    ]);
    assert.deepEqual(
      problems({
        RESCIND_CREDENTIALS: 'metadata',
        RESCIND_DOMAIN_ID: DOMAIN_ID,
        RESCIND_METADATA_URL: 'file:///etc/passwd',
      }),
      [
        'cloud.credentials.metadataUrl (RESCIND_METADATA_URL): must be an http(s) URL, got the string "file:///etc/passwd"',
      ],
    );
  });

  it('lists a missing setting together with the problems of other keys', () => {
    assert.deepEqual(
      problems({ RESCIND_CREDENTIALS: 'metadata', RESCIND_LOG_LEVEL: 'chatty' }).map(
        (problem) => problem.split(':')[0],
      ),
      ['log.level (RESCIND_LOG_LEVEL)', 'cloud.credentials.domainId (RESCIND_DOMAIN_ID)'],
    );
  });

  it('an unknown mode is named with its variable', () => {
    const [problem] = problems({ RESCIND_CREDENTIALS: 'kerberos' });
    assert.match(problem ?? '', /^cloud\.credentials\.mode \(RESCIND_CREDENTIALS\): /);
  });
});

describe('npm run config:check in the new modes', () => {
  const check = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['src/config/check-cli.ts'], {
      env: { PATH: process.env.PATH ?? '', ...BASE, ...env },
      encoding: 'utf8',
    });

  it('explains a missing setting and exits 1', () => {
    const run = check({ RESCIND_CREDENTIALS: 'oidc', RESCIND_IAM_DOMAIN: 'acme' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /RESCIND_IAM_IDP_ID\): is required in oidc mode/);
    assert.match(run.stderr, /RESCIND_OIDC_TOKEN_FILE\): is required in oidc mode/);
  });

  it('reads the SK from RESCIND_SECRET_KEY_FILE and never prints it', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rescind-sk-'));
    t.after(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const skFile = join(dir, 'sk');
    writeFileSync(skFile, 'sk-canary-5b0e1f\n');
    const run = check({
      RESCIND_CREDENTIALS: 'access-key',
      RESCIND_ACCESS_KEY: 'AKCANARY0000',
      RESCIND_SECRET_KEY_FILE: skFile,
      RESCIND_DOMAIN_ID: DOMAIN_ID,
    });
    assert.equal(run.status, 0, run.stderr);
    const config = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
      cloud: { credentials: { mode: string; accessKey: string; secretKey: string } };
    };
    assert.deepEqual(
      [config.cloud.credentials.mode, config.cloud.credentials.accessKey],
      ['access-key', 'AKCANARY0000'],
    );
    assert.equal(config.cloud.credentials.secretKey, '[set]');
    assert.ok(!run.stdout.includes('sk-canary-5b0e1f'));
  });
});
