import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { DEMO_ACCESS_KEY, DEMO_ACCOUNT } from '../../src/simulator/index.ts';
import { passwordAuth, projectScope } from './sim-client.ts';

test('npm run simulator prints its URL and the demo credentials, serves them, and exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, ['src/simulator/cli.ts', '--port', '0'], {
    env: { ...process.env, SIM_PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no URL printed: ${output}`));
      }, 10_000);
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match?.[1] !== undefined && output.includes('Stop with Ctrl-C.')) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => {
        reject(new Error(`exited ${code}: ${output}`));
      });
    });
    assert.ok(output.includes(`RESCIND_IAM_PASSWORD=${DEMO_ACCOUNT.password}`));
    assert.ok(output.includes(`RESCIND_SECRET_KEY=${DEMO_ACCESS_KEY.secret}`));
    assert.ok(output.includes(`RESCIND_DOMAIN_ID=${DEMO_ACCOUNT.domainId}`));
    assert.ok(output.includes('0d0466b0-e727-4d9c-b35d-f84bb474a37f'));
    const res = await fetch(`${url}/v3/auth/tokens?nocatalog=true`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: passwordAuth(projectScope()),
    });
    assert.equal(res.status, 201);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('the CLI rejects a bad flag with exit code 2', async () => {
  const child = spawn(process.execPath, ['src/simulator/cli.ts', '--seed', 'everything'], {
    stdio: 'pipe',
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 2);
  assert.match(stderr, /--seed/);
});
