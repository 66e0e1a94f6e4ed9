import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { API_TABLES } from '../../src/docs/api-tables.ts';
import { README_TABLES, renderReadmeTables } from '../../src/docs/readme-tables.ts';
import { ENV_VARIABLES } from '../../src/config/env-table.ts';
import { PROBLEM_CODES } from '../../src/problems/catalog.ts';
import { itHoldsGeneratedTables } from './support-docs.ts';

const readme = readFileSync('README.md', 'utf8');
// The configuration variables' one generated table is in the API reference ("Configuration").
const api = readFileSync('docs/api.md', 'utf8');

describe('README', () => {
  it('starts with exactly two commands: the demo and the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = firstBlock
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line.length > 0);
    assert.deepEqual(commands, ['npm ci && npm run demo', 'npm ci && npm test']);
    assert.ok(readme.indexOf('```sh') < readme.indexOf('\n## '), 'the commands come first');
  });

  itHoldsGeneratedTables(readme, README_TABLES, renderReadmeTables);

  it('names every error code and every configuration variable', () => {
    for (const code of PROBLEM_CODES) assert.ok(readme.includes(`\`${code}\``), code);
    for (const variable of ENV_VARIABLES)
      assert.ok(api.includes(`\`${variable.name}\``), variable.name);
  });

  it('shares no generated table with docs/api.md: each table has exactly one home', () => {
    for (const table of README_TABLES) {
      assert.ok(!API_TABLES.some((other) => other.render() === table.render()), table.name);
    }
    for (const table of API_TABLES) {
      assert.ok(!readme.includes(`<!-- ${table.name}:begin`), `${table.name} markers in README`);
      assert.ok(!readme.includes(table.render()), `${table.name} copied into README`);
    }
  });

  it('documents every npm script', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
        .scripts,
    ).filter(
      (name) => !['typecheck', 'build', 'prestart', 'lint', 'format', 'test:only'].includes(name),
    );
    for (const name of scripts) {
      const shown = name === 'start' || name === 'test' ? `npm ${name}` : `npm run ${name}`;
      assert.ok(readme.includes(shown), `${shown} is documented`);
    }
  });
});
