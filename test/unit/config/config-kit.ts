// Shared by the config tests: the variables every configuration needs, and a temporary
// directory for config files that is removed after the file's tests.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** The required RESCIND_* variables, with a password the tests look for in messages. */
export const REQUIRED_ENV = {
  RESCIND_IAM_DOMAIN: 'acme',
  RESCIND_IAM_USER: 'svc-rescind',
  RESCIND_IAM_PASSWORD: 'canary-password-7f3a',
  RESCIND_PROJECT_ID: '0123456789abcdef0123456789abcdef',
  RESCIND_JWT_ISSUER: 'https://sso.example',
  RESCIND_JWT_AUDIENCE: 'rescind',
  RESCIND_JWKS_URL: 'https://sso.example/jwks.json',
} as const;

/** A fresh directory named after `prefix`, removed once the file's tests are done. */
export function configDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
