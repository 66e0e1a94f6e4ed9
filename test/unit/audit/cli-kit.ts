// What the tests of the audit CLIs share: running a CLI as an operator does (its own node
// process, configured by RESCIND_CONFIG and RESCIND_* variables), the gateway configuration file
// it reads, and a small checkpointed trail to run it on.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import type { Config } from '../../../src/config/schema.ts';
import { auditConfig, openTestTrail, sampleEvent, type LogSink } from './audit-test-kit.ts';

const run = promisify(execFile);
const cliPath = (path: string) => new URL(`../../../src/audit/${path}`, import.meta.url).pathname;
export const VERIFY_CLI = cliPath('cli/verify-cli.ts');
export const EXPORT_CLI = cliPath('cli/export-cli.ts');
export const REPORT_CLI = cliPath('report/report-cli.ts');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `script` with `args`, under `env` and none of this process's RESCIND_* variables. */
export async function runCli(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<CliResult> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('RESCIND_')),
  );
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], {
      env: { ...base, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** A gateway configuration file naming the SQLite store at `sqlitePath`; its path. */
export function writeCliConfig(dir: string, sqlitePath: string): string {
  const yaml = join(dir, 'rescind.yaml');
  writeFileSync(
    yaml,
    [
      'cloud:',
      '  iam: { domain: demo, user: svc, password: not-a-real-password }',
      '  projects: { default: { id: "0123456789abcdef0123456789abcdef" } }',
      'identity:',
      '  mode: trusted-headers',
      '  trustedProxies: ["127.0.0.1/32"]',
      'audit:',
      `  sqlitePath: ${sqlitePath}`,
      '  instanceId: test-instance',
      '',
    ].join('\n'),
  );
  return yaml;
}

/** 12 attempt records in `dir`, checkpointed every 5: checkpoints of seq 5, 10 and 12 (at close). */
export async function checkpointedTrail(
  t: TestContext,
  dir: string,
  signingKey: string,
): Promise<{ config: Config['audit']; logs: LogSink }> {
  const config = auditConfig(dir, { checkpoints: { everyRecords: 5, signingKey } });
  const { trail, logs } = await openTestTrail(t, config);
  for (let index = 0; index < 12; index += 1) {
    await trail.recordAttempt(sampleEvent({ requestId: `r-${index + 1}` }));
  }
  await trail.close();
  return { config, logs };
}
