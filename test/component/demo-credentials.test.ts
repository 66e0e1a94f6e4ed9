// `npm run demo -- --credentials <mode>` (docs/credentials.md): the demo starts in every mode,
// says how the gateway proves itself, and the revocation it prints works.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { credentialModeFromArgs } from '../../src/demo/demo-credentials.ts';
import { startDemo } from './support-demo.ts';

test('--credentials is read in both spellings, and an unknown mode is refused', () => {
  assert.equal(credentialModeFromArgs([]), 'password');
  assert.equal(credentialModeFromArgs(['--credentials', 'metadata']), 'metadata');
  assert.equal(credentialModeFromArgs(['--credentials=oidc']), 'oidc');
  assert.throws(() => credentialModeFromArgs(['--credentials', 'kerberos']), /must be one of/);
});

for (const mode of ['oidc', 'access-key', 'metadata'] as const) {
  test(`npm run demo -- --credentials ${mode} revokes the printed KMS grant`, async (t) => {
    const demo = await startDemo(t, ['--credentials', mode]);
    const output = demo.output();
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
    demo.process.kill('SIGTERM');
    assert.equal(await demo.exited, 0);
  });
}
