// Summarises a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --cpu-prof`): the top
// functions by self time, and self time per module (a package in node_modules, a file of src/,
// or Node's internals), which is where a hot spot shows first, and the main thread's busy
// stretches. The bundle's functions keep their names but not their files: profile with
// `npm run bench -- --cpu-prof --entry src` to see src/ paths.
//
//   node_modules/.bin/node bench/profile-summary.ts <file.cpuprofile> [--top N]

import { readFileSync } from 'node:fs';
import { fileAndTop } from './lib/args.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { file, top } = fileAndTop(
  'usage: node_modules/.bin/node bench/profile-summary.ts <file.cpuprofile> [--top N]',
  30,
);

const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, index) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const total = [...selfUs.values()].reduce((sum, us) => sum + us, 0);

const byFunction = new Map<string, number>();
const byModule = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (node === undefined) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = moduleOf(url);
  const name = `${functionName === '' ? '(anonymous)' : functionName}  ${shortUrl(url)}:${lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  byModule.set(where, (byModule.get(where) ?? 0) + us);
}

// Total (inclusive) time: each sample counts once for every distinct function on its stack.
const parentOf = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id);
const keyOf = (node: ProfileNode) =>
  `${node.callFrame.functionName === '' ? '(anonymous)' : node.callFrame.functionName}  ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const node = byId.get(at);
    if (node === undefined || node.callFrame.url === '') continue;
    const key = keyOf(node);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}

const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
console.log('\nself time by module:');
for (const [name, us] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(us)}  ${name}`);
}
console.log('\nself time by function:');
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(us)}  ${name}`);
}

console.log('\ntotal time by function (src/ only):');
for (const [name, us] of [...inclusive]
  .filter(([name]) => name.includes('src/'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)) {
  console.log(`${pct(us)}  ${name}`);
}

console.log(`\nbusy stretches: ${busyStretches()}`);

/**
 * Runs of samples without idle between them: how long the thread worked before it could take
 * the next event. Many long ones mean callers queue behind work that is not theirs.
 */
function busyStretches(): string {
  const lengths: number[] = [];
  let running = 0;
  profile.samples.forEach((id, index) => {
    const idle = byId.get(id)?.callFrame.functionName === '(idle)';
    if (!idle) running += profile.timeDeltas[index] ?? 0;
    else if (running > 0) {
      lengths.push(running / 1000);
      running = 0;
    }
  });
  const atLeast = (ms: number) => `${lengths.filter((length) => length >= ms).length} ≥ ${ms} ms`;
  const longest = lengths.reduce((max, length) => Math.max(max, length), 0);
  return `${[1, 10, 50].map(atLeast).join(', ')}; longest ${longest.toFixed(1)} ms`;
}

function moduleOf(url: string): string {
  if (url === '') return '(native / idle / gc)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  const src = /\/(src\/.+)$/.exec(url);
  return src?.[1] ?? url;
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.+)$/.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  const src = /\/(src\/.+)$/.exec(url);
  return src?.[1] ?? url;
}
