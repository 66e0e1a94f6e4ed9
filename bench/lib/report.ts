// Where the figures go. Every bench command keeps its raw report in bench/results/ (gitignored)
// and, unless told not to, stores it as its own section of bench/results/benchmarks.json (the
// one committed file there) and re-renders docs/benchmarks.md from every section there, so each
// command refreshes only its own figures.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderBenchmarks } from './render-markdown.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_JSON = join(ROOT, 'bench/results/benchmarks.json');
const DOCS_MD = join(ROOT, 'docs/benchmarks.md');

export type SectionName = 'bench' | 'scale' | 'faults' | 'soak' | 'crash';

export function resultsDir(): string {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function readSections(): Partial<Record<SectionName, unknown>> {
  try {
    return JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as Partial<Record<SectionName, unknown>>;
  } catch {
    return {};
  }
}

/** Writes the raw report, and the docs when `write`; returns the files written. */
export async function saveSection(
  name: SectionName,
  data: unknown,
  options: { readonly write: boolean },
): Promise<string[]> {
  const stamp = new Date()
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z');
  const raw = join(resultsDir(), `${name}-${stamp}.json`);
  writeFileSync(raw, `${JSON.stringify(data, null, 2)}\n`);
  if (!options.write) return [raw];
  const sections = { ...readSections(), [name]: data };
  writeFileSync(RESULTS_JSON, `${JSON.stringify(sections, null, 2)}\n`);
  writeFileSync(DOCS_MD, await renderBenchmarks(sections));
  return [raw, RESULTS_JSON, DOCS_MD];
}
