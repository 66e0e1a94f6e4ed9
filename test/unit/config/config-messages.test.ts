// Configuration errors a newcomer can act on: what was expected and what was given, in plain
// words; the nearest known key for a misspelt one; what a missing section really lacks; values
// echoed unless secret; and `npm start` with nothing configured naming the file it read and the
// demo.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, type ConfigProblem } from '../../../src/config/config-error.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../../src/config/load-config.ts';
import { editDistance, nearestKey } from '../../../src/config/nearest-key.ts';
import { configDir, REQUIRED_ENV } from './config-kit.ts';

const dir = configDir('rescind-config-messages-');

const REQUIRED = REQUIRED_ENV;

let files = 0;
/** The problems of a configuration file `text` (YAML) with `env` over it. */
function problemsOf(text: string, env: Record<string, string> = REQUIRED): ConfigProblem[] {
  const file = join(dir, `config-${(files += 1)}.yaml`);
  writeFileSync(file, text);
  try {
    loadConfig({ ...env, RESCIND_CONFIG: file });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.ok(error.message.includes(file), 'the message names the file it read');
    return [...error.problems];
  }
  assert.fail('expected a ConfigError');
}

function messageOf(problems: ConfigProblem[], key: string): string {
  const problem = problems.find((candidate) => candidate.key === key);
  assert.ok(problem, `${key} in ${JSON.stringify(problems)}`);
  return problem.message;
}

/** Asserts the message of each key: equal to the string, or matching the pattern. */
function assertMessages(problems: ConfigProblem[], expected: Record<string, string | RegExp>) {
  for (const [key, message] of Object.entries(expected)) {
    if (typeof message === 'string') assert.equal(messageOf(problems, key), message, key);
    else assert.match(messageOf(problems, key), message, key);
  }
}

describe('configuration error messages', () => {
  it('say what type was expected and what was given', () => {
    const problems = problemsOf(
      'server: { port: "abc", bodyLimitBytes: 1.5 }\naudit: { sqliteWorker: "yes" }\nauthorization: { rules: "all" }\n',
    );
    assertMessages(problems, {
      'server.port': 'must be a number, got the string "abc"',
      'server.bodyLimitBytes': 'must be a whole number, got the number 1.5',
      'audit.sqliteWorker': 'must be true or false, got the string "yes"',
      'authorization.rules': 'must be a list, got the string "all"',
    });
  });

  it('give bounds and choices in words, with the rejected value', () => {
    const problems = problemsOf(
      'server: { port: 70000, host: "" }\nupstream: { retries: -1 }\nidentity: { mode: jwtt }\nrateLimit: { onStoreError: open }\n',
    );
    assertMessages(problems, {
      'server.port': 'must be at most 65535, got the number 70000',
      'server.host': 'must not be empty, got an empty string',
      'upstream.retries': 'must be at least 0, got the number -1',
      'identity.mode':
        'must be one of "jwt", "trusted-headers", got the string "jwtt"; did you mean "jwt"?',
      'rateLimit.onStoreError': /got the string "open"$/,
    });
  });

  it('echo the value a pattern refused', () => {
    const problems = problemsOf(
      'identity: { mode: trusted-headers, trustedProxies: ["10.0.0.0/33"] }\ncloud: { iam: { endpoint: "ftp://iam" } }\n',
    );
    assertMessages(problems, {
      'identity.trustedProxies.0':
        'must be an IPv4 or IPv6 CIDR or address, got the string "10.0.0.0/33"',
      'cloud.iam.endpoint': 'must be an http(s) URL, got the string "ftp://iam"',
    });
  });

  it('never echo a secret, from the file or from a variable', () => {
    const secret = 'mysql://rescind:canary-db-password@db';
    const problems = problemsOf(`audit: { postgresUrl: "${secret}" }\n`);
    assert.equal(
      messageOf(problems, 'audit.postgresUrl'),
      'must be a postgres:// URL, got a string (not shown: a secret)',
    );
    const typed = problemsOf('cloud: { iam: { password: 12345678 } }\n', {
      ...REQUIRED,
      RESCIND_IAM_PASSWORD: '',
    });
    assert.equal(
      messageOf(typed, 'cloud.iam.password'),
      'must be a string, got a number (not shown: a secret)',
    );
    // A URL with userinfo is not echoed under any key: it may hold a password.
    const jwks = problemsOf('cloud: { iam: { endpoint: "ftp://iam:canary-url-password@iam" } }\n');
    assert.equal(
      messageOf(jwks, 'cloud.iam.endpoint'),
      'must be an http(s) URL, got a string (not shown: a secret)',
    );
    assert.ok(!JSON.stringify(jwks).includes('canary-url-password'));
    assert.ok(!JSON.stringify([...problems, ...typed]).includes('canary-db-password'));
    assert.ok(!JSON.stringify(typed).includes('12345678'));
  });

  it('suggest the nearest known key for an unknown one', () => {
    const problems = problemsOf(
      'server: { hots: x }\nupstream: { attemptTimeotMs: 5 }\nratelimit: {}\nverbose: true\n',
    );
    assertMessages(problems, {
      'server.hots': 'is not a known key; did you mean `host`?',
      'upstream.attemptTimeotMs': 'is not a known key; did you mean `attemptTimeoutMs`?',
      ratelimit: 'is not a known key; did you mean `rateLimit`?',
      verbose: 'is not a known key',
    });
  });

  it('name what a missing cloud section lacks, not a key that has a default', () => {
    const problems = problemsOf('server: { port: 8080 }\n', {});
    const keys = problems.map((problem) => `${problem.key} (${problem.variable ?? '-'})`);
    assert.ok(!keys.some((key) => key.startsWith('cloud (')), keys.join(', '));
    assert.ok(!keys.some((key) => key.includes('RESCIND_IAM_ENDPOINT')), keys.join(', '));
    for (const expected of [
      'cloud.iam.domain (RESCIND_IAM_DOMAIN)',
      'cloud.iam.user (RESCIND_IAM_USER)',
      'cloud.iam.password (RESCIND_IAM_PASSWORD)',
      'cloud.projects (RESCIND_PROJECT_ID)',
    ])
      assert.ok(keys.includes(expected), `${expected} in ${keys.join(', ')}`);
  });
});

describe('nearestKey', () => {
  it('suggests a key within a few edits and nothing for another word', () => {
    assert.equal(nearestKey('perCaler', ['windowSeconds', 'perCaller', 'redisUrl']), 'perCaller');
    assert.equal(nearestKey('REDISURL', ['windowSeconds', 'perCaller', 'redisUrl']), 'redisUrl');
    assert.equal(nearestKey('colour', ['host', 'port']), undefined);
    assert.equal(editDistance('hots', 'host'), 1, 'a swap of neighbours is one edit');
  });
});

describe('npm start with nothing configured', () => {
  it('names the file it read and points at npm run demo', () => {
    const run = spawnSync(process.execPath, ['src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.ok(run.stderr.includes(`read from ${DEFAULT_CONFIG_FILE}`), run.stderr);
    assert.match(run.stderr, /npm run demo/);
    assert.match(run.stderr, /cloud\.iam\.domain \(RESCIND_IAM_DOMAIN\): is required/);
  });
});
