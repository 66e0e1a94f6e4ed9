// The test servers fail fast: a PostgreSQL or Redis that is not installed ends the tests that
// need it within seconds, with what to install — it never leaves the other server running and the
// run hanging. Servers are found through RESCIND_TEST_POSTGRES_BIN / RESCIND_TEST_REDIS_BIN, on
// PATH, and in Debian's paths.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  findPostgresBin,
  findRedisServer,
  POSTGRES_MISSING,
  REDIS_MISSING,
} from '../helpers/server-binaries.ts';

const FLEET = 'test/component/fleet.test.ts';
/** "Within seconds": start-up of the test file included, on a loaded two-core machine. */
const FAST_MS = 30_000;

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-bins-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function executable(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, 0o755);
  return file;
}

/** Runs one test file the way the suite does, without the run's shared servers. */
async function runTestFile(file: string, env: Record<string, string>, args = ['--test']) {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined &&
        !entry[0].startsWith('RESCIND_TEST_') &&
        // Set for files the runner starts; a file started from a test would otherwise refuse to run.
        entry[0] !== 'NODE_TEST_CONTEXT',
    ),
  );
  const started = performance.now();
  const child = spawn(process.execPath, [...args, file], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), FAST_MS * 2);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output, ms: performance.now() - started };
}

describe('finding the test servers', () => {
  it('takes PostgreSQL from PATH when initdb and postgres are there', (t) => {
    const dir = tempDir(t);
    const bin = join(dir, 'pg', 'bin');
    executable(bin, 'initdb');
    executable(bin, 'postgres');
    assert.equal(findPostgresBin({ PATH: `${join(dir, 'empty')}:${bin}` }, join(dir, 'none')), bin);
  });

  it('takes the newest Debian PostgreSQL when PATH has none', (t) => {
    const root = tempDir(t);
    for (const version of ['13', '15']) {
      executable(join(root, version, 'bin'), 'initdb');
      executable(join(root, version, 'bin'), 'postgres');
    }
    assert.equal(findPostgresBin({ PATH: '' }, root), join(root, '15', 'bin'));
  });

  it('names the package and the variable when PostgreSQL is nowhere', (t) => {
    const dir = tempDir(t);
    assert.throws(() => findPostgresBin({ PATH: dir }, join(dir, 'none')), {
      message: POSTGRES_MISSING,
    });
    assert.match(POSTGRES_MISSING, /apt-get install -y postgresql/);
    assert.throws(
      () => findPostgresBin({ PATH: '', RESCIND_TEST_POSTGRES_BIN: join(dir, 'nope') }),
      /RESCIND_TEST_POSTGRES_BIN=.*nope holds no initdb and postgres/,
    );
  });

  it('takes redis-server from RESCIND_TEST_REDIS_BIN (file or directory), then PATH, then Debian', (t) => {
    const dir = tempDir(t);
    const configured = executable(join(dir, 'configured'), 'redis-server');
    const onPath = executable(join(dir, 'path'), 'redis-server');
    const debian = executable(join(dir, 'debian'), 'redis-server');
    const path = join(dir, 'path');
    assert.equal(
      findRedisServer({ PATH: path, RESCIND_TEST_REDIS_BIN: configured }, []),
      configured,
    );
    assert.equal(
      findRedisServer({ PATH: path, RESCIND_TEST_REDIS_BIN: join(dir, 'configured') }, []),
      configured,
    );
    assert.equal(findRedisServer({ PATH: path }, [debian]), onPath);
    assert.equal(findRedisServer({ PATH: dir }, [debian]), debian);
    assert.throws(() => findRedisServer({ PATH: dir }, [join(dir, 'none')]), {
      message: REDIS_MISSING,
    });
    assert.throws(
      () => findRedisServer({ PATH: '', RESCIND_TEST_REDIS_BIN: join(dir, 'nope') }),
      /RESCIND_TEST_REDIS_BIN=.*nope is no redis-server/,
    );
  });
});

describe('a test file that needs a missing server', () => {
  it('fails within seconds with the install hint when PostgreSQL is missing (Redis started)', async (t) => {
    const run = await runTestFile(FLEET, { RESCIND_TEST_POSTGRES_BIN: tempDir(t) });
    assert.notEqual(run.code, 0, run.output);
    assert.ok(run.ms < FAST_MS, `ended after ${Math.round(run.ms)} ms:\n${run.output}`);
    assert.match(run.output, /apt-get install -y postgresql/);
  });

  it('fails within seconds with the install hint when Redis is missing (PostgreSQL started)', async (t) => {
    const run = await runTestFile(FLEET, { RESCIND_TEST_REDIS_BIN: tempDir(t) });
    assert.notEqual(run.code, 0, run.output);
    assert.ok(run.ms < FAST_MS, `ended after ${Math.round(run.ms)} ms:\n${run.output}`);
    assert.match(run.output, /apt-get install -y redis-server/);
  });
});

describe('npm test without a test server', () => {
  it('stops before type-checking, naming the missing package', async (t) => {
    const test =
      (JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson).scripts.test ?? '';
    const steps = test.split(' && ');
    assert.ok(
      steps.indexOf('node scripts/check-test-servers.ts') === 1 &&
        steps.indexOf('npm run typecheck') > 1,
      test,
    );
    const run = await runTestFile(
      'scripts/check-test-servers.ts',
      { RESCIND_TEST_POSTGRES_BIN: tempDir(t), RESCIND_TEST_REDIS_BIN: tempDir(t) },
      [],
    );
    assert.equal(run.code, 1, run.output);
    assert.match(run.output, /apt-get install -y postgresql/);
    assert.match(run.output, /apt-get install -y redis-server/);
  });

  it('passes when both are found', async () => {
    const run = await runTestFile('scripts/check-test-servers.ts', {}, []);
    assert.equal(run.code, 0, run.output);
  });
});

interface PackageJson {
  readonly scripts: Record<string, string>;
}
