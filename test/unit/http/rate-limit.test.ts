import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import express from 'express';
import type { ClientRateLimitInfo, Store } from 'express-rate-limit';
import { Registry } from 'prom-client';
import request from 'supertest';
import type { AuditTrail } from '../../../src/audit/audit-trail.ts';
import type { Config } from '../../../src/config/schema.ts';
import { createErrorHandler } from '../../../src/http/error-handler.ts';
import { createCallerRateLimit } from '../../../src/http/rate-limit.ts';
import { createRedisRateLimitStore } from '../../../src/http/redis-rate-limit-store.ts';
import { createRequestScope } from '../../../src/http/create-request-scope.ts';
import { scopeOf } from '../../../src/http/request-scope.ts';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.ts';
import { closedPort } from '../../helpers/closed-port.ts';
import { captureLogger } from '../../helpers/log-capture.ts';

/** These routes bind no operation, so nothing may be audited. */
const failingAudit: AuditTrail = {
  recordAttempt: () => Promise.reject(new Error('no operation is bound on this route')),
  recordOutcome: () => Promise.reject(new Error('no operation is bound on this route')),
  readiness: () => ({ ready: true, reasons: [] }),
  close: () => Promise.resolve(),
};

function rateLimitConfig(overrides: Partial<Config['rateLimit']> = {}): Config['rateLimit'] {
  return {
    windowSeconds: 60,
    perCaller: 2,
    unauthenticatedPerAddress: 30,
    onStoreError: 'fail-closed',
    ...overrides,
  };
}

interface Harness {
  readonly app: express.Express;
  readonly metrics: Metrics;
  readonly logs: () => string;
}

/** request scope → a caller from `X-Test-Caller` (as authentication would set it) → limiter. */
function harness(config: Config['rateLimit'], store?: Store, authenticated = true): Harness {
  const { logger, text } = captureLogger('debug');
  const metrics = createMetrics(new Registry(), { process: false });
  const app = express();
  app.use(createRequestScope(logger));
  app.use((req, res, next) => {
    const subject = req.headers['x-test-caller'];
    if (authenticated && typeof subject === 'string') {
      scopeOf(res).caller = { subject, groups: [], via: 'jwt' };
    }
    next();
  });
  app.use(createCallerRateLimit({ config, metrics, logger, ...(store ? { store } : {}) }));
  app.get('/thing', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(createErrorHandler(failingAudit));
  return { app, metrics, logs: text };
}

async function rejections(metrics: Metrics): Promise<number> {
  return (await metrics.rateLimitRejections.get()).values[0]?.value ?? 0;
}

class ThrowingStore implements Store {
  failing = true;
  hits = new Map<string, number>();
  increment(key: string): Promise<ClientRateLimitInfo> {
    if (this.failing) return Promise.reject(new Error('store unreachable at 10.9.8.7:6379'));
    const totalHits = (this.hits.get(key) ?? 0) + 1;
    this.hits.set(key, totalHits);
    return Promise.resolve({ totalHits, resetTime: new Date(Date.now() + 60_000) });
  }
  decrement(): void {}
  resetKey(): void {}
}

describe('createCallerRateLimit', () => {
  test('a caller over its limit gets 429 RATE_LIMITED with Retry-After; another caller is unaffected', async () => {
    const { app, metrics } = harness(rateLimitConfig());
    const as = (subject: string) => request(app).get('/thing').set('X-Test-Caller', subject);

    const first = await as('alice');
    assert.equal(first.status, 200);
    assert.match(first.headers.ratelimit ?? '', /^"2-in-1min"; r=1; t=(60|59)$/);
    assert.match(first.headers['ratelimit-policy'] ?? '', /^"2-in-1min"; q=2; w=60; pk=:[^:]+:$/);
    assert.equal((await as('alice')).status, 200);

    const refused = await as('alice');
    assert.equal(refused.status, 429);
    assert.match(refused.headers['content-type'] ?? '', /^application\/problem\+json/);
    const body = JSON.parse(refused.text) as { code: string; status: number; detail: string };
    assert.equal(body.code, 'RATE_LIMITED');
    assert.equal(body.status, 429);
    assert.match(body.detail, /2 requests per 60 s/);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(retryAfter)}`);
    assert.match(refused.headers.ratelimit ?? '', /; r=0; t=\d+$/);
    assert.equal(await rejections(metrics), 1);

    const bob = await as('bob');
    assert.equal(bob.status, 200);
    assert.match(bob.headers.ratelimit ?? '', /; r=1; /);
    assert.equal(await rejections(metrics), 1);
  });

  test('the key is the caller, not the address: one subject shares its budget across requests', async () => {
    const { app } = harness(rateLimitConfig({ perCaller: 1 }));
    assert.equal((await request(app).get('/thing').set('X-Test-Caller', 'carol')).status, 200);
    // Same loopback address, different caller: its own budget.
    assert.equal((await request(app).get('/thing').set('X-Test-Caller', 'dave')).status, 200);
    assert.equal((await request(app).get('/thing').set('X-Test-Caller', 'carol')).status, 429);
  });

  test('without an authenticated caller it refuses to guess a key (500 INTERNAL)', async () => {
    const { app, logs } = harness(rateLimitConfig(), undefined, false);
    const res = await request(app).get('/thing');
    assert.equal(res.status, 500);
    assert.equal((JSON.parse(res.text) as { code: string }).code, 'INTERNAL');
    assert.match(logs(), /rate limit before authentication/);
  });

  test('fail-closed: a store error refuses with 429 RATE_LIMITED and a short Retry-After', async () => {
    const store = new ThrowingStore();
    const { app, metrics, logs } = harness(rateLimitConfig({ onStoreError: 'fail-closed' }), store);
    const res = await request(app).get('/thing').set('X-Test-Caller', 'alice');
    assert.equal(res.status, 429);
    const body = JSON.parse(res.text) as { code: string; detail: string };
    assert.equal(body.code, 'RATE_LIMITED');
    assert.match(body.detail, /could not be checked/);
    assert.doesNotMatch(res.text, /10\.9\.8\.7|unreachable/);
    assert.equal(res.headers['retry-after'], '5');
    assert.match(logs(), /fail-closed/);
    assert.equal(await rejections(metrics), 0, 'a store failure is not a caller over its limit');

    store.failing = false;
    assert.equal((await request(app).get('/thing').set('X-Test-Caller', 'alice')).status, 200);
  });

  test('fail-open: a store error lets the request through and logs a warning', async () => {
    const { app, logs } = harness(
      rateLimitConfig({ onStoreError: 'fail-open' }),
      new ThrowingStore(),
    );
    for (let i = 0; i < 4; i += 1) {
      const res = await request(app).get('/thing').set('X-Test-Caller', 'alice');
      assert.equal(res.status, 200);
      assert.equal(res.headers.ratelimit, undefined);
    }
    const warnings = logs()
      .split('\n')
      .filter((line) => line.includes('fail-open'));
    assert.equal(warnings.length, 4);
    assert.match(warnings[0] ?? '', /"level":"warn"/);
    assert.match(warnings[0] ?? '', /"requestId":/);
  });

  test('a down Redis fails fast and follows fail-closed; readiness says so without the URL', async () => {
    const port = await closedPort();
    const url = `redis://:hunter2-secret@127.0.0.1:${String(port)}/0`;
    const { logger, text } = captureLogger('debug');
    const redis = createRedisRateLimitStore(url, { logger, connectTimeoutMs: 500 });
    try {
      const { app } = harness(rateLimitConfig(), redis.store);
      const res = await request(app).get('/thing').set('X-Test-Caller', 'alice');
      assert.equal(res.status, 429);
      assert.equal((JSON.parse(res.text) as { code: string }).code, 'RATE_LIMITED');
      const readiness = redis.readiness();
      assert.equal(readiness.ready, false);
      assert.ok(readiness.reasons.length > 0);
      assert.ok(!readiness.reasons.join(' ').includes('hunter2'));
      assert.ok(!text().includes('hunter2'));
    } finally {
      await redis.close();
    }
  });
});
