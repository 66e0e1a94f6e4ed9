import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.ts';
import { configSecrets } from '../../../src/observability/config-secrets.ts';
import {
  checkReadiness,
  scrubReason,
  type ReadinessCheck,
} from '../../../src/observability/readiness.ts';

const ready = (name: string): ReadinessCheck => ({
  name,
  check: () => ({ ready: true, reasons: [] }),
});

describe('checkReadiness', () => {
  it('is ready when every check is, and lists each one', async () => {
    const result = await checkReadiness([
      ready('config'),
      { name: 'audit-recovery', check: () => ({ ready: true, reasons: [], detail: '0 closed' }) },
    ]);
    assert.deepEqual(result, {
      ready: true,
      checks: [
        { name: 'config', ready: true, reasons: [] },
        { name: 'audit-recovery', ready: true, reasons: [], detail: '0 closed' },
      ],
    });
  });

  it('is not ready when one check is not, and keeps its reasons', async () => {
    const result = await checkReadiness([
      ready('config'),
      {
        name: 'audit-store',
        check: () => Promise.resolve({ ready: false, reasons: ['disk full'] }),
      },
    ]);
    assert.equal(result.ready, false);
    assert.deepEqual(result.checks[1], {
      name: 'audit-store',
      ready: false,
      reasons: ['disk full'],
    });
  });

  it('counts a check that throws as not ready, without its error message', async () => {
    const result = await checkReadiness([
      {
        name: 'rate-limit-store',
        check: () => {
          throw new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.7:6379');
        },
      },
    ]);
    assert.equal(result.ready, false);
    assert.deepEqual(result.checks[0]?.reasons, ['the rate-limit-store check failed']);
  });

  it('counts a check that does not answer in time as not ready', async () => {
    const result = await checkReadiness(
      [{ name: 'slow', check: () => new Promise(() => undefined) }, ready('config')],
      { timeoutMs: 20 },
    );
    assert.equal(result.ready, false);
    assert.deepEqual(result.checks[0]?.reasons, ['the slow check did not answer in 20 ms']);
    assert.equal(result.checks[1]?.ready, true);
  });

  it('scrubs secrets and URLs from reasons and details', async () => {
    const result = await checkReadiness(
      [
        {
          name: 'audit-store',
          check: () => ({
            ready: false,
            reasons: ['postgres://rescind:s3cr%40t@db.internal:5432/audit refused the login'],
            detail: 'password s3cr@t was rejected',
          }),
        },
      ],
      { secrets: ['s3cr@t'] },
    );
    const shown = JSON.stringify(result);
    assert.ok(!shown.includes('s3cr'), shown);
    assert.ok(!shown.includes('db.internal'), shown);
    assert.deepEqual(result.checks[0]?.reasons, ['postgres://… refused the login']);
  });
});

describe('scrubReason', () => {
  it('keeps a reason that holds nothing secret', () => {
    assert.equal(
      scrubReason('audit records cannot be made durable: ./data/audit.db is read-only', ['pw12']),
      'audit records cannot be made durable: ./data/audit.db is read-only',
    );
  });

  it('replaces every URL by its scheme alone', () => {
    assert.equal(
      scrubReason('redis://:pw@127.0.0.1:1/0 and rediss://cache:6380 are down', []),
      'redis://… and rediss://… are down',
    );
  });
});

describe('configSecrets', () => {
  it('lists the configured secrets, and the password inside a connection URL decoded', () => {
    const config = loadConfig({
      RESCIND_CONFIG: 'config/default.yaml',
      RESCIND_IAM_DOMAIN: 'acme',
      RESCIND_IAM_USER: 'svc',
      RESCIND_IAM_PASSWORD: 'iam-password-1',
      RESCIND_PROJECT_ID: '0123456789abcdef0123456789abcdef',
      RESCIND_JWT_ISSUER: 'https://sso.example.invalid',
      RESCIND_JWT_AUDIENCE: 'rescind',
      RESCIND_JWKS_URL: 'https://sso.example.invalid/jwks',
      RESCIND_RATE_LIMIT_REDIS_URL: 'redis://:p%40ss-word@127.0.0.1:6379/0',
    });
    const secrets = configSecrets(config);
    assert.ok(secrets.includes('iam-password-1'));
    assert.ok(secrets.includes('redis://:p%40ss-word@127.0.0.1:6379/0'));
    assert.ok(secrets.includes('p@ss-word'));
  });
});
