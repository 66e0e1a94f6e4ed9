// `npm run demo -- --credentials <mode>` (docs/credentials.md): the demo starts in every mode,
// says how the gateway proves itself, and the revocation it prints works.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { credentialModeFromArgs } from '../../src/demo/demo-credentials.ts';

test('--credentials is read in both spellings, and an unknown mode is refused', () => {
  assert.equal(credentialModeFromArgs([]), 'password');
  assert.equal(credentialModeFromArgs(['--credentials', 'metadata']), 'metadata');
  assert.equal(credentialModeFromArgs(['--credentials=oidc']), 'oidc');
  assert.throws(() => credentialModeFromArgs(['--credentials', 'kerberos']), /must be one of/);
});

for (const mode of ['oidc', 'access-key', 'metadata'] as const) {
  test(`npm run demo -- --credentials ${mode} revokes the printed KMS grant`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `rescind-demo-${mode}-`));
    t.after(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const demo = spawn(process.execPath, ['src/demo/main.ts', '--credentials', mode], {
      env: { ...process.env, RESCIND_PORT: '0', RESCIND_DEMO_DIR: dir, RESCIND_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
    t.after(() => {
      if (demo.exitCode === null) demo.kill('SIGKILL');
    });
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the demo did not get ready:\n${output}`));
      }, 20_000);
      demo.stdout.on('data', () => {
        if (/curl .*\/v1\/kms\/keys\//.test(output) && /export TOKEN='/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      demo.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the demo exited with ${String(code)}:\n${output}`));
      });
    });
    assert.match(output, new RegExp(`Cloud credentials: ${mode} `));
    const token = /export TOKEN='([^']+)'/.exec(output)?.[1] ?? '';
    const url = /'(http:\/\/127\.0\.0\.1:\d+\/v1\/kms\/keys\/[^']+)'/.exec(output)?.[1] ?? '';
    const response = await fetch(url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as { result?: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.result, 'revoked');
    demo.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
}
