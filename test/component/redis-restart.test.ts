// The shared rate-limit store restarted under load: a real gateway process (`node src/main.ts`)
// counting callers in Redis, six callers revoking without pause, and Redis stopped and started
// again. The gateway must survive it, refuse (fail-closed: 429 RATE_LIMITED with Retry-After)
// while Redis is gone, and revoke again once Redis is back, without a restart.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertRodeOut,
  loadThroughRestart,
  restartWorld,
  statusSummary,
  terminate,
} from '../helpers/gateway-world.ts';
import { startRedis } from '../helpers/servers.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';

describe('Redis restarted under load', { concurrency: 1 }, () => {
  const world = suiteScoped(async () =>
    restartWorld(await startRedis(), (redis) =>
      Promise.resolve({ RESCIND_RATE_LIMIT_REDIS_URL: redis.url() }),
    ),
  );

  test('the gateway survives, refuses while Redis is down, then revokes again', async (t) => {
    const outage = await loadThroughRestart(world, 'redis-restart', () => world.server.stop());
    t.diagnostic(statusSummary(outage.answers));
    // Fail-closed: the limit cannot be counted, so nobody passes.
    assertRodeOut(outage, world.gateway, { status: 429, code: 'RATE_LIMITED', server: 'Redis' });
    assert.equal(await terminate(world.gateway), 0, 'a graceful stop after the outage');
  });
});
