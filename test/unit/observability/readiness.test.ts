import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.ts';
import { configSecrets } from '../../../src/observability/config-secrets.ts';
import {
  CHECK_FAILED,
  CHECK_TIMED_OUT,
  checkReadiness,
  createReadinessProbe,
  type ReadinessCheck,
  type ReadinessCheckReport,
} from '../../../src/observability/readiness.ts';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import { createSecretRedactor } from '../../../src/text/redact-secrets.ts';
import { captureLogger } from '../../helpers/log-capture.ts';

const KEY = generateCheckpointKey();

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

  it('is not ready when one check is not, and names it by a code', async () => {
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
      reasons: ['audit-store-unavailable'],
    });
  });

  it('counts a check that throws as not ready, and shows only a code', async () => {
    const result = await checkReadiness([
      {
        name: 'rate-limit-store',
        check: () => {
          throw new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.7:6379');
        },
      },
    ]);
    assert.equal(result.ready, false);
    assert.deepEqual(result.checks[0]?.reasons, [CHECK_FAILED]);
  });

  it('counts a check that does not answer in time as not ready', async () => {
    const result = await checkReadiness(
      [{ name: 'slow', check: () => new Promise(() => undefined) }, ready('config')],
      { timeoutMs: 20 },
    );
    assert.equal(result.ready, false);
    assert.deepEqual(result.checks[0]?.reasons, [CHECK_TIMED_OUT]);
    assert.equal(result.checks[1]?.ready, true);
  });

  it('shows callers stable codes, never a path or host:port/db, and logs the details once', async () => {
    const captured = captureLogger();
    let report: ReadinessCheckReport = {
      ready: false,
      code: 'audit-store-not-durable',
      reasons: ['db.internal:5432/audit refused the login; /var/lib/rescind/audit.db is read-only'],
    };
    const probe = createReadinessProbe(
      [
        { name: 'audit-store', check: () => report },
        { name: 'other', check: () => ({ ready: false, reasons: ['x at 10.0.0.7:6379'] }) },
      ],
      { logger: captured.logger },
    );
    const first = await probe();
    await probe();
    const shown = JSON.stringify(first);
    assert.ok(
      !shown.includes('db.internal') && !shown.includes('/var/lib') && !shown.includes('10.0.0.7'),
      shown,
    );
    assert.deepEqual(
      first.checks.map((check) => check.reasons),
      [['audit-store-not-durable'], ['other-unavailable']],
    );
    const warned = captured.lines().filter((line) => line.msg === 'not ready');
    assert.equal(warned.length, 2, 'each check logged once while its reasons stay the same');
    assert.match(JSON.stringify(warned[0]), /db\.internal:5432\/audit/);

    report = { ready: true, reasons: [] };
    await probe();
    assert.ok(captured.lines().some((line) => line.msg === 'readiness check is ready again'));
  });
});

describe('configSecrets', () => {
  it('lists every configured secret as the shared redaction matches it', () => {
    const config = loadConfig({
      RESCIND_CONFIG: 'config/default.yaml',
      RESCIND_IAM_DOMAIN: 'acme',
      RESCIND_IAM_USER: 'svc',
      RESCIND_IAM_PASSWORD: 'iam-password-1',
      RESCIND_PROJECT_ID: '0123456789abcdef0123456789abcdef',
      RESCIND_JWT_ISSUER: 'https://sso.example.invalid',
      RESCIND_JWT_AUDIENCE: 'rescind',
      RESCIND_JWKS_URL: 'https://sso.example.invalid/jwks',
      RESCIND_RATE_LIMIT_REDIS_URL: 'redis://:p%40ss-word-9@127.0.0.1:6379/0',
      RESCIND_AUDIT_CHECKPOINT_KEY: KEY.privateKeyPem,
    });
    const redactor = createSecretRedactor(configSecrets(config));
    const pem = KEY.privateKeyPem
      .split('\n')
      .filter((line) => !line.startsWith('-----'))
      .join('');
    for (const [text, secret] of [
      ['login as svc with iam-password-1', 'iam-password-1'],
      ['AUTH p@ss-word-9 refused', 'p@ss-word'],
      ['connect redis://:p%40ss-word-9@127.0.0.1:6379/0', 'p%40ss-word'],
      [`key ${pem.slice(24, 40)}`, pem.slice(24, 40)],
    ] as const) {
      assert.ok(!redactor.redact(text).includes(secret), text);
    }
    // What is not secret stays readable: the host of a URL, a public key's header.
    assert.equal(
      redactor.redact('PostgreSQL at 127.0.0.1:6379/0'),
      'PostgreSQL at 127.0.0.1:6379/0',
    );
    const publicBody = KEY.publicKeyPem.split('\n')[1] ?? '';
    assert.equal(redactor.redact(publicBody.slice(0, 16)), publicBody.slice(0, 16));
  });
});
