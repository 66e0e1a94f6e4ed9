// `npm run docs`: rewrite the generated tables of the README and docs/api.md from the catalogs,
// and docs/benchmarks.md from bench/results/benchmarks.json and bench/performance-notes.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderBenchmarks } from '../bench/lib/render-markdown.ts';
import { readSections } from '../bench/lib/report.ts';
import { renderApiTables } from '../src/docs/api-tables.ts';
import { renderReadmeTables } from '../src/docs/readme-tables.ts';

const DOCUMENTS: readonly [string, (text: string) => string][] = [
  ['README.md', renderReadmeTables],
  ['docs/api.md', renderApiTables],
];

for (const [file, render] of DOCUMENTS) {
  const before = readFileSync(file, 'utf8');
  const after = render(before);
  writeFileSync(file, after);
  console.log(before === after ? `${file}: tables already current` : `${file}: tables updated`);
}

const BENCHMARKS = 'docs/benchmarks.md';
const before = readFileSync(BENCHMARKS, 'utf8');
const after = await renderBenchmarks(readSections());
writeFileSync(BENCHMARKS, after);
console.log(before === after ? `${BENCHMARKS}: already current` : `${BENCHMARKS}: updated`);
