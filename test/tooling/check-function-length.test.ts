// The 60-line check (`scripts/check-function-length.ts`, run by `npm test`) fails on every
// function whose own body — blank lines, comment lines and nested functions left out — is longer
// than 60 lines, names it with file:line, and holds allow-listed functions to their length.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { checkFunctionLengths, measureFunctions } from '../../scripts/function-length.ts';

/** `count` statements, one per line, each followed by a blank line and a comment line. */
function statements(count: number, indent = '  '): string {
  return Array.from(
    { length: count },
    (_, i) => `${indent}total += ${i};\n\n${indent}// step ${i}\n`,
  ).join('');
}

const TOO_LONG = `export function tooLong(): number {\n  let total = 0;\n${statements(60)}  return total;\n}\n`;
const NESTED_ONLY_LONG = `export function outer(): () => number {
  let total = 0;
  const inner = (): number => {
${statements(70, '    ')}    return total;
  };
  return inner;
}
`;
const OK = `export const ok = (): number => {\n  let total = 0;\n${statements(57)}  return total;\n};\n`;

describe('the function-length check', () => {
  it('counts own code lines only: blank lines, comments and nested bodies are left out', () => {
    assert.deepEqual(
      measureFunctions('too-long.ts', TOO_LONG).map((fn) => [fn.name, fn.line, fn.ownLines]),
      [['tooLong', 1, 63]],
    );
    assert.deepEqual(
      measureFunctions('nested.ts', NESTED_ONLY_LONG).map((fn) => [fn.name, fn.line, fn.ownLines]),
      [
        ['outer', 1, 4],
        ['inner', 3, 72],
      ],
    );
    assert.deepEqual(
      measureFunctions('ok.ts', OK).map((fn) => [fn.name, fn.ownLines]),
      [['ok', 60]],
    );
  });

  it('names every function over 60 lines with file:line, and passes the rest', () => {
    const files = [
      { path: 'src/too-long.ts', text: TOO_LONG },
      { path: 'src/nested.ts', text: NESTED_ONLY_LONG },
      { path: 'src/ok.ts', text: OK },
    ];
    assert.deepEqual(checkFunctionLengths(files, {}), [
      'src/too-long.ts:1 tooLong has 63 own lines (at most 60)',
      'src/nested.ts:3 inner has 72 own lines (at most 60)',
    ]);
    assert.deepEqual(checkFunctionLengths([{ path: 'src/ok.ts', text: OK }], {}), []);
  });

  it('lets an allow-listed function keep its length but not grow, and drops stale entries', () => {
    const files = [{ path: 'src/too-long.ts', text: TOO_LONG }];
    assert.deepEqual(checkFunctionLengths(files, { 'src/too-long.ts#tooLong': 63 }), []);
    assert.deepEqual(checkFunctionLengths(files, { 'src/too-long.ts#tooLong': 62 }), [
      'src/too-long.ts:1 tooLong grew to 63 own lines (allow-listed at 62)',
    ]);
    assert.deepEqual(
      checkFunctionLengths([{ path: 'src/ok.ts', text: OK }], { 'src/ok.ts#ok': 70 }),
      ['src/ok.ts#ok is allow-listed but no longer over 60 lines: remove its entry'],
    );
  });

  it('passes on src/ today with its allow-list', () => {
    const result = spawnSync(process.execPath, ['scripts/check-function-length.ts'], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
  });
});
