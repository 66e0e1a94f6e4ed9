// `npm run demo` is the first command of the README: run it as a newcomer would and follow what
// it prints, literally.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { DEMO_RESOURCES } from '../../src/simulator/index.ts';
import { startDemo } from './support-demo.ts';

/** Every id the simulator was seeded with, as strings. */
function seededIds(resources: object): string[] {
  return Object.values(resources).flatMap((entries: Record<string, unknown>[]) =>
    entries.flatMap((entry) =>
      Object.entries(entry)
        .filter(([name, value]) => name !== 'projectId' && typeof value === 'string')
        .map(([, value]) => value as string),
    ),
  );
}

interface Printed {
  readonly token: string;
  readonly curls: string[];
  readonly verify: string[];
  readonly report: string[];
}

function parse(text: string): Printed {
  const token = /export TOKEN='([^']+)'/.exec(text)?.[1];
  assert.ok(token, 'the demo prints a token');
  const lines = text.split('\n').map((line) => line.trim());
  return {
    token,
    curls: lines.filter((line) => line.startsWith('curl ')),
    verify: lines.filter((line) => line.includes('npm run audit:verify')),
    report: lines.filter((line) => line.includes('npm run audit:report')),
  };
}

/** Runs a printed curl line with fetch: method, headers and URL as printed ($TOKEN expanded). */
async function curl(
  line: string,
  token: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const expanded = line.replaceAll('$TOKEN', token);
  const method = /-X (\w+)/.exec(expanded)?.[1] ?? 'GET';
  const headers: Record<string, string> = {};
  for (const [, name, value] of expanded.matchAll(/-H "([^:]+): ([^"]+)"/g)) {
    if (name !== undefined && value !== undefined) headers[name] = value;
  }
  const url = /'(http:\/\/127\.0\.0\.1:\d+[^\s']*)'/.exec(expanded)?.[1];
  assert.ok(url, `a URL in ${line}`);
  const response = await fetch(url, { method, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('npm run demo starts, and the commands it prints revoke, refuse and verify as they say', async (t) => {
  const demo = await startDemo(t);
  const output = demo.output();

  const printed = parse(output);
  const [revoke, revokeEu, forbidden, anonymous, audit] = printed.curls;
  assert.ok(
    revoke && revokeEu && forbidden && anonymous && audit,
    `five curl commands in:\n${output}`,
  );
  for (const line of printed.curls) {
    // A shell would take an unquoted `?` as a glob and `&` as "run in the background".
    assert.match(line, / '[^' ]+'$/, `the URL is quoted: ${line}`);
    assert.ok(line.includes(`-w '\\n'`), `the answer ends with a newline: ${line}`);
  }
  for (const id of seededIds(DEMO_RESOURCES)) assert.ok(output.includes(id), `${id} is printed`);

  const first = await curl(revoke, printed.token);
  assert.equal(first.status, 200);
  assert.equal(first.body.result, 'revoked');
  const second = await curl(revoke, printed.token);
  assert.equal(second.status, 404);
  assert.equal(second.body.code, 'NOT_FOUND');
  const eu = await curl(revokeEu, printed.token);
  assert.equal(eu.status, 200, JSON.stringify(eu.body));
  assert.equal(eu.body.project, 'eu');
  assert.equal((await curl(forbidden, printed.token)).body.code, 'FORBIDDEN');
  assert.equal((await curl(anonymous, printed.token)).body.code, 'UNAUTHENTICATED');
  const trail = await curl(audit, printed.token);
  assert.equal(trail.status, 200);
  assert.ok((trail.body.items as unknown[]).length >= 4);

  // The verify line: `VAR=… VAR=… npm run audit:verify`; run the same CLI with that environment.
  const [verifyLine] = printed.verify;
  assert.ok(verifyLine);
  const env: Record<string, string> = {};
  for (const [, name, value] of verifyLine.matchAll(/(RESCIND_[A-Z_]+)=(\S+)/g)) {
    if (name !== undefined && value !== undefined) env[name] = value;
  }
  const verified = spawnSync(process.execPath, ['src/audit/cli/verify-cli.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  assert.equal(verified.status, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /intact/);

  // The report line: the same environment, `npm run audit:report -- --out FILE`.
  const [reportLine] = printed.report;
  assert.ok(reportLine, `a report command in:\n${output}`);
  const out = /--out (\S+)/.exec(reportLine)?.[1];
  assert.ok(out);
  const reported = spawnSync(process.execPath, ['src/audit/report/report-cli.ts', '--out', out], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  assert.equal(reported.status, 0, reported.stdout + reported.stderr);
  const report = readFileSync(out, 'utf8');
  assert.match(report, /<strong>The audit trail is intact\.<\/strong>/);
  assert.match(report, /data-result="revoked"[^>]*>.*?kms\.revokeGrant.*?demo-secops/);
  assert.match(report, /data-result="unauthenticated"/);

  demo.process.kill('SIGTERM');
  assert.equal(await demo.exited, 0, 'Ctrl-C/SIGTERM drains and exits 0');
});

test('npm run demo on a taken port says to set RESCIND_PORT, and ends at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-demo-port-'));
  const taken = createServer();
  taken.listen(0, '127.0.0.1');
  await once(taken, 'listening');
  t.after(() => {
    taken.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const { port } = taken.address() as { port: number };
  const run = spawnSync(process.execPath, ['src/demo/main.ts'], {
    env: {
      ...process.env,
      RESCIND_PORT: String(port),
      RESCIND_DEMO_DIR: dir,
      RESCIND_LOG_LEVEL: 'warn',
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 1, run.stdout + run.stderr);
  assert.match(
    run.stderr,
    new RegExp(`127\\.0\\.0\\.1:${port} is already taken: set RESCIND_PORT`),
  );
});
