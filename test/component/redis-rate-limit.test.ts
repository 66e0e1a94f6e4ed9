// The shared rate limit (docs/api.md "Callers and permissions") through real gateways and a real Redis: two instances
// count one caller against one budget, and when Redis cannot be reached the gateway does what
// `rateLimit.onStoreError` names — `fail-closed` (the default) refuses with 429 RATE_LIMITED and
// a short Retry-After, `fail-open` lets requests through unlimited and logs a warning — until
// Redis is back, without a restart.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test, type TestContext } from 'node:test';
import { STORE_ERROR_RETRY_AFTER_SECONDS } from '../../src/http/rate-limit.ts';
import { DEMO_RESOURCES, startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { startGatewayFor, type TestGateway } from '../helpers/gateway.ts';
import { startRedis, useRedis, type RedisServer } from '../helpers/servers.ts';

const redis = await useRedis();
after(() => redis.close());

const GRANT = DEMO_RESOURCES.kmsGrants[0];

async function simulator(t: TestContext): Promise<Simulator> {
  // Every revocation of the seeded grant succeeds, however often it is repeated.
  const sim = await startSimulator({ autoReseed: true });
  t.after(() => sim.close());
  return sim;
}

function gateway(
  t: TestContext,
  sim: Simulator,
  redisUrl: string,
  rateLimit: Record<string, unknown>,
): Promise<TestGateway> {
  return startGatewayFor(t, {
    sim,
    config: { rateLimit: { windowSeconds: 600, ...rateLimit } },
    env: { RESCIND_RATE_LIMIT_REDIS_URL: redisUrl },
  });
}

interface Answer {
  readonly status: number;
  readonly code: string | null;
  readonly retryAfter: string | null;
  readonly rateLimit: string | null;
}

async function revoke(gw: TestGateway, token: string): Promise<Answer> {
  assert.ok(GRANT);
  const response = await fetch(`${gw.url}/v1/kms/keys/${GRANT.keyId}/grants/${GRANT.grantId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as { code?: string };
  return {
    status: response.status,
    code: body.code ?? null,
    retryAfter: response.headers.get('retry-after'),
    rateLimit: response.headers.get('ratelimit'),
  };
}

async function ownRedis(t: TestContext): Promise<RedisServer> {
  const server = await startRedis();
  t.after(() => server.close());
  return server;
}

describe('the rate limit shared through Redis', () => {
  test('two gateway instances count one caller against one budget', async (t) => {
    const sim = await simulator(t);
    const limit = 6;
    const [a, b] = [
      await gateway(t, sim, redis.url, { perCaller: limit }),
      await gateway(t, sim, redis.url, { perCaller: limit }),
    ];
    // A caller of its own: other tests share this Redis.
    const caller = `shared-${randomUUID()}`;
    // Each test gateway trusts its own issuer: one token each, for the same subject.
    const [tokenA, tokenB] = [await a.token(caller), await b.token(caller)];
    const answers: Answer[] = [];
    for (let index = 0; index < 5; index += 1) {
      answers.push(await revoke(a, tokenA));
      answers.push(await revoke(b, tokenB));
    }
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200, 200, 200, 200, 200, 429, 429, 429, 429],
      'six allowed in all, whichever instance was asked',
    );
    assert.deepEqual(
      answers.slice(0, 6).map((answer) => /r=(\d+)/.exec(answer.rateLimit ?? '')?.[1]),
      ['5', '4', '3', '2', '1', '0'],
      'each instance sees what the other counted',
    );
    for (const refused of answers.slice(6)) {
      assert.equal(refused.code, 'RATE_LIMITED');
      assert.ok(
        Number(refused.retryAfter) > STORE_ERROR_RETRY_AFTER_SECONDS,
        'wait for the window',
      );
    }
    assert.equal(sim.calls({ service: 'kms' }).length, limit, 'the cloud heard only the allowed');

    const other = await revoke(b, await b.token(`other-${randomUUID()}`));
    assert.equal(other.status, 200, 'another caller has its own budget');
  });

  test('fail-closed (the default): refuses with 429 and a short Retry-After while Redis is unreachable, calls no cloud, and limits again once it is back', async (t) => {
    const sim = await simulator(t);
    const own = await ownRedis(t);
    const gw = await gateway(t, sim, own.url(), { perCaller: 2 });
    assert.equal(gw.config.rateLimit.onStoreError, 'fail-closed');
    const token = await gw.token(`closed-${randomUUID()}`);
    assert.equal((await revoke(gw, token)).status, 200);

    await own.stop();
    for (let index = 0; index < 3; index += 1) {
      const refused = await revoke(gw, token);
      assert.equal(refused.status, 429);
      assert.equal(refused.code, 'RATE_LIMITED');
      assert.equal(refused.retryAfter, String(STORE_ERROR_RETRY_AFTER_SECONDS));
    }
    assert.equal(sim.calls({ service: 'kms' }).length, 1, 'no request reached the cloud');
    const readyz = await fetch(`${gw.url}/readyz`);
    assert.equal(readyz.status, 503);
    const readiness = await readyz.text();
    assert.match(readiness, /rate-limit-store-disconnected/);
    assert.equal(readiness.includes(String(own.port)), false, 'no URL on /readyz');
    assert.match(gw.logs(), /request refused \(fail-closed\)/);

    await own.start();
    // Redis restarted empty: the caller's count starts again, and the limit holds again.
    const statuses: number[] = [];
    const deadline = performance.now() + 10_000;
    while (!statuses.includes(200)) {
      assert.ok(performance.now() < deadline, 'allowed again within 10 s of Redis coming back');
      statuses.push((await revoke(gw, token)).status);
    }
    assert.equal((await revoke(gw, token)).status, 200);
    assert.equal((await revoke(gw, token)).status, 429);
  });

  test('fail-open: lets requests through unlimited while Redis is unreachable, warns for each, and limits again once it is back', async (t) => {
    const sim = await simulator(t);
    const own = await ownRedis(t);
    const gw = await gateway(t, sim, own.url(), { perCaller: 2, onStoreError: 'fail-open' });
    const token = await gw.token(`open-${randomUUID()}`);
    assert.equal((await revoke(gw, token)).status, 200);
    assert.equal((await revoke(gw, token)).status, 200);
    assert.equal((await revoke(gw, token)).status, 429);

    await own.stop();
    for (let index = 0; index < 4; index += 1) {
      const answer = await revoke(gw, token);
      assert.equal(answer.status, 200, 'allowed: the limit cannot be checked');
      assert.equal(answer.rateLimit, null, 'no RateLimit header: nothing was counted');
    }
    assert.equal(sim.calls({ service: 'kms' }).length, 6);
    const warnings = gw
      .logs()
      .split('\n')
      .filter((line) => line.includes('request allowed unlimited (fail-open)'));
    assert.equal(warnings.length, 4);

    await own.start();
    const statuses: number[] = [];
    const deadline = performance.now() + 10_000;
    while (statuses.filter((status) => status === 429).length === 0) {
      assert.ok(performance.now() < deadline, 'limited again within 10 s of Redis coming back');
      const answer = await revoke(gw, token);
      statuses.push(answer.status);
    }
    assert.ok(
      statuses.filter((status) => status === 200).length >= 2,
      `counted afresh once Redis is back: ${statuses.join(',')}`,
    );
  });
});
