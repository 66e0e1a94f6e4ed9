// `authorization.rules[].projects`: the project aliases a rule holds for, each one configured.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { ConfigError } from '../../../src/config/config-error.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { configDir, REQUIRED_ENV } from './config-kit.ts';

const dir = configDir('rescind-rule-projects-');

const ENV = REQUIRED_ENV;

function loadWith(rules: unknown[]) {
  const path = join(dir, `config-${String(Math.random()).slice(2)}.yaml`);
  writeFileSync(
    path,
    stringify({
      cloud: { projects: { eu: { id: 'fedcba9876543210fedcba9876543210' } } },
      authorization: { rules },
    }),
  );
  return loadConfig({ ...ENV, RESCIND_CONFIG: path });
}

describe('authorization.rules[].projects', () => {
  test('names configured aliases; a rule without it holds everywhere', () => {
    const config = loadWith([
      { subjects: ['ml'], allow: ['modelarts.deleteAuthorization'], projects: ['eu'] },
      { groups: ['secops'], allow: ['*'] },
    ]);
    assert.deepEqual(config.authorization.rules[0]?.projects, ['eu']);
    assert.equal(config.authorization.rules[1]?.projects, undefined);
  });

  test('an alias that is not configured stops start-up, naming the rule and the alias', () => {
    let caught: unknown;
    try {
      loadWith([{ subjects: ['ml'], allow: ['*'], projects: ['eu', 'mars'] }]);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError);
    assert.match(caught.message, /authorization\.rules\.0\.projects\.1/);
    assert.match(caught.message, /"mars", which is not configured in cloud\.projects/);
  });

  test('an empty list is refused (it would grant nothing)', () => {
    assert.throws(
      () => loadWith([{ subjects: ['ml'], allow: ['*'], projects: [] }]),
      /authorization\.rules\.0\.projects/,
    );
  });
});

describe('authorization.rules[].projects names', () => {
  test('that are no alias, or name an inherited property, are refused', () => {
    for (const alias of ['toString', 'constructor']) {
      assert.throws(
        () => loadWith([{ subjects: ['ml'], allow: ['*'], projects: [alias] }]),
        /authorization\.rules\.0\.projects\.0/,
        alias,
      );
    }
  });
});
