// A flood without credentials must not fill the audit volume. Requests without a valid identity
// are limited per client address before anything is written (`rateLimit.unauthenticatedPerAddress`
// per window): within the limit each is answered 401 and audited; past it 429 RATE_LIMITED with
// Retry-After and no record of its own — one summary outcome record per address and window
// counts them. The limit holds with the in-process store and with Redis across instances.

import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { AuditRecord } from '../../src/audit/audit-record.ts';
import { DEMO_RESOURCES, startSimulator } from '../../src/simulator/index.ts';
import { storedRecords } from '../unit/audit/audit-test-kit.ts';
import { startGatewayFor, type TestGateway } from '../helpers/gateway.ts';
import { useRedis } from '../helpers/servers.ts';

const GRANT = DEMO_RESOURCES.kmsGrants[0];
const PATH = `/v1/kms/keys/${GRANT.keyId}/grants/${GRANT.grantId}`;

function gateway(
  t: TestContext,
  rateLimit: Record<string, unknown>,
  env: Record<string, string> = {},
  sim?: Awaited<ReturnType<typeof startSimulator>>,
): Promise<TestGateway> {
  return startGatewayFor(t, {
    config: { rateLimit: { windowSeconds: 600, ...rateLimit } },
    env,
    ...(sim !== undefined ? { sim } : {}),
  });
}

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfter: string | null;
}

async function anonymous(gw: TestGateway, authorization?: string): Promise<Answer> {
  const response = await fetch(`${gw.url}${PATH}`, {
    method: 'DELETE',
    headers: authorization === undefined ? {} : { authorization },
  });
  const body = (await response.json()) as { code?: string };
  return {
    status: response.status,
    code: body.code,
    retryAfter: response.headers.get('retry-after'),
  };
}

function head(gw: TestGateway): number {
  return gw.composition.auditTrail.stats().head.seq;
}

function summaries(records: readonly AuditRecord[]): AuditRecord[] {
  return records.filter((record) => record.outcome?.reason === 'unauthenticated-over-limit');
}

async function metric(gw: TestGateway, name: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? 'NaN');
}

describe('unauthenticated floods', () => {
  test('100 requests without credentials grow the trail by 30 records and one summary, not 100', async (t) => {
    const gw = await gateway(t, { unauthenticatedPerAddress: 30 });
    const before = head(gw);
    const answers: Answer[] = [];
    for (let index = 0; index < 100; index += 1) {
      // Missing, malformed and badly signed credentials alike.
      const authorization = [undefined, 'Bearer not-a-jwt', 'Basic Zm9vOmJhcg=='][index % 3];
      answers.push(await anonymous(gw, authorization));
    }
    const statuses = answers.map((answer) => answer.status);
    assert.deepEqual(statuses.slice(0, 30), Array<number>(30).fill(401));
    assert.deepEqual(statuses.slice(30), Array<number>(70).fill(429));
    for (const refused of answers.slice(30)) {
      assert.equal(refused.code, 'RATE_LIMITED');
      assert.match(refused.retryAfter ?? '', /^[1-9]\d*$/);
      assert.ok(Number(refused.retryAfter) <= 600);
    }
    assert.equal(head(gw) - before, 30, 'one record per request within the limit, none beyond');
    assert.equal(await metric(gw, 'rescind_unauthenticated_rejections_total'), 70);

    // A caller with valid credentials from the same address is not affected.
    const token = await gw.token('alice');
    assert.equal((await anonymous(gw, `Bearer ${token}`)).status, 200);

    await gw.server.drain();
    const records = (await storedRecords(gw.auditPath)).slice(before);
    assert.equal(records.length, 30 + 1 + 2, '30 refusals, one summary, one revocation');
    const [summary] = summaries(records);
    assert.equal(summaries(records).length, 1);
    assert.equal(summary?.phase, 'outcome');
    assert.equal(summary.client.ip, '127.0.0.1');
    assert.equal(summary.actor.subject, null);
    assert.equal(summary.outcome?.result, 'rate-limited');
    assert.equal(summary.outcome.status, 429);
    assert.equal(summary.outcome.code, 'RATE_LIMITED');
    assert.equal(summary.outcome.summary?.refused, 70);
    assert.ok(summary.outcome.summary.since <= summary.outcome.summary.until);
  });

  test('writes the summary when the window ends, without waiting for shutdown', async (t) => {
    const gw = await gateway(t, { windowSeconds: 1, unauthenticatedPerAddress: 2 });
    const before = head(gw);
    const statuses = [];
    for (let index = 0; index < 6; index += 1) statuses.push((await anonymous(gw)).status);
    assert.deepEqual(statuses, [401, 401, 429, 429, 429, 429]);
    assert.equal(head(gw) - before, 2);
    const deadline = performance.now() + 5_000;
    while (head(gw) - before < 3) {
      assert.ok(performance.now() < deadline, 'the summary is written within a few seconds');
      await sleep(100);
    }
    const page = await gw.composition.auditTrail.reader.page({ limit: 100 });
    const summary = page.items.find((record) => record.outcome?.summary !== undefined);
    assert.equal(summary?.outcome?.summary?.refused, 4);
    // The next window starts afresh.
    assert.equal((await anonymous(gw)).status, 401);
  });

  test('holds across instances sharing Redis', async (t) => {
    const redis = await useRedis();
    t.after(() => redis.close());
    // A database of its own on the run's Redis: other tests count 127.0.0.1 too.
    const url = new URL(redis.url);
    url.pathname = '/11';
    const client = new Redis(url.toString());
    t.after(() => client.quit());
    await client.del('rescind:rl-unauthenticated:127.0.0.1');
    const sim = await startSimulator({ autoReseed: true });
    t.after(() => sim.close());
    const limit = 10;
    const env = { RESCIND_RATE_LIMIT_REDIS_URL: url.toString() };
    const first = await gateway(t, { unauthenticatedPerAddress: limit }, env, sim);
    const second = await gateway(t, { unauthenticatedPerAddress: limit }, env, sim);
    const answers: number[] = [];
    for (let index = 0; index < 2 * limit; index += 1) {
      answers.push((await anonymous(index % 2 === 0 ? first : second)).status);
    }
    assert.deepEqual(
      answers,
      [...Array<number>(limit).fill(401), ...Array<number>(limit).fill(429)],
      'the two instances count one budget',
    );
  });
});
