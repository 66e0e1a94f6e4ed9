// Untrusted text is made safe in one place (src/text/): a second control-character pattern in
// src/ would be a second behaviour that drifts from the first.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const SRC = join(import.meta.dirname, '../../../src');
const HOME = 'text/scrub-text.ts';

/** A character class naming a C0 control or DEL by escape: `[\u0000-…]`, `[\x1f]`, `[\x7f]`. */
const CONTROL_CLASS = /\[[^\]\n]*\\(?:u00[01][0-9a-fA-F]|x[01][0-9a-fA-F]|u007[fF]|x7[fF]|c[A-Z])/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function occurrences(pattern: RegExp): string[] {
  return sourceFiles(SRC).flatMap((path) => {
    const count = readFileSync(path, 'utf8').match(pattern)?.length ?? 0;
    return Array.from({ length: count }, () => relative(SRC, path));
  });
}

test(`src/ has exactly one control-character pattern, in src/${HOME}`, () => {
  assert.deepEqual(occurrences(CONTROL_CLASS), [HOME]);
});

test('no other file in src/ needs to switch off the no-control-regex lint rule', () => {
  assert.deepEqual(occurrences(/no-control-regex/g), [HOME]);
});
