// The repository stands on its own, and its documented commands run on the machine's Node: no
// file points outside the repository, no doc shows `node <file>.ts` (the machine's Node 20 cannot
// run TypeScript; `npm run …` and node_modules/.bin/node use the project's Node 24), and every
// `npm run <script>` a doc shows exists.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { repositoryFiles } from '../helpers/repository-files.ts';
import { assertFinds } from './support-docs.ts';

const files = repositoryFiles();
const docs = files.filter((file) => file.endsWith('.md'));
const scripts = Object.keys(
  (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts,
);

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Lines of `text` matching `pattern`, as `file:line: text`. */
function offending(file: string, text: string, pattern: RegExp): string[] {
  return text
    .split('\n')
    .flatMap((line, index) => (pattern.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : []));
}

// Built from parts, so that this file does not match itself.
const OUTSIDE = new RegExp(
  [
    String.raw`\.\./shared`,
    '/work/' + 'shared',
    'CONTRACT' + String.raw`\.md`,
    'CONTRACT ' + '§',
    String.raw`\bseed ` + String.raw`0\d\d\b`,
    String.raw`\bIssue ` + String.raw`\d+\b`,
  ].join('|'),
);

/** `node x.ts`, `node --flag x.ts`: the machine's `node`, not node_modules/.bin/node. */
const BARE_NODE_TS = /(?<![\w/.-])node\s+(?:--?[\w-]+(?:=\S+)?\s+)*(?!\/)[^\s`'"]+\.ts\b/;

describe('the repository stands on its own', () => {
  it('refers to no file outside it (a git grep for the shared spec finds nothing)', () => {
    const found = files.flatMap((file) => offending(file, read(file), OUTSIDE));
    assert.deepEqual(found, []);
  });

  it('shows no `node <file>.ts` in any doc: npm run, or node_modules/.bin/node', () => {
    const found = docs.flatMap((file) => offending(file, read(file), BARE_NODE_TS));
    assert.deepEqual(found, []);
  });

  it('shows only npm scripts that exist', () => {
    const missing = docs.flatMap((file) =>
      [...read(file).matchAll(/npm run(?: -s)? ([\w:-]+)/g)]
        .map((match) => match[1] ?? '')
        .filter((name) => !scripts.includes(name))
        .map((name) => `${file}: npm run ${name}`),
    );
    assert.deepEqual(missing, []);
  });

  it('recognizes a bare node command and lets node_modules/.bin/node and container paths be', () => {
    assertFinds(BARE_NODE_TS, {
      found: ['node scripts/x.ts', 'run `node --test test/a.test.ts`'],
      passed: [
        'node_modules/.bin/node scripts/x.ts',
        '`HEALTHCHECK` runs `node /app/healthcheck.ts`',
        'npm run crash-test -- --trials 20',
      ],
    });
  });
});
