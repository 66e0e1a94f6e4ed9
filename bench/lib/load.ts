// Runs one autocannon load in a child process (load-child.ts) and returns its figures.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { LatencySummary } from './stats.ts';

const CHILD = fileURLToPath(new URL('./load-child.ts', import.meta.url));
const PACED_CHILD = fileURLToPath(new URL('./paced-child.ts', import.meta.url));

export interface LoadSpec {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Requests per second over all connections; unlimited when absent. */
  readonly overallRate?: number;
  /**
   * With `overallRate`: evenly spaced requests from paced-child.ts (latency from when each was
   * due) instead of autocannon, whose rate limit sends each second's quota in a burst.
   */
  readonly paced?: boolean;
  readonly timeoutSeconds?: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly durationSeconds: number;
  readonly rps: number;
  /** Over every response, whatever its status. */
  readonly latencyMs: LatencySummary;
  readonly statuses: Record<string, number>;
  readonly non2xx: number;
  /** Connection errors and timeouts (no answer). */
  readonly errors: number;
  readonly timeouts: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const program = spec.paced === true && spec.overallRate !== undefined ? PACED_CHILD : CHILD;
  const child = spawn(process.execPath, [program, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const line = output.trim().split('\n').pop() ?? '';
  if (code !== 0 || line === '') throw new Error(`the load generator failed (exit ${code})`);
  return JSON.parse(line) as LoadResult;
}
