// The floor under the gateway's idle RSS, measured in the same run: Node itself, idle, with the
// heap flags the gateway starts with (scripts/heap-flags.sh), and the same with one idle worker
// thread, as the SQLite audit store runs one (docs/deploy.md "Memory"). Neither loads any of
// Rescind's code: what the gateway holds above them is its own.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { readProcMemory } from './proc-stats.ts';

export interface NodeFloor {
  /** RSS of `node` running an empty timer, in MB. */
  readonly bareMB: number;
  /** The same with one idle worker thread. */
  readonly withWorkerMB: number;
}

const BARE = `setInterval(() => {}, 60_000); console.log('ready');`;
const WITH_WORKER = `const { Worker } = require('node:worker_threads');
const worker = new Worker('setInterval(() => {}, 60_000)', { eval: true });
worker.once('online', () => console.log('ready'));
setInterval(() => {}, 60_000);`;

export async function measureNodeFloor(settleSeconds: number): Promise<NodeFloor> {
  const flags = spawnSync('sh', ['scripts/heap-flags.sh'], { encoding: 'utf8' })
    .stdout.trim()
    .split(/\s+/)
    .filter((flag) => flag !== '');
  return {
    bareMB: await idleRss(flags, BARE, settleSeconds),
    withWorkerMB: await idleRss(flags, WITH_WORKER, settleSeconds),
  };
}

async function idleRss(flags: string[], script: string, settleSeconds: number): Promise<number> {
  const child = spawn(process.execPath, [...flags, '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  await once(lines, 'line');
  await sleep(settleSeconds * 1000);
  const rss = readProcMemory(child.pid ?? 0)?.rss ?? Number.NaN;
  child.kill('SIGKILL');
  await once(child, 'close');
  return rss / 2 ** 20;
}
