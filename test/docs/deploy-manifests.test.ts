// The deployment examples are correct as shipped: the static checks of
// scripts/container/check-manifests.ts (part of `npm run container:check`, which needs Docker)
// pass without Docker, here. Among them: the Kubernetes Deployment's replicas share one
// PostgreSQL audit store and one Redis, so a caller's rate limit does not multiply with them.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const CHECK = new URL('../../scripts/container/check-manifests.ts', import.meta.url).pathname;

describe('deployment manifests', () => {
  it('pass every static check, the Deployment sharing its audit store and rate limits', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [CHECK]).catch(
      (error: unknown) => {
        const { code, stdout: printed } = error as { code?: number; stdout?: string };
        return assert.fail(`check-manifests exited ${String(code)}:\n${printed ?? ''}`);
      },
    );
    const lines = stdout.trim().split('\n');
    assert.deepEqual(
      lines.filter((line) => !line.startsWith('PASS')),
      [],
    );
    assert.ok(
      lines.some((line) =>
        /deployment\.yaml Deployment: its 2 replicas share a PostgreSQL audit store and Redis rate limits/.test(
          line,
        ),
      ),
      stdout,
    );
  });
});
