// `npm run container:check` changes this machine only when allowed: without --setup (and with no
// terminal to ask on) it installs nothing, starts no dockerd and fails, saying how to allow it.
// The machine's real tools are replaced by recorders: a PATH holding the system's commands but
// fake apt-get, dockerd and debootstrap that log their calls and install nothing, and no docker.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';

const SCRIPT = 'scripts/container-check.sh';
const RECORDED = ['apt-get', 'dockerd', 'debootstrap', 'docker-compose', 'npm', 'curl', 'wget'];
/** Never on the check's PATH here: the real ones would install or start something. */
const HIDDEN = new Set([
  ...RECORDED,
  'docker',
  'sudo',
  'npm',
  'npx',
  'node',
  'debconf-apt-progress',
]);

/** A PATH of the system's commands minus docker & co., plus recorders; the calls log. */
function sandbox(t: TestContext): { env: Record<string, string>; calls: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-container-check-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.log');
  spawnSync('mkdir', [bin]);
  for (const system of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    if (!existsSync(system)) continue;
    for (const name of readdirSync(system)) {
      if (HIDDEN.has(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(system, name), join(bin, name));
    }
  }
  for (const name of RECORDED) {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\nexit 0\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return {
    env: {
      PATH: bin,
      HOME: dir,
      RESCIND_CONTAINER_WORK: join(dir, 'work'),
      LANG: 'C.UTF-8',
    },
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
  };
}

function run(env: Record<string, string>, args: string[] = []) {
  // stdin is not a terminal: the check cannot ask, so it must refuse.
  return spawnSync('bash', [SCRIPT, ...args], {
    env,
    encoding: 'utf8',
    input: '',
    timeout: 120_000,
  });
}

describe('npm run container:check', () => {
  it('without --setup installs nothing, starts no dockerd, and fails saying how to allow it', (t) => {
    const { env, calls } = sandbox(t);
    const result = run(env);
    const output = result.stdout + result.stderr;
    assert.notEqual(result.status, 0, output);
    assert.equal(calls(), '', 'no apt-get, dockerd or debootstrap was run');
    assert.match(output, /FAIL {2}docker engine: .*--setup/);
    assert.match(output, /rerun with --setup to allow it/);
    assert.match(output, /container check: FAIL/);
    assert.doesNotMatch(output, /container check: PASS/);
  });

  it('with --setup is allowed to install the packages it lacks', (t) => {
    const { env, calls } = sandbox(t);
    const result = run(env, ['--setup']);
    const output = result.stdout + result.stderr;
    // The recorders install nothing, so docker stays missing and the check still fails.
    assert.notEqual(result.status, 0, output);
    assert.match(calls(), /apt-get install .*docker\.io/);
    assert.match(output, /container check: FAIL/);
  });

  it('documents --setup, --clean and --no-compose in --help, and refuses unknown flags', (t) => {
    const { env } = sandbox(t);
    const help = run(env, ['--help']);
    assert.equal(help.status, 0);
    for (const flag of ['--setup', '--clean', '--no-compose', '--keep'])
      assert.ok(help.stdout.includes(flag), `${flag} in --help`);
    const unknown = run(env, ['--install-everything']);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /unknown argument: --install-everything/);
  });
});
