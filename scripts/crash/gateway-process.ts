// The gateway as `npm start` runs it — `node src/main.ts`, configured by RESCIND_* variables —
// in a child process that can be killed for real. The chosen port is read from the JSON log
// line "rescind listening on …"; every log line is kept for the checks.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const live = new Set<ChildProcess>();

/** Kills every gateway process still running (the script was interrupted). */
export function killLiveGateways(): void {
  for (const child of live) child.kill('SIGKILL');
}

export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
  /** Every JSON log line written so far, parsed. */
  logs(): readonly Record<string, unknown>[];
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts the gateway and resolves once it listens (crash recovery has run by then). */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });

  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the gateway did not listen within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = parseLine(line);
      if (entry === null) return;
      lines.push(entry);
      const match = /^rescind listening on (http:\/\/\S+)$/.exec(String(entry.msg));
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    exited.then(
      ({ code, signal }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `the gateway exited before listening (code ${code}, signal ${signal}): ${stderr.trim()}`,
          ),
        );
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });

  let url: string;
  try {
    url = await listening;
  } catch (error) {
    stop(child);
    throw error;
  }
  return {
    url,
    pid: child.pid ?? -1,
    logs: () => lines,
    exited,
    kill(signal) {
      child.kill(signal);
    },
  };
}

function stop(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
