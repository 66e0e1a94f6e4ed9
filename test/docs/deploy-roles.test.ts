// The deployment examples use two database roles: the compose stack and the Kubernetes examples
// connect the gateway as a role that may only insert and read audit records, and migrate the
// schema as its owner from a one-shot service (compose) or a Job (Kubernetes) that alone holds
// the owner's URL. Checked by scripts/container/check-manifests.ts, which needs no Docker.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const CHECK = new URL('../../scripts/container/check-manifests.ts', import.meta.url).pathname;

test('compose and Kubernetes run the gateway as a role of its own, migrations as the owner', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [CHECK]).catch(
    (error: unknown) => {
      const failed = error as { stdout?: string };
      assert.fail(`check-manifests failed:\n${failed.stdout ?? String(error)}`);
    },
  );
  for (const check of [
    "the compose gateway connects with the gateway role's password",
    'compose migrates as the owner, another role than the gateway',
    "compose's migrate grants the gateway role",
    "the compose gateway waits for migrate and holds none of the owner's secrets",
    "a Job migrates the audit schema as its owner and grants the gateways' role",
    "only the migration Job mounts the owner's secret, no gateway pod",
  ]) {
    assert.ok(stdout.includes(`PASS  manifests: ${check}`), check);
  }
});
