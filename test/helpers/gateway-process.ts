// A gateway as its own process (`node src/main.ts`, configured by environment as an operator
// configures it), for tests that kill it: resolves once it logs that it listens.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

export interface GatewayProcess {
  readonly id: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
}

/** Starts `node src/main.ts` with `env` and RESCIND_INSTANCE_ID=`id`. */
export async function startGatewayProcess(
  id: string,
  env: Record<string, string>,
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...env, RESCIND_INSTANCE_ID: id },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      if (!line.includes('rescind listening on')) return;
      resolve((JSON.parse(line) as { port: number }).port);
    });
    void exited.then((code) => {
      reject(new Error(`gateway ${id} exited (${String(code)}) before listening: ${stderr}`));
    });
  });
  // The access log keeps coming: `lines` goes on reading it, so the pipe never fills.
  return { id, url: `http://127.0.0.1:${port}`, child, exited, stderr: () => stderr };
}

/** SIGKILL unless it has exited; resolves once it has. */
export async function killGatewayProcess(gateway: GatewayProcess): Promise<void> {
  if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
    gateway.child.kill('SIGKILL');
  }
  await gateway.exited;
}

/** The environment without any RESCIND_* variable of the test run's own. */
export function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        !entry[0].startsWith('RESCIND_') && entry[1] !== undefined,
    ),
  );
}
