// The heap flags the shipped start command gives Node (scripts/heap-flags.sh, docs/deploy.md
// "Memory"): derived from the container's memory limit, a sidecar's default without one, and
// nothing when the operator chose their own in NODE_OPTIONS. The cgroup files are fakes in a
// temporary folder named as the script's argument.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';

const SCRIPT = 'scripts/heap-flags.sh';
const MiB = 1024 * 1024;

/** A cgroup root holding `files` (relative path → content). */
function cgroup(t: TestContext, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rescind-cgroup-'));
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
  });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), `${content}\n`);
  }
  return root;
}

function flags(root: string, nodeOptions?: string): string {
  const run = spawnSync('sh', [SCRIPT, root], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
    },
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

describe('scripts/heap-flags.sh', () => {
  it('gives half of a cgroup v2 limit to the old space, with an 8 MB semi-space', (t) => {
    const root = cgroup(t, { 'memory.max': String(256 * MiB) });
    assert.equal(flags(root), '--max-old-space-size=128 --max-semi-space-size=8');
  });

  it('reads a cgroup v1 limit, and keeps the old space at least 64 MB and the semi-space at 4 MB under 192 MiB', (t) => {
    const root = cgroup(t, { 'memory/memory.limit_in_bytes': String(96 * MiB) });
    assert.equal(flags(root), '--max-old-space-size=64 --max-semi-space-size=4');
  });

  it('caps the old space at 2048 MB under a large limit', (t) => {
    const root = cgroup(t, { 'memory.max': String(16 * 1024 * MiB) });
    assert.equal(flags(root), '--max-old-space-size=2048 --max-semi-space-size=8');
  });

  for (const [what, files] of [
    ['cgroup v2 "max"', { 'memory.max': 'max' }],
    ['cgroup v1 without a limit', { 'memory/memory.limit_in_bytes': '9223372036854771712' }],
    ['no cgroup files', {}],
  ] as const) {
    it(`uses the sidecar default with ${what}`, (t) => {
      assert.equal(flags(cgroup(t, files)), '--max-old-space-size=64 --max-semi-space-size=8');
    });
  }

  it("adds nothing when NODE_OPTIONS sets a heap flag: the operator's choice wins", (t) => {
    const root = cgroup(t, { 'memory.max': String(256 * MiB) });
    assert.equal(flags(root, '--max-old-space-size=300'), '');
    assert.equal(flags(root, '--enable-source-maps --max-semi-space-size=16'), '');
    assert.equal(
      flags(root, '--enable-source-maps'),
      '--max-old-space-size=128 --max-semi-space-size=8',
    );
  });
});
