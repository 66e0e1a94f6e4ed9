// docs/benchmarks.md is generated: the figures of bench/results/benchmarks.json (the one committed
// file of bench/results/, written by the bench commands), then the hand-written
// bench/performance-notes.md. `npm run docs` re-renders it; this test fails when it is stale.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { performanceNotes, renderBenchmarks } from '../../bench/lib/render-markdown.ts';
import { readSections } from '../../bench/lib/report.ts';
import { repositoryFiles } from '../helpers/repository-files.ts';
import { assertFinds } from './support-docs.ts';

const page = readFileSync('docs/benchmarks.md', 'utf8');

describe('docs/benchmarks.md', () => {
  it('is what the committed results and notes render to (run npm run docs after editing them)', async () => {
    assert.ok(Object.keys(readSections()).length >= 5, 'bench/results/benchmarks.json is read');
    assert.equal(await renderBenchmarks(readSections()), page);
  });

  it('opens and ends with hand-written Markdown (the notes last), not prose held in code', () => {
    const notes = performanceNotes();
    assert.match(notes, /^## Performance notes\n/);
    assert.ok(!notes.includes('<!--'), "the editors' comment is left out");
    assert.ok(page.includes('## Performance notes\n'));
    assert.ok(page.includes('### How the hot spots were found'));
    const intro = readFileSync('bench/benchmarks-intro.md', 'utf8');
    assert.ok(intro.includes('## How the benchmark is run'), 'the opening is Markdown too');
    assert.ok(page.startsWith('# Benchmarks\n') && page.includes('## How the benchmark is run\n'));
  });

  it('is rendered from bench/results/benchmarks.json, the only file committed there', () => {
    const files = repositoryFiles();
    assert.deepEqual(
      files.filter((file) => file.startsWith('bench/results/')),
      ['bench/results/benchmarks.json'],
    );
    assert.ok(!files.includes('docs/benchmarks.json'));
  });
});

/** A measured figure: a rate, a latency percentile, a share, or a machine it was measured on. */
const MEASURED =
  /\d ?%|\d ?µs|\d ?(?:req|revocations|records)\/s|\b(?:development|benchmark) (?:VM|machine)\b|\bp(?:50|99(?:\.9)?) \d/;

describe('measured figures', () => {
  it('live only in docs/benchmarks.md: the README and every other page link there', () => {
    const pages = repositoryFiles().filter(
      (file) =>
        (file === 'README.md' || /^docs\/.+\.md$/.test(file)) && file !== 'docs/benchmarks.md',
    );
    const found = pages.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (MEASURED.test(line) ? [`${file}:${index + 1}: ${line}`] : [])),
    );
    assert.deepEqual(found, []);
  });

  it('recognizes the figures the pages used to quote', () => {
    assertFinds(MEASURED, {
      found: [
        'The signature check was ~17 % of a revocation',
        '~0.3–0.4 s less to ready on the benchmark machine',
        'in 6–12 s (300–560 revocations/s)',
        'It costs about 7 µs per access line',
      ],
      passed: ['`npm run bench:scale` — req/s and p99 at 1–200 connections'],
    });
  });
});
