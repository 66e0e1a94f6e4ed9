// The shared rate-limit store restarted under load: a real gateway process (`node src/main.ts`)
// counting callers in Redis, six callers revoking without pause, and Redis stopped and started
// again. The gateway must survive it, refuse (fail-closed: 429 RATE_LIMITED with Retry-After)
// while Redis is gone, and revoke again once Redis is back, without a restart.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  gatewayWorld,
  loadThroughOutage,
  statusSummary,
  type GatewayProcess,
  type GatewayWorld,
} from '../helpers/gateway-world.ts';
import { startRedis, type RedisServer } from '../helpers/servers.ts';

const CLIENTS = 6;
const DOWN_MS = 1_500;

let redis: RedisServer;
let world: GatewayWorld;
let gateway: GatewayProcess;

describe('Redis restarted under load', { concurrency: 1 }, () => {
  before(async () => {
    redis = await startRedis();
    world = await gatewayWorld(
      { rateLimit: { windowSeconds: 60, perCaller: 1_000_000 }, log: { level: 'info' } },
      { RESCIND_RATE_LIMIT_REDIS_URL: redis.url() },
    );
    gateway = await world.start();
  });

  after(async () => {
    await world.close();
    await redis.close();
  });

  test('the gateway survives, refuses while Redis is down, then revokes again', async (t) => {
    const token = await world.issuer.sign({ sub: 'redis-failover', groups: ['secops'] });
    const { answers, down, up } = await loadThroughOutage(gateway.url, token, {
      clients: CLIENTS,
      prefix: 'redis-restart',
      downMs: DOWN_MS,
      stop: () => redis.stop(),
      start: () => redis.start(),
    });
    const statuses = Map.groupBy(answers, (answer) => answer.status);
    t.diagnostic(statusSummary(answers));
    assert.equal(gateway.running(), true, `the process is alive:\n${gateway.output()}`);
    assert.deepEqual(
      [...statuses.keys()].filter((status) => status !== 200 && status !== 429),
      [],
      'nothing but 200 and 429 (no refused connection, no other error)',
    );
    for (const refused of statuses.get(429) ?? []) assert.equal(refused.code, 'RATE_LIMITED');
    // Sent after the server was gone and answered before it was back.
    const whileDown = answers.filter((a) => a.sentAt > down && a.at < up);
    assert.ok(whileDown.length > 0, 'callers were answered while Redis was down');
    assert.ok(
      whileDown.every((answer) => answer.status === 429),
      'every answer while Redis was down is a fail-closed 429',
    );
    assert.ok(answers.some((a) => a.at > up && a.status === 200));
    gateway.child.kill('SIGTERM');
    assert.equal((await gateway.exited).code, 0, 'a graceful stop after the outage');
  });
});
