// Summarises an allocation profile of bench/lib/alloc-sampling.ts: bytes allocated per request
// served while it sampled, and the functions that allocated most (self) and whose calls did
// (total, callees included).
//
//   node_modules/.bin/node bench/alloc-summary.ts bench/results/alloc-<pid>.json [--top N]

import { readFileSync } from 'node:fs';
import { fileAndTop } from './lib/args.ts';

interface AllocNode {
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly selfSize: number;
  readonly children: readonly AllocNode[];
}

const { file, top } = fileAndTop(
  'usage: node_modules/.bin/node bench/alloc-summary.ts <alloc-profile.json> [--top N]',
  25,
);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { head: AllocNode; requests: number };

const self = new Map<string, number>();
const total = new Map<string, number>();
let sum = 0;
walk(profile.head, new Set());

console.log(
  `${(sum / 2 ** 20).toFixed(1)} MB sampled over ${profile.requests} requests: ` +
    `${(sum / 1024 / Math.max(1, profile.requests)).toFixed(1)} KB per request`,
);
print('self', self);
print('total (callees included)', total);

function walk(node: AllocNode, callers: ReadonlySet<string>): void {
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'}  ${url.replace(/^.*\//, '')}:${lineNumber}`;
  sum += node.selfSize;
  self.set(key, (self.get(key) ?? 0) + node.selfSize);
  const stack = new Set(callers).add(key);
  for (const frame of stack) total.set(frame, (total.get(frame) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child, stack);
}

function print(title: string, byFunction: ReadonlyMap<string, number>): void {
  console.log(`\n${title}:`);
  for (const [key, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * bytes) / sum).toFixed(1).padStart(6)} %  ${key}`);
  }
}
