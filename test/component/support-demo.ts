// `npm run demo` as a newcomer runs it, for the tests that follow what it prints: its own
// process on a free port and a throwaway directory, ready once the guide is printed.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export interface RunningDemo {
  readonly process: ChildProcess;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
}

/** Starts the demo with `args`; resolves once its guide is printed (the last line names Ctrl-C). */
export async function startDemo(
  t: TestContext,
  args: readonly string[] = [],
): Promise<RunningDemo> {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-demo-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const demo = spawn(process.execPath, ['src/demo/main.ts', ...args], {
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
      if (output.includes('Ctrl-C drains')) {
        clearTimeout(timer);
        resolve();
      }
    });
    demo.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${String(code)}:\n${output}`));
    });
  });
  return { process: demo, exited, output: () => output };
}
